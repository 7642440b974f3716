"""Sampling as PostHog's test_hog does it: `$ai_generation` only, `timestamp > now - 7 days`,
newest first, at most `sample_count`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sampler.sampling import sample_events
from sampler.store import EventStore

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def event(uuid: str, age: timedelta, name: str = "$ai_generation", **props: object) -> dict:
    return {"uuid": uuid, "event": name, "distinct_id": "d", "properties": props,
            "timestamp": (NOW - age).isoformat()}


@pytest.fixture
def store(tmp_path: Path):
    rows = [
        event("g-new", timedelta(minutes=1), **{"$ai_trace_id": "t1"}),
        event("g-mid", timedelta(days=3)),
        event("g-old", timedelta(days=6, hours=23)),
        event("g-too-old", timedelta(days=7, seconds=1)),
        event("g-edge", timedelta(days=7)),  # exactly 7 days: not strictly after the bound
        event("g-future", timedelta(hours=-2)),
        event("span", timedelta(minutes=2), name="$ai_span"),
        event("pageview", timedelta(minutes=2), name="$pageview"),
        event("tie-b", timedelta(days=1)),
        event("tie-a", timedelta(days=1)),
    ]
    dump = tmp_path / "events.jsonl"
    dump.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with EventStore() as s:
        s.load([dump])
        yield s


def uuids(events) -> list[str]:
    return [e.uuid for e in events]


def test_only_recent_generations_newest_first(store: EventStore) -> None:
    got = uuids(sample_events(store, 10, now=NOW))
    # No upper bound, as in PostHog's query: a future-dated event is the newest.
    assert got == ["g-future", "g-new", "tie-a", "tie-b", "g-mid", "g-old"]


def test_sample_count_limits(store: EventStore) -> None:
    assert uuids(sample_events(store, 2, now=NOW)) == ["g-future", "g-new"]


def test_now_moves_the_window(store: EventStore) -> None:
    later = NOW + timedelta(days=5)
    assert uuids(sample_events(store, 10, now=later)) == ["g-future", "g-new", "tie-a", "tie-b"]
    assert sample_events(store, 10, now=NOW + timedelta(days=30)) == []


def test_naive_now_is_utc(store: EventStore) -> None:
    naive = NOW.replace(tzinfo=None)
    assert uuids(sample_events(store, 10, now=naive)) == uuids(sample_events(store, 10, now=NOW))


def test_other_timezones_are_converted(store: EventStore) -> None:
    tokyo = NOW.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
    assert uuids(sample_events(store, 10, now=tokyo)) == uuids(sample_events(store, 10, now=NOW))


def test_sampled_event_carries_what_the_tagger_needs(store: EventStore) -> None:
    newest = sample_events(store, 2, now=NOW)[1]
    assert newest.properties == {"$ai_trace_id": "t1"}
    assert newest.as_event_data() == {
        "uuid": "g-new", "event": "$ai_generation", "properties": {"$ai_trace_id": "t1"}, "distinct_id": "d",
    }


def test_missing_distinct_id_becomes_empty(tmp_path: Path) -> None:
    dump = tmp_path / "anon.jsonl"
    row = event("anon", timedelta(minutes=1))
    del row["distinct_id"]
    dump.write_text(json.dumps(row) + "\n")
    with EventStore() as s:
        s.load([dump])
        [sampled] = sample_events(s, 1, now=NOW)
    assert sampled.distinct_id is None
    assert sampled.as_event_data()["distinct_id"] == ""


def test_dollar_event_names_are_parameters_not_sql(store: EventStore) -> None:
    # An event name with a quote must not break (or inject into) the query.
    evil = "$ai_generation'; DROP TABLE events; --"
    from sampler import sampling

    original = sampling.SAMPLED_EVENT_TYPES
    try:
        sampling.SAMPLED_EVENT_TYPES = (evil,)
        assert sample_events(store, 10, now=NOW) == []
    finally:
        sampling.SAMPLED_EVENT_TYPES = original
    assert store.count() == 10
