"""`hog-test tag`: in-process through `main()`, and as a real process (a progress bar only on a
terminal; a SIGKILLed run leaves no output, its workers exit, and --resume finishes the job)."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.cli_support import cli as run_cli
from tests.cli_support import use_private_default_db  # noqa: F401 - an autouse fixture
from tests.tag_support import TOPIC_TAGS, TOPICS, generations, topic_tagger, write_jsonl

EVENTS = generations(400)
HOG_TEST = [sys.executable, "-m", "hogtest"]


def cli(capsys: pytest.CaptureFixture[str], *args: Any) -> tuple[int, str, str]:
    return run_cli(capsys, *map(str, args))


@pytest.fixture(scope="module")
def dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("dumps") / "events.jsonl", EVENTS)


def topics_args(*extra: Any) -> list[Any]:
    return ["tag", TOPICS, "--tags-file", TOPIC_TAGS, *extra]


def test_summary_tells_what_the_tagger_would_do(capsys, dump: Path) -> None:
    code, out, err = cli(capsys, *topics_args("--events", dump, "--workers", "2"))
    assert code == 0 and err == ""
    generations_ = sum(e["event"] == "$ai_generation" for e in EVENTS)
    assert out.startswith("topics (hog tagger, version ")
    assert "local engine, 2 workers" in out
    assert f"  considered     {generations_:>12,}  $ai_generation events" in out
    assert f"  tagged         {generations_:>12,}  100.0% $ai_tag events" in out  # no --conditions: every one
    assert f"tags (share of {generations_:,} $ai_tag events)" in out
    assert "time per event (tagger ran): p50 " in out
    assert "output:" not in out


def test_json_summary(capsys, dump: Path, tmp_path: Path) -> None:
    tagger = tmp_path / "tagger.json"
    tagger.write_text(json.dumps(topic_tagger()))
    code, out, _ = cli(capsys, "tag", tagger, "--events", dump, "--out", tmp_path / "tags.parquet", "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["tagger"]["name"] == "Topics" and summary["engine"] == "local"
    assert summary["considered"] > summary["matched"] > summary["in_rollout"] == summary["tagged"] > 0
    assert summary["skipped"]["not_ai_generation"] == len(EVENTS) - summary["considered"]
    assert summary["output"] == {"path": str(tmp_path / "tags.parquet"), "rows": summary["tagged"]}
    assert sum(t["count"] for t in summary["tags"]) >= summary["tagged"]
    assert all(t["share"] == round(t["count"] / summary["tagged"], 4) for t in summary["tags"])
    assert summary["time_per_event_ms"]["p50"] <= summary["time_per_event_ms"]["p99"]
    assert summary["errors"] == 0 and summary["errors_by_kind"] == {}


def test_a_hog_file_with_conditions_equals_the_same_tagger_as_json(capsys, dump: Path, tmp_path: Path) -> None:
    tagger = topic_tagger()
    conditions = tmp_path / "conditions.json"
    conditions.write_text(json.dumps(tagger["conditions"]))
    as_json = tmp_path / "tagger.json"
    as_json.write_text(json.dumps({**tagger, "id": None, "name": "topics"}))
    assert cli(capsys, *topics_args("--conditions", conditions, "--events", dump, "--out", tmp_path / "a.jsonl"))[0] == 0
    assert cli(capsys, "tag", as_json, "--events", dump, "--out", tmp_path / "b.jsonl")[0] == 0
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_errors_by_kind_with_examples(capsys, tmp_path: Path) -> None:
    tagger = tmp_path / "flaky.hog"
    tagger.write_text("if (properties.$ai_is_error) { throw Error('provider failed') }\nreturn ['billing']")
    events = generations(300)
    dump = write_jsonl(tmp_path / "events.jsonl", events)
    with dump.open("a") as handle:
        handle.write("{oops\n")
    code, out, _ = cli(capsys, "tag", tagger, "--tags", "billing", "--events", dump, "--json")
    summary = json.loads(out)
    failing = sorted(e["uuid"] for e in events if e["event"] == "$ai_generation" and e["properties"]["$ai_is_error"])
    assert code == 0 and summary["errors"] == len(failing) + 1
    runtime = summary["errors_by_kind"]["runtime_error"]
    assert runtime["count"] == len(failing) and runtime["examples"] == failing[:5]
    assert runtime["message"] == "Hog tagger error: Runtime error: Error('provider failed')"
    assert summary["errors_by_kind"]["unreadable_row"]["examples"] == ["{oops"]
    code, out, _ = cli(capsys, "tag", tagger, "--tags", "billing", "--events", dump)
    assert "errors by kind" in out and f"e.g. {', '.join(failing[:5])}" in out


def test_database_window_into_db(capsys, dump: Path, tmp_path: Path) -> None:
    db = tmp_path / "events.duckdb"
    assert cli(capsys, "load", dump, "--db", db)[0] == 0
    code, out, _ = cli(capsys, *topics_args("--db", db, "--since", "2026-11-03", "--until", "2026-11-06T00:00:00Z",
                                             "--into-db", "--json"))
    summary = json.loads(out)
    assert code == 0 and 0 < summary["tagged"] == summary["database"]["added"]
    from sampler.store import EventStore

    with EventStore(db) as store:
        assert store.count("$ai_tag") == summary["tagged"]
    code, out, _ = cli(capsys, *topics_args("--db", db, "--since", "2026-11-03", "--until", "2026-11-06T00:00:00Z",
                                             "--into-db", "--resume"))
    assert code == 0 and "already tagged by this version, skipped" in out and "(0 $ai_tag events added)" in out


def test_the_default_database(capsys) -> None:  # the private default database (autouse)
    code, out, _ = cli(capsys, *topics_args("--json"))
    assert code == 0 and json.loads(out)["tagged"] > 0


@pytest.mark.parametrize(("args", "message"), [
    (["tag", "--events", "x.jsonl"], "give a tagger: a .hog or .json file or a saved tagger's id"),
    (["tag", TOPICS, "--events", "x.jsonl"], "a .hog tagger needs its tag names"),
    (["tag", "t.json", "--tags", "a", "--events", "x.jsonl"], "--tags, --tags-file and --conditions go with a .hog"),
    ([*topics_args("--events", "x.jsonl", "--address", "auto")], "--address is for --engine ray"),
    ([*topics_args("--events", "x.jsonl", "--into-db")], "--into-db stores the $ai_tag events in the database"),
    ([*topics_args("--events", "x.jsonl", "--resume")], "--resume needs --out or --into-db"),
    ([*topics_args("--events", "x.jsonl", "--since", "yesterday")], "--since: not an ISO 8601 date-time"),
    ([*topics_args("--events", "x.jsonl", "--since", "2026-02-01", "--until", "2026-01-01")], "--since must be before"),
    ([*topics_args("--events", "x.jsonl", "--workers", "0")], "--workers must be at least 1"),
    ([*topics_args("--events", "x.jsonl", "--project", "3")], "--project selects the events of a database"),
    (["tag", "--tagger-id", "6c1f3a0e-2b7d-4c59-9e8a-1d2f3b4c5d6e", "--events", "x.jsonl"],
     "tagger 6c1f3a0e-2b7d-4c59-9e8a-1d2f3b4c5d6e: not found in "),
])
def test_bad_usage_is_one_line_exit_2(capsys, tmp_path: Path, dump: Path, args: list[Any], message: str) -> None:
    args = [dump if a == "x.jsonl" else a for a in args]
    if "t.json" in args:
        (tmp_path / "t.json").write_text(json.dumps(topic_tagger()))
        args = [tmp_path / "t.json" if a == "t.json" else a for a in args]
    code, out, err = cli(capsys, *args)
    assert (code, out) == (2, "")
    assert message in err and err.count("\n") == 1 and err.startswith("hog-test: error: ")


@pytest.mark.parametrize(("content", "message"), [
    ("return [", "Failed to compile Hog code"),
])
def test_a_tagger_that_does_not_compile(capsys, tmp_path: Path, dump: Path, content: str, message: str) -> None:
    tagger = tmp_path / "broken.hog"
    tagger.write_text(content)
    code, _, err = cli(capsys, "tag", tagger, "--tags", "a", "--events", dump)
    assert code == 2 and message in err and err.count("\n") == 1


def test_bad_files_are_one_line_errors(capsys, tmp_path: Path, dump: Path) -> None:
    (tmp_path / "bad.json").write_text("{")
    code, _, err = cli(capsys, "tag", tmp_path / "bad.json", "--events", dump)
    assert code == 2 and "bad.json: not valid JSON" in err
    (tmp_path / "t.json").write_text(json.dumps({**topic_tagger(), "tagger_type": "sql"}))
    code, _, err = cli(capsys, "tag", tmp_path / "t.json", "--events", dump)
    assert code == 2 and "tagger_type: Input should be 'llm' or 'hog'" in err
    (tmp_path / "conditions.json").write_text('{"id": "x"}')
    code, _, err = cli(capsys, *topics_args("--conditions", tmp_path / "conditions.json", "--events", dump))
    assert code == 2 and "expected a JSON list of conditions" in err
    code, _, err = cli(capsys, *topics_args("--db", tmp_path / "none.duckdb"))
    assert code == 1 and "none.duckdb: no such file" in err
    code, _, err = cli(capsys, *topics_args("--events", tmp_path / "none.jsonl"))
    assert code == 1 and "none.jsonl: no such file" in err
    code, _, err = cli(capsys, *topics_args("--events", dump, "--out", tmp_path / "tags.txt"))
    assert code == 1 and "must end in .parquet or .jsonl" in err


# -- as a real process ----------------------------------------------------------------------------


def test_runs_as_a_process_quiet_when_not_a_terminal(dump: Path, tmp_path: Path) -> None:
    done = subprocess.run([*HOG_TEST, *map(str, topics_args("--events", dump, "--out", tmp_path / "t.parquet",
                                                             "--json"))],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr == ""
    assert json.loads(done.stdout)["output"]["rows"] > 0


def test_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    dump = write_jsonl(tmp_path / "events.jsonl", generations(3000))
    leader, follower = pty.openpty()
    proc = subprocess.Popen([*HOG_TEST, *map(str, topics_args("--events", dump, "--workers", "2", "--json"))],
                            stdout=subprocess.PIPE, stderr=follower, text=True)
    os.close(follower)
    screen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(leader, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not data:
            break
        screen += data
    out, _ = proc.communicate(timeout=60)
    os.close(leader)
    assert proc.returncode == 0 and json.loads(out)["events"] == 3000
    shown = screen.decode("utf-8", "replace")
    assert "tagging" in shown and "events/s" in shown and "ETA" in shown


def test_sigkill_leaves_no_output_and_resume_finishes(tmp_path: Path) -> None:
    events = generations(40_000, others_every=0)
    dump = write_jsonl(tmp_path / "events.jsonl", events)
    tagger = tmp_path / "slow.hog"
    tagger.write_text("let n := 0\nfor (let i in range(40)) { n := n + i }\nreturn ['billing']")
    out = tmp_path / "tags.parquet"
    out.write_bytes(b"the previous run's output")
    args = ["tag", str(tagger), "--tags", "billing", "--events", str(dump), "--out", str(out), "--workers", "2"]
    proc = subprocess.Popen([*HOG_TEST, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    staging = list(tmp_path.glob(".tags.parquet.*.parts"))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        staging = list(tmp_path.glob(".tags.parquet.*.parts"))
        if staging and list(staging[0].glob("part-*.parquet")):
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be killed"
    workers = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)

    assert out.read_bytes() == b"the previous run's output"
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [
        "events.jsonl", "slow.hog", "tags.parquet"]
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert alive == [], "worker processes outlived the killed run"

    resumed = subprocess.run([*HOG_TEST, *args, "--resume", "--json"], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["resumed"] >= 10_000 and summary["resumed"] + summary["tagged"] == len(events)
    assert summary["output"]["rows"] == len(events)
    assert not list(tmp_path.glob(".tags.parquet.*"))
    reference = tmp_path / "reference.parquet"
    again = subprocess.run([*HOG_TEST, *args[:-4], "--out", str(reference)], capture_output=True, timeout=300)
    assert again.returncode == 0
    assert out.read_bytes() == reference.read_bytes()
