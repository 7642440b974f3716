"""The tagger worker pool the API runs test_hog in (and the live pipeline will reuse): bounded
admission, back-pressure, and recovery from a worker that has to be killed."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from sampler.api import answer_test_hog
from sampler.pool import PoolBusy, TaggerPool, WorkerLost
from sampler.sampling import SampledEvent

EVENT = SampledEvent("e1", "$ai_generation", "d", datetime.now(UTC), {"$ai_input": "hi", "$ai_trace_id": "t"})


@pytest.fixture(scope="module")
def pool() -> Iterator[TaggerPool]:
    with TaggerPool(2, queue=1, retry_after_s=3) as pool:
        pool.warm_up()
        yield pool


def test_runs_taggers_in_other_processes(pool: TaggerPool) -> None:
    status, body = pool.submit(answer_test_hog, "return [f'{event.uuid}']", [EVENT], set(), deadline_s=30).result()
    assert (status, body["results"][0]["tags"]) == (200, ["e1"])
    assert pool.submit(os.getpid, deadline_s=30).result() != os.getpid()


def test_admits_workers_plus_queue_then_refuses(pool: TaggerPool) -> None:
    running = [pool.submit(time.sleep, 0.5, deadline_s=30) for _ in range(3)]  # 2 workers + 1 waiting
    with pytest.raises(PoolBusy) as busy:
        pool.submit(time.sleep, 0, deadline_s=30)
    assert (busy.value.capacity, busy.value.retry_after) == (3, 3)
    # With back-pressure a submitter waits for a place instead.
    started = time.monotonic()
    waited = pool.submit(time.sleep, 0, deadline_s=30, block=True, wait_s=10)
    assert time.monotonic() - started > 0.3
    for future in [*running, waited]:
        future.result(timeout=10)
    assert pool.in_flight == 0


def test_a_task_past_its_hard_deadline_is_killed_and_the_pool_recovers(pool: TaggerPool) -> None:
    stuck = pool.submit(time.sleep, 30, deadline_s=0.5)
    started = time.monotonic()
    with pytest.raises(WorkerLost):
        stuck.result(timeout=20)
    assert time.monotonic() - started < 5
    status, body = pool.submit(answer_test_hog, "return ['back']", [EVENT], set(), deadline_s=30).result()
    assert (status, body["results"][0]["tags"]) == (200, ["back"])
    assert pool.in_flight == 0


def test_a_worker_that_dies_costs_its_task_only(pool: TaggerPool) -> None:
    dead = pool.submit(os._exit, 3, deadline_s=30)
    with pytest.raises(WorkerLost):
        dead.result(timeout=20)
    assert pool.submit(os.getpid, deadline_s=30).result(timeout=20) > 0


def test_hostile_tagger_is_stopped_by_the_vm_limit(pool: TaggerPool) -> None:
    status, body = pool.submit(answer_test_hog, "while (true) {}", [EVENT], set(), timeout=0.3, deadline_s=30).result()
    # The worker compiles with a source map, so the error says where the tagger was stopped.
    assert (status, body["results"][0]["error"]) == (200, "Execution timed out (0.3s limit exceeded) (line 1, column 1)")
