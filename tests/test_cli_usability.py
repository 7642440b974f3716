"""What a new user meets on the command line: no silent data loss, warnings, errors that point at
the source, a live report, one-line usage errors, formats from standard input. `main()` in-process,
and a few real processes (version, closed pipe, standard input)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli import EVENTS, NOW, ROOT, TOPICS, cli


@pytest.fixture(autouse=True)
def private_default_db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "default.duckdb"
    monkeypatch.setenv("HOG_TAGGER_DB", str(path))
    return path


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def capture_event(n: int, when: str = "2026-11-26T10:00:00Z") -> dict:
    return {"event": "$ai_generation", "distinct_id": f"u{n}", "timestamp": when,
            "properties": {"$ai_input": f"question {n}", "$ai_output": f"answer {n}"}}


# -- no silent data loss ----------------------------------------------------------------------------


def test_a_dump_given_as_db_is_refused_with_a_suggestion(capsys, tmp_path: Path) -> None:
    dump = write(tmp_path / "dump.jsonl", "".join(json.dumps(capture_event(n)) + "\n" for n in range(3)))
    before = dump.read_bytes()
    for command in (["load", str(EVENTS), "--db", str(dump)], ["run", str(TOPICS), "--db", str(dump)]):
        code, out, err = cli(capsys, *command)
        assert code == 1 and out == ""
        assert err == (f"hog-test: error: --db {dump}: a JSON Lines event dump, not a DuckDB event database; "
                       f"to use its events, pass --events {dump}, or keep them in a database with "
                       f"`hog-test load {dump} --db events.duckdb`\n")
    assert dump.read_bytes() == before


def test_a_failed_first_load_leaves_no_database_behind(capsys, tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.jsonl", '{"uuid": "a", "event": "e", "properties": {}, "timestamp": "never"}\n')
    db = tmp_path / "new.duckdb"
    code, _, err = cli(capsys, "load", str(bad), "--db", str(db))
    assert code == 1 and "line 1" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl"]
    # a database that existed stays, unchanged
    assert cli(capsys, "load", str(EVENTS), "--db", str(db))[0] == 0
    assert cli(capsys, "load", str(bad), "--db", str(db))[0] == 1
    _, out, _ = cli(capsys, "load", str(EVENTS), "--db", str(db))
    assert "0 events added" in out


# -- warnings and source positions -------------------------------------------------------------------


MISTAKES = "print(\"hi\")\nlet x := 0\nx = 1\nreturn lenght(input)\n"


@pytest.mark.parametrize("command", ["compile", "run", "exec"])
def test_warnings_are_printed_one_per_line_and_strict_makes_them_errors(capsys, tmp_path: Path,
                                                                         command: str) -> None:
    tagger = write(tmp_path / "t.hog", MISTAKES)
    extra = ["--events", str(EVENTS), "--now", NOW, "--json"] if command == "run" else []
    code, out, err = cli(capsys, command, str(tagger), *extra)
    warnings = [line for line in err.splitlines() if ": warning: " in line]
    assert warnings[:3] == [
        f"{tagger}:1:7: warning: \"hi\" is a name, not a string: Hog quotes names with double quotes. "
        "For a string, write 'hi'",
        f"{tagger}:3:1: warning: You must use ':=' for assignment instead of '='.",
        f"{tagger}:4:8: warning: Hog function `lenght` is not implemented; did you mean `length`?",
    ]
    if command == "run":
        assert code == 1 and json.loads(out)["results"]  # the report is still pure JSON on stdout
    code, out, err = cli(capsys, command, str(tagger), "--strict", *extra)
    assert code == 1 and out == ""
    assert err.endswith(f"hog-test: error: {tagger}: {len(warnings)} warnings, which --strict makes errors\n")


def test_exec_checks_globals_against_the_given_ones(capsys, tmp_path: Path) -> None:
    program = write(tmp_path / "p.hog", "return [event.name, person]")
    code, out, err = cli(capsys, "exec", str(program), "--globals", '{"event": {"name": "x"}, "person": 1}')
    assert (code, out, err) == (0, "['x', 1]\n", "")
    code, _, err = cli(capsys, "exec", str(program), "--globals", '{"event": {"name": "x"}}')
    assert f"{program}:1:21: warning: Unknown global variable: person" in err
    assert f"hog-test: error: {program}:1:21: Global variable not found: person" in err


def test_run_shows_where_a_runtime_error_happened(capsys, tmp_path: Path) -> None:
    tagger = write(tmp_path / "t.hog", "fn first(xs) {\n  return xs[1]()\n}\nreturn first([input])\n")
    code, out, err = cli(capsys, "run", str(tagger), "--events", str(EVENTS), "--now", NOW, "--sample-count", "1")
    assert ("  error      Runtime error: Invalid closure: str is not a function (line 2, column 10, "
            "in function first)\n"
            "                 return xs[1]()\n"
            "                        ^\n") in out
    assert code == 1
    assert err == f"hog-test: error: {tagger}: the tagger failed on every event (1 event)\n"
    code, out, _ = cli(capsys, "run", str(tagger), "--events", str(EVENTS), "--now", NOW, "--json",
                       "--sample-count", "1")
    assert json.loads(out)["results"][0]["error"].endswith("(line 2, column 10, in function first)")


# -- telling the user what happened ------------------------------------------------------------------


def test_an_empty_window_says_what_is_there_and_suggests_now(capsys, tmp_path: Path) -> None:
    dump = write(tmp_path / "old.jsonl", "".join(
        json.dumps(capture_event(n, f"2024-03-0{n}T12:00:00Z")) + "\n" for n in range(1, 4)))
    code, out, err = cli(capsys, "run", str(TOPICS), "--events", str(dump))
    assert code == 0 and out == "No recent AI events found in the last 7 days\n"
    assert err == ("hog-test: note: the dumps hold 3 $ai_generation events, the newest at 2024-03-03T12:00:00Z, "
                   "none in the last 7 days; to sample them, try --now 2024-03-03T12:00:00Z\n")
    code, out, _ = cli(capsys, "run", str(TOPICS), "--events", str(dump), "--now", "2024-03-03T12:00:00Z", "--json")
    assert len(json.loads(out)["results"]) == 3
    other = write(tmp_path / "pageviews.jsonl", json.dumps({**capture_event(1), "event": "$pageview"}) + "\n")
    _, _, err = cli(capsys, "run", str(TOPICS), "--events", str(other))
    assert err == "hog-test: note: the dumps hold no $ai_generation events (a tagger only runs on those)\n"


def test_dropped_tags_are_noted(capsys, tmp_path: Path) -> None:
    tagger = write(tmp_path / "t.hog", "return ['billing', 'error', 'spam']")
    code, out, _ = cli(capsys, "run", str(tagger), "--events", str(EVENTS), "--now", NOW, "--sample-count", "1",
                       "--tags", "billing")
    assert code == 0
    assert "  tags       billing\n  dropped    error, spam (not configured)\n" in out


def test_every_event_failing_exits_1_some_failing_exits_0(capsys, tmp_path: Path) -> None:
    always = write(tmp_path / "always.hog", "return null()")
    code, out, err = cli(capsys, "run", str(always), "--events", str(EVENTS), "--now", NOW)
    assert code == 1 and "5 events: 0 tagged, 0 untagged, 5 with errors" in out
    assert err == f"hog-test: error: {always}: the tagger failed on every event (5 events)\n"
    sometimes = write(tmp_path / "sometimes.hog", "if (event.uuid < '8') { return null() }\nreturn ['ok']")
    code, out, _ = cli(capsys, "run", str(sometimes), "--events", str(EVENTS), "--now", NOW, "--sample-count", "10")
    assert code == 0 and "with errors" in out


def test_events_are_printed_as_they_finish_and_ctrl_c_keeps_them(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    import sampler.api

    real = sampler.api.tag_event
    calls = []
    printed_before_the_third: list[int] = []

    def interrupt_on_the_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            printed = capsys.readouterr().out
            printed_before_the_third.append(printed.count("  event "))
            sys.stdout.write(printed)  # put it back for the final capture
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(sampler.api, "tag_event", interrupt_on_the_third)
    code, out, err = cli(capsys, "run", str(TOPICS), "--events", str(EVENTS), "--now", NOW)
    assert code == 130
    assert printed_before_the_third == [2]  # the first two blocks were out before the third event ran
    assert out.count("  event ") == 2 and "\n\n2 events: 2 tagged, 0 untagged, 0 with errors\n" in out
    assert err == "hog-test: error: interrupted after 2 events\n"
    calls.clear()
    code, out, _ = cli(capsys, "run", str(TOPICS), "--events", str(EVENTS), "--now", NOW, "--json")
    assert code == 130 and len(json.loads(out)["results"]) == 2  # what was done, as the endpoint's body


def test_the_summary_follows_the_blocks(capsys) -> None:
    code, out, _ = cli(capsys, "run", str(TOPICS), "--events", str(EVENTS), "--now", NOW, "--sample-count", "2")
    assert code == 0
    assert out.index("#1  event") < out.index("#2  event") < out.index("2 events: ")


# -- one-line errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "expected"), [
    ([], "hog-test: error: the following arguments are required: COMMAND (see 'hog-test --help')"),
    (["run"], "hog-test run: error: the following arguments are required: tagger (see 'hog-test run --help')"),
    (["run", "t.hog", "--sample-count", "x"],
     "hog-test run: error: argument --sample-count: invalid int value: 'x' (see 'hog-test run --help')"),
    (["load"], "hog-test load: error: the following arguments are required: PATH (see 'hog-test load --help')"),
    (["exec", "p.hog", "--bogus"], "hog-test: error: unrecognized arguments: --bogus (see 'hog-test --help')"),
    (["frobnicate"], "hog-test: error: argument COMMAND: invalid choice: 'frobnicate'"),
])
def test_usage_errors_are_one_line_naming_the_subcommand(capsys, args: list[str], expected: str) -> None:
    code, out, err = cli(capsys, *args)
    assert code == 2 and out == ""
    assert err.startswith(expected) and err.count("\n") == 1


def test_version(capsys) -> None:
    code, out, _ = cli(capsys, "--version")
    assert code == 0 and out.startswith("hog-test ") and out.strip() != "hog-test"


@pytest.mark.parametrize("where", ["globals", "hoge", "tags-file"])
def test_deeply_nested_json_is_a_one_line_error(capsys, tmp_path: Path, where: str) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    program = write(tmp_path / "p.hog", "return 1")
    if where == "globals":
        args = ["exec", str(program), "--globals", deep]
        expected = "--globals: JSON nested too deeply to read"
    elif where == "hoge":
        args = ["exec", str(write(tmp_path / "p.hoge", deep))]
        expected = f"{tmp_path / 'p.hoge'}: JSON nested too deeply to read"
    else:
        tags = write(tmp_path / "tags.json", deep)
        args = ["run", str(TOPICS), "--events", str(EVENTS), "--tags-file", str(tags)]
        expected = f"--tags-file {tags}: JSON nested too deeply to read"
    code, _, err = cli(capsys, *args)
    assert code != 0 and err == f"hog-test: error: {expected}\n"


@pytest.mark.parametrize("option", ["tagger", "events", "tags-file", "load"])
def test_file_problems_are_worded_the_same_for_every_option(capsys, tmp_path: Path, option: str) -> None:
    for target, problem in ((tmp_path / "missing.json", "no such file"),
                            (tmp_path, "is a directory, not a file")):
        args = {
            "tagger": ["run", str(target), "--events", str(EVENTS)],
            "events": ["run", str(TOPICS), "--events", str(target)],
            "tags-file": ["run", str(TOPICS), "--events", str(EVENTS), "--tags-file", str(target)],
            "load": ["load", str(target), "--db", str(tmp_path / "x.duckdb")],
        }[option]
        code, _, err = cli(capsys, *args)
        assert code in (1, 2)
        assert err.startswith("hog-test: error: ") and err.rstrip("\n").endswith(f"{target}: {problem}")
        assert err.count("\n") == 1


@pytest.mark.parametrize(("args", "message"), [
    (["--tags", "billing," + "x" * 101], "--tags: tag 2: name is longer than 100 characters"),
    (["--tags-file", "TAGS"], "--tags-file TAGS: tag 2: name is empty"),
])
def test_tag_problems_count_from_one_and_name_the_option(capsys, tmp_path: Path, args: list[str],
                                                         message: str) -> None:
    tags = write(tmp_path / "tags.json", '["billing", {"name": "   "}]')
    args = [str(tags) if arg == "TAGS" else arg for arg in args]
    code, _, err = cli(capsys, "run", str(TOPICS), "--events", str(EVENTS), *args)
    assert code == 2 and err == f"hog-test: error: {message.replace('TAGS', str(tags))}\n"


def test_stdin_holds_the_tagger_or_a_dump_not_both(capsys) -> None:
    code, _, err = cli(capsys, "run", "-", "--events", "-")
    assert code == 2 and "not both" in err


# -- real processes ---------------------------------------------------------------------------------


def hog_test(*args: str, stdin: bytes | None = None, tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "HOG_TAGGER_DB": str(tmp_path / "proc.duckdb")}
    return subprocess.run([sys.executable, "-m", "hogtest", *args], input=stdin, capture_output=True, env=env,
                          cwd=ROOT, timeout=120, check=False)


def test_process_version_and_usage_error(tmp_path: Path) -> None:
    done = hog_test("--version", tmp_path=tmp_path)
    assert done.returncode == 0 and done.stdout.decode().startswith("hog-test ")
    done = hog_test("run", tmp_path=tmp_path)
    assert done.returncode == 2 and done.stderr.decode().count("\n") == 1


def test_process_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    # The reader goes away at once: writing the report hits a closed pipe.
    reader, writer = os.pipe()
    os.close(reader)
    env = {**os.environ, "HOG_TAGGER_DB": str(tmp_path / "proc.duckdb")}
    program = write(tmp_path / "big.hog", "let s := ''\nfor (let i := 0; i < 2000; i := i + 1) { s := s || 'xxxxxxxxxx' }\n"
                                          "return [s, s, s, s, s, s]")
    done = subprocess.run([sys.executable, "-m", "hogtest", "exec", str(program)], stdout=writer,
                          stderr=subprocess.PIPE, env=env, cwd=ROOT, timeout=120, check=False)
    os.close(writer)
    assert done.returncode == 141
    assert done.stderr == b""


def test_process_reads_a_dump_from_standard_input(tmp_path: Path) -> None:
    events = "".join(json.dumps(capture_event(n)) + "\n" for n in range(1, 4)).encode()
    done = hog_test("run", str(TOPICS), "--events", "-", "--now", NOW, "--json", stdin=events, tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["results"]) == 3
    db = tmp_path / "mine.duckdb"
    done = hog_test("load", "-", "--db", str(db), stdin=events, tmp_path=tmp_path)
    assert done.returncode == 0 and done.stdout.decode().startswith("<stdin>: 3 events read, 3 new\n")
