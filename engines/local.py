"""The local engine: worker processes on this machine, all of its cores by default.

Each worker prepares the tagger once (unpickling a `PreparedTagger` prepares it) and then tags
chunks with the batch function. The main process only reads chunks, hands them out with at most
two per worker in flight (so memory stays flat however large the input), and passes the rows
that come back to the sink. Workers are spawned, not forked (the parent holds DuckDB's threads),
ignore Ctrl-C (the parent stops them), and exit on their own if the parent dies, even by SIGKILL.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

import pyarrow as pa

from engines.batch import BatchTagger
from engines.output import TagSink
from engines.sources import Chunk
from engines.stats import TagStats
from sampler.errors import SamplerError

ProgressCallback = Callable[[int, TagStats], None]  # (position reached, counts so far)
# How often a worker checks that the process that started it is still there.
_PARENT_CHECK_S = 0.5


class EngineError(SamplerError):
    """An engine could not finish the run (a worker died, the cluster went away)."""


def default_workers() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_local(chunks: Iterable[Chunk], tagger: BatchTagger, sink: TagSink, *, workers: int,
              progress: ProgressCallback | None = None) -> TagStats:
    """Tag every chunk on `workers` processes; rows go to `sink`, counts are returned."""
    stats = TagStats()
    in_flight: dict[Future[tuple[pa.Table, TagStats]], int] = {}
    reached = 0  # the furthest position of a finished chunk (chunks finish nearly in order)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=_start_worker,
                               initargs=(tagger, os.getpid()))
    try:
        def collect(block: bool) -> None:
            nonlocal reached
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED, timeout=None if block else 0)
            for future in done:
                position = in_flight.pop(future)
                rows, counts = future.result()
                sink.add(rows)
                stats.merge(counts)
                reached = max(reached, position)
            if done and progress is not None:
                progress(reached, stats)

        for chunk in chunks:
            while len(in_flight) >= 2 * workers:
                collect(block=True)
            in_flight[pool.submit(_tag_chunk, chunk.payload)] = chunk.position
            collect(block=False)
        while in_flight:
            collect(block=True)
    except BrokenProcessPool:
        raise EngineError("a worker process died (killed, or out of memory); the rows tagged so far are "
                          "staged: run again with --resume to go on from there") from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return stats


# -- in the worker processes ------------------------------------------------------------------

_tagger: BatchTagger | None = None


def _start_worker(tagger: BatchTagger, parent_pid: int) -> None:
    global _tagger
    _tagger = tagger
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), name="hog-tagger-parent-watch",
                     daemon=True).start()


def _exit_with_parent(parent_pid: int) -> None:
    # The pool's queues are shared by all workers, so a dead parent closes no pipe a worker would
    # notice: look for the parent instead.
    while os.getppid() == parent_pid:
        time.sleep(_PARENT_CHECK_S)
    os._exit(1)


def _tag_chunk(payload: pa.RecordBatch | bytes) -> tuple[pa.Table, TagStats]:
    assert _tagger is not None, "worker not started"
    if isinstance(payload, bytes):
        result = _tagger({"text": [line for line in payload.split(b"\n") if line.strip()]})
    else:
        result = _tagger(payload)
    return result.rows, result.stats
