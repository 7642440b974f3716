"""`hog-test fuzz TAGGER`: find the events that make a tagger fail, each shrunk to a minimal one."""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path
from typing import Any, TextIO

from hogtest.errors import EXIT_FAILURE, EXIT_USAGE, CliError
from hogtest.extras import require
from hogtest.progress import TerminalProgress
from hogtest.taggers import (
    TAGGER_HELP,
    add_strict_option,
    add_tags_options,
    load_tagger,
    seconds,
    whole_number,
)
from sampler.fuzzing import DEFAULT_EXAMPLES, failure_kind
from sampler.runner import TAGGER_TIMEOUT_S


def register(commands: Any) -> None:
    fuzz = commands.add_parser(
        "fuzz", help="run a tagger on generated $ai_generation events and report the ones that break it",
        description="Generate realistic $ai_generation events (every SDK shape, plus missing, null, "
                    "wrong-typed and huge fields), run the tagger on each as test_hog does, and report "
                    "each distinct failure with a minimal event. Exit 1 when one is found.",
    )
    fuzz.add_argument("tagger", help=f"the tagger: {TAGGER_HELP}")
    add_tags_options(fuzz)
    fuzz.add_argument("--db", metavar="PATH",
                      help="where a saved tagger's id is looked up (default: the embedded default database)")
    fuzz.add_argument("--examples", default=str(DEFAULT_EXAMPLES), metavar="N",
                      help=f"events to generate (default {DEFAULT_EXAMPLES})")
    fuzz.add_argument("--seed", metavar="S", help="repeat a run exactly (default: a new random seed, shown)")
    fuzz.add_argument("--timeout", default=str(TAGGER_TIMEOUT_S), metavar="SECONDS",
                      help=f"time limit per event (default {TAGGER_TIMEOUT_S:g}, as in PostHog)")
    fuzz.add_argument("--shapes", metavar="a,b",
                      help="only these event shapes, e.g. openai_chat,gemini (a wrong name lists them all)")
    fuzz.add_argument("--well-formed", action="store_true", help="no damaged fields, only the SDK's own shapes")
    fuzz.add_argument("--save", metavar="FILE.jsonl",
                      help="write the minimal events to a dump for `hog-test run --events` or `diff --events`")
    fuzz.add_argument("--json", action="store_true", help="print the report as JSON")
    add_strict_option(fuzz)
    fuzz.set_defaults(handler=cmd_fuzz)


def cmd_fuzz(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    require("hypothesis", "Hypothesis", "hog-test fuzz")
    from sampler.fuzzing import fuzz_tagger
    from sampler.strategies import SHAPES, ai_generation_events

    args.examples = whole_number("--examples", args.examples, minimum=1)
    args.seed = None if args.seed is None else whole_number("--seed", args.seed, minimum=0)
    args.timeout = seconds("--timeout", args.timeout)
    shapes = _shapes_option(args.shapes, SHAPES)
    tagger = load_tagger(args.tagger, args, err)
    events = ai_generation_events(*shapes, mangle=not args.well_formed)
    progress = _FuzzProgress(err, args.timeout)
    try:
        report = fuzz_tagger(tagger, examples=args.examples, seed=args.seed, events=events,
                             timeout=args.timeout, on_event=progress.on_event)
    finally:
        progress.clear()

    if args.save:
        _save(Path(args.save), [failure.event for failure in report.failures])
    if args.json:
        json.dump(_as_json(tagger.name, report), out, ensure_ascii=False)
        out.write("\n")
    else:
        out.write(_format(tagger.name, report, args))
    return EXIT_FAILURE if report.failures else 0


def _format(name: str, report: Any, args: argparse.Namespace) -> str:
    count = len(report.failures)
    head = f"fuzz {name}: {report.tried} events tried (seed {report.seed})"
    if not count:
        return f"{head}: no failure\n"
    lines = [f"{head}: {count} distinct failure{'s' if count != 1 else ''}", ""]
    for number, failure in enumerate(report.failures, start=1):
        flaky = " (flaky: it did not fail again when replayed)" if failure.flaky else ""
        lines.append(f"{number}. {failure.kind}{flaky}: {failure.error}")
        lines.append("   minimal event:")
        event = json.dumps(failure.event, indent=2, ensure_ascii=False)
        lines.extend(f"   {line}" for line in _clip(event).splitlines())
        lines.append("")
    lines.append(f"replay: hog-test fuzz {_replay_args(args, report.seed)}")
    if args.save:
        lines.append(f"saved the {count} event{'s' if count != 1 else ''} to {args.save}")
    return "\n".join(lines) + "\n"


def _clip(text: str, limit: int = 4000) -> str:
    """A huge minimal event (a megabyte of text was needed to fail) stays readable; --save keeps it all."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n... ({len(text) - limit} more characters; --json or --save shows the whole event)"


def _replay_args(args: argparse.Namespace, seed: int) -> str:
    parts = [args.tagger]
    for option in ("db", "tags", "tags_file", "shapes"):
        value = getattr(args, option)
        if value is not None:
            parts += [f"--{option.replace('_', '-')}", value]
    if args.well_formed:
        parts.append("--well-formed")
    if args.timeout != TAGGER_TIMEOUT_S:
        parts += ["--timeout", f"{args.timeout:g}"]
    parts += ["--examples", str(args.examples), "--seed", str(seed)]
    return " ".join(shlex.quote(part) for part in parts)


def _as_json(name: str, report: Any) -> dict[str, Any]:
    return {
        "tagger": name,
        "seed": report.seed,
        "examples": report.examples,
        "tried": report.tried,
        "failures": [
            {"kind": f.kind, "error": f.error, "flaky": f.flaky, "event": f.event} for f in report.failures
        ],
    }


def _save(path: Path, events: list[dict[str, Any]]) -> None:
    try:
        with path.open("w", encoding="utf-8") as handle:
            for event in events:
                handle.write(json.dumps(event, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise CliError(f"--save: cannot write {path}: {exc.strerror}", EXIT_USAGE) from None


def _shapes_option(text: str | None, known: dict[str, Any]) -> list[str]:
    if text is None:
        return []
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise CliError(f"--shapes: unknown shape {', '.join(unknown) or '(none given)'}; "
                       f"known: {', '.join(known)}", EXIT_USAGE)
    return names


class _FuzzProgress(TerminalProgress):
    """The counter, and once a note that timeouts make the run slow (each costs the whole limit)."""

    def __init__(self, err: TextIO, timeout: float) -> None:
        super().__init__(err, "fuzzing")
        self._timeout = timeout
        self._warned = False

    def on_event(self, tried: int, error: str | None) -> None:
        if not self._warned and error is not None and failure_kind(error) == "timeout" and self._timeout > 1:
            self._warned = True
            self.clear()
            self._err.write(f"fuzz: the tagger timed out; each timeout takes the whole {self._timeout:g}s limit, "
                            "so this run may be slow (--timeout 0.5 searches faster)\n")
            self._err.flush()
        self.update(tried)
