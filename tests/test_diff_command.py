"""`hog-test diff` and `sampler.tagger_diff`: two versions of a tagger over the same events."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sampler.store import EventStore
from sampler.tagger_diff import diff_taggers
from sampler.tagging import CompiledTagger, generation, stored_events
from tests.cli_support import cli, use_private_default_db  # noqa: F401 - an autouse fixture

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "fixtures" / "events" / "events.jsonl"
TOPICS = ROOT / "examples" / "taggers" / "topics.hog"

OLD = "return input ilike '%refund%' ? ['billing'] : []"
# Also tags 'charged' as billing, drops nothing, and fails on 'boom'.
NEW = """
if (input ilike '%boom%') { throw Error('boom') }
print('checked')
return (input ilike '%refund%' or input ilike '%charged%') ? ['billing'] : []
"""


def _dump(tmp_path: Path) -> Path:
    texts = ["I want a refund", "I was charged twice", "hello", "boom goes the app", "refund, charged"]
    lines = []
    for number, text in enumerate(texts):
        event = generation(text, "ok", {"$ai_trace_id": f"trace-{number}"}, uuid=f"00000000-0000-4000-8000-00000000000{number}")
        event["timestamp"] = f"2026-11-2{number}T12:00:00Z"
        lines.append(json.dumps(event))
    lines.append(json.dumps({"uuid": "not-a-generation", "event": "$pageview", "timestamp": "2026-11-27T00:00:00Z",
                             "properties": {"$ai_input": "refund"}}))
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def taggers(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old.hog", tmp_path / "new.hog"
    old.write_text(OLD)
    new.write_text(NEW)
    return old, new


def test_diff_lists_changed_events_and_the_count_per_tag(tmp_path: Path) -> None:
    with EventStore.temporary() as store:
        store.load([_dump(tmp_path)])
        report = diff_taggers(CompiledTagger.from_source(OLD), CompiledTagger.from_source(NEW), stored_events(store))
    assert report.events == 5  # $ai_generation only
    changed = {c.event.uuid[-1]: c for c in report.changes}
    assert sorted(changed) == ["1", "3"]  # 'charged' gains billing; 'boom' now fails
    assert changed["1"].tags_changed and not changed["1"].error_changed
    assert changed["3"].error_changed and changed["3"].new["error"] == "Runtime error: Error('boom') (line 2, column 29)"
    assert report.tag_rows() == [("billing", 2, 3)]
    assert (report.old.errors, report.new.errors, report.old.untagged, report.new.untagged) == (0, 1, 3, 1)


def test_diff_command_report(capsys, taggers: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = taggers
    code, out, _ = cli(capsys, "diff", str(old), str(new), "--events", str(_dump(tmp_path)))
    assert code == 1
    assert out.startswith(f"diff {old} -> {new} on 5 $ai_generation events: 2 changed (1 in tags, 1 in errors)\n")
    assert ("event 00000000-0000-4000-8000-000000000001  trace trace-1\n"
            "  input      user: I was charged twice\n"
            "  output     assistant: ok\n"
            "  tags       (none)  ->  billing\n"
            "  reasoning  checked\n") in out
    assert "  error      (none)  ->  Runtime error: Error('boom') (line 2, column 29)\n" in out
    assert out.endswith(
        "events per tag:\n"
        "  tag          old    new  change\n"
        "  billing        2      3      +1\n"
        "  (no tags)      3      1      -2\n"
        "  (errors)       0      1      +1\n"
    )


def test_no_change_exits_0(capsys, taggers: tuple[Path, Path], tmp_path: Path) -> None:
    old, _ = taggers
    code, out, _ = cli(capsys, "diff", str(old), str(old), "--events", str(_dump(tmp_path)))
    assert code == 0 and ": 0 changed (0 in tags, 0 in errors)" in out and "billing        2      2       =" in out


def test_diff_on_a_database_with_limit_show_and_json(capsys, taggers: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = taggers
    db = tmp_path / "events.duckdb"
    assert cli(capsys, "load", str(_dump(tmp_path)), "--db", str(db))[0] == 0
    code, out, _ = cli(capsys, "diff", str(old), str(new), "--db", str(db), "--show", "1")
    assert code == 1 and "... and 1 more changed event (--show all or --json)" in out
    code, out, _ = cli(capsys, "diff", str(old), str(new), "--db", str(db), "--limit", "1")  # newest: 'refund, charged'
    assert code == 0 and "on 1 $ai_generation event: 0 changed" in out
    code, out, _ = cli(capsys, "diff", str(old), str(new), "--db", str(db), "--json", "--tags", "billing,bug")
    body = json.loads(out)
    assert code == 1 and body["events"] == 5 and len(body["changes"]) == 2
    assert body["tags"] == {"billing": {"old": 2, "new": 3}, "bug": {"old": 0, "new": 0}}
    assert body["errors"] == {"old": 0, "new": 1}
    assert body["changes"][0]["new"] == {"tags": [], "error": "Runtime error: Error('boom') (line 2, column 29)",
                                         "reasoning": ""}


def test_diff_of_the_example_on_the_sample_events(capsys, tmp_path: Path) -> None:
    narrower = tmp_path / "topics_no_travel.hog"
    narrower.write_text(TOPICS.read_text().replace("'travel': ['trip', 'flight', 'hotel', 'visit', 'itinerary'],", ""))
    code, out, _ = cli(capsys, "diff", str(TOPICS), str(narrower), "--events", str(EVENTS), "--json")
    body = json.loads(out)
    assert code == 1 and body["tags"]["travel"]["new"] == 0 and body["tags"]["travel"]["old"] > 0
    assert all("travel" in c["old"]["tags"] for c in body["changes"])


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--limit", "0"], 2, "--limit: must be at least 1, got 0"),
    (["--show", "some"], 2, "--show: not a whole number: 'some'"),
    (["--db", "nowhere.duckdb"], 1, "--db nowhere.duckdb: no such file"),
])
def test_diff_bad_options(capsys, taggers: tuple[Path, Path], tmp_path: Path, args: list[str], code: int,
                          message: str) -> None:
    old, new = taggers
    where = [] if "--db" in args else ["--events", str(_dump(tmp_path))]
    got, _, err = cli(capsys, "diff", str(old), str(new), *where, *args)
    assert got == code and message in err and err.count("\n") == 1


def test_diff_needs_events_and_one_stdin_at_most(capsys, taggers: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = taggers
    code, _, err = cli(capsys, "diff", str(old), str(new))
    assert code == 2 and err == ("hog-test diff: error: one of the arguments --db --events is required "
                                 "(see 'hog-test diff --help')\n")
    code, _, err = cli(capsys, "diff", "-", "-", "--events", str(_dump(tmp_path)))
    assert code == 2 and err == "hog-test: error: only one of OLD and NEW can be read from standard input\n"
    code, _, err = cli(capsys, "diff", str(old), "-", "--events", "-")
    assert code == 2 and err == "hog-test: error: standard input can hold a tagger or a dump, not both (- given twice)\n"


def test_diff_counts_a_change_in_where_posthog_would_answer_differently(capsys, taggers: tuple[Path, Path],
                                                                         tmp_path: Path) -> None:
    old, _ = taggers
    # The same tags here as OLD, through a call PostHog's Python VM does not have.
    new = tmp_path / "b64.hog"
    new.write_text("return (tryBase64Decode('aGk=') == 'hi' and input ilike '%refund%') ? ['billing'] : []")
    code, out, _ = cli(capsys, "diff", str(old), str(new), "--events", str(_dump(tmp_path)))
    assert code == 1
    assert ": 5 changed (0 in tags, 0 in errors, 5 in PostHog divergences)\n" in out.splitlines()[0] + "\n"
    assert "\n  posthog    (new) PostHog's Python VM has no tryBase64Decode" in out
    assert "  (PostHog differs)      0      5      +5\n" in out
    code, out, _ = cli(capsys, "diff", str(old), str(new), "--events", str(_dump(tmp_path)), "--json")
    body = json.loads(out)
    assert body["posthog_divergences"] == {"old": 0, "new": 5}
    change = body["changes"][0]
    assert "posthog_divergences" not in change["old"] and len(change["new"]["posthog_divergences"]) == 1
    # Both versions diverging the same way is no change.
    code, out, _ = cli(capsys, "diff", str(new), str(new), "--events", str(_dump(tmp_path)))
    assert code == 0 and ": 0 changed (0 in tags, 0 in errors)" in out and "(PostHog differs)      5      5       =" in out


def test_diff_compile_error_names_the_version(capsys, taggers: tuple[Path, Path], tmp_path: Path) -> None:
    old, _ = taggers
    broken = tmp_path / "broken.hog"
    broken.write_text("return [")
    code, _, err = cli(capsys, "diff", str(old), str(broken), "--events", str(_dump(tmp_path)))
    assert code == 1 and err.startswith(f"hog-test: error: {broken}:1:9: ") and err.endswith("\n  return [\n          ^\n")


def test_diff_as_a_real_process(taggers: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = taggers
    env = {**os.environ, "HOG_TAGGER_DB": str(tmp_path / "proc.duckdb")}
    done = subprocess.run([sys.executable, "-m", "hogtest", "diff", str(old), str(new), "--events", str(_dump(tmp_path)),
                           "--json"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False)
    assert done.returncode == 1, done.stderr
    assert len(json.loads(done.stdout)["changes"]) == 2
