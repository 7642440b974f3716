"""`hog-test diff OLD NEW (--db PATH | --events DUMP...)`: what a change to a tagger would change."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from hogtest.errors import EXIT_FAILURE, EXIT_USAGE, CliError
from hogtest.progress import TerminalProgress
from hogtest.stores import open_store
from hogtest.taggers import TAGGER_HELP, add_strict_option, add_tags_options, load_tagger, whole_number
from hogtest.text import field_line, plural
from sampler.extract import extract_event_io, preview

DEFAULT_SHOWN = 20


def register(commands: Any) -> None:
    diff = commands.add_parser(
        "diff", help="run two versions of a tagger on the same events; list the events whose tags or errors change",
        description="Run OLD and NEW on every $ai_generation event of a database or of dumps, list the events "
                    "whose tags or error differ, and how many events get each tag before and after. "
                    "Exit 0 when nothing changes, 1 when something does (as diff(1) does).",
    )
    diff.add_argument("old", help=f"the current tagger: {TAGGER_HELP}")
    diff.add_argument("new", help="the changed tagger, in any of those forms")
    where = diff.add_mutually_exclusive_group(required=True)
    where.add_argument("--db", metavar="PATH", help="an event database made by `hog-test load --db` (where saved "
                                                    "taggers' ids are looked up too)")
    where.add_argument("--events", nargs="+", action="extend", metavar="DUMP",
                       help="event dumps to load into a throw-away store (give the taggers first)")
    add_tags_options(diff)
    diff.add_argument("--limit", metavar="N", help="only the newest N events")
    diff.add_argument("--show", default=str(DEFAULT_SHOWN), metavar="N|all",
                      help=f"changed events to list in full (default {DEFAULT_SHOWN}; all of them with 'all')")
    diff.add_argument("--json", action="store_true", help="print every change and the counts as JSON")
    add_strict_option(diff)
    diff.set_defaults(handler=cmd_diff)


def cmd_diff(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sampler.tagger_diff import diff_taggers
    from sampler.tagging import stored_events

    if args.old == "-" and args.new == "-":
        raise CliError("only one of OLD and NEW can be read from standard input", EXIT_USAGE)
    if "-" in (args.old, args.new) and args.events and "-" in args.events:
        raise CliError("standard input can hold a tagger or a dump, not both (- given twice)", EXIT_USAGE)
    limit = None if args.limit is None else whole_number("--limit", args.limit, minimum=1)
    shown = None if args.show == "all" else whole_number("--show", args.show, minimum=0)
    old, new = load_tagger(args.old, args, err), load_tagger(args.new, args, err)

    store = open_store(events=args.events, db=args.db, err=err)
    progress = TerminalProgress(err, "diffing")
    try:
        report = diff_taggers(old, new, stored_events(store, limit=limit), on_event=progress.update)
    finally:
        progress.clear()
        store.close()

    if args.json:
        json.dump(_as_json(old.name, new.name, report, old.tags or new.tags), out, ensure_ascii=False)
        out.write("\n")
    else:
        out.write(_format(old.name, new.name, report, old.tags or new.tags, shown))
    return EXIT_FAILURE if report.changes else 0


def _format(old: str, new: str, report: Any, configured: tuple[str, ...], shown: int | None) -> str:
    changes = report.changes
    tag_changes = sum(1 for c in changes if c.tags_changed)
    error_changes = sum(1 for c in changes if c.error_changed)
    posthog_changes = sum(1 for c in changes if c.divergences_changed)
    head = f"diff {old} -> {new} on {plural(report.events, '$ai_generation event')}"
    if not report.events:
        return f"{head}: nothing to compare\n"
    kinds = f"{tag_changes} in tags, {error_changes} in errors"
    if posthog_changes:
        kinds += f", {posthog_changes} in PostHog divergences"
    lines = [f"{head}: {len(changes)} changed ({kinds})"]
    listed = changes if shown is None else changes[:shown]
    for change in listed:
        lines += ["", *_change(change)]
    if len(listed) < len(changes):
        lines += ["", f"... and {plural(len(changes) - len(listed), 'more changed event')} (--show all or --json)"]
    lines += ["", *_distribution(report, configured)]
    return "\n".join(lines) + "\n"


def _change(change: Any) -> list[str]:
    event = change.event
    trace = event.properties.get("$ai_trace_id")
    lines = [f"event {event.uuid}" + (f"  trace {trace}" if isinstance(trace, str) and trace else "")]
    input_raw, output_raw = extract_event_io(event.event, event.properties)
    lines.append(field_line("input", preview(input_raw) or "(empty)"))
    lines.append(field_line("output", preview(output_raw) or "(empty)"))
    if change.tags_changed:
        before = ", ".join(change.old["tags"]) or "(none)"
        after = ", ".join(change.new["tags"]) or "(none)"
        lines.append(field_line("tags", f"{before}  ->  {after}"))
    if change.error_changed:
        lines.append(field_line("error", f"{change.old['error'] or '(none)'}  ->  {change.new['error'] or '(none)'}"))
    if change.new["reasoning"]:
        lines.append(field_line("reasoning", change.new["reasoning"]))
    # As `hog-test run` shows them; a finding only the old version had is gone with the change.
    for side, result in (("old", change.old), ("new", change.new)):
        lines += [field_line("posthog", f"({side}) {divergence}") for divergence in result["posthog_divergences"]]
    return lines


def _distribution(report: Any, configured: tuple[str, ...]) -> list[str]:
    rows = [*report.tag_rows(configured),
            ("(no tags)", report.old.untagged, report.new.untagged),
            ("(errors)", report.old.errors, report.new.errors)]
    if report.old.diverging or report.new.diverging:
        rows.append(("(PostHog differs)", report.old.diverging, report.new.diverging))
    width = max(len("tag"), *(len(row[0]) for row in rows))
    lines = ["events per tag:", f"  {'tag':<{width}}    old    new  change"]
    for tag, before, after in rows:
        delta = after - before
        lines.append(f"  {tag:<{width}}  {before:>5}  {after:>5}  {delta:>+6}" if delta else
                     f"  {tag:<{width}}  {before:>5}  {after:>5}       =")
    return lines


def _as_json(old: str, new: str, report: Any, configured: tuple[str, ...]) -> dict[str, Any]:
    return {
        "old": old,
        "new": new,
        "events": report.events,
        "changes": [{"event_uuid": c.event.uuid, "old": _side(c.old), "new": _side(c.new)} for c in report.changes],
        "tags": {tag: {"old": before, "new": after} for tag, before, after in report.tag_rows(configured)},
        "untagged": {"old": report.old.untagged, "new": report.new.untagged},
        "errors": {"old": report.old.errors, "new": report.new.errors},
        "posthog_divergences": {"old": report.old.diverging, "new": report.new.diverging},
    }


def _side(result: Any) -> dict[str, Any]:
    """One version's result; `posthog_divergences` only when there are some, as `test_hog` adds them."""
    side = {"tags": result["tags"], "error": result["error"], "reasoning": result["reasoning"]}
    if result["posthog_divergences"]:
        side["posthog_divergences"] = result["posthog_divergences"]
    return side
