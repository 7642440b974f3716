"""Median time to parse Hog taggers: our front end vs PostHog's C++ parser (hogql-parser).

Run: python bench/parse.py [--repeat N]. Prints one line per program with both medians and the
ratio; targets are ratios measured in the same run, never absolute timings in tests. Samples
are process CPU time (`time.process_time`), so other load on the machine does not inflate them.
Target: the 25-line tagger under 2 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grammar.parser import parse_program  # noqa: E402

CORPUS = ROOT / "tests" / "corpus" / "parse"
PROGRAMS = {"25-line tagger": CORPUS / "tagger_basic.hog", "60-line tagger": CORPUS / "tagger_long.hog"}


def median_ms(fn: Callable[[str], object], source: str, repeat: int) -> float:
    fn(source)  # warm up: the first call loads the parse table
    samples = []
    for _ in range(repeat):
        start = time.process_time()
        fn(source)
        samples.append((time.process_time() - start) * 1000)
    return statistics.median(samples)


def posthog_parser() -> Callable[[str], object] | None:
    try:
        from tests.oracles.hogql_parser_oracle import _install_posthog_stub

        _install_posthog_stub()
        import hogql_parser
    except ImportError:
        return None
    return hogql_parser.parse_program_json


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    reference = posthog_parser()
    for label, path in PROGRAMS.items():
        source = path.read_text()
        lines = len(source.splitlines())
        ours = median_ms(parse_program, source, args.repeat)
        line = f"{label} ({lines} lines): ours {ours:.3f} ms"
        if reference is not None:
            theirs = median_ms(reference, source, max(10, args.repeat // 10))
            line += f", hogql-parser {theirs:.3f} ms, ratio ours/theirs {ours / theirs:.3f}"
        print(line)


if __name__ == "__main__":
    main()
