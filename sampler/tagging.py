"""Run a tagger on chosen events, as `test_hog` runs it on sampled ones.

The shared core of the authoring tools (`hog-test fuzz`, `check`, `diff`, the pytest plugin):

    >>> tagger = CompiledTagger.from_source("return ['hi']", tags=["hi"])
    >>> tagger.run(generation(input="hello", output="Hi there!"))
    {'tags': ['hi'], 'reasoning': '', 'error': None, 'posthog_divergences': []}

An event is anything `as_event` accepts: a `SampledEvent`, or a mapping in PostHog's capture or
batch-export shape (`properties` an object or a JSON string of one; `event` defaults to
`$ai_generation`). The tagger sees it exactly as it would see the same event read from a store.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sampler.runner import TaggerResult, run_hog_tagger
from sampler.sampling import SAMPLED_EVENT_TYPES, SampledEvent, decode_event_row, utc_now
from sampler.store import EVENTS_TABLE, EventStore

GENERATION = "$ai_generation"
_FETCH_BATCH = 500

if TYPE_CHECKING:
    from hogvm import CompiledHog
    from hogvm.positions import SourceMap


class EventShapeError(ValueError):
    """An event object a tool was given is not an event; the message says which field is wrong."""


@dataclass(frozen=True)
class CompiledTagger:
    """A Hog tagger ready to run: its bytecode and the configured tag names (none keeps every name).

    With its `source_map` (kept by `from_source` and `from_compiled`), a runtime error ends with
    the line and column that failed, as in `test_hog`."""

    bytecode: list[Any]
    tags: tuple[str, ...] = ()
    name: str = "<tagger>"
    source: str | None = field(default=None, repr=False)
    source_map: SourceMap | None = field(default=None, repr=False)

    @classmethod
    def from_source(cls, source: str, *, tags: Iterable[str] = (), name: str = "<tagger>") -> CompiledTagger:
        """Compile Hog source; raises `HogError` (with line and column) for a program that does not compile."""
        from hogvm import compile_hog_with_warnings

        return cls.from_compiled(compile_hog_with_warnings(source), source, tags=tags, name=name)

    @classmethod
    def from_compiled(cls, compiled: CompiledHog, source: str, *, tags: Iterable[str] = (),
                      name: str = "<tagger>") -> CompiledTagger:
        """A tagger from what `compile_hog_with_warnings` returned for `source` (its warnings are
        the caller's to show)."""
        return cls(compiled.bytecode, tuple(tags), name, source, compiled.source_map)

    def run(self, event: SampledEvent | Mapping[str, Any], *, timeout: float | None = None) -> TaggerResult:
        """Tag one event: `{tags, reasoning, error, posthog_divergences}` as `test_hog` reports it for
        the event (its own decoding problem included), never raising for what the tagger does."""
        sampled = as_event(event)
        if sampled.problem is not None:
            return {"tags": [], "reasoning": "", "error": sampled.problem, "posthog_divergences": []}
        return run_hog_tagger(self.bytecode, sampled.as_event_data(), set(self.tags), source_map=self.source_map,
                              timeout=timeout)


def as_event(value: SampledEvent | Mapping[str, Any], *, default_uuid: str = "") -> SampledEvent:
    """An event from an object in capture or export shape. Raises `EventShapeError` naming the bad field."""
    if isinstance(value, SampledEvent):
        return value
    if not isinstance(value, Mapping):
        raise EventShapeError(f"an event must be an object, got {_json_type(value)}")
    properties = value.get("properties")
    if isinstance(properties, str):
        try:
            properties = json.loads(properties)
        except ValueError:
            raise EventShapeError('"properties" is a string but not valid JSON') from None
    if not isinstance(properties, Mapping):
        raise EventShapeError(f'"properties" must be an object, got {_json_type(properties)}')
    name = value.get("event", GENERATION)
    if not isinstance(name, str) or not name:
        raise EventShapeError('"event" must be a non-empty string')
    uuid = value.get("uuid", default_uuid)
    if not isinstance(uuid, str):
        raise EventShapeError(f'"uuid" must be a string, got {_json_type(uuid)}')
    distinct_id = value.get("distinct_id")
    if distinct_id is not None and not isinstance(distinct_id, str | int):
        raise EventShapeError(f'"distinct_id" must be a string, got {_json_type(distinct_id)}')
    return SampledEvent(uuid, name, None if distinct_id is None else str(distinct_id),
                        _timestamp(value.get("timestamp")), _json_copy(dict(properties)))


def generation(
    input: Any = None,
    output: Any = None,
    properties: Mapping[str, Any] | None = None,
    *,
    uuid: str = "",
    distinct_id: str = "user",
) -> dict[str, Any]:
    """A `$ai_generation` event shaped as the posthog SDK captures an OpenAI chat call.

    Text `input`/`output` become one user message and one assistant message; lists and objects
    are stored as given. `properties` add to (or replace) the generated ones:
    `generation("hi", "hello", {"$ai_model": "gpt-4o", "$ai_is_error": True})`.
    """
    props: dict[str, Any] = {"$ai_provider": "openai", "$ai_model": "gpt-4o-mini"}
    if input is not None:
        props["$ai_input"] = [{"role": "user", "content": input}] if isinstance(input, str) else input
    if output is not None:
        props["$ai_output_choices"] = (
            [{"role": "assistant", "content": [{"type": "text", "text": output}]}] if isinstance(output, str) else output
        )
    props.update(properties or {})
    return {"uuid": uuid, "event": GENERATION, "distinct_id": distinct_id, "properties": props}


def stored_events(
    store: EventStore, *, event_types: Iterable[str] = SAMPLED_EVENT_TYPES, limit: int | None = None
) -> Iterator[SampledEvent]:
    """Every stored event of `event_types`, newest first (ties by uuid), read in batches."""
    types = list(event_types)
    placeholders = ", ".join("?" * len(types))
    sql = (
        f"SELECT uuid, event, distinct_id, timestamp, properties::VARCHAR FROM {EVENTS_TABLE} "
        f"WHERE event IN ({placeholders}) ORDER BY timestamp DESC, uuid"
        + (" LIMIT ?" if limit is not None else "")
    )
    with store.cursor() as cur:
        cur.execute(sql, [*types, *([limit] if limit is not None else [])])
        while rows := cur.fetchmany(_FETCH_BATCH):
            for row in rows:
                yield decode_event_row(*row)


def events_by_uuid(store: EventStore, uuids: Iterable[str]) -> dict[str, SampledEvent]:
    """The stored events (of any type) with these uuids; a uuid stored twice gives its newest event."""
    wanted = sorted(set(uuids))
    if not wanted:
        return {}
    placeholders = ", ".join("?" * len(wanted))
    with store.cursor() as cur:
        rows = cur.execute(
            f"SELECT uuid, event, distinct_id, timestamp, properties::VARCHAR FROM {EVENTS_TABLE} "
            f"WHERE uuid IN ({placeholders}) ORDER BY timestamp",
            wanted,
        ).fetchall()
    return {row[0]: decode_event_row(*row) for row in rows}


def _timestamp(value: Any) -> datetime:
    """An event's time; a missing one is the time it is tagged, as PostHog stamps a capture without one."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise EventShapeError(f'"timestamp" is not an ISO 8601 date-time: {value[:60]!r}') from None
    if value is None:
        return utc_now()
    raise EventShapeError(f'"timestamp" must be an ISO 8601 string, got {_json_type(value)}')


def _json_copy(properties: dict[str, Any]) -> dict[str, Any]:
    """The properties as a store gives them back: JSON types only (tuples become lists, keys strings)."""
    try:
        return json.loads(json.dumps(properties, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise EventShapeError(f'"properties" must hold JSON values only ({exc})') from None
    except RecursionError:
        raise EventShapeError('"properties" are nested too deeply') from None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
