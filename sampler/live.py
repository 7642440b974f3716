"""Live tagging: every enabled tagger of a project runs on each `$ai_generation` captured for it,
and what it makes is stored as `$ai_tag` events, as PostHog's taggers do once saved.

    live = LiveTagger(store, registry, pool, timeout=5.0)
    live.start()                                  # picks up the work a previous run left pending
    live.capture(rows).result()                   # durable; tagging follows in the worker pool
    live.status(1)                                # per tagger: queued, tagged, skipped, failed, lag

How an event travels:

1. Capture stores it (`sampler.live_store.EventWriter`); a new generation is stored together with
   a row of pending work, so a restart finds it again.
2. After the commit it joins the lane of each tagger enabled in its project at that moment (the
   registry's `revision` says when taggers changed; a tagger saved through the API counts for the
   next event). Each tagger has its own lane, so one slow or hostile tagger holds up only itself:
   a lane keeps at most `workers - 1` batches in the pool (one worker stays free for the others)
   unless it is the only busy lane and trusted, i.e. its last batch averaged under
   `TRUSTED_EVENT_S` per event without timing out; an untrusted lane also takes small batches,
   so a `while (true) {}` tagger's timeouts show up within seconds.
3. A dispatcher thread hands each lane's events in batches to the worker pool, where the shared
   pipeline decides (conditions, rollout), runs the tagger and builds the `$ai_tag`
   (`sampler.live_worker.tag_batch`); a tagger changed or disabled meanwhile is taken as it is now.
4. The `$ai_tag` events and the end of the pending work are committed together.

Nothing is dropped silently: failures are counted per tagger and kind with PostHog's message, LLM
taggers (stored and listed, but not run by this server) are counted as `llm_tagger` skips and
logged once per tagger.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sampler.live_store import EventRow, EventWriter, pending_events
from sampler.live_worker import tag_batch
from sampler.models import Tagger
from sampler.pipeline import ErrorKind, SkipReason, TagOutcome, tagger_version
from sampler.pool import PoolBusy, TaggerPool
from sampler.registry import Registry, StoredTagger
from sampler.store import EventStore

log = logging.getLogger("sampler.live")

BATCH_SIZE = 64  # events per task handed to a worker
HARD_DEADLINE_MARGIN_S = 10.0
LAG_SAMPLES = 10_000
TRUSTED_EVENT_S = 0.1  # a tagger averaging more per event (or timing out) keeps a worker free for others
# Failures that cost little time: they do not make a tagger untrusted.
_TAGGER_FAULTS = frozenset({ErrorKind.RUNTIME_ERROR, ErrorKind.BAD_RETURN, ErrorKind.INVALID_EVENT,
                            ErrorKind.MISSING_BYTECODE, ErrorKind.EMIT_FAILED, ErrorKind.MEMORY_LIMIT})


@dataclass(frozen=True, slots=True)
class _Spec:
    """A tagger as the workers get it, at one version."""

    id: str
    project_id: int
    name: str
    tagger_type: str
    version: str
    body: dict[str, Any]


@dataclass(slots=True)
class _Pending:
    row: EventRow
    received: float  # time.time() when capture accepted it
    waiting_on: set[str]  # taggers that have not finished with it


@dataclass(slots=True)
class _TaggerStats:
    name: str
    tagger_type: str
    in_flight: int = 0
    considered: int = 0
    tagged: int = 0
    tags: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    last_error: str | None = None
    last_error_event: str | None = None
    condition_errors: int = 0
    trusted: bool = False  # its last batch ran quickly, without a timeout: it may use every worker

    def body(self, tagger_id: str, queued: int, enabled: bool) -> dict[str, Any]:
        return {"id": tagger_id, "name": self.name, "tagger_type": self.tagger_type, "enabled": enabled,
                "queued": queued, "in_flight": self.in_flight, "considered": self.considered,
                "tagged": self.tagged, "tags": self.tags, "skipped": dict(sorted(self.skipped.items())),
                "failed": dict(sorted(self.errors.items())), "last_error": self.last_error,
                "last_error_event": self.last_error_event, "condition_errors": self.condition_errors,
                "run": self.tagger_type == "hog"}


class LiveTagger:
    """Captured generations in, `$ai_tag` events out; see the module doc."""

    def __init__(self, store: EventStore, registry: Registry, pool: TaggerPool, *, timeout: float = 5.0,
                 batch_size: int = BATCH_SIZE) -> None:
        self.store = store
        self.registry = registry
        self.pool = pool
        self.timeout = timeout
        self.batch_size = batch_size
        self._lock = threading.Condition()
        self._lanes: dict[str, deque[_Pending]] = {}
        self._specs: dict[int, dict[str, _Spec]] = {}
        self._revision = -1
        self._stats: dict[str, _TaggerStats] = {}
        self._completed: deque[tuple[_Spec, list[_Pending], Future[list[TagOutcome]]]] = deque()
        self._captured: Counter[int] = Counter()
        self._generations: Counter[int] = Counter()
        self._done: Counter[int] = Counter()
        self._lags: dict[int, deque[float]] = {}
        self._llm_logged: set[str] = set()
        self._stopped = threading.Event()
        self.writer = EventWriter(store, on_commit=self._enqueue)
        self._thread = threading.Thread(target=self._dispatch_loop, name="live-tagging", daemon=True)

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> int:
        """Queue the work a previous run left pending, then start dispatching. Returns how many
        generations were pending."""
        pending = pending_events(self.store)
        by_time: dict[datetime, list[EventRow]] = {}
        for row, received in pending:
            by_time.setdefault(received, []).append(row)
        for received, rows in by_time.items():
            self._enqueue(rows, received)
        if pending:
            log.warning("live tagging: %d captured generations were still pending; tagging them now", len(pending))
        self._thread.start()
        return len(pending)

    def close(self) -> None:
        """Stop dispatching and commit what was already submitted; queued work stays pending."""
        self._stopped.set()
        with self._lock:
            self._lock.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self.writer.close()

    # -- capture ---------------------------------------------------------------------------------

    def capture(self, rows: Sequence[EventRow]) -> Future[list[EventRow]]:
        """Store captured events (durable when the future is done); generations get tagged."""
        future = self.writer.capture(rows)
        if rows:
            project = rows[0].project_id
            with self._lock:
                self._captured[project] += len(rows)
        return future

    def _enqueue(self, rows: list[EventRow], received_at: datetime) -> None:
        """Committed generations join the lanes of their project's enabled taggers (writer thread)."""
        received = received_at.timestamp()
        with self._lock:
            self._refresh_specs()
            done: list[_Pending] = []
            for row in rows:
                self._generations[row.project_id] += 1
                specs = self._specs.get(row.project_id, {})
                item = _Pending(row, received, set(specs))
                if not specs:
                    done.append(item)
                for tagger_id in specs:
                    self._lanes.setdefault(tagger_id, deque()).append(item)
            self._lock.notify_all()
        if done:
            self._finish([], done)

    # -- taggers ---------------------------------------------------------------------------------

    def _refresh_specs(self) -> None:
        """The enabled taggers of every project, prepared again when the registry changed."""
        revision = self.registry.revision
        if revision == self._revision:
            return
        specs: dict[int, dict[str, _Spec]] = {}
        for tagger in self.registry.enabled_taggers():
            spec = _spec(tagger)
            if spec is not None:
                specs.setdefault(tagger.project_id, {})[tagger.id] = spec
                stats = self._stats.setdefault(tagger.id, _TaggerStats(tagger.name, tagger.tagger_type))
                stats.name, stats.tagger_type = tagger.name, tagger.tagger_type
        self._specs, self._revision = specs, revision

    def _current(self, tagger_id: str, project_id: int) -> _Spec | None:
        return self._specs.get(project_id, {}).get(tagger_id)

    # -- dispatching -----------------------------------------------------------------------------

    def _dispatch_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                self._settle_completed()
                submitted = self._dispatch()
            except Exception:  # keep tagging; the failed batch's events stay pending
                log.exception("live tagging: dispatch failed")
                submitted = False
            with self._lock:
                if not submitted and not self._completed and not self._stopped.is_set():
                    self._lock.wait(timeout=0.5)

    def _dispatch(self) -> bool:
        """Hand every lane that may take more work a batch; whether anything was handed out."""
        submitted = False
        with self._lock:
            self._refresh_specs()
            busy = [tagger_id for tagger_id, lane in self._lanes.items() if lane]
            in_flight = sum(stats.in_flight for stats in self._stats.values())
            for tagger_id in busy:
                lane = self._lanes[tagger_id]
                stats = self._stats[tagger_id]
                # Alone and known to be quick, a lane may fill the pool; otherwise it leaves a worker free.
                alone = all(t == tagger_id or self._stats[t].in_flight == 0 for t in busy)
                cap = self.pool.capacity if alone and stats.trusted else max(1, self.pool.workers - 1)
                size = self.batch_size if stats.trusted else max(1, self.batch_size // 16)  # on probation
                while lane and stats.in_flight < cap and in_flight < self.pool.capacity:
                    batch = [lane.popleft() for _ in range(min(size, len(lane)))]
                    spec = self._current(tagger_id, batch[0].row.project_id)
                    if spec is None:  # disabled or deleted since: it no longer runs
                        self._release(tagger_id, batch)
                        continue
                    try:
                        future = self.pool.submit(
                            tag_batch, spec.body, spec.version, [item.row.as_event() for item in batch],
                            now=datetime.now(UTC), timeout=self.timeout,
                            deadline_s=(len(batch) + 1) * self.timeout + HARD_DEADLINE_MARGIN_S)
                    except PoolBusy:
                        lane.extendleft(reversed(batch))
                        return submitted
                    stats.in_flight += 1
                    in_flight += 1
                    submitted = True
                    future.add_done_callback(lambda f, s=spec, b=batch: self._completed_batch(s, b, f))
        return submitted

    def _completed_batch(self, spec: _Spec, batch: list[_Pending], future: Future[list[TagOutcome]]) -> None:
        with self._lock:
            self._completed.append((spec, batch, future))
            self._lock.notify_all()

    def _release(self, tagger_id: str, batch: list[_Pending]) -> None:
        """`tagger_id` is done with `batch` without running (called with the lock held)."""
        finished = []
        for item in batch:
            item.waiting_on.discard(tagger_id)
            if not item.waiting_on:
                finished.append(item)
        if finished:
            self._finish([], finished)

    # -- results ---------------------------------------------------------------------------------

    def _settle_completed(self) -> None:
        while True:
            with self._lock:
                if not self._completed:
                    return
                spec, batch, future = self._completed.popleft()
                self._stats[spec.id].in_flight -= 1
            outcomes = self._outcomes(spec, batch, future)
            rows: list[EventRow] = []
            with self._lock:
                stats = self._stats[spec.id]
                spent = sum(outcome.duration_s for outcome in outcomes)
                stats.trusted = spent / max(1, len(outcomes)) < TRUSTED_EVENT_S and not any(
                    outcome.error is not None and outcome.error_kind not in _TAGGER_FAULTS for outcome in outcomes)
                for item, outcome in zip(batch, outcomes, strict=True):
                    self._count(spec, stats, item, outcome)
                    if outcome.tag_event is not None:
                        rows.append(_tag_row(item.row.project_id, outcome.tag_event))
                finished = []
                for item in batch:
                    item.waiting_on.discard(spec.id)
                    if not item.waiting_on:
                        finished.append(item)
            if rows or finished:
                self._finish(rows, finished)

    def _outcomes(self, spec: _Spec, batch: list[_Pending], future: Future[list[TagOutcome]]) -> list[TagOutcome]:
        try:
            return future.result()
        except Exception as exc:  # the worker died or overran (WorkerLost): say so for each event
            message = f"Hog tagger error: {exc}"
            log.error("live tagging: tagger %s (%s) failed on a batch of %d events: %s", spec.name, spec.id,
                      len(batch), exc)
            return [TagOutcome(item.row.uuid, considered=True, error=message, error_kind=None) for item in batch]

    def _count(self, spec: _Spec, stats: _TaggerStats, item: _Pending, outcome: TagOutcome) -> None:
        stats.considered += outcome.considered
        stats.condition_errors += len(outcome.condition_errors)
        if outcome.tagged:
            stats.tagged += 1
            stats.tags += len(outcome.tags)
        elif outcome.skip_reason is not None:
            stats.skipped[outcome.skip_reason.value] += 1
            if outcome.skip_reason is SkipReason.LLM_TAGGER and spec.id not in self._llm_logged:
                self._llm_logged.add(spec.id)
                log.warning("live tagging: LLM tagger %r (%s) matched generation %s; LLM taggers are stored and "
                            "listed but not run by this server (counted as llm_tagger skips)", spec.name, spec.id,
                            item.row.uuid)
        elif outcome.error is not None:
            kind = outcome.error_kind.value if outcome.error_kind is not None else "worker_lost"
            if not stats.errors[kind]:
                log.warning("live tagging: tagger %r (%s) failed on %s: %s", spec.name, spec.id, item.row.uuid,
                            outcome.error)
            stats.errors[kind] += 1
            stats.last_error, stats.last_error_event = outcome.error, item.row.uuid

    def _finish(self, rows: list[EventRow], finished: list[_Pending]) -> None:
        keys = [item.row.key for item in finished]
        future = self.writer.finish(rows, keys)

        def committed(done: Future[list[EventRow]]) -> None:
            if done.exception() is not None:
                log.error("live tagging: could not store results (they stay pending): %s", done.exception())
                return
            now = time.time()
            with self._lock:
                for item in finished:
                    project = item.row.project_id
                    self._done[project] += 1
                    self._lags.setdefault(project, deque(maxlen=LAG_SAMPLES)).append(now - item.received)

        future.add_done_callback(committed)

    # -- status ----------------------------------------------------------------------------------

    def status(self, project_id: int) -> dict[str, Any]:
        """What live tagging did and is doing for a project (`GET .../live_tagging/`)."""
        with self._lock:
            self._refresh_specs()
            enabled = self._specs.get(project_id, {})
            ids = set(enabled) | {t.id for t in self._project_taggers(project_id) if t.id in self._stats}
            taggers = [self._stats[i].body(i, len(self._lanes.get(i, ())), i in enabled)
                       for i in sorted(ids, key=lambda i: self._stats[i].name) if i in self._stats]
            lags = sorted(self._lags.get(project_id, ()))
            queued = self._generations[project_id] - self._done[project_id]
            return {
                "captured": self._captured[project_id], "generations": self._generations[project_id],
                "tagged_generations": self._done[project_id], "pending": max(0, queued),
                "lag_seconds": {"samples": len(lags), "p50": _quantile(lags, 0.5), "p99": _quantile(lags, 0.99),
                                "max": lags[-1] if lags else None},
                "workers": self.pool.workers, "taggers": taggers,
            }

    def _project_taggers(self, project_id: int) -> list[StoredTagger]:
        page = self.registry.list_taggers(project_id)
        return page.taggers


def _spec(tagger: StoredTagger) -> _Spec | None:
    body = tagger.api_body()
    try:
        version = tagger_version(Tagger.model_validate(body))
    except Exception as exc:  # a stored tagger the pipeline refuses: say so, run nothing
        log.error("live tagging: tagger %r (%s) cannot be prepared: %s", tagger.name, tagger.id, exc)
        return None
    return _Spec(tagger.id, tagger.project_id, tagger.name, tagger.tagger_type, version, body)


def _tag_row(project_id: int, event: dict[str, Any]) -> EventRow:
    return EventRow(project_id, event["uuid"], event["event"], event["distinct_id"],
                    datetime.fromisoformat(event["timestamp"]),
                    json.dumps(event["properties"], ensure_ascii=False, separators=(",", ":")),
                    event.get("person_id"), event.get("elements_chain") or "")


def _quantile(ordered: list[float], q: float) -> float | None:
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 4)
