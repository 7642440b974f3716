"""Reading events back, newest first, with PostHog's events API filters: the event name, property
filters (PostHog's JSON list, decided by the same compiled bytecode conditions use), a time window,
a distinct id.

    query = EventQuery(project_id=1, event="$ai_tag", properties=[{"key": "$ai_tagger_name", ...}])
    page = find_events(store, query)          # page.events (newest first), page.more
    event_body(page.events[0])                # one result of `GET .../events/`

Property filters are compiled once with `sampler.filters.compile_filters` and run on each
candidate event's filter globals (`sampler.conditions.filter_globals`), so a filter matches here
exactly when it would match in a tagger's condition.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sampler.conditions import filter_globals
from sampler.errors import SamplerError
from sampler.store import EVENTS_TABLE, EventStore

SCAN_CHUNK = 1000  # candidate rows read at a time when property filters decide
FILTER_TIMEOUT_S = 1.0


class EventQueryError(SamplerError):
    """A filter that cannot be used; `field` names the parameter at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class EventQuery:
    project_id: int
    event: str | None = None
    properties: Sequence[Any] = ()
    after: datetime | None = None  # strictly after
    before: datetime | None = None  # strictly before
    distinct_id: str | None = None
    limit: int = 100


@dataclass(frozen=True, slots=True)
class StoredEvent:
    uuid: str
    event: str
    distinct_id: str | None
    timestamp: datetime
    properties: dict[str, Any]
    person_id: str | None
    elements_chain: str


@dataclass(frozen=True, slots=True)
class EventPage:
    events: list[StoredEvent] = field(default_factory=list)
    more: bool = False  # events older than the last one match too


def find_events(store: EventStore, query: EventQuery) -> EventPage:
    """Up to `query.limit` matching events, newest first (ties by uuid, descending)."""
    matches = _matcher(query.properties)
    where, params = ["project_id = ?"], [query.project_id]
    for clause, value in (("event = ?", query.event), ("timestamp > ?", query.after),
                          ("timestamp < ?", query.before), ("distinct_id = ?", query.distinct_id)):
        if value is not None:
            where.append(clause)
            params.append(value)
    sql = (f"SELECT uuid, event, distinct_id, timestamp, properties::VARCHAR, person_id, elements_chain "
           f"FROM {EVENTS_TABLE} WHERE {' AND '.join(where)} ORDER BY timestamp DESC, uuid DESC LIMIT ? OFFSET ?")
    found: list[StoredEvent] = []
    offset = 0
    chunk = query.limit + 1 if matches is None else max(SCAN_CHUNK, query.limit + 1)
    with store.cursor() as cur:
        while len(found) <= query.limit:
            rows = cur.execute(sql, [*params, chunk, offset]).fetchall()
            for row in rows:
                event = _stored(row)
                if matches is None or matches(event):
                    found.append(event)
                    if len(found) > query.limit:
                        break
            if len(rows) < chunk:
                break
            offset += chunk
    return EventPage(found[:query.limit], len(found) > query.limit)


def _stored(row: Sequence[Any]) -> StoredEvent:
    uuid, event, distinct_id, timestamp, properties, person_id, chain = row
    try:
        decoded = json.loads(properties)
    except (ValueError, RecursionError):
        decoded = {}
    return StoredEvent(uuid, event, distinct_id, timestamp, decoded if isinstance(decoded, dict) else {},
                       person_id, chain or "")


def _matcher(properties: Sequence[Any]) -> Any:
    """A predicate for the property filters, or None when there are none."""
    if not properties:
        return None
    from hogvm import HogError, execute_bytecode
    from hogvm.loader import load_program
    from sampler.filters import compile_filters

    compiled = compile_filters(list(properties))
    if compiled["bytecode_error"] is not None:
        raise EventQueryError("properties", f"cannot use these property filters: {compiled['bytecode_error']}")
    program = load_program(compiled["bytecode"])

    def matches(event: StoredEvent) -> bool:
        globals_ = filter_globals({"event": event.event, "distinct_id": event.distinct_id,
                                   "properties": event.properties, "elements_chain": event.elements_chain})
        try:
            return execute_bytecode(program, globals_, timeout=FILTER_TIMEOUT_S).result is True
        except (HogError, RecursionError):
            return False

    return matches


def event_body(event: StoredEvent) -> dict[str, Any]:
    """One event as PostHog's events API lists it."""
    moment = event.timestamp if event.timestamp.tzinfo else event.timestamp.replace(tzinfo=UTC)
    return {"id": event.uuid, "distinct_id": event.distinct_id, "properties": event.properties,
            "event": event.event, "timestamp": moment.astimezone(UTC).isoformat(), "person": None,
            "elements": [], "elements_chain": event.elements_chain}
