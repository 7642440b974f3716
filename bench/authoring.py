"""The authoring tools' costs, each against a reference measured in the same run.

    python bench/authoring.py [--examples 300] [--repeat 5]

1. fuzz: events per second through `fuzz_tagger` with the example topics tagger, against the same
   engine with a tagger that only returns (the cost of generating, checking and bookkeeping).
2. diff / check: events per second through `diff_taggers` (two versions) and `check_cases`,
   against `run_hog_tagger` called directly on the same events (the floor: one tagger run each).
3. pytest plugin: the time `import hogtest.pytest_plugin` adds to `import pytest`, which every
   pytest session in an environment with hog-tagger pays (target: a few milliseconds).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOPICS = (ROOT / "examples" / "taggers" / "topics.hog").read_text()


def best_of(repeat: int, run: object) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def bench_fuzz(examples: int) -> None:
    from sampler.fuzzing import fuzz_tagger
    from sampler.tagging import CompiledTagger

    rates = {}
    for label, source in (("return [] (reference)", "return []"), ("topics.hog", TOPICS)):
        tagger = CompiledTagger.from_source(source)
        start = time.perf_counter()
        report = fuzz_tagger(tagger, examples=examples, seed=1)
        elapsed = time.perf_counter() - start
        rates[label] = report.tried / elapsed
        print(f"fuzz {label:<22} {report.tried:>5} events in {elapsed:6.2f} s = {rates[label]:7.0f} events/s")
    print(f"fuzz: topics.hog runs at {rates['topics.hog'] / rates['return [] (reference)']:.2f}x the bare engine's rate")


def bench_diff_and_check(repeat: int) -> None:
    from sampler.cases import Case, check_cases
    from sampler.runner import run_hog_tagger
    from sampler.seed import packaged_events_path
    from sampler.store import EventStore
    from sampler.tagger_diff import diff_taggers
    from sampler.tagging import CompiledTagger, stored_events

    with EventStore.temporary() as store:
        store.load([packaged_events_path()])
        events = list(stored_events(store)) * 5
    tagger = CompiledTagger.from_source(TOPICS)
    tags = set(tagger.tags)
    floor = best_of(repeat, lambda: [run_hog_tagger(tagger.bytecode, e.as_event_data(), tags,
                                                    source_map=tagger.source_map) for e in events])
    diff = best_of(repeat, lambda: diff_taggers(tagger, tagger, events))
    cases = [Case(n, frozenset(), event) for n, event in enumerate(events, start=1)]
    check = best_of(repeat, lambda: check_cases(tagger, cases))
    n = len(events)
    print(f"run_hog_tagger (reference) {n} events: {n / floor:7.0f} events/s")
    print(f"diff_taggers (two runs each): {n / diff:7.0f} events/s = {diff / floor:.2f}x the reference time")
    print(f"check_cases:                  {n / check:7.0f} events/s = {check / floor:.2f}x the reference time")


def bench_plugin_import(repeat: int) -> None:
    def import_time(code: str) -> float:
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
            runs.append(time.perf_counter() - start)
        return statistics.median(runs)

    base = import_time("import pytest")
    with_plugin = import_time("import pytest, hogtest.pytest_plugin")
    print(f"import pytest: {base * 1000:.0f} ms; with the plugin: {with_plugin * 1000:.0f} ms "
          f"(+{(with_plugin - base) * 1000:.0f} ms, {with_plugin / base:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    bench_fuzz(args.examples)
    bench_diff_and_check(args.repeat)
    bench_plugin_import(args.repeat)


if __name__ == "__main__":
    main()
