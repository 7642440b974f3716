"""Writes of live ingestion: captured events, the `$ai_tag` events tagging makes, and the work
still owed to the taggers, each durable before anyone is told it happened.

    writer = EventWriter(store)
    new = writer.capture(1, rows).result()        # committed; the rows that were new to the store
    writer.finish(tag_rows, done=[(1, uuid)]).result()

One thread writes. Everything submitted while it commits waits and goes into the next commit
together (group commit: one fsync for many requests). Rows are inserted with one statement per
commit, deduplicated by `(project_id, uuid)` against the store and within the commit (the first
wins), so a capture repeated by a retrying SDK adds nothing.

Pending work is a table, `live_pending`: a new `$ai_generation` gets its row in the transaction
that stores it, and loses it in the transaction that stores what its taggers made. A server killed
at any moment restarts with exactly the generations that still need tagging (`pending_events`).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sampler.errors import StoreError
from sampler.store import EVENTS_TABLE, EventStore, transaction

PENDING_TABLE = "live_pending"
AI_GENERATION = "$ai_generation"
MAX_ROWS_PER_COMMIT = 20_000

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {PENDING_TABLE} (
    project_id INTEGER NOT NULL,
    uuid VARCHAR NOT NULL,
    received_at TIMESTAMPTZ NOT NULL
)
"""

_INSERT = f"""
INSERT INTO {EVENTS_TABLE} BY NAME
SELECT * FROM (
    SELECT unnest(?::VARCHAR[]) AS uuid, unnest(?::VARCHAR[]) AS event, unnest(?::VARCHAR[]) AS distinct_id,
           unnest(?::TIMESTAMPTZ[]) AS timestamp, unnest(?::VARCHAR[])::JSON AS properties,
           unnest(?::VARCHAR[]) AS person_id, unnest(?::VARCHAR[]) AS elements_chain,
           unnest(?::INTEGER[]) AS project_id
) AS s
WHERE NOT EXISTS (SELECT 1 FROM {EVENTS_TABLE} AS e WHERE e.project_id = s.project_id AND e.uuid = s.uuid)
RETURNING project_id, uuid
"""
_ADD_PENDING = (f"INSERT INTO {PENDING_TABLE} SELECT unnest(?::INTEGER[]), unnest(?::VARCHAR[]), "
                f"unnest(?::TIMESTAMPTZ[])")
_DROP_PENDING = (f"DELETE FROM {PENDING_TABLE} USING (SELECT unnest(?::INTEGER[]) AS p, unnest(?::VARCHAR[]) AS u) "
                 f"AS d WHERE {PENDING_TABLE}.project_id = d.p AND {PENDING_TABLE}.uuid = d.u")


@dataclass(frozen=True, slots=True)
class EventRow:
    """An event in the store's columns; `properties` is JSON text."""

    project_id: int
    uuid: str
    event: str
    distinct_id: str | None
    timestamp: datetime
    properties: str
    person_id: str | None = None
    elements_chain: str = ""

    @property
    def key(self) -> tuple[int, str]:
        return self.project_id, self.uuid

    def as_event(self) -> dict[str, Any]:
        """The mapping the tagging pipeline reads."""
        return {"uuid": self.uuid, "event": self.event, "distinct_id": self.distinct_id,
                "timestamp": self.timestamp, "properties": self.properties, "person_id": self.person_id,
                "elements_chain": self.elements_chain}


@dataclass(slots=True)
class _Job:
    rows: list[EventRow]
    done: list[tuple[int, str]] = field(default_factory=list)  # pending work to drop
    track: bool = False  # new generations become pending work
    received_at: datetime | None = None
    future: Future[list[EventRow]] = field(default_factory=Future)


_STOP = object()


class EventWriter:
    """The one writer of live events. `on_commit(new_generations)` is called (in the writer thread)
    after each commit that stored new `$ai_generation` events as pending work."""

    def __init__(self, store: EventStore, *, on_commit: Callable[[list[EventRow], datetime], None] | None = None
                 ) -> None:
        self.store = store
        self.on_commit = on_commit
        with store.cursor() as cur:
            cur.execute(_SCHEMA)
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="live-event-writer", daemon=True)
        self._thread.start()

    # -- use -------------------------------------------------------------------------------------

    def capture(self, rows: Sequence[EventRow], *, received_at: datetime | None = None) -> Future[list[EventRow]]:
        """Store captured events; new generations become pending work. The future gives the rows
        that were new (the others were in the store already) once they are committed."""
        return self._submit(_Job(list(rows), track=True, received_at=received_at or datetime.now(UTC)))

    def finish(self, rows: Sequence[EventRow], done: Iterable[tuple[int, str]]) -> Future[list[EventRow]]:
        """Store what tagging made and drop the pending work it completes, in one transaction."""
        return self._submit(_Job(list(rows), done=list(done)))

    def _submit(self, job: _Job) -> Future[list[EventRow]]:
        if self._closed:
            raise StoreError("the event writer is closed")
        self._jobs.put(job)
        return job.future

    def close(self, timeout: float = 30.0) -> None:
        """Commit what was submitted, then stop. Closing twice is harmless."""
        if self._closed:
            return
        self._closed = True
        self._jobs.put(_STOP)
        self._thread.join(timeout)

    # -- the writer thread -----------------------------------------------------------------------

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._jobs.get()
            if first is _STOP:
                return
            batch, rows = [first], len(first.rows)
            while rows < MAX_ROWS_PER_COMMIT:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is _STOP:
                    stopping = True
                    break
                batch.append(job)
                rows += len(job.rows)
            self._commit(batch)

    def _commit(self, batch: list[_Job]) -> None:
        try:
            results = self._transaction(batch)
        except Exception as exc:
            if len(batch) > 1:  # one bad job must not fail the others: each alone
                for job in batch:
                    self._commit([job])
                return
            batch[0].future.set_exception(exc)
            return
        generations: list[EventRow] = []
        for job, new in zip(batch, results, strict=True):
            if job.track:
                generations.extend(row for row in new if row.event == AI_GENERATION)
            job.future.set_result(new)
        if generations and self.on_commit is not None:
            received = min(job.received_at for job in batch if job.received_at is not None)
            try:
                self.on_commit(generations, received)
            except Exception:  # the work is stored as pending; a restart picks it up
                import logging

                logging.getLogger("sampler.live").exception("could not queue captured generations for tagging")

    def _transaction(self, batch: list[_Job]) -> list[list[EventRow]]:
        """Insert every job's rows (first of each key wins), add and drop pending work; per job, the
        rows that were new."""
        owners: dict[tuple[int, str], int] = {}
        rows: list[EventRow] = []
        for number, job in enumerate(batch):
            for row in job.rows:
                if row.key not in owners:
                    owners[row.key] = number
                    rows.append(row)
        done = [key for job in batch for key in job.done]
        with self.store.cursor() as cur, transaction(cur):
            inserted = set(map(tuple, cur.execute(_INSERT, _columns(rows)).fetchall())) if rows else set()
            new: list[list[EventRow]] = [[] for _ in batch]
            for row in rows:
                if row.key in inserted:
                    new[owners[row.key]].append(row)
            pending = [(row, job.received_at) for job, made in zip(batch, new, strict=True) if job.track
                       for row in made if row.event == AI_GENERATION]
            if pending:
                cur.execute(_ADD_PENDING, [[row.project_id for row, _ in pending], [row.uuid for row, _ in pending],
                                           [when for _, when in pending]])
            if done:
                cur.execute(_DROP_PENDING, [[p for p, _ in done], [u for _, u in done]])
        return new


def _columns(rows: list[EventRow]) -> list[list[Any]]:
    return [[r.uuid for r in rows], [r.event for r in rows], [r.distinct_id for r in rows],
            [r.timestamp for r in rows], [r.properties for r in rows], [r.person_id for r in rows],
            [r.elements_chain for r in rows], [r.project_id for r in rows]]


def pending_events(store: EventStore) -> list[tuple[EventRow, datetime]]:
    """The generations still owed to their taggers, oldest first, with when they were received."""
    with store.cursor() as cur:
        cur.execute(_SCHEMA)
        found = cur.execute(f"""
            SELECT p.project_id, p.uuid, e.event, e.distinct_id, e.timestamp, e.properties::VARCHAR, e.person_id,
                   coalesce(e.elements_chain, ''), p.received_at
            FROM {PENDING_TABLE} p JOIN {EVENTS_TABLE} e ON e.project_id = p.project_id AND e.uuid = p.uuid
            ORDER BY p.received_at, p.uuid
        """).fetchall()
    return [(EventRow(*row[:8]), row[8]) for row in found]


def pending_count(store: EventStore) -> int:
    with store.cursor() as cur:
        row = cur.execute(f"SELECT count(*) FROM {PENDING_TABLE}").fetchone()
    return int(row[0]) if row else 0
