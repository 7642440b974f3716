"""Live tagging under stress: a server killed with SIGKILL in the middle of a capture burst keeps
every event it answered 200 for and tags them all after the restart (the pending work survives);
and a `while (true) {}` tagger delays neither captures, nor API calls, nor the other taggers."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.api_support import ApiServer, build_world, kill_during_burst, running
from tests.live_support import LIVE, events, generation, hog, tags_by_target

TAGGERS = "/api/environments/1/taggers/"
# About 10-40 ms per event: enough to leave tagging work pending when the server is killed.
SLOW = hog("Slow", "let i := 0\nwhile (i < 20000) { i := i + 1 }\nreturn ['slow']")
FAST = hog("Fast", "return ['fast']")
HOSTILE = hog("Hostile", "while (true) {}\nreturn ['never']")


def test_sigkill_during_a_capture_burst_loses_no_acknowledged_event_and_tags_them_all(tmp_path: Path) -> None:
    world = build_world(tmp_path, events_per_project=1)
    server = ApiServer(world.db, workers=1, extra=("--live-workers", "2")).start()
    with server.client(world.keys["star"]) as api:
        for body in (SLOW, FAST):
            assert api.post(TAGGERS, json=body).status_code == 201

    def capture(client: httpx.Client, sender: int, n: int) -> list[str]:
        batch = [generation(f"burst question {k}") for k in range(10)]
        response = client.post("/batch/", json={"api_key": world.tokens[1], "batch": batch})
        return [event["uuid"] for event in batch] if response.status_code == 200 else []

    acknowledged = kill_during_burst(server, lambda: httpx.Client(base_url=server.base_url, timeout=5), capture,
                                     senders=6, at_least=400, timeout=30)

    with ApiServer(world.db, workers=1, extra=("--live-workers", "2")) as restarted, \
            restarted.client(world.keys["star"]) as api:
        stored = {e["id"] for e in events(api, event="$ai_generation")}
        missing = set(acknowledged) - stored
        assert not missing, f"{len(missing)} acknowledged events were lost"
        deadline = time.monotonic() + 120
        while True:
            tags = tags_by_target(api)
            untagged = [u for u in acknowledged if {t["$ai_tagger_name"] for t in tags.get(u, [])} != {"Slow", "Fast"}]
            if not untagged:
                break
            assert time.monotonic() < deadline, f"{len(untagged)} acknowledged generations never got tagged"
            time.sleep(0.2)
        for target, made in tags.items():  # each tagger tagged each generation once, with its own tag
            assert sorted((t["$ai_tagger_name"], tuple(t["$ai_tags"])) for t in made) == [
                ("Fast", ("fast",)), ("Slow", ("slow",))], target
        assert api.get(LIVE.format(project=1)).json()["pending"] == 0
    assert "were still pending; tagging them now" in server.log.read_text()


def test_a_hostile_tagger_delays_nothing_else(tmp_path: Path) -> None:
    world = build_world(tmp_path, events_per_project=1)
    with running(world.db, workers=1, tagger_timeout=3.0, extra=("--live-workers", "2")) as server, \
            server.client(world.keys["star"]) as api:
        for body in (HOSTILE, FAST):
            assert api.post(TAGGERS, json=body).status_code == 201
        slowest = 0.0
        sent: list[str] = []
        for _ in range(20):
            batch = [generation("a question") for _ in range(5)]
            started = time.perf_counter()
            assert api.post("/batch/", json={"api_key": world.tokens[1], "batch": batch}).status_code == 200
            assert api.get(TAGGERS).status_code == 200
            assert api.get(LIVE.format(project=1)).status_code == 200
            slowest = max(slowest, time.perf_counter() - started)
            sent.extend(event["uuid"] for event in batch)
        # Each of the hostile tagger's runs takes its full 3 seconds (15 for a batch of these 5 events);
        # captures and API calls do not wait for any of it.
        assert slowest < 2.0, f"a capture and two API calls took {slowest:.2f} s"
        deadline = time.monotonic() + 60
        while True:  # the other tagger's lane goes on: every generation gets its tag long before the
            tags = tags_by_target(api)  # hostile tagger (3 s per event) could get through them
            if all(any(t["$ai_tagger_name"] == "Fast" for t in tags.get(u, [])) for u in sent):
                break
            assert time.monotonic() < deadline, "the fast tagger was held up by the hostile one"
            time.sleep(0.1)
        while True:  # the hostile tagger's first runs end in its time limit, and say so
            status = {t["name"]: t for t in api.get(LIVE.format(project=1)).json()["taggers"]}
            if status["Hostile"]["failed"] or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert status["Fast"]["tagged"] == len(sent)
        assert status["Hostile"]["tagged"] == 0 and status["Hostile"]["failed"].get("timeout", 0) >= 1
        assert status["Hostile"]["last_error"].startswith("Hog tagger error: Execution timed out")
        assert status["Hostile"]["in_flight"] <= 1  # of the 2 live workers: one stays free for the others
