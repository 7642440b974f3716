"""Batch tagging at scale: `hog-test tag` with the example topic tagger on 1,000,000 generations,
local engine, 1 worker and all workers.

    python bench/tag.py [--events 1000000] [--repeats 1] [--workdir DIR]

1. Generates a JSON Lines dump of `--events` `$ai_generation` events (a support bot's
   conversations, about 700 bytes each, over 30 days) and loads it into a DuckDB file (both reused
   from `--workdir` when already there).
2. Runs `hog-test tag examples/taggers/topics.hog --db ... --out tags.parquet --workers W` as a
   child process, for W = 1 and W = all cores, and reports wall time, events/s, the speed-up from
   1 worker to all (the reference: the same run on one worker), and the peak memory of the whole
   process tree (the command and its workers, RSS sampled every 0.1 s).
3. Runs all workers again on the newest half of the events only (`--since`), so the peak memory
   at two input sizes shows whether memory is flat in the number of events. (The final sort keeps
   up to 256 MB of rows in memory before it spills, so below about 300,000 `$ai_tag` rows a run
   uses less; both sizes here are above that.)
Each run also reports how much CPU its workers got per wall-clock second: on a shared machine a
worker gets less than a core, which caps the speed-up whatever the engine does.

Targets on a 2-core machine: speed-up >= 1.7x from 1 to 2 workers, >= 4,000 events/s with 2 workers.
On a shared machine, run with `--repeats 2` or more and read the ranges.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
TAGGER = ROOT / "examples" / "taggers" / "topics.hog"
TAGS = ROOT / "examples" / "taggers" / "topics.tags.json"
NEWEST = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SPAN = timedelta(days=30)

QUESTIONS = [
    "Can I get a refund for my annual plan?", "Why was I charged twice this month?",
    "Write SQL for users created last week", "My python script raises a traceback on import",
    "I can't log in after enabling two-factor", "How do I delete my account?",
    "Plan a 3 day trip to Lisbon with a hotel near the river", "What's the weather forecast for Oslo?",
    "The export hangs at 99% and then crashes", "Tell me a joke about databases",
    "How do I reverse a list in TypeScript?", "Where can I download my invoice with VAT?",
]
ANSWERS = ["Yes, annual plans are refundable within 14 days; I have started the refund.",
           "SELECT id, email FROM users WHERE created_at > now() - interval '7 days';",
           "I'm sorry, but I can't help with that request.", "Day 1: Alfama. Day 2: Belém. Day 3: Sintra.",
           "Tomorrow: 4°C, light rain, wind from the west."]


def generate(path: Path, count: int) -> None:
    rng = random.Random(11)
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            properties = {
                "$ai_provider": "openai", "$ai_model": rng.choice(["gpt-4o-mini", "gpt-4.1"]),
                "$ai_trace_id": str(uuid.UUID(int=rng.getrandbits(128))),
                "$ai_input": [{"role": "system", "content": "You are Acme's support assistant. Be concise."},
                              {"role": "user", "content": f"{rng.choice(QUESTIONS)} (ticket {n})"}],
                "$ai_output_choices": [{"role": "assistant", "content": rng.choice(ANSWERS)}],
                "$ai_input_tokens": rng.randrange(20, 4000), "$ai_output_tokens": rng.randrange(5, 900),
                "$ai_latency": round(rng.uniform(0.2, 8.0), 3), "$ai_http_status": 200,
                "$ai_is_error": rng.random() < 0.02, "$lib": "posthog-python",
            }
            when = NEWEST - timedelta(seconds=rng.randrange(0, int(SPAN.total_seconds())))
            row = {"uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "event": "$ai_generation",
                   "distinct_id": f"user_{n % 20000}", "properties": properties, "timestamp": when.isoformat()}
            out.write(json.dumps(row) + "\n")


def run_measured(args: list[str]) -> tuple[dict, float, float, float]:
    """(summary, wall seconds, peak MB of the process tree, CPU seconds of the command itself, CPU
    seconds of its workers) of one `hog-test` child process."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "hogtest", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)
    peak, main_cpu = 0, 0.0
    worker_cpu: dict[int, float] = {}  # pid -> CPU seconds at its last sample
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak, main_cpu
        root = psutil.Process(proc.pid)
        while not stop.wait(0.1):
            try:
                tree = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
                times = root.cpu_times()
                main_cpu = times.user + times.system
                for child in tree[1:]:
                    with contextlib.suppress(psutil.Error):
                        times = child.cpu_times()
                        worker_cpu[child.pid] = times.user + times.system
            except psutil.Error:
                continue

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    stop.set()
    sampler.join()
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"hog-test failed: {err}")
    return json.loads(out), seconds, peak / 1e6, main_cpu, sum(worker_cpu.values())


def tag(db: Path, out: Path, workers: int, *extra: str) -> tuple[dict, float, float, float, float]:
    return run_measured(["tag", str(TAGGER), "--tags-file", str(TAGS), "--db", str(db), "--out", str(out),
                         "--workers", str(workers), "--json", *extra])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "hog-tagger-bench-tag")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    cores = len(os.sched_getaffinity(0))

    dump = args.workdir / f"generations_{args.events}.jsonl"
    db = args.workdir / f"generations_{args.events}.duckdb"
    if not dump.exists():
        print(f"generating {args.events:,} generations into {dump} ...", flush=True)
        generate(dump, args.events)
    if not db.exists():
        print(f"loading into {db} ...", flush=True)
        subprocess.run([sys.executable, "-m", "hogtest", "load", str(dump), "--db", str(db)], check=True,
                       cwd=ROOT, stdout=subprocess.DEVNULL)
    print(f"dump: {dump.stat().st_size / 1e6:.0f} MB, database: {db.stat().st_size / 1e6:.0f} MB; "
          f"{cores} cores; load average {os.getloadavg()[0]:.1f} (the machine may be shared)", flush=True)

    out = args.workdir / "tags.parquet"
    half_since = (NEWEST - SPAN / 2).isoformat()
    rows: dict[str, list[tuple[float, float, int]]] = {"1": [], "all": [], "half": []}
    for repeat in range(1, args.repeats + 1):
        for label, workers, extra in (("1", 1, ()), ("all", cores, ()), ("half", cores, ("--since", half_since))):
            summary, seconds, peak_mb, main_cpu, workers_cpu = tag(db, out, workers, *extra)
            rate = summary["events"] / seconds
            rows[label].append((rate, peak_mb, summary["events"]))
            print(f"run {repeat}, {workers} worker(s){' (newest half)' if extra else ''}: "
                  f"{summary['events']:,} events in {seconds:.1f} s = {rate:,.0f} events/s "
                  f"(tagged {summary['tagged']:,}, errors {summary['errors']:,}, "
                  f"p50 {summary['time_per_event_ms']['p50']} ms, p99 {summary['time_per_event_ms']['p99']} ms); "
                  f"peak memory {peak_mb:,.0f} MB; CPU: the command {main_cpu:.0f} s, its workers {workers_cpu:.0f} s "
                  f"= {workers_cpu / seconds:.2f} of the {workers} core(s) they could use", flush=True)

    def span(values: list[float], fmt: str) -> str:
        low, high = min(values), max(values)
        return format(low, fmt) if len(values) == 1 else f"{format(low, fmt)}-{format(high, fmt)}"

    one = [r for r, _, _ in rows["1"]]
    many = [r for r, _, _ in rows["all"]]
    speedups = [b / a for a, b in zip(one, many, strict=True)]
    print()
    print(f"events/s, 1 worker:       {span(one, ',.0f')}")
    print(f"events/s, {cores} workers:      {span(many, ',.0f')}   (target >= 4,000 with 2 workers)")
    print(f"speed-up 1 -> {cores} workers:  {span(speedups, '.2f')}x   (target >= 1.7x)")
    big, small = rows["all"][0][2], rows["half"][0][2]
    print(f"peak memory, {cores} workers:   {span([m for _, m, _ in rows['all']], ',.0f')} MB on {big:,} events, "
          f"{span([m for _, m, _ in rows['half']], ',.0f')} MB on {small:,} events (flat if about equal)")
    print(f"peak memory, 1 worker:    {span([m for _, m, _ in rows['1']], ',.0f')} MB on {big:,} events")


if __name__ == "__main__":
    main()
