"""Per-event cost of the example taggers: both VM tiers against PostHog's TypeScript VM, same run.

    python bench/taggers.py [--rounds 7] [--taggers topics pii tool_use]

Each tagger in examples/taggers/ runs on every `$ai_generation` event of the packaged sample
events (sampler/data/events.jsonl), with the globals PostHog gives a tagger (sampler.runner), in
process and warm: the bytecode is compiled and loaded once, every VM runs all events once untimed,
then `--rounds` timed rounds interleave tier 1, tier 2 and node (bench/node_hogvm.py, the whole
loop timed inside node), so that load on the shared machine hits all alike. Printed: microseconds
per event (median and range over rounds), node's time over each tier's, and the target (topics at
most 150 us, pii and tool_use at most 40 us on tier 2). Results are compared event by event.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.node_hogvm import NodeHogVM  # noqa: E402
from hogvm import tier2  # noqa: E402
from hogvm.compiler import compile_hog  # noqa: E402
from hogvm.printing import print_hog_value  # noqa: E402
from hogvm.vm import execute_bytecode  # noqa: E402
from sampler.runner import tagger_globals  # noqa: E402

TARGETS_US = {"topics": 150, "pii": 40, "tool_use": 40}


def sample_globals() -> list[dict]:
    lines = (ROOT / "sampler" / "data" / "events.jsonl").read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines if line.strip()]
    return [tagger_globals(event, []) for event in events if event["event"] == "$ai_generation"]


def run_ours(bytecode: list, events: list[dict], tier: int) -> tuple[float, list[str]]:
    """(microseconds per event, printed results) of one pass over the events."""
    results = []
    start = time.perf_counter()
    for globals_ in events:
        result = execute_bytecode(bytecode, globals_, tier=tier)
        results.append(result)
    elapsed = time.perf_counter() - start
    assert all(result.tier == tier for result in results), "tier 2 fell back to tier 1"
    return elapsed / len(events) * 1e6, [print_hog_value(result.result) for result in results]


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} [{min(values):.1f}-{max(values):.1f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--taggers", nargs="*", default=list(TARGETS_US))
    options = parser.parse_args()
    events = sample_globals()
    programs = {name: compile_hog((ROOT / "examples" / "taggers" / f"{name}.hog").read_text(encoding="utf-8"))
                for name in options.taggers}
    node = NodeHogVM(programs, events)
    print(f"{len(events)} events; microseconds per event, median [range] over {options.rounds} rounds")
    print(f"{'tagger':<10}{'tier 1':>24}{'tier 2':>24}{'node':>24}{'node/t2':>9}{'node/t1':>9}"
          f"{'target':>9}")
    try:
        for name, bytecode in programs.items():
            run_ours(bytecode, events, 1)
            run_ours(bytecode, events, 2)
            node.run(name, per_event=True)
            times: dict[str, list[float]] = {"1": [], "2": [], "node": []}
            mismatches = 0
            for _ in range(options.rounds):
                node_ms, node_results = node.run(name, per_event=True)
                times["node"].append(node_ms * 1000 / len(events))
                for tier in (1, 2):
                    us, results = run_ours(bytecode, events, tier)
                    times[str(tier)].append(us)
                    mismatches += sum(ours != theirs for ours, theirs in zip(results, node_results, strict=True))
            tier2_median = statistics.median(times["2"])
            target = TARGETS_US.get(name)
            verdict = "" if target is None else f"{'<=' if tier2_median <= target else '>'}{target}"
            node_median = statistics.median(times["node"])
            print(f"{name:<10}{spread(times['1']):>24}{spread(times['2']):>24}{spread(times['node']):>24}"
                  f"{node_median / tier2_median:>9.2f}{node_median / statistics.median(times['1']):>9.2f}"
                  f"{verdict:>9}" + (f"  ({mismatches} results differ from node's)" if mismatches else ""))
    finally:
        node.close()
    print(f"tier 2 fallbacks to tier 1: {tier2.fallbacks() or 'none'}")


if __name__ == "__main__":
    main()
