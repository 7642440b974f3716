"""Speed of the date, network and Hog-written (bytecode STL) functions: our VM against PostHog's
TypeScript HogVM, measured in the same run with bench/vm.py's harness.

    python bench/stl.py [--runs 7]

  dates         parse, format, add, truncate and diff datetimes in UTC and in a DST zone
  higher_order  arrayMap / arrayFilter / arrayCount / arrayReduce / arrayExists with lambdas
  semver        sortableSemver over version strings, then sorting by it
  network       isIPAddressInRange over IPv4 and IPv6 ranges
(The hash functions are left out: the TypeScript VM needs a host crypto module to run them. The
`dates` totals differ by design: luxon's dateDiff turns a calendar month into 30 days of hours,
see the known differences in tests/test_stl_dates.py.)
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
from pathlib import Path

BENCH = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_vm", BENCH / "vm.py")
assert _spec is not None and _spec.loader is not None
bench_vm = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_vm)

PROGRAMS = {
    "dates": """
        let total := 0
        let out := ''
        for (let i := 0; i < 300; i := i + 1) {
            let t := toDateTime(concat('2024-0', toString(i % 9 + 1), '-1', toString(i % 10), ' 12:34:56'))
            let local := toTimeZone(t, 'Europe/Berlin')
            out := formatDateTime(local, '%Y-%m-%d %H:%i:%S %z')
            let later := dateAdd('day', i % 40, local)
            total := total + dateDiff('hour', t, later) + toYear(later) + extract('minute', dateTrunc('hour', later))
            total := total + toUnixTimestamp(toStartOfWeek(later)) % 7
        }
        return [total, out]
    """,
    "higher_order": """
        let rows := arrayMap(i -> {'id': i, 'tokens': i * 7 % 100, 'model': if(i % 3 == 0, 'gpt', 'claude')},
                             range(200))
        let total := 0
        for (let round := 0; round < 20; round := round + 1) {
            let big := arrayFilter(r -> r.tokens > 50, rows)
            let ids := arrayMap(r -> r.id, big)
            total := total + arrayCount(r -> r.model == 'gpt', rows)
                           + arrayReduce((acc, r) -> acc + r.tokens, big, 0) + length(ids)
            if (arrayExists(r -> r.id == 199 - round, rows)) { total := total + 1 }
        }
        return total
    """,
    "semver": """
        let versions := []
        for (let i := 0; i < 150; i := i + 1) {
            versions := arrayPushBack(versions, concat('v', toString(i % 4), '.', toString(i % 17), '.', toString(i), '-beta'))
        }
        let keys := arrayMap(v -> sortableSemver(v), versions)
        let newest := keys[1]
        for (let k in keys) { if (k > newest) { newest := k } }
        return newest
    """,
    "network": """
        let ranges := ['10.0.0.0/8', '192.168.0.0/16', '172.16.0.0/12', '2001:db8::/32', 'fe80::/10']
        let hits := 0
        for (let i := 0; i < 400; i := i + 1) {
            let ip4 := concat(toString(i % 256), '.', toString(i * 7 % 256), '.1.', toString(i % 200))
            let ip6 := concat('2001:db', toString(i % 10), '::', toString(i % 9))
            for (let r in ranges) {
                if (isIPAddressInRange(ip4, r) or isIPAddressInRange(ip6, r)) { hits := hits + 1 }
            }
        }
        return hits
    """,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()
    programs = {name: bench_vm.compile_hog(source) for name, source in PROGRAMS.items()}
    node = bench_vm.NodeVM(programs)
    try:
        print(f"{'program':<14}{'ours (ms)':>12}{'node (ms)':>12}{'ours/node':>12}  result (ours / node)")
        for name, bytecode in programs.items():
            node.run(name)  # warm up both
            bench_vm.time_ours(bytecode)
            ours_times, node_times = [], []
            for _ in range(options.runs):  # interleaved, so load changes hit both VMs alike
                node_ms, node_result = node.run(name)
                ours_ms, result = bench_vm.time_ours(bytecode)
                node_times.append(node_ms)
                ours_times.append(ours_ms)
            ours_median, node_median = statistics.median(ours_times), statistics.median(node_times)
            print(f"{name:<14}{ours_median:>12.1f}{node_median:>12.1f}{ours_median / node_median:>12.2f}  "
                  f"{result!r:.30} / {node_result:.30}")
    finally:
        node.close()


if __name__ == "__main__":
    main()
