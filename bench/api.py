"""The Taggers API over HTTP: latency of list, retrieve and create with concurrent clients, and of
test_hog on a 1,000,000-event store.

    python bench/api.py [--events 1000000] [--clients 8] [--requests 4000] [--runs 30] [--workdir DIR]

1. Generates a JSON Lines dump of `--events` LLM-analytics events ending now (the generator of
   bench/test_hog.py), loads it into a database (both reused from `--workdir` the same day).
2. Starts `hog-test serve` on it in its own process, creates 50 taggers, then measures p50/p99 of
   `GET .../taggers/` (one page of 50), `GET .../taggers/{id}/` and `POST .../taggers/` with
   `--clients` concurrent keep-alive clients (threads) sharing `--requests` requests each.
   Reference in the same run: `GET /_health` under the same load, the floor of HTTP + framework.
3. Measures `POST .../taggers/test_hog/` (sample_count=10) from one client, `--runs` times.
   Reference: the library's `test_hog` on the same store in-process, before the server starts.

Targets (issue 8): list p50 <= 10 ms, create p50 <= 20 ms, test_hog p50 <= 200 ms.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS_MS = {"list": 10.0, "create": 20.0, "test_hog": 200.0}


def _test_hog_bench():
    """bench/test_hog.py as a module: its event generator and its tagger."""
    spec = importlib.util.spec_from_file_location("bench_test_hog", ROOT / "bench" / "test_hog.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prepare(workdir: Path, events: int) -> Path:
    day = datetime.now(UTC).strftime("%Y%m%d")
    dump, db = workdir / f"api_events_{events}_{day}.jsonl", workdir / f"api_{events}_{day}.duckdb"
    if db.exists():
        return db
    generator = _test_hog_bench()
    if not dump.exists():
        print(f"generating {events:,} events ending now into {dump} ...", flush=True)
        generator.NOW = datetime.now(UTC)
        generator.generate(dump, events)
    print(f"loading {dump.name} into {db.name} ...", flush=True)
    started = time.perf_counter()
    generator.load_in_child(dump, db)
    print(f"  loaded in {time.perf_counter() - started:.0f} s", flush=True)
    return db


def library_test_hog(db: Path, runs: int) -> list[float]:
    from sampler import EventStore, test_hog

    tagger = _test_hog_bench().TAGGER
    with EventStore(db) as store:
        test_hog(tagger, sample_count=10, store=store)  # warm up
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            response = test_hog(tagger, sample_count=10, store=store)
            timings.append((time.perf_counter() - started) * 1000)
    assert response.results and len(response.results) == 10, response
    return timings


def new_project_and_key(db: Path) -> tuple[int, str]:
    """A fresh project for this run's taggers (the events stay in project 1), and a key for all."""
    from sampler.registry import Registry
    from sampler.store import EventStore

    with EventStore(db) as store:
        registry = Registry(store)
        project, _ = registry.ensure_project(max(p.id for p in registry.projects()) + 1, "bench")
        return project.id, registry.create_key(scopes=["*"], label="bench")[1]


class Server:
    def __init__(self, db: Path, workers: int, *extra: str) -> None:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hogtest", "serve", "--db", str(db), "--port", str(self.port), "--workers",
             str(workers), "--log-level", "warning", *extra], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/_health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise SystemExit("the server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def concurrent(url: str, key: str, clients: int, total: int, request) -> list[float]:
    """Latencies (ms) of `total` requests made by `clients` threads, each with its own connection."""
    timings: list[float] = []
    lock = threading.Lock()
    share = [total // clients + (1 if n < total % clients else 0) for n in range(clients)]
    start = threading.Barrier(clients)

    def run(count: int) -> None:
        mine = []
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60) as client:
            request(client)  # connect and warm up outside the measurement
            start.wait()
            for _ in range(count):
                began = time.perf_counter()
                response = request(client)
                mine.append((time.perf_counter() - began) * 1000)
                assert response.status_code < 300, response.text
        with lock:
            timings.extend(mine)

    threads = [threading.Thread(target=run, args=(n,)) for n in share]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(name: str, timings: list[float], reference: list[float] | None = None, label: str = "") -> None:
    p50, p99 = statistics.median(timings), percentile(timings, 0.99)
    line = f"{name:<10} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  ({len(timings)} requests)"
    if name in TARGETS_MS:
        verdict = "meets" if p50 <= TARGETS_MS[name] else "MISSES"
        line += f"  target p50 <= {TARGETS_MS[name]:g} ms: {verdict}"
    if reference:
        line += f"  ratio to {label} p50 {p50 / statistics.median(reference):.2f}"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "hog-tagger-bench")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)

    db = prepare(args.workdir, args.events)
    in_process = library_test_hog(db, args.runs)
    project, key = new_project_and_key(db)
    server = Server(db, args.workers)
    try:
        base = f"/api/environments/{project}/taggers/"
        body = {"name": "bench", "tagger_type": "hog",
                "tagger_config": {"source": _test_hog_bench().TAGGER, "tags": [{"name": "billing"}]}}
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=60) as api:
            seeded = [api.post(base, json={**body, "name": f"seed {n}"}).json()["id"] for n in range(50)]
            page = api.get(base).json()
        tagger_id = seeded[0]
        print(f"server {server.url}, {args.workers} tagger workers, {args.clients} concurrent clients; "
              f"list pages hold {len(page['results'])} taggers", flush=True)

        health = concurrent(server.url, key, args.clients, args.requests, lambda c: c.get("/_health"))
        report("health", health)
        report("list", concurrent(server.url, key, args.clients, args.requests, lambda c: c.get(base)),
               health, "health")
        report("retrieve", concurrent(server.url, key, args.clients, args.requests,
                                      lambda c: c.get(f"{base}{tagger_id}/")), health, "health")
        report("create", concurrent(server.url, key, args.clients, args.requests // 4,
                                    lambda c: c.post(base, json=body)), health, "health")

        test_hog_body = {"source": _test_hog_bench().TAGGER, "sample_count": 10, "tags": [{"name": "billing"}]}
        events_project = "/api/environments/1/taggers/test_hog/"
        over_http = concurrent(server.url, key, 1, args.runs, lambda c: c.post(events_project, json=test_hog_body))
        report("test_hog", over_http, in_process, "in-process test_hog")
        report("library", in_process)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
