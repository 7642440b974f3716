"""`$ai_tag` events as rows of one fixed Arrow schema: the event store's columns, all text, with
`properties` as compact JSON text (as PostHog's batch exports carry it).

One schema everywhere (worker results, staged parts, Ray's Parquet shards, the final file) is what
lets two engines produce the same bytes. `hog-test load` reads the rows back as events.

Until the output is written, each row also carries the project of the event it tags
(`STAGED_SCHEMA`, null for dumps): `--into-db` stores every `$ai_tag` in its target's project, as
live tagging does. The output file leaves it out, as dumps carry no project.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

TAG_COLUMNS = ("uuid", "event", "distinct_id", "timestamp", "properties", "person_id", "elements_chain")
TAG_SCHEMA = pa.schema([
    pa.field("uuid", pa.string(), nullable=False),
    pa.field("event", pa.string(), nullable=False),
    pa.field("distinct_id", pa.string(), nullable=False),
    pa.field("timestamp", pa.string(), nullable=False),  # ISO 8601 in UTC, as the pipeline wrote it
    pa.field("properties", pa.string(), nullable=False),  # JSON object
    pa.field("person_id", pa.string()),
    pa.field("elements_chain", pa.string()),
])
# Worker results and staged parts: the output's columns, then the target event's project.
PROJECT_COLUMN = "project_id"
STAGED_SCHEMA = TAG_SCHEMA.append(pa.field(PROJECT_COLUMN, pa.int32()))
# The order of the output: by time, then by `$ai_tag` uuid (unique per tagger version and target).
SORT_COLUMNS = ("timestamp", "uuid")
# Where the target event's uuid is inside `properties` (DuckDB JSON path), for resuming.
TARGET_PATH = '$."$ai_target_event_id"'


def tag_row(tag_event: Mapping[str, Any], project: int | None = None) -> dict[str, Any]:
    """One `$ai_tag` event (as `PreparedTagger` builds it) as a staged row, with the project of its
    target; raises UnicodeEncodeError for text Arrow cannot hold (a lone surrogate decoded from
    `\\ud800` in the event)."""
    row = {name: tag_event.get(name) for name in TAG_COLUMNS}
    row[PROJECT_COLUMN] = project
    row["properties"] = json.dumps(tag_event["properties"], ensure_ascii=False, separators=(",", ":"))
    for name in TAG_COLUMNS:
        value = row[name]
        if isinstance(value, str):
            value.encode("utf-8")
    return row


def tag_table(rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    columns = {name: [row[name] for row in rows] for name in STAGED_SCHEMA.names}
    return pa.Table.from_pydict(columns, schema=STAGED_SCHEMA)
