"""`hog-test run TAGGER.hog`: PostHog's `test_hog` on recent events, as a readable report or JSON.

The tagger is compiled first (its warnings printed, a compile error reported before any event is
read); each event's block is printed as soon as it is tagged; Ctrl-C keeps the events done. The
exit code is 1 when the tagger failed on every event, so CI can use `run` as a check.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from typing import Any, TextIO

from hogtest.errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, CliError
from hogtest.options import STDIN, display_name, parse_now, read_text, tags_option
from hogtest.stores import open_store
from hogtest.taggers import add_strict_option, add_tags_options, compile_tagger_source
from hogtest.text import field_line

MIN_SAMPLE, MAX_SAMPLE = 1, 10


def register(commands: Any) -> None:
    run = commands.add_parser("run", help="run a tagger on recent $ai_generation events, like PostHog's test_hog")
    run.add_argument("tagger", help="the tagger's Hog source file, or - for standard input")
    where = run.add_mutually_exclusive_group()
    where.add_argument("--events", nargs="+", action="extend", metavar="PATH",
                       help="event dumps to load into a throw-away store (give the tagger first); "
                            "- reads one from standard input")
    where.add_argument("--db", metavar="PATH", help="an event database made by `hog-test load --db`")
    run.add_argument("--now", metavar="ISO8601", help="the moment the 7-day window ends (default: now)")
    run.add_argument("--sample-count", type=int, default=5, metavar="N", help="events to sample, 1-10 (default 5)")
    add_tags_options(run)
    run.add_argument("--json", action="store_true", help="print exactly the endpoint's response body")
    add_strict_option(run)
    run.add_argument("--watch", action="store_true", help="run again on every save of the tagger (Ctrl-C stops)")
    run.set_defaults(handler=cmd_run)


def cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if getattr(args, "watch", False):
        from hogtest.watch import run_watching

        return run_watching(args, out, err, cmd_run)
    from sampler.api import test_hog

    if not MIN_SAMPLE <= args.sample_count <= MAX_SAMPLE:
        raise CliError(f"--sample-count must be {MIN_SAMPLE}-{MAX_SAMPLE} (got {args.sample_count})", EXIT_USAGE)
    if args.tagger == STDIN and args.events and STDIN in args.events:
        raise CliError("standard input can hold the tagger or a dump, not both (- given twice)", EXIT_USAGE)
    source = read_text(args.tagger)
    tags = tags_option(args.tags, args.tags_file)
    now = parse_now(args.now)
    try:
        compile_tagger_source(source, args.tagger, err, strict=args.strict)
    except CliError:
        if args.json:  # a compile error is also the endpoint's body (not a --strict refusal)
            body = _compile_error_body(source)
            if body:
                _print_json(body, out)
        raise

    report = Report(out, [t["name"] for t in tags], live=not args.json)
    store = open_store(events=args.events, db=args.db, err=err)
    note = ""
    try:
        response = test_hog(source, sample_count=args.sample_count, tags=tags, store=store, now=now,
                            on_result=report.add)
        if not response.results:
            note = _empty_window_note(store, args, now)
    except KeyboardInterrupt:
        report.interrupted(json_body=args.json)
        raise CliError(f"interrupted after {len(report.results)} events", EXIT_INTERRUPTED) from None
    finally:
        store.close()

    if args.json:
        _print_json(response.model_dump(), out)
    if not response.results:
        if not args.json:
            out.write(f"{response.message}\n")
        if note:
            err.write(f"hog-test: note: {note}\n")
        return 0
    report.finish()
    failed = sum(1 for result in response.results if result.error)
    if failed == len(response.results):
        noun = "event" if failed == 1 else "events"
        raise CliError(f"{display_name(args.tagger)}: the tagger failed on every event ({failed} {noun})",
                       EXIT_FAILURE)
    return 0


def _compile_error_body(source: str) -> dict[str, Any]:
    from sampler.api import compile_tagger
    from sampler.models import TestHogResponse

    answer = compile_tagger(source)
    return answer.model_dump() if isinstance(answer, TestHogResponse) else {}


def _print_json(body: dict[str, Any], out: TextIO) -> None:
    json.dump(body, out, ensure_ascii=False)
    out.write("\n")
    out.flush()


def _empty_window_note(store: Any, args: argparse.Namespace, now: Any) -> str:
    """Why nothing was sampled, and what to try."""
    from sampler.sampling import LOOKBACK, SAMPLED_EVENT_TYPES, sampled_event_summary

    count, newest = sampled_event_summary(store)
    kinds = "/".join(SAMPLED_EVENT_TYPES)
    where = "the dumps" if args.events else f"{args.db}" if args.db else "the default database"
    if count == 0:
        return f"{where} hold no {kinds} events (a tagger only runs on those)"
    noun = "event" if count == 1 else "events"
    window = f"the {LOOKBACK.days} days before {now.isoformat()}" if now else f"the last {LOOKBACK.days} days"
    moment = newest.isoformat().replace("+00:00", "Z")
    return (f"{where} hold {count} {kinds} {noun}, the newest at {moment}, none in {window}; "
            f"to sample them, try --now {moment}")


class Report:
    """The readable report: one block per event (printed as it is tagged when `live`), then a summary."""

    def __init__(self, out: TextIO, configured_tags: list[str], *, live: bool) -> None:
        self.out = out
        self.configured_tags = configured_tags
        self.live = live
        self.results: list[Any] = []

    def add(self, result: Any) -> None:
        self.results.append(result)
        if self.live:
            if len(self.results) > 1:
                self.out.write("\n")
            self.out.write(format_block(len(self.results), result) + "\n")
            self.out.flush()

    def finish(self) -> None:
        if self.live and self.results:
            self.out.write("\n" + summary(self.results, self.configured_tags) + "\n")

    def interrupted(self, *, json_body: bool) -> None:
        """Ctrl-C: keep what is done (the blocks already printed, or the JSON of the done results)."""
        if json_body:
            _print_json({"results": [result.model_dump() for result in self.results]}, self.out)
        else:
            self.finish()


def format_block(number: int, result: Any) -> str:
    lines = [f"#{number}  event {result.event_uuid}" + (f"  trace {result.trace_id}" if result.trace_id else "")]
    lines.append(field_line("tags", ", ".join(result.tags) if result.tags else "(none)"))
    dropped = getattr(result, "dropped_tags", [])
    if dropped:
        lines.append(field_line("dropped", f"{', '.join(dropped)} (not configured)"))
    lines.append(field_line("input", result.input_preview or "(empty)"))
    lines.append(field_line("output", result.output_preview or "(empty)"))
    if result.reasoning:
        lines.append(field_line("reasoning", result.reasoning))
    if result.error:
        failure = getattr(result, "failure", None)
        snippet = failure.snippet() if failure is not None and failure.line is not None else ""
        lines.append(field_line("error", result.error + (f"\n{snippet}" if snippet else "")))
    for divergence in result.posthog_divergences or ():
        lines.append(field_line("posthog", divergence))
    return "\n".join(lines)


def summary(results: list[Any], configured_tags: list[str]) -> str:
    counts = Counter(tag for result in results for tag in result.tags)
    errors = sum(1 for result in results if result.error)
    tagged = sum(1 for result in results if result.tags)
    noun = "event" if len(results) == 1 else "events"
    line = f"{len(results)} {noun}: {tagged} tagged, {len(results) - tagged - errors} untagged, {errors} with errors"
    names = configured_tags or sorted(counts)
    if names:
        line += "\ntag counts: " + ", ".join(f"{name} {counts.get(name, 0)}" for name in names)
    return line
