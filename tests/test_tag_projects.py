"""`hog-test tag` over a database of several projects: `--project` selects the events it reads,
`--into-db` stores each `$ai_tag` in the project of the generation it tags (as live tagging does),
`--resume` skips what is there, and `hog-test events` reads the batch's `$ai_tag` events back."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from sampler.store import EventStore
from tests.cli_support import cli as run_cli
from tests.cli_support import use_private_default_db  # noqa: F401 - an autouse fixture
from tests.tag_support import TOPIC_TAGS, TOPICS, generations, write_jsonl

EVENTS = generations(300)
PROJECT_EVENTS = {1: EVENTS[:140], 2: EVENTS[140:]}


def cli(capsys: pytest.CaptureFixture[str], *args: Any) -> tuple[int, str, str]:
    return run_cli(capsys, *map(str, args))


def topics(*extra: Any) -> list[Any]:
    return ["tag", TOPICS, "--tags-file", TOPIC_TAGS, "--workers", 2, *extra]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "events.duckdb"
    with EventStore(path) as store:
        for project, events in PROJECT_EVENTS.items():
            store.load([write_jsonl(tmp_path / f"p{project}.jsonl", events)], project_id=project)
    return path


def generations_of(project: int) -> set[str]:
    return {e["uuid"] for e in PROJECT_EVENTS[project] if e["event"] == "$ai_generation"}


def stored_tags(db: Path) -> list[tuple[int, str, str]]:
    """(project, $ai_tag uuid, target uuid) of every stored `$ai_tag`."""
    with EventStore(db) as store, store.cursor() as cur:
        return cur.execute("SELECT project_id, uuid, properties->>'$.\"$ai_target_event_id\"' FROM events "
                           "WHERE event = '$ai_tag' ORDER BY ALL").fetchall()


def test_project_selects_the_events_read(capsys, db: Path, tmp_path: Path) -> None:
    for project in (1, 2):
        code, out, _ = cli(capsys, *topics("--db", db, "--project", project, "--out", tmp_path / f"{project}.jsonl",
                                           "--json"))
        assert code == 0 and json.loads(out)["considered"] == len(generations_of(project))
        targets = {json.loads(line)["properties"]["$ai_target_event_id"]
                   for line in (tmp_path / f"{project}.jsonl").read_text().splitlines()}
        assert targets and targets <= generations_of(project)
    code, out, _ = cli(capsys, *topics("--db", db, "--json"))
    assert json.loads(out)["considered"] == len(generations_of(1) | generations_of(2))
    code, out, _ = cli(capsys, *topics("--db", db, "--project", 3, "--json"))
    assert code == 0 and json.loads(out)["considered"] == 0


def test_into_db_stores_each_tag_in_its_targets_project_and_resume_skips_them(capsys, db: Path) -> None:
    code, out, _ = cli(capsys, *topics("--db", db, "--into-db", "--json"))
    first = json.loads(out)
    stored = stored_tags(db)
    assert code == 0 and len(stored) == first["tagged"] == first["database"]["added"] > 0
    for project, _tag, target in stored:
        assert target in generations_of(project)
    assert {p for p, _, _ in stored} == {1, 2}

    code, out, _ = cli(capsys, *topics("--db", db, "--into-db", "--resume", "--json"))
    again = json.loads(out)
    assert code == 0 and again["resumed"] == first["considered"] and again["considered"] == 0
    assert again["database"]["added"] == 0 and stored_tags(db) == stored

    # Resuming one project counts only that project's tags as done.
    code, out, _ = cli(capsys, *topics("--db", db, "--project", 2, "--into-db", "--resume", "--json"))
    assert code == 0 and json.loads(out)["resumed"] == len(generations_of(2))


def test_resume_into_db_tags_only_what_is_missing(capsys, db: Path) -> None:
    # Half of project 1 tagged and stored (as a run stopped half-way leaves it), then a resumed run.
    code, out, _ = cli(capsys, *topics("--db", db, "--project", 1, "--until", "2026-11-06", "--into-db", "--json"))
    half = json.loads(out)["tagged"]
    code, out, _ = cli(capsys, *topics("--db", db, "--project", 1, "--into-db", "--resume", "--json"))
    resumed = json.loads(out)
    assert code == 0 and 0 < half == resumed["resumed"]
    assert len(stored_tags(db)) == half + resumed["database"]["added"] == half + resumed["tagged"]
    assert {p for p, _, _ in stored_tags(db)} == {1}


def test_the_same_generation_in_two_projects_is_tagged_in_each(capsys, tmp_path: Path) -> None:
    db = tmp_path / "twice.duckdb"
    dump = write_jsonl(tmp_path / "shared.jsonl", EVENTS[:20])
    with EventStore(db) as store:
        store.load([dump], project_id=1)
        store.load([dump], project_id=2)
    code, out, _ = cli(capsys, *topics("--db", db, "--into-db", "--json"))
    tagged = json.loads(out)["tagged"]
    stored = stored_tags(db)
    assert code == 0 and len(stored) == tagged == 2 * len({t for _, _, t in stored})
    assert {(tag, target) for p, tag, target in stored if p == 1} == {(tag, target) for p, tag, target in stored
                                                                      if p == 2}


def test_hog_test_events_reads_the_batch_tags_back(capsys, db: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "tags.jsonl"
    code, _, _ = cli(capsys, *topics("--db", db, "--project", 2, "--into-db", "--out", out_file))
    assert code == 0
    written = {row["uuid"]: row for row in map(json.loads, out_file.read_text().splitlines())}
    code, out, err = cli(capsys, "events", "--db", db, "--project", 2, "--event", "$ai_tag", "--limit", 10_000,
                         "--json")
    bodies = [json.loads(line) for line in out.splitlines()]
    assert (code, err) == (0, "") and {b["id"] for b in bodies} == set(written)
    for body in bodies:
        row = written[body["id"]]
        assert body["event"] == "$ai_tag" and body["distinct_id"] == row["distinct_id"]
        assert body["properties"] == row["properties"]
        assert datetime.fromisoformat(body["timestamp"]) == datetime.fromisoformat(row["timestamp"])
    newest = max(bodies, key=lambda b: datetime.fromisoformat(b["timestamp"]))
    assert bodies[0]["id"] == newest["id"]  # newest first

    # The table: one line per $ai_tag, by target generation, with the tagger's name and tags.
    code, table, _ = cli(capsys, "events", "--db", db, "--project", 2, "--event", "$ai_tag", "--limit", 10_000)
    lines = table.splitlines()
    assert code == 0 and lines[0].split() == ["TARGET", "EVENT", "TAGGER", "TAGS", "REASONING", "TAGGED", "AT"]
    assert len(lines) == 1 + len(bodies)
    for body in bodies:
        target, tags = body["properties"]["$ai_target_event_id"], body["properties"]["$ai_tags"]
        line = next(line for line in lines if line.startswith(target))
        assert "topics" in line and (", ".join(tags) or "-") in line
    code, out, err = cli(capsys, "events", "--db", db, "--project", 1, "--event", "$ai_tag")
    assert (code, out) == (0, "") and err == "no $ai_tag events in project 1\n"
