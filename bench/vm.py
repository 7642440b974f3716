"""Speed of our HogVM against PostHog's TypeScript HogVM, measured in the same run.

    python bench/vm.py [--runs 7]

Three programs, compiled once with our compiler and run unchanged on both VMs:
  fib        recursive fib(22): calls, returns, integer arithmetic (630k instructions)
  mandelbrot a float-heavy nested loop (locals, float *, +, <, while)
  tagging    a string-heavy tagging loop: lower, regex, like, concat, position, indexOf
Each VM runs each program once untimed (V8 warms up its JIT, we fill the decode cache), then
`--runs` timed times, alternating between the VMs so that load on the machine hits both alike.
Node times `exec` in-process with hrtime inside one long-lived node process; we time
`execute_bytecode` with perf_counter. Medians and the ratio ours/node are printed. The Node VM
gets the same RE2-subset regex adapter the test oracle uses.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hogvm.compiler import compile_hog  # noqa: E402
from hogvm.vm import execute_bytecode  # noqa: E402

NODE_DIR = ROOT / "tests" / "oracles" / "node"

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

NODE_SCRIPT = r"""
// Line protocol: first line {programs}, then one program name per line -> one timing per line.
const hogvm = require(process.argv[1])
const readline = require('readline')
function toRegExp(pattern) {
    let flags = ''
    const m = /^\(\?([a-z]+)\)/.exec(pattern)
    if (m) { flags = m[1].replace(/[^ims]/g, ''); pattern = pattern.slice(m[0].length) }
    return new RegExp(pattern, flags)
}
const external = { regex: {
    match: (re, s) => toRegExp(re).test(s),
    extract: (re, s) => { const m = toRegExp(re).exec(s); return m ? (m.length > 1 ? (m[1] ?? '') : m[0]) : '' },
} }
let programs = null
readline.createInterface({ input: process.stdin }).on('line', (line) => {
    if (programs === null) { programs = JSON.parse(line); process.stdout.write('"ready"\n'); return }
    const start = process.hrtime.bigint()
    const res = hogvm.exec(programs[line], { external, timeout: 600000, functions: { print: () => null } })
    const ms = Number(process.hrtime.bigint() - start) / 1e6
    if (res.error) throw res.error
    process.stdout.write(JSON.stringify({ ms, result: hogvm.printHogValue(res.result) }) + '\n')
})
"""


class NodeVM:
    """One node process running PostHog's TS VM, timing one `exec` per request."""

    def __init__(self, programs: dict[str, list]) -> None:
        module = str(NODE_DIR / "node_modules" / "@posthog" / "hogvm")
        self.process = subprocess.Popen(["node", "-e", NODE_SCRIPT, module], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, bufsize=1)
        self._send(json.dumps(programs))

    def _send(self, line: str) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        reply = self.process.stdout.readline()
        if not reply:
            raise RuntimeError("the node process died (is @posthog/hogvm installed?)")
        return reply

    def run(self, name: str) -> tuple[float, str]:
        reply = json.loads(self._send(name))
        return reply["ms"], reply["result"]

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)


def time_ours(bytecode: list) -> tuple[float, object]:
    start = time.perf_counter()
    result = execute_bytecode(bytecode, timeout=600).result
    return (time.perf_counter() - start) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()
    programs = {name: compile_hog(source) for name, source in PROGRAMS.items()}
    node = NodeVM(programs)
    try:
        print(f"{'program':<12}{'ours (ms)':>12}{'node (ms)':>12}{'ours/node':>12}  result (ours / node)")
        for name, bytecode in programs.items():
            node.run(name)  # warm up: V8's JIT, our decode cache
            time_ours(bytecode)
            ours_times, node_times = [], []
            for _ in range(options.runs):  # interleaved, so load changes hit both VMs alike
                node_ms, node_result = node.run(name)
                ours_ms, result = time_ours(bytecode)
                node_times.append(node_ms)
                ours_times.append(ours_ms)
            ours_median = statistics.median(ours_times)
            node_median = statistics.median(node_times)
            print(f"{name:<12}{ours_median:>12.1f}{node_median:>12.1f}{ours_median / node_median:>12.2f}  "
                  f"{result!r:.36} / {node_result:.36}")
    finally:
        node.close()


if __name__ == "__main__":
    main()
