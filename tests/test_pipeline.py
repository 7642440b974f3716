"""The tagging pipeline: which events a tagger runs on, what it emits, how it fails."""

from __future__ import annotations

import json
import pickle
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import sampler.runner
from sampler.pipeline import ErrorKind, PreparedTagger, SkipReason, TagOutcome, prepare_tagger, tagger_version

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_EVENTS = [json.loads(line) for line in (ROOT / "fixtures/events/events.jsonl").read_text().splitlines()]
TAGGER_ID = "0a4f3b5e-8d2c-4e1f-9a6b-7c8d9e0f1a2b"
MATCH_ALL = [{"id": "all", "rollout_percentage": 100, "properties": []}]


def hog_tagger(source: str = "print('checked'); return ['billing', 'unknown']", *, conditions: Any = None,
               **fields: Any) -> dict[str, Any]:
    return {"id": TAGGER_ID, "name": "Billing", "enabled": True, "tagger_type": "hog",
            "tagger_config": {"source": source, "tags": [{"name": "billing"}, {"name": "refund"}]},
            "conditions": MATCH_ALL if conditions is None else conditions, **fields}


def generation(**fields: Any) -> dict[str, Any]:
    return {"uuid": "67a2208b-075c-49a2-ae45-06d98d2cd9c4", "event": "$ai_generation", "distinct_id": "user_101",
            "timestamp": "2026-10-28T12:44:05+00:00", "person_id": "3c4d36b4-9733-5f39-bb46-261c2e14d458",
            "properties": {"$ai_model": "gpt-4o", "$ai_trace_id": "trace-1", "$ai_input": "refund please",
                           "$ai_output_choices": [{"role": "assistant", "content": "ok"}]}, **fields}


def run(tagger: dict[str, Any], event: dict[str, Any] | None = None, **options: Any) -> TagOutcome:
    return prepare_tagger(tagger, **options)(event or generation())


# -- the $ai_tag event -------------------------------------------------------------------------


def test_a_hog_tagger_emits_posthogs_ai_tag_event() -> None:
    prepared = prepare_tagger(hog_tagger())
    outcome = prepared(generation())
    assert (outcome.considered, outcome.matched, outcome.in_rollout, outcome.condition_id, outcome.tagged) == (
        True, True, True, "all", True)
    assert outcome.tags == ("billing",) and outcome.reasoning == "checked"
    assert (outcome.skip_reason, outcome.error_kind, outcome.error) == (None, None, None)
    assert outcome.tag_event == {
        "uuid": outcome.tag_event["uuid"],
        "event": "$ai_tag",
        "distinct_id": "user_101",
        "timestamp": "2026-10-28T12:44:05+00:00",
        "properties": {
            "$ai_tagger_id": TAGGER_ID,
            "$ai_tagger_name": "Billing",
            "$ai_tagger_type": "hog",
            "$ai_tags": ["billing"],
            "$ai_tag_count": 1,
            "$ai_tag_reasoning": "checked",
            "$ai_tagger_start_time": "2026-10-28T12:44:05+00:00",
            "$ai_target_event_id": "67a2208b-075c-49a2-ae45-06d98d2cd9c4",
            "$ai_target_event_type": "$ai_generation",
            "$ai_trace_id": "trace-1",
            "capture_internal": True,
        },
        "person_id": "3c4d36b4-9733-5f39-bb46-261c2e14d458",
        "elements_chain": "",
    }
    assert outcome.duration_s > 0


def test_tag_event_uuid_and_time_are_deterministic() -> None:
    first = run(hog_tagger()).tag_event
    again = prepare_tagger(hog_tagger())(generation())
    assert first == again.tag_event
    other_event = run(hog_tagger(), generation(uuid="28dfe9a3-cc06-4d15-81fc-67847a2143ec")).tag_event
    changed_source = run(hog_tagger("return 'billing'")).tag_event
    assert len({first["uuid"], other_event["uuid"], changed_source["uuid"]}) == 3
    pinned = run(hog_tagger(), version="v1").tag_event
    assert pinned["uuid"] == run(hog_tagger("return 'billing'"), version="v1").tag_event["uuid"]
    now = datetime(2027, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    stamped = prepare_tagger(hog_tagger())(generation(), now=now).tag_event
    assert stamped["timestamp"] == stamped["properties"]["$ai_tagger_start_time"] == "2027-01-02T03:04:05.678000+00:00"
    assert stamped["uuid"] == first["uuid"]


def test_timestamps_in_other_forms() -> None:
    naive = run(hog_tagger(), generation(timestamp=datetime(2026, 1, 1, 9, 30))).tag_event
    assert naive["timestamp"] == "2026-01-01T09:30:00+00:00"
    clickhouse = run(hog_tagger(), generation(timestamp="2026-01-01 09:30:00.250")).tag_event
    assert clickhouse["timestamp"] == "2026-01-01T09:30:00.250000+00:00"
    offset = run(hog_tagger(), generation(timestamp="2026-01-01T10:30:00+01:00")).tag_event
    assert offset["timestamp"] == "2026-01-01T09:30:00+00:00"


def test_returns_and_tag_whitelist() -> None:
    assert run(hog_tagger("return 'refund'")).tags == ("refund",)
    nothing = run(hog_tagger("return null"))
    assert nothing.tagged and nothing.tag_event["properties"]["$ai_tags"] == []  # PostHog emits it too
    assert nothing.tag_event["properties"]["$ai_tag_count"] == 0
    open_tagger = hog_tagger("return [input, 1]")
    open_tagger["tagger_config"]["tags"] = [{"name": "unused"}]
    assert run(open_tagger).tags == ()
    globals_seen = run(hog_tagger("return [event.uuid, event.distinct_id, properties.$ai_model]", version="g"))
    assert globals_seen.tags == ()  # none of them is a configured tag
    no_trace = run(hog_tagger(), generation(properties={"$ai_input": "x"})).tag_event
    assert no_trace["properties"]["$ai_trace_id"] is None


def test_properties_as_json_text_behave_as_objects() -> None:
    event = generation()
    as_text = generation(properties=json.dumps(event["properties"]))
    from_text, from_object = run(hog_tagger(), as_text), run(hog_tagger(), event)
    assert from_text.tagged and from_text.tag_event == from_object.tag_event


# -- which events a tagger runs on -------------------------------------------------------------


def test_only_generations_are_considered() -> None:
    outcome = run(hog_tagger(), generation(event="$ai_span"))
    assert (outcome.considered, outcome.skip_reason, outcome.tag_event) == (False, SkipReason.NOT_AI_GENERATION, None)


def test_disabled_and_deleted_taggers_run_only_when_asked() -> None:
    assert run(hog_tagger(enabled=False)).skip_reason == SkipReason.DISABLED
    assert run(hog_tagger(deleted=True)).skip_reason == SkipReason.DELETED
    assert run(hog_tagger(enabled=False), require_enabled=False).tagged


def test_a_tagger_without_conditions_runs_on_nothing() -> None:
    outcome = run(hog_tagger(conditions=[]))
    assert (outcome.considered, outcome.skip_reason, outcome.tagged) == (True, SkipReason.NO_CONDITIONS, False)


def test_filters_and_rollout_decide() -> None:
    claude = [{"id": "c", "rollout_percentage": 100, "properties": [{"key": "$ai_model", "value": "claude"}]}]
    assert run(hog_tagger(conditions=claude)).skip_reason == SkipReason.FILTERED
    sampled_out = [{"id": "s", "rollout_percentage": 13.3, "properties": []}]  # this uuid's bucket is 13.3
    outcome = run(hog_tagger(conditions=sampled_out))
    assert (outcome.matched, outcome.in_rollout, outcome.skip_reason) == (True, False, SkipReason.SAMPLING_EXCLUDED)
    person = [{"id": "p", "rollout_percentage": 100,
               "properties": [{"key": "plan", "value": "pro", "type": "person"}]}]
    assert run(hog_tagger(conditions=person), generation(person_properties='{"plan": "pro"}')).condition_id == "p"
    assert run(hog_tagger(conditions=person), generation()).skip_reason == SkipReason.FILTERED


def test_half_rollout_tags_about_half_and_exactly_the_hashed_half() -> None:
    from sampler.conditions import in_rollout

    prepared = prepare_tagger(hog_tagger("return 'billing'", conditions=[
        {"id": "half", "rollout_percentage": 50, "properties": []}]))
    events = [generation(uuid=event["uuid"]) for event in FIXTURE_EVENTS]
    tagged = {e["uuid"] for e in events if prepared(e).tagged}
    assert tagged == {e["uuid"] for e in events if in_rollout(e["uuid"], 50)}
    assert 0.4 < len(tagged) / len(events) < 0.6


def test_llm_taggers_are_decided_but_not_run() -> None:
    llm = {"id": TAGGER_ID, "name": "LLM", "enabled": True, "tagger_type": "llm",
           "tagger_config": {"prompt": "Tag it", "tags": [{"name": "billing"}]}, "conditions": MATCH_ALL}
    outcome = run(llm)
    assert (outcome.considered, outcome.matched, outcome.in_rollout, outcome.condition_id) == (True, True, True, "all")
    assert (outcome.tagged, outcome.skip_reason, outcome.tag_event, outcome.error) == (
        False, SkipReason.LLM_TAGGER, None, None)


# -- failures ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "kind", "message"), [
    ("throw Error('no way')", ErrorKind.RUNTIME_ERROR, "Hog tagger error: Runtime error: "),
    ("return unknownFunction()", ErrorKind.RUNTIME_ERROR, "Hog tagger error: Runtime error: "),
    ("return 5", ErrorKind.BAD_RETURN, "Hog tagger error: Must return a list of tag names, got int: 5"),
    ("let s := 'xxxxxxxx'; while (true) { s := s || s }", ErrorKind.MEMORY_LIMIT,
     "Hog tagger error: Memory limit exceeded"),
])
def test_failing_taggers_emit_nothing_and_say_why(source: str, kind: ErrorKind, message: str) -> None:
    outcome = run(hog_tagger(source))
    assert (outcome.in_rollout, outcome.tagged, outcome.tag_event, outcome.error_kind) == (True, False, None, kind)
    assert outcome.error.startswith(message)


def test_a_runaway_tagger_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sampler.runner, "TAGGER_TIMEOUT_S", 0.2)
    outcome = run(hog_tagger("while (true) {}"))
    assert outcome.error_kind == ErrorKind.TIMEOUT
    assert outcome.error == "Hog tagger error: Execution timed out (0.2s limit exceeded)"


def test_a_hog_tagger_without_bytecode() -> None:
    outcome = run({"name": "empty", "enabled": True, "tagger_type": "hog", "tagger_config": {},
                   "conditions": MATCH_ALL})
    assert (outcome.error_kind, outcome.error) == (ErrorKind.MISSING_BYTECODE, "Missing bytecode in tagger_config")


def test_odd_events_fail_alone() -> None:
    no_uuid = run(hog_tagger(), {k: v for k, v in generation().items() if k != "uuid"})
    assert (no_uuid.error_kind, no_uuid.event_uuid) == (ErrorKind.INVALID_EVENT, None)
    bad_json = run(hog_tagger(), generation(properties="{not json"))
    assert bad_json.matched and bad_json.error_kind == ErrorKind.INVALID_EVENT  # Node reads {} for the filters
    a_list = run(hog_tagger(), generation(properties="[1, 2]"))
    assert a_list.error == "Hog tagger error: Invalid event: properties are a JSON list, not an object"
    no_time = run(hog_tagger(), generation(timestamp="yesterday"))
    assert no_time.error_kind == ErrorKind.INVALID_EVENT
    assert prepare_tagger(hog_tagger())(generation(timestamp=None), now=datetime(2026, 1, 1, tzinfo=UTC)).tagged
    nobody = run(hog_tagger(), generation(distinct_id=None))
    assert (nobody.error_kind, nobody.tags, nobody.tag_event) == (ErrorKind.EMIT_FAILED, ("billing",), None)


def events_from_files() -> list[Any]:
    events: list[Any] = list(FIXTURE_EVENTS)
    for line in (ROOT / "fixtures/events/malformed.jsonl").read_text().splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            events.append({"event": "$ai_generation", "properties": line})
    for path in sorted((ROOT / "tests/data/reference/events").glob("*.json")):
        data = json.loads(path.read_text())
        events.extend(data if isinstance(data, list) else [data])
    return events


def test_every_fixture_and_reference_event_gets_a_consistent_outcome() -> None:
    prepared = prepare_tagger(hog_tagger(
        "let n := length(output); print(n); return if(n > 300, ['refund'], ['billing'])",
        conditions=[{"id": "openai", "rollout_percentage": 100,
                     "properties": [{"key": "$ai_provider", "value": "openai"}]},
                    {"id": "rest", "rollout_percentage": 60, "properties": [{"key": "$ai_model", "operator": "is_set"}]}]))
    outcomes = [prepared(event) for event in events_from_files()]
    assert sum(o.tagged for o in outcomes) > 50
    for outcome in outcomes:
        assert outcome.tagged == (outcome.tag_event is not None)
        assert not outcome.tagged or (outcome.in_rollout and outcome.error is None and outcome.skip_reason is None)
        assert outcome.in_rollout <= outcome.matched <= outcome.considered
        assert (outcome.error is None) == (outcome.error_kind is None)
        assert outcome.error_kind != ErrorKind.UNEXPECTED, outcome.error
        if outcome.tag_event:
            json.dumps(outcome.tag_event, allow_nan=False)


# -- preparation -------------------------------------------------------------------------------


def test_prepared_taggers_pickle_and_give_the_same_outcomes() -> None:
    prepared = prepare_tagger(hog_tagger(enabled=False), require_enabled=False, version="v7")
    copy = pickle.loads(pickle.dumps(prepared))
    assert isinstance(copy, PreparedTagger) and copy.version == "v7"
    assert copy(generation()).tag_event == prepared(generation()).tag_event


def _tag_events(chunk: list[dict[str, Any]]) -> list[Any]:
    prepared = prepare_tagger(hog_tagger("return ['billing']", conditions=[
        {"id": "half", "rollout_percentage": 50, "properties": []}]))
    return [prepared(event).tag_event for event in chunk]


def test_output_does_not_depend_on_worker_count_or_order() -> None:
    events = FIXTURE_EVENTS
    one = _tag_events(events)
    with ProcessPoolExecutor(max_workers=2) as pool:
        chunks = [events[i::3] for i in range(3)]
        parts = list(pool.map(_tag_events, chunks))
    by_target = {e["properties"]["$ai_target_event_id"]: e for part in parts for e in part if e}
    assert [e for e in one if e] == [by_target[e["properties"]["$ai_target_event_id"]] for e in one if e]
    assert json.dumps(one, sort_keys=True) == json.dumps(_tag_events(list(reversed(events)))[::-1], sort_keys=True)


def test_taggers_without_an_id_get_a_stable_one() -> None:
    anonymous = {k: v for k, v in hog_tagger().items() if k != "id"}
    first, second = prepare_tagger(anonymous), prepare_tagger(dict(anonymous))
    assert first.id == second.id != TAGGER_ID
    assert first(generation()).tag_event["properties"]["$ai_tagger_id"] == first.id


def test_version_covers_what_decides_the_output() -> None:
    from sampler.models import Tagger

    base = Tagger.model_validate(hog_tagger())
    assert tagger_version(base) == tagger_version(Tagger.model_validate(hog_tagger()))
    for change in ({"name": "Other"}, {"conditions": []}, {"tagger_config": {"source": "return 1", "tags": [
            {"name": "billing"}]}}):
        assert tagger_version(Tagger.model_validate(hog_tagger(**change) if "tagger_config" not in change else
                                                    {**hog_tagger(), **change})) != tagger_version(base)


def test_an_invalid_tagger_is_rejected_at_preparation() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        prepare_tagger(hog_tagger("return ["))


def test_stored_events_tag_exactly_as_the_dump_they_were_loaded_from() -> None:
    from sampler.store import EventStore

    columns = ("uuid", "event", "distinct_id", "timestamp", "properties", "person_id", "elements_chain")
    with EventStore() as store:
        store.load([ROOT / "fixtures/events/events.jsonl"])
        with store.cursor() as cur:
            rows = cur.execute("SELECT uuid, event, distinct_id, timestamp, properties::VARCHAR, person_id, "
                               "elements_chain FROM events").fetchall()
    stored = {row[0]: dict(zip(columns, row, strict=True)) for row in rows}
    prepared = prepare_tagger(hog_tagger("return ['billing']", conditions=[
        {"id": "openai", "rollout_percentage": 70, "properties": [{"key": "$ai_provider", "value": "openai"}]}]))
    from_dump = [prepared(event).tag_event for event in FIXTURE_EVENTS]
    from_store = [prepared(stored[event["uuid"]]).tag_event for event in FIXTURE_EVENTS]
    assert any(from_dump) and from_store == from_dump
