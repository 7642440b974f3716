"""`hog-test tag TAGGER`: one tagger over every event of a database or of dumps, on all cores or
on a Ray cluster, with a progress bar and a summary; optionally writing the `$ai_tag` events."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from pydantic import ValidationError

from hogtest.errors import EXIT_USAGE, CliError
from hogtest.options import STDIN, parse_json, read_text, tags_option, validation_message
from hogtest.taggers import TAGGER_HELP, TaggerSource, resolve_tagger
from hogtest.text import plural

if TYPE_CHECKING:
    from sampler.store import EventStore

# A .hog file without --conditions runs on every generation (PostHog runs a tagger with no
# conditions on nothing, which is never what a batch run of a bare file means).
MATCH_ALL = [{"id": "all", "rollout_percentage": 100, "properties": []}]
TAG_MEMORY_LIMIT = "128MB"  # DuckDB's cache while streaming the database: memory stays flat


def register(commands: Any) -> None:
    tag = commands.add_parser(
        "tag", help="tag every $ai_generation of a database or of dumps, on all cores or on Ray",
        description=("Run one tagger over every $ai_generation event of a database or of dumps, with its "
                     "conditions and rollout applied exactly as live tagging applies them, and print a "
                     "summary; --out and --into-db keep the $ai_tag events."),
        epilog=("A .hog file without --conditions runs on EVERY $ai_generation (in PostHog a tagger "
                "without conditions runs on nothing). Output is sorted, so the same events and tagger give "
                "the same bytes on any number of workers and on either engine."))
    tag.add_argument("tagger", nargs="?", metavar="TAGGER",
                     help=f"{TAGGER_HELP}; a .hog file takes --tags or --tags-file")
    tag.add_argument("--tagger-id", metavar="UUID",
                     help="a tagger saved in the database (--db, else the default database), instead of TAGGER; "
                          "it runs on its project's events")
    tags = tag.add_mutually_exclusive_group()
    tags.add_argument("--tags", metavar="a,b", help="a .hog tagger's tag names, comma-separated")
    tags.add_argument("--tags-file", metavar="FILE.json", help="a JSON list of tag names or {name, description}")
    tag.add_argument("--conditions", metavar="FILE.json",
                     help="a .hog tagger's conditions: a JSON list of {id, rollout_percentage, properties} "
                          "(default: one condition matching every $ai_generation)")
    where = tag.add_mutually_exclusive_group()
    where.add_argument("--db", metavar="PATH", help="an event database (default: the embedded default database)")
    where.add_argument("--events", nargs="+", action="extend", metavar="DUMP",
                       help="JSON Lines (.jsonl, .jsonl.gz) or Parquet dumps, or directories of them; "
                            "with --engine ray also URIs (s3://...)")
    tag.add_argument("--project", type=int, metavar="N",
                     help="only the events of project N of the database (a saved tagger must belong to it)")
    tag.add_argument("--since", metavar="ISO8601", help="only events at or after this time")
    tag.add_argument("--until", metavar="ISO8601", help="only events before this time")
    tag.add_argument("--out", metavar="FILE", help="write the $ai_tag events to FILE.parquet or FILE.jsonl "
                                                    "(atomically: all of it or nothing)")
    tag.add_argument("--into-db", action="store_true", help="store the $ai_tag events in the database they were read from")
    tag.add_argument("--resume", action="store_true",
                     help="skip events this tagger version already tagged in --out (or its staged parts from a "
                          "killed run) and, with --into-db, in the database")
    tag.add_argument("--workers", type=int, metavar="N", help="worker processes or Ray actors (default: all cores)")
    tag.add_argument("--engine", choices=("local", "ray"), default="local",
                     help="local worker processes (default), or Ray Data (pip install 'hog-tagger[ray]')")
    tag.add_argument("--address", metavar="ADDR", help="with --engine ray: join this Ray cluster ('auto', "
                                                        "'HOST:6379', 'ray://HOST:10001'); default: a local Ray")
    tag.add_argument("--json", action="store_true", help="print the summary as JSON")
    tag.set_defaults(handler=cmd_tag)


def cmd_tag(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from engines.batch import EventWindow
    from engines.job import JobError, TagJob, run_job

    _check_usage(args)
    window = EventWindow(_instant(args.since, "--since"), _instant(args.until, "--until"))
    if window.since and window.until and window.since >= window.until:
        raise CliError("--since must be before --until", EXIT_USAGE)
    store = None if args.events else _open_store(args.db)
    try:
        found = resolve_tagger(args.tagger_id or args.tagger, db=args.db, store=store, project=args.project,
                               saved=args.tagger_id is not None)
        tagger = _tagger_body(found, args)
        # A saved tagger runs on its own project's events, as live tagging runs it.
        project = args.project if args.project is not None or store is None else found.project_id
        job = TagJob(tagger=tagger, events=args.events or (), out=Path(args.out) if args.out else None,
                     into_db=args.into_db, workers=args.workers,
                     engine=args.engine, address=args.address, window=window, project=project,
                     resume=args.resume)
        with ProgressBar(err) as progress:
            try:
                summary = run_job(job, store=store, progress=progress)
            except ValidationError as exc:
                raise CliError(f"{found.name}: {validation_message(exc)}", EXIT_USAGE) from None
            except JobError as exc:
                raise CliError(str(exc), EXIT_USAGE) from None
    finally:
        if store is not None:
            store.close()
    if args.json:
        json.dump(summary.as_dict(), out, ensure_ascii=False)
        out.write("\n")
    else:
        out.write(format_summary(summary.as_dict()))
    return 0


def _check_usage(args: argparse.Namespace) -> None:
    if (args.tagger is None) == (args.tagger_id is None):
        raise CliError("give a tagger: a .hog or .json file or a saved tagger's id, or --tagger-id UUID", EXIT_USAGE)
    if args.address and args.engine != "ray":
        raise CliError("--address is for --engine ray", EXIT_USAGE)
    if args.into_db and args.events:
        raise CliError("--into-db stores the $ai_tag events in the database the events come from: use --db",
                       EXIT_USAGE)
    if args.resume and not (args.out or args.into_db):
        raise CliError("--resume needs --out or --into-db: it skips events already tagged there", EXIT_USAGE)


def _open_store(db: str | None) -> EventStore:
    """The database to tag (`--db`, else the default one), its cache kept small: the events are
    streamed once, so memory stays flat however many there are."""
    from hogtest.stores import open_store

    store = open_store(db=db)
    with store.cursor() as cur:
        cur.execute(f"SET GLOBAL memory_limit = '{TAG_MEMORY_LIMIT}'")
    return store


def _tagger_body(found: TaggerSource, args: argparse.Namespace) -> dict[str, Any]:
    """The tagger to run, in the Taggers API's shape: a tagger JSON or saved tagger as it is, a .hog
    file with its tags and conditions."""
    if found.body is not None:
        if args.tags or args.tags_file or args.conditions:
            raise CliError("--tags, --tags-file and --conditions go with a .hog file; a tagger JSON or a saved "
                           "tagger carries its own", EXIT_USAGE)
        return found.body
    tags = tags_option(args.tags, args.tags_file)
    if not tags:
        raise CliError("a .hog tagger needs its tag names: --tags a,b or --tags-file FILE.json", EXIT_USAGE)
    return {
        "name": Path(args.tagger).stem if args.tagger != STDIN else "stdin",
        "enabled": True,
        "tagger_type": "hog",
        "tagger_config": {"source": found.source, "tags": tags},
        "conditions": _conditions(args.conditions) if args.conditions else MATCH_ALL,
    }


def _conditions(path: str) -> list[Any]:
    conditions = parse_json(read_text(path), path)
    if isinstance(conditions, dict) and "conditions" in conditions:
        conditions = conditions["conditions"]
    if not isinstance(conditions, list):
        raise CliError(f"{path}: expected a JSON list of conditions ({{id, rollout_percentage, properties}})",
                       EXIT_USAGE)
    return conditions


def _instant(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CliError(f"{option}: not an ISO 8601 date-time: {text!r} (e.g. 2026-11-01T00:00:00Z)",
                       EXIT_USAGE) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


# -- progress ---------------------------------------------------------------------------------------


class ProgressBar:
    """A rich progress bar on a terminal (events, events/s, ETA); nothing when not a TTY."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> Any:
        if not _is_terminal(self.stream):
            return None
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

        self.bar = Progress(TextColumn("tagging"), BarColumn(), TaskProgressColumn(),
                            TextColumn("{task.fields[events]:,} events  {task.fields[rate]}"),
                            TextColumn("ETA"), TimeRemainingColumn(),
                            console=Console(file=self.stream), transient=True)
        self.bar.start()
        self.task = self.bar.add_task("tagging", total=None, events=0, rate="")
        return self.update

    def update(self, position: int, total: int | None, unit: str, stats: Any) -> None:
        events = stats.events + stats.resumed + stats.outside_window
        elapsed = self.bar.tasks[0].elapsed or 0
        rate = f"{events / elapsed:,.0f} events/s" if elapsed > 0 else ""
        self.bar.update(self.task, completed=position, total=total, events=events, rate=rate)

    def __exit__(self, *exc_info: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# -- the summary ------------------------------------------------------------------------------------


def format_summary(summary: dict[str, Any]) -> str:
    """The run's summary as people read it."""
    tagger, lines = summary["tagger"], []
    rate = f", {summary['events_per_second']:,.0f} events/s" if summary["events_per_second"] else ""
    lines.append(f"{tagger['name']} ({tagger['type']} tagger, version {tagger['version']}): "
                 f"{summary['engine']} engine, {plural(summary['workers'], 'worker')}, {summary['seconds']:.1f} s{rate}")
    lines.append("")
    considered = summary["considered"]

    def share(count: int, of: int) -> str:
        return f"{count / of:6.1%}" if of else "     -"

    counts = [("events read", summary["events"], ""),
              ("considered", considered, "$ai_generation events"),
              ("matched", summary["matched"], f"{share(summary['matched'], considered)} by a condition"),
              ("in rollout", summary["in_rollout"], f"{share(summary['in_rollout'], considered)} sampled in"),
              ("tagged", summary["tagged"], f"{share(summary['tagged'], considered)} $ai_tag events"),
              ("errors", summary["errors"], f"{share(summary['errors'], considered)}")]
    if summary["resumed"]:
        counts.append(("resumed", summary["resumed"], "already tagged by this version, skipped"))
    if summary["outside_window"]:
        counts.append(("outside window", summary["outside_window"], "skipped by --since/--until"))
    lines += [f"  {label:<15}{count:>12,}  {note}".rstrip() for label, count, note in counts]
    skipped = summary["skipped"]
    if skipped:
        lines.append("  skipped        " + ", ".join(f"{reason} {count:,}" for reason, count in skipped.items()))

    errors = summary["errors_by_kind"]
    conditions = summary["condition_errors"]
    if errors or conditions["count"]:
        lines += ["", "errors by kind"]
        for kind, detail in [*errors.items(), *([("condition_error", conditions)] if conditions["count"] else [])]:
            lines.append(f"  {kind:<18}{detail['count']:>10,}  {detail['message']}")
            lines.append(f"  {'':<18}{'':>10}  e.g. {', '.join(detail['examples'])}")

    tags = summary["tags"]
    if tags:
        lines += ["", f"tags (share of {summary['tagged']:,} $ai_tag events)"]
        width = max(len(t["name"]) for t in tags)
        for entry in tags:
            bar = "█" * round(entry["share"] * 30)
            lines.append(f"  {entry['name']:<{width}}  {entry['count']:>10,}  {entry['share']:6.1%}  {bar}")
        if summary["untagged"]:
            lines.append(f"  {'(no tags)':<{width}}  {summary['untagged']:>10,}")

    timing = summary["time_per_event_ms"]
    if timing["p50"] is not None:
        lines += ["", f"time per event (tagger ran): p50 {timing['p50']:.2f} ms, p99 {timing['p99']:.2f} ms"]
    if summary["output"]:
        lines.append(f"output: {summary['output']['path']} ({summary['output']['rows']:,} $ai_tag events)")
    if summary["database"]:
        lines.append(f"database: {summary['database']['path']} ({summary['database']['added']:,} $ai_tag events added)")
    return "\n".join(lines) + "\n"
