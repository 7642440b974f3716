"""The events API over HTTP (PostHog's `GET .../events/`: filters, pages, scope `query:read`) and
`hog-test events` on the same database once the server has stopped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from sampler.registry import Registry
from sampler.store import EventStore
from tests.api_support import ROOT, ApiServer, World, build_world, module_client, running
from tests.live_support import EVENTS, generation, hog, wait_until_tagged

URL = EVENTS.format(project=1)
START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
WINDOW = {"before": (START + timedelta(hours=1)).isoformat()}  # leaves out build_world's recent events


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    world = build_world(tmp_path_factory.mktemp("events-api"), events_per_project=1)
    with EventStore(world.db) as store:
        _key, secret = Registry(store).create_key(scopes=["query:read"], projects=[1], email="q@example.com",
                                                 label="query")
    world.keys["query"] = secret
    return world


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[ApiServer]:
    with running(world.db, workers=1) as server:
        yield server


api = module_client("star")


@pytest.fixture(scope="module")
def sent(api: httpx.Client, world: World) -> list[dict]:
    """Twelve events a minute apart (newest last), models alternating, and an `$ai_tag` for each
    generation from a tagger enabled before they came."""
    assert api.post("/api/environments/1/taggers/", json=hog("Billing", "print('why')\nreturn ['billing']",
                                                              tags=["billing"])).status_code == 201
    batch = []
    for n in range(12):
        event = generation(f"question {n}", distinct_id=f"api-user-{n % 3}", n=n,
                           **{"$ai_model": "gpt-4o" if n % 2 else "claude-3"})
        event["timestamp"] = (START + timedelta(minutes=n)).isoformat()
        batch.append(event)
    assert api.post("/batch/", json={"api_key": world.tokens[1], "batch": batch}).status_code == 200
    wait_until_tagged(api, generations=12)
    return batch


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [event["id"] for event in response.json()["results"]]


def test_events_come_newest_first_in_posthogs_shape(api: httpx.Client, sent: list[dict]) -> None:
    body = api.get(URL, params={"event": "$ai_generation", "after": START.isoformat(), **WINDOW}).json()
    assert set(body) == {"next", "results"} and body["next"] is None
    # `after` is strict: the first event (at START) is left out.
    assert [e["id"] for e in body["results"]] == [e["uuid"] for e in reversed(sent[1:])]
    first = body["results"][0]
    assert list(first) == ["id", "distinct_id", "properties", "event", "timestamp", "person", "elements",
                           "elements_chain"]
    assert first["timestamp"] == (START + timedelta(minutes=11)).isoformat()
    assert first["properties"] == sent[-1]["properties"] and first["distinct_id"] == sent[-1]["distinct_id"]


def test_pages_follow_next_with_before(api: httpx.Client, sent: list[dict]) -> None:
    seen: list[str] = []
    response = api.get(URL, params={"event": "$ai_generation", "limit": 5, **WINDOW})
    pages = 0
    while True:
        seen += ids(response)
        pages += 1
        following = response.json()["next"]
        if following is None:
            break
        assert "before=" in following and following.startswith("http://127.0.0.1")
        response = api.get(following)
    assert pages == 3 and seen == [e["uuid"] for e in reversed(sent)]


def test_property_filters_decide_as_conditions_do(api: httpx.Client, sent: list[dict]) -> None:
    def filtered(*filters: dict, **params: str) -> list[str]:
        return ids(api.get(URL, params={"properties": json.dumps(list(filters)), **WINDOW, **params}))

    gpt = {"key": "$ai_model", "value": "gpt", "operator": "icontains", "type": "event"}
    assert filtered(gpt, event="$ai_generation") == [e["uuid"] for e in reversed(sent) if e["properties"]["n"] % 2]
    high = {"key": "n", "value": 9, "operator": "gte", "type": "event"}
    assert filtered(gpt, high) == [sent[11]["uuid"], sent[9]["uuid"]]
    assert filtered({"key": "n", "value": [2, 3], "operator": "exact", "type": "event"}) == [
        sent[3]["uuid"], sent[2]["uuid"]]
    assert ids(api.get(URL, params={"distinct_id": "api-user-1", "event": "$ai_generation", **WINDOW})) == [
        e["uuid"] for e in reversed(sent) if e["distinct_id"] == "api-user-1"]
    before = ids(api.get(URL, params={"event": "$ai_generation", "before": (START + timedelta(minutes=2)).isoformat()}))
    assert before[:2] == [sent[1]["uuid"], sent[0]["uuid"]]
    # A property group, as PostHog's UI sends it, is read as its list of filters.
    group = {"type": "AND", "values": [gpt, high]}
    assert ids(api.get(URL, params={"properties": json.dumps(group), **WINDOW})) == [sent[11]["uuid"], sent[9]["uuid"]]


def test_the_ai_tags_of_live_tagging_are_read_back_by_tagger(api: httpx.Client, sent: list[dict]) -> None:
    by_tagger = {"key": "$ai_tagger_name", "value": "Billing", "operator": "exact", "type": "event"}
    found = api.get(URL, params={"event": "$ai_tag", "properties": json.dumps([by_tagger])}).json()["results"]
    assert sorted(e["properties"]["$ai_target_event_id"] for e in found) == sorted(e["uuid"] for e in sent)
    assert {e["properties"]["$ai_tag_reasoning"] for e in found} == {"why"}
    one = {"key": "$ai_target_event_id", "value": sent[4]["uuid"], "operator": "exact", "type": "event"}
    [tag] = api.get(URL, params={"event": "$ai_tag", "properties": json.dumps([one])}).json()["results"]
    assert tag["distinct_id"] == sent[4]["distinct_id"] and tag["properties"]["$ai_tags"] == ["billing"]


@pytest.mark.parametrize(("params", "attr"), [
    ({"limit": "0"}, "limit"), ({"limit": "ten"}, "limit"), ({"limit": "100001"}, "limit"),
    ({"after": "yesterday"}, "after"), ({"before": "2026-13-45"}, "before"),
    ({"properties": "not json"}, "properties"), ({"properties": '{"key": "a"}'}, "properties"),
    ({"properties": '[{"key": "a", "operator": "no_such_operator", "value": 1}]'}, "properties"),
])
def test_unreadable_parameters_are_a_400_naming_them(api: httpx.Client, params: dict, attr: str) -> None:
    response = api.get(URL, params=params)
    assert response.status_code == 400, response.text
    assert response.json()["type"] == "validation_error" and response.json()["attr"] == attr


def test_reading_events_takes_query_read(server: ApiServer, world: World) -> None:
    with server.client(world.keys["query"]) as reader:
        assert reader.get(URL).status_code == 200
        assert reader.get("/api/projects/1/events").status_code == 200
        assert reader.get("/api/environments/1/taggers/").status_code == 403  # query:read is not tagger:read
    with server.client(world.keys["rw"]) as tagger_key:
        denied = tagger_key.get(URL)
        assert denied.status_code == 403 and denied.json()["detail"] == "API key missing required scope 'query:read'"
    with server.client(world.keys["p2"]) as other:
        assert other.get(URL).status_code == 403
    with server.client() as anonymous:
        assert anonymous.get(URL).status_code == 401


def hog_test(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hogtest", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)


def test_hog_test_events_shows_tags_per_target(server: ApiServer, world: World, sent: list[dict]) -> None:
    server.stop()  # the command opens the database itself
    try:
        table = hog_test("events", "--db", str(world.db), "--event", "$ai_tag")
        assert table.returncode == 0, table.stderr
        lines = table.stdout.splitlines()
        assert lines[0].split() == ["TARGET", "EVENT", "TAGGER", "TAGS", "REASONING", "TAGGED", "AT"]
        assert len(lines) == 13 and {e["uuid"] for e in sent} == {line.split()[0] for line in lines[1:]}
        assert all(line.split()[1:4] == ["Billing", "billing", "why"] for line in lines[1:])
        listed = hog_test("events", "--db", str(world.db), "--event", "$ai_generation", "--json", "--limit", "3")
        assert listed.returncode == 0, listed.stderr
        bodies = [json.loads(line) for line in listed.stdout.splitlines()]
        assert bodies[0]["distinct_id"] == "user-1-0"  # build_world's recent generation comes first
        assert [b["id"] for b in bodies[1:]] == [e["uuid"] for e in reversed(sent)][:2]
        plain = hog_test("events", "--db", str(world.db), "--event", "$ai_generation", "--limit", "2")
        assert plain.stdout.splitlines()[0].split() == ["TIMESTAMP", "EVENT", "DISTINCT", "ID", "UUID", "PROPERTIES"]
        assert "--limit shows more" in plain.stderr
        empty = hog_test("events", "--db", str(world.db), "--event", "nothing-like-this", "--project", "2")
        assert empty.returncode == 0 and empty.stderr == "no nothing-like-this events in project 2\n"
        assert hog_test("events", "--db", str(world.db), "--limit", "0").returncode == 2
    finally:
        server.start()
    assert uuid.UUID(sent[0]["uuid"])
