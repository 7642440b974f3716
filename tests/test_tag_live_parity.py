"""Live and batch tagging are one pipeline: the same saved taggers over the same generations, tagged
live by a real server as they are captured and then in batch by `hog-test tag --tagger-id`, give the
same `$ai_tag` events (uuid, target, distinct_id, tags, reasoning, every property) and the same
counts. Only the moment differs, as the README says: live tagging stamps `timestamp` and
`$ai_tagger_start_time` with the hand-off to a worker, a batch run with the generation's own time."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from sampler.registry import Registry
from sampler.store import EventStore
from tests.api_support import running
from tests.cli_support import (
    cli,
    use_private_default_db,  # noqa: F401 - an autouse fixture
)
from tests.live_support import wait_until_tagged
from tests.tag_support import generations, topic_tagger

TAGGERS = "/api/environments/1/taggers/"
MOMENT = "$ai_tagger_start_time"  # with `timestamp`, what live and batch stamp differently
# Conditions and a 60% rollout (topic_tagger's), and a tagger that fails on some generations.
TOPICS = {key: value for key, value in topic_tagger().items() if key != "id"}
PICKY = {"name": "Picky", "enabled": True, "tagger_type": "hog",
         "tagger_config": {"source": "print('checked'); if (input =~* 'password') { throw Error('no passwords') }\n"
                                     "return if(output =~* 'sorry', ['refusal'], [])",
                           "tags": [{"name": "refusal"}]},
         "conditions": [{"id": "all", "rollout_percentage": 100, "properties": []}]}


def stored_tags(db: Path, tagger_id: str) -> dict[str, dict[str, Any]]:
    """The `$ai_tag` events of one tagger in the database, by uuid, in the output file's columns."""
    with EventStore(db) as store, store.cursor() as cur:
        rows = cur.execute("SELECT uuid, event, distinct_id, timestamp, properties::VARCHAR, person_id, elements_chain, "
                           "project_id FROM events WHERE event = '$ai_tag' "
                           "AND properties->>'$.\"$ai_tagger_id\"' = ?", [tagger_id]).fetchall()
    return {row[0]: {"uuid": row[0], "event": row[1], "distinct_id": row[2], "timestamp": row[3],
                     "properties": json.loads(row[4]), "person_id": row[5], "elements_chain": row[6],
                     "project_id": row[7]} for row in rows}


def generation_times(db: Path) -> dict[str, datetime]:
    with EventStore(db) as store, store.cursor() as cur:
        return dict(cur.execute("SELECT uuid, timestamp FROM events WHERE event = '$ai_generation'").fetchall())


def test_live_and_batch_give_the_same_ai_tag_events(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "parity.duckdb"
    with EventStore(db) as store:
        registry = Registry(store)
        token = registry.project(1).api_token
        _key, secret = registry.create_key(scopes=["*"], email="parity@example.com", label="parity")
    sent = generations(120, seed=11)
    for n, event in enumerate(sent[:6]):  # some generations the picky tagger fails on
        event["properties"]["$ai_input"] = [{"role": "user", "content": f"I forgot my password (#{n})"}]
    generation_count = sum(e["event"] == "$ai_generation" for e in sent)

    with running(db, workers=1, extra=("--live-workers", "2")) as server, server.client(secret) as api:
        taggers = {}
        for body in (TOPICS, PICKY):
            response = api.post(TAGGERS, json=body)
            assert response.status_code == 201, response.text
            taggers[body["name"]] = response.json()
        assert api.post("/batch/", json={"api_key": token, "batch": sent}).status_code == 200
        status = wait_until_tagged(api, generations=generation_count)
    live_counts = {t["name"]: t for t in status["taggers"]}
    times = generation_times(db)
    assert len(times) == generation_count

    for name, tagger in taggers.items():
        live = stored_tags(db, tagger["id"])
        out = tmp_path / f"{name}.jsonl"
        code, summary, _ = cli(capsys, "tag", "--tagger-id", tagger["id"], "--db", str(db), "--out", str(out),
                               "--json")
        summary = json.loads(summary)
        batch = {row["uuid"]: row for row in map(json.loads, out.read_text(encoding="utf-8").splitlines())}

        assert code == 0 and live and set(batch) == set(live)
        for uuid, row in batch.items():
            stored = live[uuid]
            target = row["properties"]["$ai_target_event_id"]
            assert {**row["properties"], MOMENT: None} == {**stored["properties"], MOMENT: None}
            assert {k: v for k, v in row.items() if k not in ("timestamp", "properties")} == {
                k: v for k, v in stored.items() if k not in ("timestamp", "properties", "project_id")}
            assert stored["project_id"] == 1
            # The documented difference: batch stamps the generation's time, live the hand-off.
            assert datetime.fromisoformat(row["timestamp"]) == times[target]
            assert datetime.fromisoformat(row["properties"][MOMENT]) == times[target]
            assert datetime.fromisoformat(stored["properties"][MOMENT]) == stored["timestamp"] > times[target]

        counted = live_counts[name]
        assert summary["considered"] == counted["considered"] == generation_count
        assert summary["tagged"] == counted["tagged"] == len(batch)
        assert {k: v for k, v in summary["skipped"].items() if k != "not_ai_generation"} == counted["skipped"]
        assert {kind: e["count"] for kind, e in summary["errors_by_kind"].items()} == counted["failed"]
        assert sum(entry["count"] for entry in summary["tags"]) == counted["tags"]

        # The same uuids in the same project: storing the batch's rows adds nothing to live's.
        code, summary, _ = cli(capsys, "tag", "--tagger-id", tagger["id"], "--db", str(db), "--into-db", "--json")
        assert code == 0 and json.loads(summary)["database"]["added"] == 0

    assert live_counts["Topics"]["skipped"].get("sampling_excluded", 0) > 0  # the rollout sampled some out
    asking = sum("password" in json.dumps(e["properties"]["$ai_input"]) for e in sent if e["event"] == "$ai_generation")
    assert live_counts["Picky"]["failed"] == {"runtime_error": asking} and asking >= 6
