"""Durability and the database file: SIGKILL during a burst of creates loses nothing answered 201,
databases made before projects keep working, and a second process gets one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import httpx
import pytest

from tests.api_support import (
    ROOT,
    ApiServer,
    build_world,
    generations,
    kill_during_burst,
    llm_tagger,
    running,
    write_jsonl,
)

BASE = "/api/environments/1/taggers/"


def test_sigkill_during_a_burst_of_creates_keeps_every_acknowledged_tagger(tmp_path: Path) -> None:
    world = build_world(tmp_path, events_per_project=1)
    server = ApiServer(world.db).start()

    def create(api: httpx.Client, sender: int, n: int) -> list[dict]:
        response = api.post(BASE, json=llm_tagger(name=f"burst {sender}-{n}",
                                                  conditions=[{"id": f"c{n}", "rollout_percentage": n % 101}]))
        return [response.json()] if response.status_code == 201 else []

    acknowledged = kill_during_burst(server, lambda: server.client(world.keys["rw"], timeout=5), create,
                                     senders=8, at_least=100, timeout=20)

    with ApiServer(world.db) as restarted, restarted.client(world.keys["rw"]) as api:
        stored = api.get(BASE, params={"limit": 100_000}).json()
        by_id = {t["id"]: t for t in stored["results"]}
        missing = [t["name"] for t in acknowledged if t["id"] not in by_id]
        assert not missing, f"{len(missing)} taggers answered 201 were lost: {missing[:5]}"
        for tagger in acknowledged:
            assert by_id[tagger["id"]] == tagger
        # Nothing half-written: whatever else was stored (committed as the kill came) is whole.
        for tagger in stored["results"]:
            assert tagger["name"].startswith("burst ") and tagger["tagger_config"]["prompt"]
            assert len(tagger["conditions"]) == 1 and tagger["created_by"]["email"] == "rw@example.com"
        assert stored["count"] - len(acknowledged) <= 8  # at most one in flight per client


def test_a_database_made_before_projects_keeps_working(tmp_path: Path) -> None:
    """An events table without `project_id` (made by an earlier hog-tagger) gains it; its events are
    project 1's."""
    db = tmp_path / "old.duckdb"
    rows = generations(1, 3)
    with duckdb.connect(str(db)) as conn:
        conn.execute("""CREATE TABLE events (uuid VARCHAR NOT NULL, event VARCHAR NOT NULL, distinct_id VARCHAR,
                        timestamp TIMESTAMPTZ NOT NULL, properties JSON NOT NULL, person_id VARCHAR,
                        elements_chain VARCHAR)""")
        for row in rows:
            conn.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, NULL, NULL)",
                         [row["uuid"], row["event"], row["distinct_id"], row["timestamp"],
                          __import__("json").dumps(row["properties"])])
    key = _cli("keys", "create", "--db", str(db), "--project", "1", "--scopes", "tagger:read").stdout.splitlines()[-1]
    with running(db) as server, server.client(key) as api:
        body = api.post(f"{BASE}test_hog/", json={"source": "return ['old']", "sample_count": 10}).json()
    assert [r["event_uuid"] for r in body["results"]] == [r["uuid"] for r in rows]
    with duckdb.connect(str(db)) as conn:
        assert conn.execute("SELECT DISTINCT project_id FROM events").fetchall() == [(1,)]


def _cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "hogtest", *args], capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.mark.parametrize("command", [["keys", "list"], ["projects", "list"], ["load", "EVENTS"],
                                     ["run", "TAGGER"], ["serve", "--port", "0"]])
def test_a_command_on_a_database_a_server_holds_says_so_in_one_line(tmp_path: Path, command: list[str]) -> None:
    world = build_world(tmp_path, events_per_project=1)
    events = write_jsonl(tmp_path / "more.jsonl", generations(1, 1))
    tagger = tmp_path / "t.hog"
    tagger.write_text("return []")
    args = [str(events) if a == "EVENTS" else str(tagger) if a == "TAGGER" else a for a in command]
    with running(world.db) as server:
        result = _cli(*args, "--db", str(world.db), check=False)
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0] == (f"hog-test: error: {world.db} is in use by the Taggers API server at {server.base_url} "
                            f"(PID {server.process.pid}); DuckDB lets only one process open a database file, "
                            "so stop it first or use another --db")
    assert _cli("projects", "list", "--db", str(world.db)).returncode == 0  # free again once it stops
