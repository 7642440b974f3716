"""One batch-tagging run, from its options to its summary, on either engine.

    >>> summary = run_job(TagJob(tagger=tagger_json, events=("dump.jsonl",), out=Path("tags.parquet")))
    >>> summary.stats.tagged, summary.as_dict()

The run prepares the tagger (as live tagging does, but enabled or not: a batch run is how a team
tries a tagger before enabling it), opens the sink (which, with `resume`, says which events this
tagger version has already tagged), runs the engine, then writes the sorted output.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from engines.batch import BatchTagger, EventWindow
from engines.local import default_workers, run_local
from engines.output import TaggerIdentity, TagSink
from engines.sources import DatabaseSource, DumpSource
from engines.stats import TagStats
from sampler.errors import SamplerError
from sampler.pipeline import PreparedTagger, prepare_tagger
from sampler.store import EventStore

ENGINES = ("local", "ray")
# (position reached, total or None, unit of both, counts so far)
ProgressCallback = Callable[[int, int | None, str, TagStats], None]


class JobError(SamplerError):
    """Options that cannot make a run (a clear one-line message)."""


@dataclass(frozen=True, slots=True)
class TagJob:
    tagger: Mapping[str, Any]  # the Taggers API's shape
    events: Sequence[str | Path] = ()  # dumps or directories of them (for Ray also URIs); else `store`
    out: Path | None = None  # .parquet or .jsonl
    into_db: bool = False  # store the `$ai_tag` events in the database they came from
    workers: int | None = None  # default: every core (local), the cluster's CPUs (Ray)
    engine: str = "local"
    address: str | None = None  # a Ray cluster to join
    window: EventWindow = field(default_factory=EventWindow)
    project: int | None = None
    resume: bool = False
    now: datetime | None = None  # stamps every `$ai_tag` (default: each generation's own time)


@dataclass(slots=True)
class TagSummary:
    tagger: PreparedTagger
    engine: str
    workers: int
    stats: TagStats
    seconds: float
    out: Path | None = None
    rows: int = 0
    database: Path | None = None
    added_to_db: int = 0

    def as_dict(self) -> dict[str, Any]:
        looked_at = self.stats.events + self.stats.resumed + self.stats.outside_window
        return {
            "tagger": {"id": self.tagger.id, "name": self.tagger.name, "type": self.tagger.tagger_type.value,
                       "version": self.tagger.version},
            "engine": self.engine,
            "workers": self.workers,
            **self.stats.as_dict(),
            "seconds": round(self.seconds, 3),
            "events_per_second": round(looked_at / self.seconds, 1) if self.seconds > 0 else None,
            "output": None if self.out is None else {"path": str(self.out), "rows": self.rows},
            "database": None if self.database is None else {"path": str(self.database), "added": self.added_to_db},
        }


def run_job(job: TagJob, *, store: EventStore | None = None, progress: ProgressCallback | None = None) -> TagSummary:
    """Run `job`. Events come from `job.events` (dumps), else from `store` (an open database)."""
    if job.engine not in ENGINES:
        raise JobError(f"unknown engine {job.engine!r}; choose one of {', '.join(ENGINES)}")
    if job.events and job.into_db:
        raise JobError("--into-db stores the $ai_tag events in the database they were read from: use --db")
    if not job.events and store is None:
        raise JobError("no events: give dumps or a database")
    if job.workers is not None and job.workers < 1:
        raise JobError("--workers must be at least 1")
    if job.engine == "ray" and not job.events:
        raise JobError("the Ray engine reads dumps (--events, Parquet or JSON Lines, paths or URIs); "
                       "tag a database with --engine local")
    if job.project is not None and job.events:
        raise JobError("--project selects the events of a database; dumps have no project")

    tagger = prepare_tagger(job.tagger, require_enabled=False)
    identity = TaggerIdentity(tagger.id, tagger.version)
    sink = TagSink(identity, out=job.out, into=store if job.into_db else None, resume=job.resume, project=job.project)
    started = time.perf_counter()
    done = sink.open()
    batch_tagger = BatchTagger(tagger, window=job.window, done=frozenset(done), now=job.now)

    if job.engine == "ray":
        from engines.ray_engine import run_ray

        stats, workers = run_ray(job.events, batch_tagger, sink, workers=job.workers, address=job.address,
                                 progress=progress)
    else:
        workers = job.workers or default_workers()
        source: DumpSource | DatabaseSource
        if job.events:
            source = DumpSource(job.events)
        else:
            assert store is not None
            source = DatabaseSource(store, job.window, project=job.project)
        total = source.total()

        def report(position: int, counts: TagStats) -> None:
            if progress is not None:
                progress(position, total, source.unit, counts)

        stats = run_local(source.chunks(), batch_tagger, sink, workers=workers, progress=report)
    report_ = sink.finish()
    return TagSummary(tagger=tagger, engine=job.engine, workers=workers, stats=stats,
                      seconds=time.perf_counter() - started, out=job.out, rows=report_.rows,
                      database=(store.path if job.into_db and store is not None else None),
                      added_to_db=report_.added_to_db)

