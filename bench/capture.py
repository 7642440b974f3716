"""Capture with live tagging on: events/s accepted, and the lag from capture to `$ai_tag`.

    python bench/capture.py [--events 40000] [--batch 100] [--senders 4] [--rate 500] [--seconds 20]
                            [--store 100000] [--repeats 1] [--tagger bench/taggers/topics.hog]

Each repeat starts `hog-test serve` on a fresh database holding `--store` earlier events (so that
deduplication by uuid has a store to look in) and one enabled Hog tagger (`--tagger`, with a
condition on `$ai_model`), then:

1. Throughput: `--senders` keep-alive clients post `--events` generations (the shipped sample
   generations with fresh uuids) to `/batch/` in batches of `--batch`, posthog-python's shape and
   default batch size, as fast as the server answers. Reported: events/s answered 200 (durable),
   and, over the same wall time, how far live tagging got.
2. Lag: after the backlog is tagged, one client sends `--rate` events/s (batches of 10 every
   1/50 s) for `--seconds` to the server started again (so that its own lag figures cover this
   phase only), while another polls the events API for the `$ai_tag` events. Reported:
   capture-to-`$ai_tag` lag p50/p99, as the client sees it (send to first poll that shows it,
   100 ms polls) and as the server measures it (commit of the capture to commit of the `$ai_tag`).

Reference in the same run: the same batches posted to `/batch/` of a server with no enabled
tagger (capture alone). Targets (issue 9): >= 2,000 events/s accepted, lag p99 <= 2 s at 500 events/s.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RATE = 2000.0
TARGET_LAG_P99 = 2.0
POLL_S = 0.1
POLL_OVERLAP = timedelta(seconds=1)  # `$ai_tag` times are dispatch times: a later commit may carry an earlier one


def sample_generations() -> list[dict]:
    base = [json.loads(line) for line in (ROOT / "fixtures/events/events.jsonl").read_text().splitlines()]
    for event in base:  # some rows of the export hold their properties as JSON text; SDKs send objects
        if isinstance(event["properties"], str):
            event["properties"] = json.loads(event["properties"])
    return [e for e in base if e["event"] == "$ai_generation"]


def batches(base: list[dict], count: int, size: int) -> list[tuple[list[str], list[dict]]]:
    """`count` events in batches of (uuids, events), made before timing starts."""
    made = []
    for start in range(0, count, size):
        events = []
        for n in range(start, min(count, start + size)):
            source = base[n % len(base)]
            events.append({"event": "$ai_generation", "uuid": str(uuid.uuid4()), "distinct_id": source["distinct_id"],
                           "timestamp": datetime.now(UTC).isoformat(), "properties": source["properties"]})
        made.append(([e["uuid"] for e in events], events))
    return made


def body(token: str, events: list[dict]) -> bytes:
    return json.dumps({"api_key": token, "batch": events, "sent_at": datetime.now(UTC).isoformat()}).encode()


def prepare(directory: Path, store_events: int, tagger: Path | None) -> tuple[Path, str, str]:
    """A database with `store_events` earlier events, project 1's token, a `*` key, and the tagger."""
    from sampler.registry import Registry
    from sampler.store import EventStore
    from sampler.tagger_input import parse_tagger_body, prepare_tagger_write

    db = directory / "capture.duckdb"
    base = sample_generations()
    dump = directory / "earlier.jsonl"
    moment = datetime.now(UTC) - timedelta(days=1)
    with dump.open("w") as out:
        for n in range(store_events):
            source = base[n % len(base)]
            out.write(json.dumps({"uuid": str(uuid.uuid4()), "event": "$ai_generation",
                                  "distinct_id": source["distinct_id"], "timestamp": moment.isoformat(),
                                  "properties": source["properties"]}) + "\n")
    with EventStore(db) as store:
        if store_events:
            store.load([dump])
        registry = Registry(store)
        token = registry.project(1).api_token
        _, secret = registry.create_key(scopes=["*"], label="bench")
        if tagger is not None:
            fields = prepare_tagger_write(parse_tagger_body({
                "name": "bench", "enabled": True, "tagger_type": "hog",
                "tagger_config": {"source": tagger.read_text()},
                "conditions": [{"id": "gpt", "rollout_percentage": 100, "properties": [
                    {"key": "$ai_model", "value": "gpt", "operator": "icontains", "type": "event"}]},
                    {"id": "rest", "rollout_percentage": 100, "properties": []}]}, partial=False), None)
            registry.create_tagger(1, fields, created_by=None)
    dump.unlink()
    return db, token, secret


def _api_bench():
    """bench/api.py, for its `Server` (`hog-test serve` in its own process, waited for)."""
    spec = importlib.util.spec_from_file_location("bench_api", ROOT / "bench" / "api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def server_for(db: Path, workers: int, live_workers: int) -> Any:
    return _api_bench().Server(db, workers, "--live-workers", str(live_workers))


def throughput(url: str, token: str, made: list, senders: int) -> tuple[int, float]:
    """Events answered 200, and the seconds it took, with `senders` clients."""
    bodies = [body(token, events) for _, events in made]
    sizes = [len(uuids) for uuids, _ in made]
    accepted = [0] * senders
    cursor = iter(range(len(bodies)))
    lock = threading.Lock()

    def send(worker: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            while True:
                with lock:
                    index = next(cursor, None)
                if index is None:
                    return
                response = client.post("/batch/", content=bodies[index], headers={"Content-Type": "application/json"})
                if response.status_code == 200:
                    accepted[worker] += sizes[index]

    threads = [threading.Thread(target=send, args=(n,)) for n in range(senders)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(accepted), time.perf_counter() - started


def status(url: str, key: str) -> dict:
    return httpx.get(f"{url}/api/environments/1/live_tagging/", headers={"Authorization": f"Bearer {key}"},
                     timeout=30).json()


def wait_drained(url: str, key: str, timeout: float = 600.0) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if status(url, key)["pending"] == 0:
            return time.perf_counter() - started
        time.sleep(0.2)
    raise SystemExit("live tagging did not catch up")


def lag(url: str, key: str, token: str, base: list[dict], rate: float, seconds: float) -> list[float]:
    """Client-side capture-to-`$ai_tag` lags at `rate` events/s."""
    per_tick, tick = 10, 10 / rate
    made = batches(base, int(rate * seconds), per_tick)
    sent_at: dict[str, float] = {}
    seen: dict[str, float] = {}
    done = threading.Event()
    since = [datetime.now(UTC) - timedelta(seconds=1)]

    def poll() -> None:
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            while not done.is_set() or len(seen) < len(sent_at):
                page = client.get("/api/environments/1/events/", params={
                    "event": "$ai_tag", "after": since[0].isoformat(), "limit": 10_000}).json()["results"]
                now = time.perf_counter()
                for event in page:
                    seen.setdefault(event["properties"]["$ai_target_event_id"], now)
                if page:
                    since[0] = max(since[0], datetime.fromisoformat(page[0]["timestamp"]) - POLL_OVERLAP)
                if done.is_set() and time.perf_counter() - finished[0] > 30:
                    return
                time.sleep(POLL_S)

    finished = [0.0]
    poller = threading.Thread(target=poll)
    poller.start()
    with httpx.Client(base_url=url, timeout=30) as client:
        start = time.perf_counter()
        for n, (uuids, events) in enumerate(made):
            pause = start + n * tick - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            payload = body(token, events)
            moment = time.perf_counter()
            if client.post("/batch/", content=payload, headers={"Content-Type": "application/json"}).status_code == 200:
                for u in uuids:
                    sent_at[u] = moment
    finished[0] = time.perf_counter()
    done.set()
    poller.join()
    missing = [u for u in sent_at if u not in seen]
    if missing:
        print(f"  ({len(missing)} events not tagged within 30 s of the end)")
    return sorted(seen[u] - sent_at[u] for u in sent_at if u in seen)


def percentile(samples: list[float], q: float) -> float:
    return samples[min(len(samples) - 1, int(q * len(samples)))] if samples else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=40_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--store", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=1, help="test_hog workers (idle here)")
    parser.add_argument("--live-workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--tagger", type=Path, default=ROOT / "bench/taggers/topics.hog")
    args = parser.parse_args()
    base = sample_generations()
    print(f"{os.cpu_count()} cores; {args.events} events in batches of {args.batch} from {args.senders} senders; "
          f"store of {args.store} earlier events; tagger {args.tagger.name}; {args.live_workers} live workers")
    rates, references, lags_client, lags_server = [], [], [], []
    for repeat in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="bench-capture-") as scratch:
            for tagged in (False, True):
                directory = Path(scratch) / ("tagged" if tagged else "plain")
                directory.mkdir()
                db, token, key = prepare(directory, args.store, args.tagger if tagged else None)
                server = server_for(db, args.workers, args.live_workers)
                try:
                    made = batches(base, args.events, args.batch)
                    accepted, seconds = throughput(server.url, token, made, args.senders)
                    rate = accepted / seconds
                    if not tagged:
                        references.append(rate)
                        print(f"[{repeat + 1}] capture alone (no tagger): {rate:,.0f} events/s accepted")
                        continue
                    during = status(server.url, key)["tagged_generations"]
                    drained = wait_drained(server.url, key)
                    rates.append(rate)
                    print(f"[{repeat + 1}] capture with live tagging: {rate:,.0f} events/s accepted "
                          f"({accepted} in {seconds:.1f} s); tagged meanwhile: {during}, backlog tagged "
                          f"{drained:.1f} s later ({accepted / (seconds + drained):,.0f} events/s tagged overall)")
                finally:
                    server.stop()
                server = server_for(db, args.workers, args.live_workers)
                try:
                    lags = lag(server.url, key, token, base, args.rate, args.seconds)
                    server_lag = status(server.url, key)["lag_seconds"]
                finally:
                    server.stop()
                lags_client.append((percentile(lags, 0.5), percentile(lags, 0.99)))
                lags_server.append((server_lag["p50"], server_lag["p99"]))
                print(f"[{repeat + 1}] lag at {args.rate:.0f} events/s over {args.seconds:.0f} s: client "
                      f"p50 {percentile(lags, 0.5):.3f} s, p99 {percentile(lags, 0.99):.3f} s ({len(lags)} events); "
                      f"server p50 {server_lag['p50']:.3f} s, p99 {server_lag['p99']:.3f} s "
                      f"({server_lag['samples']} events)")
    print()
    print(f"accepted with live tagging: {min(rates):,.0f}-{max(rates):,.0f} events/s "
          f"(median {statistics.median(rates):,.0f}; target >= {TARGET_RATE:,.0f}); capture alone "
          f"{min(references):,.0f}-{max(references):,.0f} events/s; ratio {statistics.median(rates) / statistics.median(references):.2f}")
    p99s = [p99 for _, p99 in lags_client]
    print(f"lag at {args.rate:.0f} events/s, client-side: p50 {min(p for p, _ in lags_client):.3f}-"
          f"{max(p for p, _ in lags_client):.3f} s, p99 {min(p99s):.3f}-{max(p99s):.3f} s "
          f"(target p99 <= {TARGET_LAG_P99} s)")
    server_p99s = [p99 for _, p99 in lags_server]
    print(f"lag at {args.rate:.0f} events/s, server-side: p50 {min(p for p, _ in lags_server):.3f}-"
          f"{max(p for p, _ in lags_server):.3f} s, p99 {min(server_p99s):.3f}-{max(server_p99s):.3f} s")


if __name__ == "__main__":
    main()
