"""Speed of our HogVM, both tiers, against PostHog's TypeScript HogVM, measured in the same run.

    python bench/vm.py [--runs 9]

Three programs, compiled once with our compiler and run unchanged on every VM:
  fib        recursive fib(22): calls, returns, integer arithmetic (630k instructions)
  mandelbrot a float-heavy nested loop (locals, float *, +, <, while)
  tagging    a string-heavy tagging loop: lower, regex, like, concat, position, indexOf
Each VM runs each program once untimed (V8 warms up its JIT; we fill the decode cache and compile
tier 2, whose one-off cost is printed apart), then `--runs` timed times, interleaved so that load on
the (shared) machine hits all alike. Node times `exec` in-process with hrtime inside one long-lived
node process (bench/node_hogvm.py); we time `execute_bytecode` with perf_counter. Printed: the
median and range of each, and node's time over each tier's (targets: node/tier 2 >= 3).
"""

from __future__ import annotations

import argparse
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

PROGRAMS = {
    "fib": """
        fn fib(n) {
            if (n < 2) { return n }
            return fib(n - 1) + fib(n - 2)
        }
        return fib(22)
    """,
    "mandelbrot": """
        let total := 0
        for (let y := 0; y < 24; y := y + 1) {
            for (let x := 0; x < 48; x := x + 1) {
                let cr := x / 16.0 - 2.0
                let ci := y / 12.0 - 1.0
                let zr := 0.0
                let zi := 0.0
                let i := 0
                while (i < 60 and zr * zr + zi * zi < 4.0) {
                    let t := zr * zr - zi * zi + cr
                    zi := 2.0 * zr * zi + ci
                    zr := t
                    i := i + 1
                }
                total := total + i
            }
        }
        return total
    """,
    "tagging": """
        let texts := [
            'Hello, I need help with my Billing account and an invoice from last month',
            'The API returned ERROR 500 while calling the payments endpoint, please retry',
            'Can you translate this paragraph into French? It is about the weather today',
            'Write a Python function that parses JSON and handles exceptions gracefully',
            'I am very unhappy with the support, this is the third time I ask for a refund'
        ]
        let keywords := ['refund', 'invoice', 'python', 'json', 'weather', 'error']
        let counts := {'billing': 0, 'error': 0, 'code': 0, 'translation': 0, 'complaint': 0}
        let summary := ''
        for (let round := 0; round < 60; round := round + 1) {
            for (let text in texts) {
                let low := lower(text)
                if (low =~ 'invoice|billing|refund') { counts.billing := counts.billing + 1 }
                if (text =~* 'error [0-9]+') { counts.error := counts.error + 1 }
                if (low like '%python%' or low like '%function%') { counts.code := counts.code + 1 }
                if (position(low, 'translate') > 0) { counts.translation := counts.translation + 1 }
                if (text ilike '%unhappy%') { counts.complaint := counts.complaint + 1 }
                for (let word in splitByString(' ', low)) {
                    if (indexOf(keywords, word) > 0) {
                        summary := concat(word, ':', toString(round))
                    }
                }
                let label := f'{round}-{length(text)}'
                if (label == '') { summary := '' }
            }
        }
        return [counts, summary]
    """,
}



def time_ours(bytecode: list, tier: int) -> tuple[float, str]:
    start = time.perf_counter()
    result = execute_bytecode(bytecode, timeout=600, tier=tier)
    elapsed = (time.perf_counter() - start) * 1000
    assert result.tier == tier, f"ran on tier {result.tier}"
    return elapsed, print_hog_value(result.result)


def spread(times: list[float]) -> str:
    return f"{statistics.median(times):.1f} [{min(times):.1f}-{max(times):.1f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    options = parser.parse_args()
    programs = {name: compile_hog(source) for name, source in PROGRAMS.items()}
    node = NodeHogVM(programs)
    try:
        print(f"{'program':<11}{'tier 1 ms':>22}{'tier 2 ms':>22}{'node ms':>22}{'node/t2':>9}{'node/t1':>9}"
              f"{'t2 compile':>12}")
        for name, bytecode in programs.items():
            node.run(name)  # warm up: V8's JIT, our decode cache
            time_ours(bytecode, 1)
            compile_ms, _ = time_ours(bytecode, 2)  # the first tier-2 run compiles the program
            times: dict[str, list[float]] = {"1": [], "2": [], "node": []}
            answers = set()
            for _ in range(options.runs):
                node_ms, node_results = node.run(name)
                times["node"].append(node_ms)
                answers.add(node_results[0])
                for tier in (1, 2):
                    ms, printed = time_ours(bytecode, tier)
                    times[str(tier)].append(ms)
                    answers.add(printed)
            node_median = statistics.median(times["node"])
            print(f"{name:<11}{spread(times['1']):>22}{spread(times['2']):>22}{spread(times['node']):>22}"
                  f"{node_median / statistics.median(times['2']):>9.2f}"
                  f"{node_median / statistics.median(times['1']):>9.2f}"
                  f"{compile_ms - statistics.median(times['2']):>10.1f}ms"
                  f"{'' if len(answers) == 1 else '  RESULTS DIFFER'}")
    finally:
        node.close()
    print(f"tier 2 fallbacks to tier 1: {tier2.fallbacks() or 'none'}")


if __name__ == "__main__":
    main()
