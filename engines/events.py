"""Events out of a batch, whatever carried them: a pyarrow Table or RecordBatch, or a dict of
columns, with either PostHog's event columns or one `text` column of JSON Lines.

Every engine reads its input through `events_in`, so the same dump gives the same events on every
engine: a JSON line is decoded here (not by a reader that would turn `properties` into a struct
with every key of every row), a Parquet file's columns arrive as its reader typed them, and a
database row as DuckDB stores it. Values keep their form (`properties` an object or JSON text,
`timestamp` a datetime or ISO text); the pipeline reads both.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

# Ray Data's `read_text` column, and what a chunk of a JSON Lines dump is handed over as.
LINES_COLUMN = "text"
# The event fields the pipeline reads, and the event's project (a database's column, which the
# `$ai_tag` row keeps); other columns of a dump are left behind.
EVENT_FIELDS = ("uuid", "event", "distinct_id", "timestamp", "properties", "person_id", "elements_chain",
                "person_properties", "project_id")
_PROJECT_IDS = range(1, 2**31)  # as the store's INTEGER column holds them
_EXCERPT_CHARS = 80


@dataclass(frozen=True, slots=True)
class UnreadableRow:
    """A row that is not an event: a line that is not JSON, or JSON that is not an object."""

    excerpt: str
    problem: str


def events_in(batch: pa.Table | pa.RecordBatch | Mapping[str, Sequence[Any]]) -> Iterator[dict[str, Any] | UnreadableRow]:
    """The batch's rows as event dicts (or `UnreadableRow`), in batch order."""
    columns = _columns(batch)
    if LINES_COLUMN in columns and "uuid" not in columns:
        for line in columns[LINES_COLUMN]:
            yield _decode_line(line)
        return
    names = [name for name in EVENT_FIELDS if name in columns]
    for values in zip(*(columns[name] for name in names), strict=True):
        yield _event(dict(zip(names, values, strict=True)))


def _columns(batch: Any) -> dict[str, Sequence[Any]]:
    if isinstance(batch, pa.Table | pa.RecordBatch):
        wanted = [name for name in batch.column_names if name in EVENT_FIELDS or name == LINES_COLUMN]
        return {name: batch.column(name).to_pylist() for name in wanted}
    if isinstance(batch, Mapping):
        return {name: list(values) for name, values in batch.items()}
    raise TypeError(f"a batch is a pyarrow Table or RecordBatch or a dict of columns, not {type(batch).__name__}")


def _decode_line(line: Any) -> dict[str, Any] | UnreadableRow:
    try:
        value = json.loads(line)  # bytes too: JSON's own UTF-8 rules, an invalid byte is an error
    except (ValueError, TypeError, RecursionError) as exc:
        return UnreadableRow(_excerpt(line), f"not valid JSON ({str(exc).split(':', 1)[0]})")
    if not isinstance(value, dict):
        return UnreadableRow(_excerpt(line), f"an event must be a JSON object, got {type(value).__name__}")
    return _event({name: value[name] for name in EVENT_FIELDS if name in value})


def _excerpt(line: Any) -> str:
    text = line.decode("utf-8", "replace") if isinstance(line, bytes) else str(line)
    return text[:_EXCERPT_CHARS]


def _event(row: dict[str, Any]) -> dict[str, Any]:
    """Column values as the store would hold them: ids as text, numbers in `distinct_id` as text."""
    distinct_id = row.get("distinct_id")
    if isinstance(distinct_id, int | float) and not isinstance(distinct_id, bool):
        row["distinct_id"] = json.dumps(distinct_id)
    elif distinct_id is not None and not isinstance(distinct_id, str):
        row["distinct_id"] = None
    for name in ("person_id", "elements_chain"):
        value = row.get(name)
        if value is not None and not isinstance(value, str):
            row[name] = json.dumps(value) if not isinstance(value, bytes) else None
    project = row.get("project_id")
    if project is not None and not (type(project) is int and project in _PROJECT_IDS):
        row["project_id"] = None  # a dump's field of that name that no project could have
    return row


def event_time(value: Any) -> datetime | None:
    """An event's timestamp (datetime or ISO 8601 text) as an aware datetime; naive means UTC."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return None
