"""Live tagging with the official PostHog SDK as the client: `$ai_generation` events captured by
`posthog.capture`, by its AI lane, and by the `posthog.ai` OpenAI wrapper (over an OpenAI client
whose HTTP transport is mocked: no network) reach a real server, whose enabled taggers tag them.
Every `$ai_tag` stored is the one the shared pipeline makes for that tagger and generation."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import posthog
from posthog.ai.openai import OpenAI

from sampler.conditions import in_rollout
from sampler.pipeline import prepare_tagger
from tests.api_support import ApiServer, World, module_client, module_server
from tests.live_support import LIVE, events, hog, tags_by_target, wait_until_tagged

TAGGERS = "/api/environments/1/taggers/"
REFUNDS = hog("Refunds", "print(f'model {properties.$ai_model}')\nreturn if(input =~* 'refund', ['billing'], [])",
              tags=["billing"], conditions=[{"id": "gpt", "rollout_percentage": 100, "properties": [
                  {"key": "$ai_model", "value": "gpt", "operator": "icontains", "type": "event"}]}])
HALF = hog("Half of everything", "return ['sampled']", conditions=[{"id": "half", "rollout_percentage": 50,
                                                                     "properties": []}])
ANTHROPIC = hog("Anthropic only", "return ['anthropic']", conditions=[{"id": "anthropic", "rollout_percentage": 100,
    "properties": [{"key": "$ai_provider", "value": "anthropic", "operator": "exact", "type": "event"}]}])
DISABLED = hog("Disabled", "return ['never']", enabled=False)
LLM = {"name": "LLM topics", "enabled": True, "tagger_config": {"prompt": "Which topics?", "tags": [{"name": "a"}]},
       "conditions": [{"id": "all", "rollout_percentage": 100, "properties": []}]}
QUESTIONS = ["Can I get a refund for my order?", "How do I export a CSV?", "Refund me, please", "What is a cohort?"]


world, server = module_server("live-sdk", events_per_project=1, workers=1, extra=("--live-workers", "2"))
api = module_client("star")


def openai_transport(answers: list[str]) -> httpx.MockTransport:
    """OpenAI's chat completions endpoint, answered locally."""
    def handle(request: httpx.Request) -> httpx.Response:
        assert request.url.path.endswith("/chat/completions")
        asked = json.loads(request.content)
        answers.append(asked["messages"][-1]["content"])
        return httpx.Response(200, json={
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion", "created": 1_800_000_000,
            "model": asked["model"], "choices": [{"index": 0, "finish_reason": "stop",
                                                  "message": {"role": "assistant", "content": "Happy to help."}}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16}})

    return httpx.MockTransport(handle)


def create(api: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(TAGGERS, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_sdk_events_are_tagged_by_every_enabled_tagger_as_the_pipeline_tags_them(
        api: httpx.Client, world: World, server: ApiServer) -> None:
    taggers = {body["name"]: create(api, body) for body in (REFUNDS, HALF, ANTHROPIC, DISABLED, LLM)}

    client = posthog.Posthog(world.tokens[1], host=server.base_url, flush_at=5, gzip=True)
    captured = [client.capture("$ai_generation", distinct_id=f"sdk-user-{n}", properties={
        "$ai_input": [{"role": "user", "content": QUESTIONS[n % 4]}], "$ai_model": "gpt-4o-mini",
        "$ai_provider": "openai", "$ai_trace_id": f"sdk-trace-{n}",
        "$ai_output_choices": [{"role": "assistant", "content": "ok"}]}) for n in range(16)]
    client.capture("$pageview", distinct_id="sdk-user-0", properties={"$current_url": "http://localhost/"})
    ai_lane = posthog.Posthog(world.tokens[1], host=server.base_url, enable_full_ai_capture=True)
    captured.append(ai_lane.capture_ai("$ai_generation", distinct_id="ai-lane-user", properties={
        "$ai_input": [{"role": "user", "content": "refund"}], "$ai_model": "gpt-4o", "$ai_trace_id": "lane"}))
    answers: list[str] = []
    wrapped = OpenAI(api_key="sk-test", posthog_client=client, base_url="http://openai.invalid/v1",
                     http_client=httpx.Client(transport=openai_transport(answers)))
    for n in range(2):
        wrapped.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": QUESTIONS[n]}],
                                        posthog_distinct_id=f"openai-user-{n}", posthog_trace_id=f"openai-trace-{n}",
                                        posthog_properties={"plan": "pro"})
    for sdk in (client, ai_lane):
        sdk.flush()
        sdk.shutdown()
    assert answers == QUESTIONS[:2]

    status = wait_until_tagged(api, generations=len(captured) + 2)
    generations = {e["id"]: e for e in events(api, event="$ai_generation") if e["distinct_id"] != "user-1-0"}
    assert set(captured) <= set(generations) and len(generations) == len(captured) + 2
    assert len(events(api, event="$pageview", distinct_id="sdk-user-0")) == 1
    from_openai = [e for e in generations.values() if e["properties"].get("$ai_trace_id", "").startswith("openai-")]
    assert len(from_openai) == 2
    for event in from_openai:
        assert event["properties"]["$ai_provider"] == "openai" and event["properties"]["plan"] == "pro"
        assert event["properties"]["$ai_model"] == "gpt-4o-mini"

    stored_tags = tags_by_target(api)
    tag_events = {e["id"]: e for e in events(api, event="$ai_tag")}
    expected_any = {"Refunds": 0, "Half of everything": 0}
    for target, generation in generations.items():
        made = {tag["$ai_tagger_name"]: tag for tag in stored_tags.get(target, [])}
        event = {"uuid": target, "event": "$ai_generation", "distinct_id": generation["distinct_id"],
                 "timestamp": generation["timestamp"], "properties": generation["properties"]}
        for name in ("Refunds", "Half of everything", "Anthropic only", "Disabled", "LLM topics"):
            outcome = prepare_tagger(taggers[name])(event)
            if not outcome.tagged:
                assert name not in made, (name, target, outcome.skip_reason)
                continue
            expected_any[name] += 1
            tag = made[name]
            assert tag == {**outcome.tag_event["properties"], "$ai_tagger_start_time": tag["$ai_tagger_start_time"]}
            assert tag_events[outcome.tag_event["uuid"]]["distinct_id"] == generation["distinct_id"]
        question = json.dumps(generation["properties"]["$ai_input"])
        assert ("Refunds" in made) and made["Refunds"]["$ai_tags"] == (["billing"] if "efund" in question else [])
        assert made["Refunds"]["$ai_tag_reasoning"] == f"model {generation['properties']['$ai_model']}"
        assert made["Refunds"]["$ai_trace_id"] == generation["properties"].get("$ai_trace_id")
        assert ("Half of everything" in made) == in_rollout(target, 50)
        assert set(made) <= {"Refunds", "Half of everything"}
    assert 0 < expected_any["Half of everything"] < len(generations)  # the rollout sampled some in, some out

    by_name = {t["name"]: t for t in status["taggers"]}
    assert by_name["Refunds"]["tagged"] == len(generations)
    assert by_name["Anthropic only"]["skipped"] == {"filtered": len(generations)}
    assert by_name["Half of everything"]["skipped"] == {"sampling_excluded": len(generations) - expected_any[
        "Half of everything"]}
    assert by_name["LLM topics"]["run"] is False and by_name["LLM topics"]["tagged"] == 0
    assert by_name["LLM topics"]["skipped"] == {"llm_tagger": len(generations)}
    assert "Disabled" not in by_name
    assert status["lag_seconds"]["samples"] >= len(generations)
    assert "LLM taggers are stored and listed but not run" in server.log.read_text()


def test_taggers_changed_through_the_api_take_effect_for_the_next_event(
        api: httpx.Client, world: World, server: ApiServer) -> None:
    listed = {t["name"]: t for t in api.get(TAGGERS, params={"limit": 100}).json()["results"]}
    before = api.get(LIVE.format(project=1)).json()["tagged_generations"]
    changed = api.patch(f"{TAGGERS}{listed['Refunds']['id']}/", json={"tagger_config": {
        "source": "return ['changed']", "tags": [{"name": "billing"}, {"name": "changed"}]}})
    assert changed.status_code == 200
    assert api.patch(f"{TAGGERS}{listed['Half of everything']['id']}/", json={"enabled": False}).status_code == 200
    fresh = create(api, hog("Fresh", "return ['fresh']"))

    client = posthog.Posthog(world.tokens[1], host=server.base_url)
    target = client.capture("$ai_generation", distinct_id="after-change", properties={
        "$ai_input": "refund", "$ai_model": "gpt-4o"})
    client.flush()
    client.shutdown()
    wait_until_tagged(api, generations=before + 1)
    made = {tag["$ai_tagger_name"]: tag["$ai_tags"] for tag in tags_by_target(api)[target]}
    assert made == {"Refunds": ["changed"], "Fresh": ["fresh"]}
    status = {t["name"]: t for t in api.get(LIVE.format(project=1)).json()["taggers"]}
    assert status["Fresh"]["tagged"] == 1 and status["Half of everything"]["enabled"] is False
    assert fresh["id"] == status["Fresh"]["id"]


def test_the_live_status_needs_a_key_that_may_read_taggers(api: httpx.Client, world: World,
                                                          server: ApiServer) -> None:
    with server.client() as anonymous:
        assert anonymous.get(LIVE.format(project=1)).status_code == 401
    with server.client(world.keys["p2"]) as other:
        assert other.get(LIVE.format(project=1)).status_code == 403
        assert other.get(LIVE.format(project=2)).json()["taggers"] == []
