"""`hog-test run TAGGER.hog`: PostHog's `test_hog` on recent events, as a readable report or JSON."""

from __future__ import annotations

import argparse
import json
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from hogtest.errors import EXIT_USAGE, CliError
from hogtest.options import display_name, parse_now, read_text, tags_option, validation_message


def register(commands: Any) -> None:
    run = commands.add_parser("run", help="run a tagger on recent $ai_generation events, like PostHog's test_hog")
    run.add_argument("tagger", help="the tagger's Hog source file, or - for standard input")
    where = run.add_mutually_exclusive_group()
    where.add_argument("--events", nargs="+", action="extend", metavar="PATH",
                       help="event dumps to load into a throw-away store (give the tagger first)")
    where.add_argument("--db", metavar="PATH", help="an event database made by `hog-test load --db`")
    run.add_argument("--now", metavar="ISO8601", help="the moment the 7-day window ends (default: now)")
    run.add_argument("--sample-count", type=int, default=5, metavar="N", help="events to sample, 1-10 (default 5)")
    tags = run.add_mutually_exclusive_group()
    tags.add_argument("--tags", metavar="a,b", help="the configured tag names, comma-separated")
    tags.add_argument("--tags-file", metavar="FILE.json", help="a JSON list of tag names or {name, description}")
    run.add_argument("--json", action="store_true", help="print exactly the endpoint's response body")
    run.add_argument("--watch", action="store_true", help="run again on every save of the tagger (Ctrl-C stops)")
    run.set_defaults(handler=cmd_run)


def cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if getattr(args, "watch", False):
        from hogtest.watch import run_watching

        return run_watching(args, out, err, cmd_run)
    from sampler.api import test_hog
    from sampler.store import EventStore

    source = read_text(args.tagger)
    tags = tags_option(args.tags, args.tags_file)
    now = parse_now(args.now)

    store = _open_store_for_run(args, EventStore, err)
    try:
        try:
            response = test_hog(source, sample_count=args.sample_count, tags=tags, store=store, now=now)
        except ValidationError as exc:
            raise CliError(validation_message(exc), EXIT_USAGE) from None
    finally:
        store.close()

    if args.json:
        json.dump(response.model_dump(), out, ensure_ascii=False)
        out.write("\n")
    else:
        out.write(format_response(response, [t["name"] for t in tags]))
    if response.error is not None:
        raise CliError(f"{display_name(args.tagger)}: {response.error}")
    return 0


def _open_store_for_run(args: argparse.Namespace, store_class: Any, err: TextIO) -> Any:
    if args.events:
        store = store_class.temporary()
        try:
            store.load(args.events, progress=lambda line: print(line, file=err))
        except BaseException:
            store.close()
            raise
        return store
    if args.db:
        path = Path(args.db)
        if not path.is_file():
            raise CliError(f"no event database at {path} (create one with `hog-test load --db {path} DUMP`)")
        return store_class(path)
    from sampler.seed import open_default_store

    return open_default_store()


def format_response(response: Any, configured_tags: list[str]) -> str:
    """A readable report of a `TestHogResponse`: one block per event, then a summary."""
    if response.error is not None:
        return ""
    results = response.results or []
    if not results:
        return f"{response.message}\n"
    blocks = []
    for number, result in enumerate(results, start=1):
        lines = [f"#{number}  event {result.event_uuid}" + (f"  trace {result.trace_id}" if result.trace_id else "")]
        lines.append(_field("tags", ", ".join(result.tags) if result.tags else "(none)"))
        lines.append(_field("input", result.input_preview or "(empty)"))
        lines.append(_field("output", result.output_preview or "(empty)"))
        if result.reasoning:
            lines.append(_field("reasoning", result.reasoning))
        if result.error:
            lines.append(_field("error", result.error))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n\n" + _summary(results, configured_tags) + "\n"


def _field(label: str, text: str) -> str:
    indent = " " * 13
    body = textwrap.indent(text, indent).lstrip(" ")
    return f"  {label:<10} {body}"


def _summary(results: list[Any], configured_tags: list[str]) -> str:
    counts = Counter(tag for result in results for tag in result.tags)
    errors = sum(1 for result in results if result.error)
    tagged = sum(1 for result in results if result.tags)
    noun = "event" if len(results) == 1 else "events"
    line = f"{len(results)} {noun}: {tagged} tagged, {len(results) - tagged - errors} untagged, {errors} with errors"
    names = configured_tags or sorted(counts)
    if names:
        line += "\ntag counts: " + ", ".join(f"{name} {counts.get(name, 0)}" for name in names)
    return line
