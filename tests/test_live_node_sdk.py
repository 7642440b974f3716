"""Live tagging with the official Node.js SDK as the client: posthog-node (tests/oracles/node) captures
`$ai_generation` events (by `capture` and by its AI lane `captureAi`, gzipped as it sends by default,
in batches over several flushes) and a non-AI event to a real server, whose enabled tagger tags
the generations its condition and rollout let through. Node is required by the suite (the HogVM
oracle), so this never skips."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from sampler.conditions import in_rollout
from sampler.pipeline import prepare_tagger
from tests.api_support import ROOT, ApiServer, World, module_client, module_server
from tests.live_support import LIVE, events, hog, tags_by_target, wait_until_tagged
from tests.oracles.node_vm import NODE_DIR

TAGGERS = "/api/environments/1/taggers/"
SCRIPT = NODE_DIR / "capture_with_posthog_node.js"
SDK_VERSION = json.loads((NODE_DIR / "package.json").read_text())["dependencies"]["posthog-node"]
FLUSH_AT = 20
REFUNDS = hog("Refunds (OpenAI, half)",
              "print(f'model {properties.$ai_model}')\nreturn if(input =~* 'refund', ['refund'], ['other'])",
              tags=["refund", "other"], conditions=[{"id": "openai-half", "rollout_percentage": 50, "properties": [
                  {"key": "$ai_provider", "value": "openai", "operator": "exact", "type": "event"}]}])
DISABLED = hog("Disabled", "return ['never']", enabled=False)
QUESTIONS = ["Can I get a refund for my order?", "How do I export a CSV?", "REFUND me, please", "What is a cohort?"]

world, server = module_server("live-node-sdk", events_per_project=1, workers=1, extra=("--live-workers", "2"))
api = module_client("star")


def node_generation(n: int, *, with_uuid: bool = True, ai_lane: bool = False) -> dict[str, Any]:
    """An `$ai_generation` as posthog-node's `capture` takes it (camelCase distinctId, Date timestamp)."""
    event: dict[str, Any] = {
        "distinctId": f"node-user-{n}", "event": "$ai_generation",
        "timestamp": (datetime.now(UTC) - timedelta(days=2, minutes=n)).isoformat(timespec="milliseconds"),
        "properties": {"$ai_input": [{"role": "user", "content": QUESTIONS[n % 4]}],
                       "$ai_output_choices": [{"role": "assistant", "content": f"answer {n}"}],
                       "$ai_provider": "anthropic" if n % 3 == 2 else "openai",
                       "$ai_model": "claude-3-5-haiku" if n % 3 == 2 else "gpt-4o-mini",
                       "$ai_trace_id": f"node-trace-{n}", "$ai_latency": n / 10, "plan": ["free", "pro"][n % 2]}}
    if with_uuid:
        event["uuid"] = str(uuid.uuid4())
    if ai_lane:
        event["ai"] = True
    return event


def node(*args: str, stdin: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Node in tests/oracles/node, where posthog-node is installed."""
    found = shutil.which("node")
    assert found is not None, "node is not on PATH (the suite needs Node.js 20+)"
    assert (NODE_DIR / "node_modules" / "posthog-node").exists(), f"run `npm ci --prefix {NODE_DIR}`"
    return subprocess.run([found, *args], input=stdin, capture_output=True, text=True, timeout=60, cwd=NODE_DIR,
                          env=env)


def run_posthog_node(server: ApiServer, token: str, sent: list[dict[str, Any]],
                     **options: Any) -> subprocess.CompletedProcess[str]:
    """The Node script, sending `sent` with posthog-node configured by `options`."""
    return node(str(SCRIPT), server.base_url, token, stdin=json.dumps({"options": options, "events": sent}))


def capture_with_posthog_node(server: ApiServer, token: str, sent: list[dict[str, Any]],
                              **options: Any) -> list[dict[str, Any]]:
    """The requests posthog-node made (the script fails on any error the SDK reports)."""
    done = run_posthog_node(server, token, sent, **options)
    assert done.returncode == 0, f"posthog-node failed:\n{done.stderr}"
    return json.loads(done.stdout)["requests"]


def test_posthog_node_events_are_stored_and_tagged_as_the_pipeline_tags_them(
        api: httpx.Client, world: World, server: ApiServer) -> None:
    created = api.post(TAGGERS, json=REFUNDS)
    assert created.status_code == 201, created.text
    tagger = created.json()
    assert api.post(TAGGERS, json=DISABLED).status_code == 201

    sent = [node_generation(n) for n in range(6)]  # a first flush of a few
    sent += [node_generation(n, with_uuid=n % 10 != 0) for n in range(6, 126)]  # several flushes
    sent += [node_generation(n, ai_lane=True) for n in range(126, 129)]  # captureAi
    pageview = {"distinctId": "node-user-0", "event": "$pageview", "uuid": str(uuid.uuid4()),
                "properties": {"$current_url": "http://localhost/pricing"}}
    requests = capture_with_posthog_node(server, world.tokens[1], [*sent, pageview], flushAt=FLUSH_AT,
                                         maxBatchSize=FLUSH_AT, flushInterval=50, fetchRetryCount=0)

    # What posthog-node sends: gzipped JSON batches to /batch/ (captureAi's to /i/v0/ai/batch/), each
    # answered 200, and every event in exactly one of them.
    assert {(r["path"], r["contentEncoding"], r["contentType"], r["status"]) for r in requests} == {
        ("/batch/", "gzip", "application/json", 200), ("/i/v0/ai/batch/", "gzip", "application/json", 200)}
    batches = [r for r in requests if r["path"] == "/batch/"]
    assert len(batches) >= (len(sent) - 3 + 1) / FLUSH_AT and max(len(r["events"]) for r in batches) == FLUSH_AT
    on_the_wire = [e for r in requests for e in r["events"]]
    assert sorted(e["distinct_id"] for e in on_the_wire) == sorted(e["distinctId"] for e in [*sent, pageview])
    ai_lane = {e["uuid"] for r in requests if r["path"] == "/i/v0/ai/batch/" for e in r["events"]}
    assert ai_lane == {e["uuid"] for e in sent[-3:]}
    uuids = {e["distinct_id"]: e["uuid"] for e in on_the_wire if e["event"] == "$ai_generation"}
    for event in sent:  # the SDK gives an event without a uuid its own (a UUIDv7)
        assert uuids[event["distinctId"]] == event.get("uuid", uuids[event["distinctId"]])
        assert uuid.UUID(uuids[event["distinctId"]]).version == (4 if "uuid" in event else 7)

    status = wait_until_tagged(api, generations=len(sent))
    stored = {e["id"]: e for e in events(api, event="$ai_generation") if e["distinct_id"].startswith("node-")}
    assert set(stored) == set(uuids.values())
    for event in sent:
        row = stored[uuids[event["distinctId"]]]
        assert row["distinct_id"] == event["distinctId"] and row["event"] == "$ai_generation"
        assert row["properties"] == {**event["properties"], "$lib": "posthog-node", "$lib_version": SDK_VERSION,
                                     "$is_server": True, "$geoip_disable": True}
        moment = datetime.fromisoformat(row["timestamp"])
        assert abs(moment - datetime.fromisoformat(event["timestamp"])) < timedelta(seconds=10)
    [stored_pageview] = events(api, event="$pageview", distinct_id="node-user-0")
    assert stored_pageview["id"] == pageview["uuid"]
    assert stored_pageview["properties"]["$current_url"] == "http://localhost/pricing"

    # The `$ai_tag` events: exactly one per OpenAI generation that the rollout samples in, from the one
    # enabled tagger, with its tags and reasoning, and each as the shared pipeline makes it.
    expected = {target for target, row in stored.items()
                if row["properties"]["$ai_provider"] == "openai" and in_rollout(target, 50)}
    assert 0 < len(expected) < len(stored)
    tags = tags_by_target(api)
    assert set(tags) & set(stored) == expected
    tag_rows = {e["id"]: e for e in events(api, event="$ai_tag")}
    prepared = prepare_tagger(tagger)
    for target in expected:
        [tag] = tags[target]
        row = stored[target]
        question = row["properties"]["$ai_input"][0]["content"]
        assert tag["$ai_tagger_id"] == tagger["id"] and tag["$ai_tagger_name"] == REFUNDS["name"]
        assert tag["$ai_tags"] == (["refund"] if "refund" in question.lower() else ["other"])
        assert tag["$ai_tag_reasoning"] == "model gpt-4o-mini"
        assert tag["$ai_target_event_id"] == target and tag["$ai_trace_id"] == row["properties"]["$ai_trace_id"]
        outcome = prepared({"uuid": target, "event": "$ai_generation", "distinct_id": row["distinct_id"],
                            "timestamp": row["timestamp"], "properties": row["properties"]})
        assert outcome.tagged and outcome.tag_event is not None
        assert tag == {**outcome.tag_event["properties"], "$ai_tagger_start_time": tag["$ai_tagger_start_time"]}
        assert tag_rows[outcome.tag_event["uuid"]]["distinct_id"] == row["distinct_id"]

    [live] = [t for t in status["taggers"] if t["name"] == REFUNDS["name"]]
    filtered = sum(row["properties"]["$ai_provider"] != "openai" for row in stored.values())
    assert live["tagged"] == len(expected)
    assert live["skipped"] == {"filtered": filtered, "sampling_excluded": len(stored) - filtered - len(expected)}
    assert [t["name"] for t in status["taggers"]] == [REFUNDS["name"]]
    assert api.get(LIVE.format(project=1)).json()["tagged_generations"] == len(sent)


def test_plain_json_from_posthog_node_is_stored_and_a_refusal_reaches_it_as_an_error(
        api: httpx.Client, world: World, server: ApiServer) -> None:
    plain = [node_generation(n) for n in range(200, 202)]
    requests = capture_with_posthog_node(server, world.tokens[1], plain, disableCompression=True)
    assert [(r["path"], r["contentEncoding"], r["status"]) for r in requests] == [("/batch/", None, 200)]
    for event in plain:
        [row] = events(api, event="$ai_generation", distinct_id=event["distinctId"])
        assert row["id"] == event["uuid"] and row["properties"]["$ai_trace_id"] == event["properties"]["$ai_trace_id"]

    refused = run_posthog_node(server, "phc_not_a_project", [node_generation(300)], fetchRetryCount=0)
    assert refused.returncode == 1
    assert "/batch/ answered 403" in refused.stderr and "ingest_key_unknown" in refused.stderr
    assert events(api, event="$ai_generation", distinct_id="node-user-300") == []


def test_the_readmes_posthog_node_example_works_as_written(api: httpx.Client, world: World,
                                                           server: ApiServer) -> None:
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Live tagging:", 1)[1].split("\n## ", 1)[0]
    [example] = re.findall(r"```js\n(.*?)```", section, flags=re.S)
    assert "http://127.0.0.1:8000" in example
    before = api.get(LIVE.format(project=1)).json()["tagged_generations"]
    done = node("--input-type=module", "-", stdin=example.replace("http://127.0.0.1:8000", server.base_url),
                env={**os.environ, "POSTHOG_PROJECT_TOKEN": world.tokens[1]})
    assert done.returncode == 0, done.stderr
    wait_until_tagged(api, generations=before + 1)
    [row] = events(api, event="$ai_generation", distinct_id="user-3")
    assert row["properties"]["$ai_trace_id"] == "trace-3" and row["properties"]["$lib"] == "posthog-node"
    tags = [tag["$ai_tags"] for tag in tags_by_target(api).get(row["id"], [])]
    assert tags == ([["refund"]] if in_rollout(row["id"], 50) else [])
