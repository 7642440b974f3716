"""`hog-test`: run, load, compile and exec, through `main()` in-process and once as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_support import cli, use_private_default_db  # noqa: F401 - an autouse fixture

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "fixtures" / "events" / "events.jsonl"
MALFORMED = ROOT / "fixtures" / "events" / "malformed.jsonl"
TOPICS = ROOT / "examples" / "taggers" / "topics.hog"
TOPIC_TAGS = ROOT / "examples" / "taggers" / "topics.tags.json"
NOW = "2026-11-27T12:00:00Z"


# -- run ------------------------------------------------------------------------------------------


def test_run_json_prints_exactly_the_response_body(capsys, tmp_path: Path) -> None:
    code, out, err = cli(capsys, "run", str(TOPICS), "--events", str(EVENTS), "--now", NOW,
                         "--sample-count", "10", "--tags-file", str(TOPIC_TAGS), "--json")
    assert code == 0, err
    body = json.loads(out)
    assert list(body) == ["results"] and len(body["results"]) == 10
    configured = {t["name"] for t in json.loads(TOPIC_TAGS.read_text())}
    assert all(set(r["tags"]) <= configured and r["error"] is None for r in body["results"])
    assert any("billing" in r["tags"] for r in body["results"])
    assert all(r["reasoning"] for r in body["results"])  # the example explains every tag


def test_run_table_shows_tags_previews_reasoning_and_summary(capsys) -> None:
    code, out, _ = cli(capsys, "run", str(TOPICS), "--events", str(EVENTS), "--now", NOW, "--tags", "billing,refusal")
    assert code == 0
    assert out.startswith("#1  event ")
    for label in ("tags", "input", "output", "reasoning"):
        assert f"\n  {label} " in out
    assert "5 events: " in out
    assert "tag counts: billing " in out and ", refusal " in out


STALE_TAGGER = """
let words := splitByString(' ', 'a b')
let n := arrayCount(t -> arrayExists(w -> position(t, w) > 0, words), ['xa', 'xb', 'zz'])
return [f'n{n}']
"""


def test_run_says_where_posthog_would_tag_differently(capsys, tmp_path: Path) -> None:
    tagger = tmp_path / "stale.hog"
    tagger.write_text(STALE_TAGGER)
    code, out, err = cli(capsys, "run", str(tagger), "--events", str(EVENTS), "--now", NOW, "--sample-count", "1")
    assert code == 0, err
    assert "  tags       n2\n" in out
    assert "\n  posthog    PostHog's VMs would give a closure a stale captured value here ('xa' where this" in out
    code, out, err = cli(capsys, "run", str(tagger), "--events", str(EVENTS), "--now", NOW, "--sample-count", "1",
                         "--json")
    [result] = json.loads(out)["results"]
    assert result["tags"] == ["n2"] and "returns ['n3'] (here ['n2'])" in result["posthog_divergences"][0]


def test_run_on_the_embedded_default_database(capsys, private_default_db: Path) -> None:
    code, out, err = cli(capsys, "run", str(TOPICS), "--json")
    assert code == 0, err
    assert len(json.loads(out)["results"]) == 5  # the seed is recent whatever the date
    assert private_default_db.is_file()


def test_run_reads_the_tagger_from_stdin(capsys, monkeypatch) -> None:
    code, out, _ = cli(capsys, "run", "-", "--events", str(EVENTS), "--now", NOW, "--sample-count", "1", "--json",
                       stdin="return ['from-stdin']", monkeypatch=monkeypatch)
    assert code == 0
    assert json.loads(out)["results"][0]["tags"] == ["from-stdin"]


def test_run_with_a_database_file(capsys, tmp_path: Path) -> None:
    db = tmp_path / "mine.duckdb"
    assert cli(capsys, "load", str(EVENTS), "--db", str(db))[0] == 0
    code, out, _ = cli(capsys, "run", str(TOPICS), "--db", str(db), "--now", NOW, "--json")
    assert code == 0 and len(json.loads(out)["results"]) == 5


def test_run_with_no_recent_events(capsys) -> None:
    code, out, _ = cli(capsys, "run", str(TOPICS), "--events", str(EVENTS), "--now", "2031-01-01T00:00:00Z")
    assert code == 0
    assert out == "No recent AI events found in the last 7 days\n"


def test_run_compile_error_is_one_line_with_a_caret_and_non_zero(capsys, tmp_path: Path) -> None:
    tagger = tmp_path / "broken.hog"
    tagger.write_text("let x := 1\nreturn [x,\n")
    code, out, err = cli(capsys, "run", str(tagger), "--events", str(EVENTS), "--now", NOW)
    assert code == 1 and out == ""
    assert err == (f"hog-test: error: {tagger}:2:11: Unexpected end of input — expected an expression or ']'\n"
                   "  return [x,\n"
                   "            ^\n")
    code, out, err2 = cli(capsys, "run", str(tagger), "--events", str(EVENTS), "--now", NOW, "--json")
    assert code == 1 and list(json.loads(out)) == ["error"] and err2 == err
    # the same words from compile and exec
    assert cli(capsys, "compile", str(tagger))[2] == err
    assert cli(capsys, "exec", str(tagger))[2] == err


@pytest.mark.parametrize(("args", "message"), [
    (["--sample-count", "11"], "--sample-count must be 1-10 (got 11)"),
    (["--sample-count", "0"], "--sample-count must be 1-10 (got 0)"),
    (["--now", "last tuesday"], "--now: not an ISO 8601 date-time"),
    (["--tags-file", "missing.json"], "missing.json: no such file"),
])
def test_run_bad_usage(capsys, args: list[str], message: str) -> None:
    code, _, err = cli(capsys, "run", str(TOPICS), "--events", str(EVENTS), *args)
    assert code == 2
    assert message in err and err.count("\n") == 1


def test_tags_file_items_must_be_names_or_objects(capsys, tmp_path: Path) -> None:
    tags = tmp_path / "tags.json"
    tags.write_text('["billing", {"name": "bug", "description": "d"}, 3]')
    code, _, err = cli(capsys, "run", str(TOPICS), "--events", str(EVENTS), "--tags-file", str(tags))
    assert code == 2
    assert err == f'hog-test: error: --tags-file {tags}: tag 3 must be a tag name or an object with a string "name"\n'


def test_run_refuses_a_missing_database_and_a_bad_dump(capsys, tmp_path: Path) -> None:
    code, _, err = cli(capsys, "run", str(TOPICS), "--db", str(tmp_path / "none.duckdb"))
    assert code == 1 and f"--db {tmp_path / 'none.duckdb'}: no such file (create one with" in err
    code, _, err = cli(capsys, "run", str(TOPICS), "--events", str(MALFORMED))
    assert code == 1 and f"{MALFORMED}: line 6: malformed JSON" in err


def test_events_and_db_are_exclusive(capsys) -> None:
    code, _, err = cli(capsys, "run", str(TOPICS), "--events", str(EVENTS), "--db", "x.duckdb")
    assert code == 2 and "not allowed with argument" in err


# -- load -----------------------------------------------------------------------------------------


def test_load_reports_counts_and_reload_adds_nothing(capsys, tmp_path: Path) -> None:
    db = tmp_path / "load.duckdb"
    code, out, _ = cli(capsys, "load", str(EVENTS), "--db", str(db))
    total = len(EVENTS.read_text().splitlines())
    assert code == 0
    assert f"{EVENTS}: {total} events read, {total} new" in out
    assert f"{db}: {total} events added, {total} in total" in out
    _, out, _ = cli(capsys, "load", str(EVENTS), "--db", str(db))
    assert f"{db}: 0 events added, {total} in total" in out


def test_load_into_the_default_database(capsys, tmp_path: Path, private_default_db: Path) -> None:
    dump = tmp_path / "one.jsonl"
    dump.write_text(json.dumps({"uuid": "mine", "event": "e", "properties": {}, "timestamp": "2026-01-01T00:00:00Z"}))
    code, out, _ = cli(capsys, "load", str(dump))
    assert code == 0 and f"{private_default_db}: 1 events added" in out


def test_load_failure_is_one_line(capsys, tmp_path: Path) -> None:
    code, out, err = cli(capsys, "load", str(MALFORMED), "--db", str(tmp_path / "x.duckdb"))
    assert code == 1 and out == ""
    assert err == f"hog-test: error: {MALFORMED}: line 6: malformed JSON (Expecting property name enclosed in double quotes)\n"


# -- compile and exec -----------------------------------------------------------------------------


def test_compile_prints_bytecode_json(capsys, tmp_path: Path) -> None:
    program = tmp_path / "p.hog"
    program.write_text("return 1 + 2")
    code, out, _ = cli(capsys, "compile", str(program))
    assert code == 0
    from hogvm import compile_hog

    assert json.loads(out) == compile_hog("return 1 + 2")


def test_compile_error_has_line_and_column(capsys, tmp_path: Path) -> None:
    program = tmp_path / "bad.hog"
    program.write_text("let a := 1\nlet := 2\n")
    code, out, err = cli(capsys, "compile", str(program))
    assert code == 1 and out == ""
    assert err == f"hog-test: error: {program}:2:5: Unexpected ':=' — expected a name\n  let := 2\n      ^\n"


def test_exec_source_prints_output_then_result(capsys, tmp_path: Path) -> None:
    program = tmp_path / "p.hog"
    program.write_text("print('hello', event.event); return {'sum': 1 + 2}")
    code, out, _ = cli(capsys, "exec", str(program), "--globals", '{"event": {"event": "$pageview"}}')
    assert code == 0
    assert out == "hello $pageview\n{'sum': 3}\n"


def test_exec_says_where_posthog_would_answer_differently_on_stderr(capsys, tmp_path: Path) -> None:
    program = tmp_path / "p.hog"
    program.write_text(STALE_TAGGER)
    code, out, err = cli(capsys, "exec", str(program))
    assert code == 0
    assert out == "['n2']\n"
    assert err.startswith("posthog: PostHog's VMs would give a closure a stale captured value here")
    program.write_text("return 1")
    assert cli(capsys, "exec", str(program))[1:] == ("1\n", "")


def test_exec_bytecode_file_and_stdin(capsys, monkeypatch, tmp_path: Path) -> None:
    from hogvm import compile_hog

    hoge = tmp_path / "p.hoge"
    hoge.write_text(json.dumps(compile_hog("print('from bytecode'); return 'done'")))
    code, out, _ = cli(capsys, "exec", str(hoge))
    assert (code, out) == (0, "from bytecode\n'done'\n")
    code, out, _ = cli(capsys, "exec", "-", stdin=hoge.read_text(), monkeypatch=monkeypatch)
    assert (code, out) == (0, "from bytecode\n'done'\n")
    code, out, _ = cli(capsys, "exec", "-", stdin="return null", monkeypatch=monkeypatch)
    assert (code, out) == (0, "null\n")


@pytest.mark.parametrize(("name", "content", "extra", "message"), [
    ("bad.hoge", "[\"_H\", 1, ", [], "bad.hoge: not valid JSON (Expecting value: line 1 column 11 (char 10))"),
    ("bad.hoge", '{"a": 1}', [], "bytecode must be a JSON array"),
    ("bad.hoge", '["_H", 1, 999]', [], "bad.hoge: Invalid bytecode: unknown opcode 999 (offset 2)"),
    ("ok.hog", "return 1", ["--globals", "[1]"], "--globals: expected a JSON object"),
    ("ok.hog", "return 1", ["--globals", "{"], "--globals: not valid JSON"),
])
def test_exec_errors(capsys, tmp_path: Path, name: str, content: str, extra: list[str], message: str) -> None:
    program = tmp_path / name
    program.write_text(content)
    code, _, err = cli(capsys, "exec", str(program), *extra)
    assert code != 0
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_exec_runtime_error_shows_the_output_so_far_then_the_error_with_a_caret(capsys, tmp_path: Path) -> None:
    program = tmp_path / "boom.hog"
    program.write_text("print('step 1')\nfn check(v) {\n  print('checking', v)\n  throw Error('nope')\n}\ncheck(2)\n")
    code, out, err = cli(capsys, "exec", str(program))
    assert code == 1
    assert out == "step 1\nchecking 2\n"
    assert err == (f"hog-test: error: {program}:4:3: Error('nope') (in function check)\n"
                   "    throw Error('nope')\n"
                   "    ^\n")


def test_missing_file_is_usage_error(capsys) -> None:
    code, _, err = cli(capsys, "exec", "nowhere.hog")
    assert code == 2 and "nowhere.hog: no such file" in err


def test_console_script_runs_as_a_process(tmp_path: Path) -> None:
    env = {**os.environ, "HOG_TAGGER_DB": str(tmp_path / "proc.duckdb")}
    done = subprocess.run(
        [sys.executable, "-m", "hogtest", "run", str(TOPICS), "--events", str(EVENTS), "--now", NOW, "--json"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["results"]) == 5


def test_unwritable_default_location_is_one_line(capsys, monkeypatch, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("HOG_TAGGER_DB", str(blocker / "sub" / "events.duckdb"))  # a file as a directory
    code, _, err = cli(capsys, "run", str(TOPICS))
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
