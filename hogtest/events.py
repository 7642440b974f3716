"""`hog-test events`: the events of a database, newest first; for `$ai_tag` events, a table of the
tags each tagger gave each target generation.

    hog-test events --db events.duckdb --event '$ai_tag'           # TARGET, TAGGER, TAGS, REASONING
    hog-test events --db events.duckdb --event '$ai_generation' --json   # the events API's results
"""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from hogtest.errors import EXIT_USAGE, CliError
from hogtest.keys import table

AI_TAG = "$ai_tag"
REASONING_WIDTH = 60


def register(commands: Any) -> None:
    events = commands.add_parser("events", help="list stored events; $ai_tag events as tags per target generation")
    events.add_argument("--db", metavar="PATH", help="the database file (default: the embedded default database)")
    events.add_argument("--event", metavar="NAME", help="only events with this name, e.g. '$ai_tag'")
    events.add_argument("--project", type=int, default=1, metavar="N", help="the project (default 1)")
    events.add_argument("--limit", type=int, default=100, metavar="N", help="at most N events, newest first "
                                                                            "(default 100)")
    events.add_argument("--json", action="store_true",
                        help="one JSON object per line, as the events API lists them")
    events.set_defaults(handler=cmd_events)


def cmd_events(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hogtest.stores import open_store
    from sampler.event_query import EventQuery, event_body, find_events

    if args.limit < 1:
        raise CliError("--limit must be at least 1", EXIT_USAGE)
    store = open_store(db=args.db)
    try:
        page = find_events(store, EventQuery(project_id=args.project, event=args.event, limit=args.limit))
    finally:
        store.close()
    bodies = [event_body(event) for event in page.events]
    if args.json:
        for body in bodies:
            out.write(json.dumps(body, ensure_ascii=False) + "\n")
        return 0
    if not bodies:
        what = f"{args.event} events" if args.event else "events"
        err.write(f"no {what} in project {args.project}\n")
        return 0
    out.write(tag_table(bodies) if all(b["event"] == AI_TAG for b in bodies) else event_table(bodies))
    if page.more:
        err.write(f"(the newest {len(bodies)}; --limit shows more)\n")
    return 0


def tag_table(bodies: list[dict[str, Any]]) -> str:
    """One line per `$ai_tag`, grouped by the generation it tags (shown once per group)."""
    def key(body: dict[str, Any]) -> tuple[str, str]:
        return str(body["properties"].get("$ai_target_event_id")), str(body["properties"].get("$ai_tagger_name"))

    rows = [("TARGET EVENT", "TAGGER", "TAGS", "REASONING", "TAGGED AT")]
    previous = None
    for body in sorted(bodies, key=key):
        target, tagger = key(body)
        properties = body["properties"]
        tags = properties.get("$ai_tags") or []
        rows.append((target if target != previous else "", tagger, ", ".join(map(str, tags)) or "-",
                     _one_line(properties.get("$ai_tag_reasoning")), body["timestamp"][:19]))
        previous = target
    return table(rows)


def event_table(bodies: list[dict[str, Any]]) -> str:
    rows = [("TIMESTAMP", "EVENT", "DISTINCT ID", "UUID", "PROPERTIES")]
    for body in bodies:
        rows.append((body["timestamp"][:19], body["event"], str(body["distinct_id"]), body["id"],
                     _one_line(json.dumps(body["properties"], ensure_ascii=False))))
    return table(rows)


def _one_line(text: Any) -> str:
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= REASONING_WIDTH else flat[:REASONING_WIDTH - 3] + "..."
