"""PostHog's TypeScript HogVM (`@posthog/hogvm` under Node.js), timed in-process, for benchmarks.

One long-lived node process holds the programs (and, for per-event runs, the events' globals);
each request runs a program once, or once per stored event, and answers the time it took inside
node (process.hrtime) and what it returned. Printed lines are collected in an array, as our VM
collects them. Regular expressions go through the same RE2-subset adapter the test oracle uses.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

NODE_DIR = Path(__file__).resolve().parent.parent / "tests" / "oracles" / "node"

NODE_SCRIPT = r"""
// Line protocol: {"programs": {...}} or {"events": [...]} to store; {"run": name, "perEvent": bool}
// to time one run (or one run per stored event) -> {"ms", "results"}.
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
let programs = {}
let events = [{}]
readline.createInterface({ input: process.stdin }).on('line', (line) => {
    const request = JSON.parse(line)
    if (request.programs) { programs = request.programs; process.stdout.write('{}\n'); return }
    if (request.events) { events = request.events; process.stdout.write('{}\n'); return }
    const bytecode = programs[request.run]
    const inputs = request.perEvent ? events : [{}]
    const results = []
    const start = process.hrtime.bigint()
    for (const globals of inputs) {
        const printed = []
        const res = hogvm.exec(bytecode, {
            globals, external, timeout: 600000,
            functions: { print: (...args) => { printed.push(args.map(String).join(' ')) } },
        })
        if (res.error) throw res.error
        results.push(res.result)
    }
    const ms = Number(process.hrtime.bigint() - start) / 1e6
    process.stdout.write(JSON.stringify({ ms, results: results.map((r) => hogvm.printHogValue(r)) }) + '\n')
})
"""


class NodeHogVM:
    """One node process running PostHog's TypeScript VM."""

    def __init__(self, programs: dict[str, list[Any]], events: list[dict[str, Any]] | None = None) -> None:
        module = str(NODE_DIR / "node_modules" / "@posthog" / "hogvm")
        self.process = subprocess.Popen(["node", "-e", NODE_SCRIPT, module], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, bufsize=1)
        self._send({"programs": programs})
        if events is not None:
            self._send({"events": events})

    def _send(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        reply = self.process.stdout.readline()
        if not reply:
            raise RuntimeError("the node process died (is @posthog/hogvm installed? npm ci --prefix tests/oracles/node)")
        return json.loads(reply)

    def run(self, name: str, per_event: bool = False) -> tuple[float, list[str]]:
        """(milliseconds, printed results) of one run of `name` (or one per stored event)."""
        reply = self._send({"run": name, "perEvent": per_event})
        return reply["ms"], reply["results"]

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)
