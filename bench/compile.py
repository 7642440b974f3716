"""How fast Hog taggers compile, and how long `import hogvm` takes.

Run: python bench/compile.py [--repeat N]

For each program in bench/taggers/ it prints the median milliseconds of our parse, our compile
(AST -> bytecode) and the two together (`compile_hog`; and `compile_hog_with_warnings`, which also
lints and records each opcode's source position), next to the reference measured in the same
run: PostHog's C++ parser (`hogql-parser`) parsing the same source, which is only the first half
of PostHog's pipeline (its compiler is Python on top). Then the start-up cost of a fresh
`python -c "import hogvm"` against `python -c "pass"`.

Times are CPU time of this process (and of the child interpreters), not wall-clock time, so a
busy shared machine does not inflate them.

Targets (from the project brief): compile_hog of the 25-line tagger <= 2 ms; import <= 150 ms.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grammar import parse_program  # noqa: E402
from hogvm.compiler import compile_hog, compile_hog_with_warnings, compile_program  # noqa: E402
from sampler.runner import TAGGER_GLOBAL_NAMES  # noqa: E402

TAGGERS = ROOT / "bench" / "taggers"
TARGET_25_LINE_MS = 2.0
TARGET_IMPORT_MS = 150.0


def median_ms(fn: Callable[[Any], object], arg: Any, repeat: int) -> float:
    fn(arg)  # warm up (parse tables, caches)
    samples = []
    for _ in range(repeat):
        start = time.process_time()
        fn(arg)
        samples.append((time.process_time() - start) * 1000)
    return statistics.median(samples)


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def posthog_parser() -> Callable[[str], object] | None:
    try:
        from tests.oracles.hogql_parser_oracle import _install_posthog_stub

        _install_posthog_stub()
        import hogql_parser
    except ImportError:
        return None
    return hogql_parser.parse_program_json


def process_ms(code: str, repeat: int, pycache: str) -> float:
    """Median CPU time of a fresh interpreter running `code`, with warm .pyc caches as an
    installed package has them (kept outside the repository, whatever PYTHONDONTWRITEBYTECODE says)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = pycache
    command = [sys.executable, "-c", code]
    subprocess.run(command, cwd=ROOT, env=env, check=True)  # writes the caches
    samples = []
    for _ in range(repeat):
        start = children_cpu_seconds()
        subprocess.run(command, cwd=ROOT, env=env, check=True)
        samples.append((children_cpu_seconds() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=300, help="timed runs per measurement")
    parser.add_argument("--import-repeat", type=int, default=15, help="fresh interpreters per import timing")
    args = parser.parse_args()
    reference = posthog_parser()

    totals: list[float] = []
    for path in sorted(TAGGERS.glob("*.hog")):
        source = path.read_text()
        lines = len(source.splitlines())
        program = parse_program(source)
        parse = median_ms(parse_program, source, args.repeat)
        compile_only = median_ms(compile_program, program, args.repeat)
        total = median_ms(compile_hog, source, args.repeat)
        detailed = median_ms(lambda s: compile_hog_with_warnings(s, globals=TAGGER_GLOBAL_NAMES), source, args.repeat)
        totals.append(total)
        line = (f"{path.name:<14} {lines:>3} lines: parse {parse:.3f} ms + compile {compile_only:.3f} ms"
                f" = compile_hog {total:.3f} ms; with warnings and source map {detailed:.3f} ms"
                f" ({detailed / total:.2f}x)")
        if reference is not None:
            theirs = median_ms(reference, source, max(10, args.repeat // 10))
            line += f" | hogql-parser parse alone {theirs:.3f} ms, ratio ours/theirs {total / theirs:.3f}"
        if lines == 25:
            verdict = "meets" if total <= TARGET_25_LINE_MS else "MISSES"
            line += f" | {verdict} the {TARGET_25_LINE_MS:g} ms target for a 25-line tagger"
        print(line)
    print(f"median compile_hog over {len(totals)} taggers: {statistics.median(totals):.3f} ms")

    with tempfile.TemporaryDirectory(prefix="hog-bench-pycache-") as pycache:
        bare = process_ms("pass", args.import_repeat, pycache)
        with_hogvm = process_ms("import hogvm", args.import_repeat, pycache)
        compiler = process_ms("import hogvm.compiler", args.import_repeat, pycache)
        full = process_ms("import hogvm; hogvm.compile_hog('return 1')", args.import_repeat, pycache)
    verdict = "meets" if with_hogvm <= TARGET_IMPORT_MS else "MISSES"
    print(f"python -c 'import hogvm': {with_hogvm:.1f} ms (bare interpreter {bare:.1f} ms, import itself "
          f"{with_hogvm - bare:.1f} ms) | {verdict} the {TARGET_IMPORT_MS:g} ms target")
    print(f"python -c 'import hogvm.compiler': {compiler:.1f} ms")
    print(f"python -c 'import hogvm; hogvm.compile_hog(...)' (loads parser and compiler): {full:.1f} ms")


if __name__ == "__main__":
    main()
