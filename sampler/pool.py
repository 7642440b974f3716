"""A bounded pool of worker processes that run tagger code, away from the process that serves.

A tagger is untrusted: `while (true) {}` burns a core until the VM's timeout stops it, and a
process serving HTTP must keep answering meanwhile. So taggers run in worker processes, and the
pool admits at most `workers + queue` tasks at a time: past that, `submit` raises `PoolBusy`
(with a `retry_after` in seconds) instead of queueing without bound, or, with `block=True`, waits
for a free place (back-pressure, for a pipeline that must not drop work).

Workers receive everything they need as arguments (bytecode or source, events); they never open
the database, which DuckDB lets only one process hold. A worker that dies, or a task that
outlives its hard deadline (the VM's own limits make that a bug, not a tagger's doing), costs the
tasks of that worker generation an error; the pool replaces its processes and goes on.

    pool = TaggerPool(workers=2)
    future = pool.submit(answer_test_hog, source, events, tag_names, deadline_s=60)
    status, body = future.result()
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import select
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sampler.errors import SamplerError

# Modules every worker needs, imported once in the fork server instead of in each new worker.
_PRELOAD = ["sampler.api", "sampler.live_worker"]
WATCHDOG_INTERVAL_S = 0.25
OWNER_POLL_S = 1.0


class PoolBusy(SamplerError):
    """Every place in the pool is taken; try again in `retry_after` seconds."""

    def __init__(self, capacity: int, retry_after: int) -> None:
        super().__init__(f"all {capacity} tagger worker places are busy; retry in {retry_after} s")
        self.capacity = capacity
        self.retry_after = retry_after


class WorkerLost(SamplerError):
    """The worker running a task died or was stopped past the task's hard deadline."""


class TaggerPool:
    """`workers` processes; at most `workers + queue` tasks admitted at once."""

    def __init__(self, workers: int, *, queue: int = 0, retry_after_s: float = 5.0) -> None:
        if workers < 1:
            raise ValueError("a tagger pool needs at least one worker")
        self.workers = workers
        self.capacity = workers + max(0, queue)
        self.retry_after = max(1, math.ceil(retry_after_s))
        self._places = threading.BoundedSemaphore(self.capacity)
        self._lock = threading.Lock()
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(_PRELOAD)
        self._executor = self._new_executor()
        self._deadlines: dict[Future[Any], tuple[float, ProcessPoolExecutor]] = {}
        self._closed = threading.Event()
        self._watchdog = threading.Thread(target=self._watch, name="tagger-pool-watchdog", daemon=True)
        self._watchdog.start()

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=self._context,
                                   initializer=_exit_with, initargs=(os.getpid(),))

    # -- use ---------------------------------------------------------------------------------------

    @property
    def in_flight(self) -> int:
        with self._lock:
            return len(self._deadlines)

    def submit(self, fn: Callable[..., Any], /, *args: Any, deadline_s: float, block: bool = False,
               wait_s: float | None = None, **kwargs: Any) -> Future[Any]:
        """Run `fn(*args, **kwargs)` in a worker. `fn` and its arguments must pickle.

        Raises PoolBusy when the pool is full (after waiting up to `wait_s` with `block=True`).
        The future fails with WorkerLost if the task runs past `deadline_s` or its worker dies.
        """
        if self._closed.is_set():
            raise SamplerError("the tagger pool is closed")
        if not self._places.acquire(blocking=block, timeout=wait_s if block else None):
            raise PoolBusy(self.capacity, self.retry_after)
        try:
            executor, inner = self._submit(fn, args, kwargs)
        except BaseException:
            self._places.release()
            raise
        outer: Future[Any] = Future()
        with self._lock:
            self._deadlines[outer] = (time.monotonic() + deadline_s, executor)
        inner.add_done_callback(lambda done: self._finish(outer, done))
        return outer

    def _submit(self, fn: Callable[..., Any], args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> tuple[ProcessPoolExecutor, Future[Any]]:
        with self._lock:
            executor = self._executor
        try:
            return executor, executor.submit(fn, *args, **kwargs)
        except BrokenProcessPool:  # a worker of this generation died: start a new generation once
            executor = self._replace(executor)
            return executor, executor.submit(fn, *args, **kwargs)

    def _finish(self, outer: Future[Any], inner: Future[Any]) -> None:
        with self._lock:
            admitted = self._deadlines.pop(outer, None) is not None
        if admitted:
            self._places.release()
        if outer.done():
            return
        error = inner.exception()
        if isinstance(error, BrokenProcessPool):
            outer.set_exception(WorkerLost("the worker running this tagger stopped (it crashed, or ran past its "
                                           "hard deadline and was killed)"))
        elif error is not None:
            outer.set_exception(error)
        else:
            outer.set_result(inner.result())

    def warm_up(self, timeout_s: float = 60.0) -> None:
        """Start every worker now, so that the first requests do not pay for process start-up."""
        futures = [self._executor.submit(_pause, 0.2) for _ in range(self.workers)]
        for future in futures:
            future.result(timeout=timeout_s)

    # -- failures ----------------------------------------------------------------------------------

    def _replace(self, broken: ProcessPoolExecutor) -> ProcessPoolExecutor:
        """A new generation of workers instead of `broken` (if nobody replaced it already)."""
        with self._lock:
            if self._executor is broken and not self._closed.is_set():
                self._executor = self._new_executor()
            current = self._executor
        _kill(broken)
        return current

    def _watch(self) -> None:
        while not self._closed.wait(WATCHDOG_INTERVAL_S):
            now = time.monotonic()
            with self._lock:
                overdue = {executor for deadline, executor in self._deadlines.values() if deadline < now}
            for executor in overdue:
                self._replace(executor)

    def close(self) -> None:
        """Stop the workers (running tasks are abandoned). Closing twice is harmless."""
        self._closed.set()
        with self._lock:
            executor = self._executor
        _kill(executor)

    def __enter__(self) -> TaggerPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _kill(executor: ProcessPoolExecutor) -> None:
    # ProcessPoolExecutor cannot stop a running task (Python 3.14 adds kill_workers()); killing its
    # processes makes it fail every pending future with BrokenProcessPool, which _finish reports.
    for process in list(getattr(executor, "_processes", {}).values()):
        with contextlib.suppress(Exception):
            process.kill()
    with contextlib.suppress(Exception):
        executor.shutdown(wait=False, cancel_futures=True)


def _pause(seconds: float) -> None:
    time.sleep(seconds)


def _exit_with(owner_pid: int) -> None:
    """Worker start-up: exit when the process that owns the pool is gone, however it went (SIGKILL
    included). Idle workers wait on a queue whose ends they hold themselves, so nothing else would
    ever tell them, and they would keep the fork server alive too."""
    threading.Thread(target=_watch_owner, args=(owner_pid,), name="owner-watch", daemon=True).start()


def _watch_owner(owner_pid: int) -> None:
    try:
        handle = os.pidfd_open(owner_pid)  # Linux: readable once the process has exited
    except (AttributeError, OSError):
        handle = None
    while True:
        if handle is not None:
            if select.select([handle], [], [], OWNER_POLL_S)[0]:
                os._exit(0)
        else:
            time.sleep(OWNER_POLL_S)
            try:
                os.kill(owner_pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:
                pass
