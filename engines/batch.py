"""The batch function every engine maps over its input: a batch of events in, a batch of `$ai_tag`
rows and the batch's outcome counts out. A plain, picklable callable with no I/O, so it is tested
without Ray, run by the local engine's worker processes, and held by Ray Data's actors alike.

    >>> tag = BatchTagger(prepare_tagger(tagger_json, require_enabled=False))
    >>> result = tag(pa.table({...}))        # or {"uuid": [...], ...}, or {"text": [json lines]}
    >>> result.rows                          # pyarrow Table in STAGED_SCHEMA, in batch order
    >>> result.stats.tagged, result.stats.errors

Per row: events outside the time window are counted and dropped; events this tagger version has
already tagged (`done`, for `--resume`) are counted and dropped; every other row goes through the
shared tagging pipeline (`PreparedTagger`), whose outcome is counted and whose `$ai_tag` event, if
any, becomes a row. Nothing in a row can stop the batch: an unreadable row is an error like any
other.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import pyarrow as pa

from engines.events import UnreadableRow, event_time, events_in
from engines.rows import tag_row, tag_table
from engines.stats import UNREADABLE_ROW, TagStats
from sampler.pipeline import ErrorKind, PreparedTagger, TagOutcome

Batch = pa.Table | pa.RecordBatch | Mapping[str, Sequence[Any]]


@dataclass(frozen=True, slots=True)
class EventWindow:
    """`since <= timestamp < until`; either end open when None. Events whose time cannot be read
    are inside (the pipeline then reports them as invalid)."""

    since: datetime | None = None
    until: datetime | None = None

    def contains(self, timestamp: Any) -> bool:
        if self.since is None and self.until is None:
            return True
        moment = event_time(timestamp)
        if moment is None:
            return True
        return (self.since is None or moment >= self.since) and (self.until is None or moment < self.until)


@dataclass(frozen=True, slots=True)
class BatchResult:
    rows: pa.Table  # `$ai_tag` rows in STAGED_SCHEMA (the output's columns and the target's project)
    stats: TagStats


@dataclass(frozen=True, slots=True)
class BatchTagger:
    """`tag_batch` with its options bound: what worker processes and Ray actors hold."""

    tagger: PreparedTagger
    window: EventWindow = field(default_factory=EventWindow)
    done: Collection[str] = frozenset()  # target uuids already tagged by this tagger version
    now: datetime | None = None

    def __call__(self, batch: Batch) -> BatchResult:
        return tag_batch(self.tagger, batch, window=self.window, done=self.done, now=self.now)


def tag_batch(
    tagger: PreparedTagger,
    batch: Batch,
    *,
    window: EventWindow | None = None,
    done: Collection[str] = frozenset(),
    now: datetime | None = None,
) -> BatchResult:
    """Tag every event of `batch` with `tagger` (see the module docstring)."""
    window = window or EventWindow()
    stats = TagStats()
    rows = []
    for event in events_in(batch):
        if isinstance(event, UnreadableRow):
            stats.events += 1
            stats.add_error(UNREADABLE_ROW, event.excerpt, event.problem)
            continue
        if not window.contains(event.get("timestamp")):
            stats.outside_window += 1
            continue
        if done and event.get("uuid") in done:
            stats.resumed += 1
            continue
        outcome = tagger(event, now=now)
        if outcome.tag_event is not None:
            try:
                rows.append(tag_row(outcome.tag_event, event.get("project_id")))
            except UnicodeEncodeError:
                outcome = _unwritable(outcome)
        stats.add(outcome)
    return BatchResult(tag_table(rows), stats)


def _unwritable(outcome: TagOutcome) -> TagOutcome:
    return replace(outcome, tagged=False, tag_event=None, error_kind=ErrorKind.INVALID_EVENT,
                   error="Invalid event: its text holds a lone surrogate (\\ud800-\\udfff), which no output can store")
