"""The batch function, without any engine: every form of batch, what it counts, what it emits."""

from __future__ import annotations

import json
import pickle
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from engines.batch import BatchTagger, EventWindow, tag_batch
from engines.rows import STAGED_SCHEMA, TAG_COLUMNS
from engines.stats import EXAMPLES_PER_KIND, TagStats
from sampler.pipeline import prepare_tagger

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_LINES = (ROOT / "fixtures/events/events.jsonl").read_text().splitlines()
FIXTURE_EVENTS = [json.loads(line) for line in FIXTURE_LINES]
TOPICS = (ROOT / "examples/taggers/topics.hog").read_text()
TOPIC_TAGS = json.loads((ROOT / "examples/taggers/topics.tags.json").read_text())
MATCH_ALL = [{"id": "all", "rollout_percentage": 100, "properties": []}]


def topics(conditions: list[dict[str, Any]] | None = None, source: str = TOPICS) -> Any:
    return prepare_tagger({"name": "topics", "tagger_type": "hog", "tagger_config": {"source": source, "tags": TOPIC_TAGS},
                           "conditions": MATCH_ALL if conditions is None else conditions}, require_enabled=False)


def columns(events: list[dict[str, Any]]) -> dict[str, list[Any]]:
    names = ("uuid", "event", "distinct_id", "timestamp", "properties", "person_id", "elements_chain")
    return {name: [event.get(name) for event in events] for name in names}


def test_rows_are_the_pipelines_ai_tag_events_in_the_fixed_schema() -> None:
    tagger = topics()
    result = tag_batch(tagger, {"text": FIXTURE_LINES})
    expected = [o.tag_event for o in map(tagger, FIXTURE_EVENTS) if o.tagged]
    assert result.rows.schema == STAGED_SCHEMA
    assert result.rows.num_rows == len(expected) == result.stats.tagged > 0
    for row, event in zip(result.rows.to_pylist(), expected, strict=True):
        assert {**row, "properties": json.loads(row["properties"])} == {
            **{name: event[name] for name in TAG_COLUMNS}, "project_id": None}  # a dump has no project
        assert row["properties"] == json.dumps(event["properties"], ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("form", ["lines", "bytes lines", "dict of columns", "table", "record batch", "json text"])
def test_every_batch_form_gives_the_same_rows_and_counts(form: str) -> None:
    events = FIXTURE_EVENTS[:80]
    batches = {
        "lines": lambda: {"text": FIXTURE_LINES[:80]},
        "bytes lines": lambda: {"text": [line.encode() for line in FIXTURE_LINES[:80]]},
        "dict of columns": lambda: columns(events),
        "table": lambda: pa.table(columns([{**e, "properties": _text(e["properties"])} for e in events])),
        "record batch": lambda: pa.RecordBatch.from_pydict(columns(
            [{**e, "properties": _text(e["properties"]), "timestamp": datetime.fromisoformat(e["timestamp"])}
             for e in events])),
        "json text": lambda: pa.table({"text": pa.array(FIXTURE_LINES[:80], pa.large_string())}),
    }
    tagger = topics()
    reference = tag_batch(tagger, {"text": FIXTURE_LINES[:80]})
    result = tag_batch(tagger, batches[form]())
    assert result.rows.equals(reference.rows)
    assert _counts(result.stats) == _counts(reference.stats)


def test_counts_follow_the_outcomes() -> None:
    half = [{"id": "openai", "rollout_percentage": 50, "properties": [{"key": "$ai_provider", "value": "openai"}]}]
    tagger = topics(half)
    result = tag_batch(tagger, {"text": FIXTURE_LINES})
    outcomes = [tagger(event) for event in FIXTURE_EVENTS]
    stats = result.stats
    assert stats.events == len(FIXTURE_EVENTS)
    assert stats.considered == sum(o.considered for o in outcomes) < stats.events
    assert stats.matched == sum(o.matched for o in outcomes) < stats.considered
    assert stats.in_rollout == sum(o.in_rollout for o in outcomes) < stats.matched
    assert stats.tagged == result.rows.num_rows == sum(o.tagged for o in outcomes)
    assert stats.skipped == {"not_ai_generation": stats.events - stats.considered,
                             "filtered": stats.considered - stats.matched,
                             "sampling_excluded": stats.matched - stats.in_rollout}
    tags = [tag for o in outcomes for tag in o.tags]
    assert {t["name"]: t["count"] for t in stats.tag_distribution()} == {name: tags.count(name) for name in set(tags)}
    assert sum(stats.durations.values()) == stats.in_rollout


def test_a_failing_event_is_counted_and_the_batch_goes_on() -> None:
    source = "if (properties.boom) { throw Error('boom') } return ['billing']"
    events = [_generation(n, boom=n % 3 == 0) for n in range(12)]
    result = tag_batch(topics(source=source), columns(events))
    assert result.stats.tagged == result.rows.num_rows == 8
    runtime = result.stats.errors["runtime_error"]
    assert runtime.count == 4
    assert runtime.examples == sorted(e["uuid"] for e in events if e["properties"]["boom"])
    assert runtime.message.startswith("Hog tagger error: Runtime error: ")


def test_unreadable_lines_are_errors_with_excerpts() -> None:
    lines = [FIXTURE_LINES[0], "{not json", "[1, 2]", "", FIXTURE_LINES[1]]
    result = tag_batch(topics(), {"text": lines})
    unreadable = result.stats.errors["unreadable_row"]
    assert unreadable.count == 3 and result.stats.events == 5
    assert unreadable.examples == ["", "[1, 2]", "{not json"]
    assert result.stats.tagged == sum(topics()(json.loads(line)).tagged for line in (lines[0], lines[4]))


def test_error_examples_are_the_lowest_uuids_whatever_the_order() -> None:
    events = [_generation(n, bad=True) for n in range(40)]
    source = "if (properties.bad) { throw Error('bad') } return []"
    shuffled = events[:]
    random.Random(3).shuffle(shuffled)
    one = tag_batch(topics(source=source), columns(events)).stats
    merged = TagStats()
    for start in range(0, 40, 7):
        merged.merge(tag_batch(topics(source=source), columns(shuffled[start:start + 7])).stats)
    assert merged.errors["runtime_error"].samples == one.errors["runtime_error"].samples
    assert merged.errors["runtime_error"].examples == sorted(e["uuid"] for e in events)[:EXAMPLES_PER_KIND]
    assert _counts(merged) == _counts(one)


def test_window_keeps_since_inclusive_until_exclusive() -> None:
    events = [_generation(n, timestamp=f"2026-11-0{n}T00:00:00Z") for n in range(1, 6)]
    window = EventWindow(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 4, tzinfo=UTC))
    result = tag_batch(topics(), columns(events), window=window)
    targets = [json.loads(p)["$ai_target_event_id"] for p in result.rows.column("properties").to_pylist()]
    assert targets == [events[1]["uuid"], events[2]["uuid"]]
    assert (result.stats.outside_window, result.stats.events) == (3, 2)


def test_done_events_are_skipped_and_counted() -> None:
    events = [_generation(n) for n in range(6)]
    done = frozenset(e["uuid"] for e in events[:4])
    result = BatchTagger(topics(), done=done)(columns(events))
    assert (result.stats.resumed, result.stats.events, result.rows.num_rows) == (4, 2, 2)


def test_text_arrow_cannot_hold_is_an_error_not_a_crash() -> None:
    line = json.dumps(_generation(1, text="\ud800 lone surrogate"))  # json escapes it; decoding brings it back
    result = tag_batch(topics(source="print(properties.text); return ['billing']"), {"text": [line]})
    assert result.rows.num_rows == 0 and result.stats.tagged == 0
    assert result.stats.errors["invalid_event"].message.startswith("Invalid event: its text holds a lone surrogate")


def test_empty_batch_has_the_schema() -> None:
    result = tag_batch(topics(), {"text": []})
    assert result.rows.schema == STAGED_SCHEMA and result.rows.num_rows == 0


def test_batch_tagger_pickles_with_its_options() -> None:
    tagger = BatchTagger(topics(), window=EventWindow(since=datetime(2026, 1, 1, tzinfo=UTC)), done=frozenset({"x"}))
    again = pickle.loads(pickle.dumps(tagger))
    assert again.window == tagger.window and again.done == tagger.done
    assert again({"text": FIXTURE_LINES}).rows.equals(tagger({"text": FIXTURE_LINES}).rows)


def test_numeric_distinct_ids_become_text_as_in_the_store() -> None:
    event = _generation(1)
    event["distinct_id"] = 12345
    row = tag_batch(topics(), {"text": [json.dumps(event)]}).rows.to_pylist()[0]
    assert row["distinct_id"] == "12345"


def test_percentiles_read_the_histogram() -> None:
    stats = TagStats()
    for n in range(1, 101):
        stats.durations[_bucket_of(n / 1000)] += 1  # 1 ms .. 100 ms
    assert stats.percentile_ms(0.5) == pytest.approx(50, rel=0.03)
    assert stats.percentile_ms(0.99) == pytest.approx(99, rel=0.03)
    assert TagStats().percentile_ms(0.5) is None


def _text(properties: Any) -> str:
    """Properties as a JSON text column holds them (some fixture rows already hold text)."""
    return properties if isinstance(properties, str) else json.dumps(properties)


def _bucket_of(seconds: float) -> int:
    from engines.stats import _bucket

    return _bucket(seconds)


def _counts(stats: TagStats) -> dict[str, Any]:
    data = stats.as_dict()
    data.pop("time_per_event_ms")
    return data


def _generation(n: int, timestamp: str = "2026-11-01T10:00:00Z", **properties: Any) -> dict[str, Any]:
    return {"uuid": f"00000000-0000-4000-8000-{n:012d}", "event": "$ai_generation", "distinct_id": f"user_{n}",
            "timestamp": timestamp, "person_id": None, "elements_chain": None,
            "properties": {"$ai_input": "refund please", "$ai_output_choices": [], **properties}}
