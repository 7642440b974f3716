"""Pick the events a tagger is tried on, as PostHog's `test_hog` endpoint does.

PostHog's query: events named `$ai_generation` with `timestamp > now() - 7 days`, newest first,
`LIMIT sample_count`. There is no upper bound on `timestamp`, so future-dated events count too.
The sample is listed with ties on `timestamp` ordered by `uuid`; which of several events tied at
the cut-off makes the sample is unspecified, as in PostHog.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sampler.store import EVENTS_TABLE, EventStore

SAMPLED_EVENT_TYPES = ("$ai_generation",)
LOOKBACK = timedelta(days=7)


# Ordering by `timestamp` alone lets DuckDB's top-N skip row groups older than the current N and
# fetch the wide `properties` column for the winners only; ties are ordered afterwards, in Python.
# Event types are bound one placeholder each: an array parameter would turn the filter into a join.
def _sample_sql(type_count: int, by_project: bool) -> str:
    placeholders = ", ".join("?" * type_count)
    project = "AND project_id = ?" if by_project else ""
    return f"""
    SELECT uuid, event, distinct_id, timestamp, properties::VARCHAR
    FROM {EVENTS_TABLE}
    WHERE event IN ({placeholders}) AND timestamp > ?::TIMESTAMPTZ {project}
    ORDER BY timestamp DESC
    LIMIT ?
    """


@dataclass(frozen=True, slots=True)
class SampledEvent:
    uuid: str
    event: str
    distinct_id: str | None
    timestamp: datetime
    properties: dict[str, Any]
    problem: str | None = None  # why the properties could not be decoded (they are then empty)

    def as_event_data(self) -> dict[str, Any]:
        """The `event_data` dict PostHog hands to `run_hog_tagger`."""
        return {
            "uuid": self.uuid,
            "event": self.event,
            "properties": self.properties,
            "distinct_id": self.distinct_id or "",
        }


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A timezone-aware UTC datetime; a naive one is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def sample_events(store: EventStore, sample_count: int, *, now: datetime | None = None,
                  project_id: int | None = None) -> list[SampledEvent]:
    """The newest `sample_count` `$ai_generation` events of the last 7 days before `now`, of one
    project when `project_id` is given (else of all of them)."""
    since = as_utc(now or utc_now()) - LOOKBACK
    by_project = [project_id] if project_id is not None else []
    with store.cursor() as cur:
        sql = _sample_sql(len(SAMPLED_EVENT_TYPES), bool(by_project))
        rows = cur.execute(sql, [*SAMPLED_EVENT_TYPES, since, *by_project, sample_count]).fetchall()
    rows.sort(key=lambda row: row[0])  # uuid, then (stable) newest first
    rows.sort(key=lambda row: row[3], reverse=True)
    return [decode_event_row(*row) for row in rows]


def decode_event_row(
    uuid: str, event: str, distinct_id: str | None, timestamp: datetime, properties: str
) -> SampledEvent:
    """A stored row (properties as JSON text) as an event; undecodable properties become `problem`."""
    try:
        return SampledEvent(uuid, event, distinct_id, timestamp, json.loads(properties))
    except RecursionError:
        # DuckDB stores JSON of any depth; Python's decoder stops near 1000 levels.
        problem = "Event properties are nested too deeply to decode"
    except ValueError as exc:
        problem = f"Event properties are not valid JSON: {exc}"
    return SampledEvent(uuid, event, distinct_id, timestamp, {}, problem)


def sampled_event_summary(store: EventStore) -> tuple[int, datetime | None]:
    """How many events of the sampled types the store holds, and the newest one's timestamp: what
    to tell a user whose 7-day window is empty."""
    placeholders = ", ".join("?" * len(SAMPLED_EVENT_TYPES))
    with store.cursor() as cur:
        row = cur.execute(
            f"SELECT count(*), max(timestamp) FROM {EVENTS_TABLE} WHERE event IN ({placeholders})",
            list(SAMPLED_EVENT_TYPES),
        ).fetchone()
    if row is None:
        return 0, None
    return int(row[0]), row[1]
