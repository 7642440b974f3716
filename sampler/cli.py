"""`hog-test`: try Hog taggers on events, load event dumps, compile and run Hog programs.

    hog-test run TAGGER.hog [--events PATH ...] [--db PATH] [--now ISO8601] [--sample-count N]
                            [--tags a,b | --tags-file FILE.json] [--json]
    hog-test load PATH... [--db PATH]
    hog-test compile FILE.hog|-
    hog-test exec FILE.hog|FILE.hoge|- [--globals JSON]

Errors print one line on standard error and exit non-zero: 1 for a failing program, dump or
database, 2 for bad usage. Never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, TextIO

import duckdb
from pydantic import ValidationError

from sampler.errors import SamplerError

EXIT_FAILURE = 1
EXIT_USAGE = 2


class CliError(Exception):
    """A failure to report as one line, with its exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# -- argument parsing ---------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    from sampler.seed import DB_ENV_VAR

    parser = argparse.ArgumentParser(
        prog="hog-test",
        description="Try PostHog Hog taggers on LLM events, offline.",
        epilog=(
            f"Without --db or --events, events come from the embedded default database "
            f"(${DB_ENV_VAR}, else ~/.cache/hog-tagger/events.duckdb), seeded with sample events on first use."
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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

    load = commands.add_parser("load", help="import event dumps (JSON Lines, JSON, Parquet, CSV) into a database")
    load.add_argument("paths", nargs="+", metavar="PATH")
    load.add_argument("--db", metavar="PATH", help="the database file (default: the embedded default database)")

    compile_ = commands.add_parser("compile", help="print a Hog program's bytecode as JSON")
    compile_.add_argument("file", help="a .hog file, or - for standard input")

    exec_ = commands.add_parser("exec", help="run a Hog program (.hog source or .hoge bytecode)")
    exec_.add_argument("file", help="a .hog or .hoge file, or - for standard input")
    exec_.add_argument("--globals", metavar="JSON", help="a JSON object of globals for the program")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {"run": cmd_run, "load": cmd_load, "compile": cmd_compile, "exec": cmd_exec}
    try:
        return handlers[args.command](args, sys.stdout, sys.stderr)
    except CliError as exc:
        _fail(str(exc), exc.exit_code)
    except SamplerError as exc:
        _fail(str(exc), EXIT_FAILURE)
    except duckdb.Error as exc:  # a database failure the store did not anticipate
        _fail(f"event database: {str(exc).splitlines()[0]}", EXIT_FAILURE)
    except OSError as exc:  # e.g. the cache directory cannot be created
        where = f"{exc.filename}: " if exc.filename else ""
        _fail(f"{where}{exc.strerror or exc}", EXIT_FAILURE)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except BrokenPipeError:
        return EXIT_FAILURE


def _fail(message: str, code: int) -> NoReturn:
    print(f"hog-test: error: {message}", file=sys.stderr)
    raise SystemExit(code)


# -- run ------------------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sampler.api import test_hog
    from sampler.store import EventStore

    source = _read_text(args.tagger)
    tags = _tags_option(args.tags, args.tags_file)
    now = _parse_now(args.now)

    store = _open_store_for_run(args, EventStore, err)
    try:
        try:
            response = test_hog(source, sample_count=args.sample_count, tags=tags, store=store, now=now)
        except ValidationError as exc:
            raise CliError(_validation_message(exc), EXIT_USAGE) from None
    finally:
        store.close()

    if args.json:
        json.dump(response.model_dump(), out, ensure_ascii=False)
        out.write("\n")
    else:
        out.write(format_response(response, [t["name"] for t in tags]))
    if response.error is not None:
        raise CliError(f"{_display_name(args.tagger)}: {response.error}")
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


def _tags_option(tags: str | None, tags_file: str | None) -> list[dict[str, Any]]:
    if tags is not None:
        return [{"name": name.strip()} for name in tags.split(",") if name.strip()]
    if tags_file is None:
        return []
    try:
        data = json.loads(Path(tags_file).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CliError(f"cannot read {tags_file}: {exc.strerror}", EXIT_USAGE) from None
    except ValueError as exc:
        raise CliError(f"{tags_file}: not valid JSON ({exc})", EXIT_USAGE) from None
    if not isinstance(data, list):
        raise CliError(f"{tags_file}: expected a JSON list of tag names or {{name, description}} objects", EXIT_USAGE)
    parsed = []
    for position, item in enumerate(data, start=1):
        if isinstance(item, str):
            parsed.append({"name": item})
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            parsed.append(item)
        else:
            raise CliError(
                f"{tags_file}: item {position} must be a tag name or an object with a string \"name\"", EXIT_USAGE
            )
    return parsed


def _parse_now(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CliError(f"--now: not an ISO 8601 date-time: {text!r} (e.g. 2026-11-27T12:00:00Z)", EXIT_USAGE) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for item in exc.errors(include_url=False):
        where = ".".join(str(p) for p in item["loc"])
        parts.append(f"{where}: {item['msg']}" if where else item["msg"])
    return "; ".join(parts)


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


# -- load -----------------------------------------------------------------------------------------


def cmd_load(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sampler.seed import default_db_path, open_default_store
    from sampler.store import EventStore

    store = EventStore(args.db) if args.db else open_default_store()
    target = args.db or default_db_path()
    try:
        report = store.load(args.paths, progress=lambda line: print(line, file=err, flush=True))
        for loaded in report.files:
            out.write(f"{loaded.path}: {loaded.rows} events read, {loaded.added} new\n")
        out.write(f"{target}: {report.added} events added, {store.count()} in total\n")
    finally:
        store.close()
    return 0


# -- compile and exec -----------------------------------------------------------------------------


def cmd_compile(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    source = _read_text(args.file)
    bytecode = _compile(source, args.file)
    json.dump(bytecode, out, ensure_ascii=False)
    out.write("\n")
    return 0


def cmd_exec(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hogvm import HogError, execute_bytecode
    from hogvm.printing import print_hog_value

    text = _read_text(args.file)
    bytecode = _bytecode_of(text, args.file)
    globals_ = _globals_option(args.globals)
    try:
        result = execute_bytecode(bytecode, globals_)
    except HogError as exc:
        raise CliError(f"{_display_name(args.file)}: {_one_line(exc)}") from None
    except RecursionError:
        raise CliError(f"{_display_name(args.file)}: the program nested too deeply") from None
    for line in result.stdout:
        out.write(f"{line}\n")
    out.write(f"{print_hog_value(result.result)}\n")
    return 0


def _bytecode_of(text: str, name: str) -> list[Any]:
    """`.hoge` files (and bytecode piped on stdin) are JSON; anything else is Hog source."""
    looks_like_bytecode = name.endswith(".hoge") or (name == "-" and text.lstrip().startswith("["))
    if not looks_like_bytecode:
        return _compile(text, name)
    try:
        bytecode = json.loads(text)
    except ValueError as exc:
        raise CliError(f"{_display_name(name)}: not valid JSON bytecode ({exc})") from None
    if not isinstance(bytecode, list):
        raise CliError(f"{_display_name(name)}: bytecode must be a JSON array like [\"_H\", 1, ...]")
    return bytecode


def _compile(source: str, name: str) -> list[Any]:
    from hogvm import HogError, compile_hog

    try:
        return compile_hog(source)
    except HogError as exc:
        where = f":{exc.line}:{exc.column}" if exc.line is not None else ""
        raise CliError(f"{_display_name(name)}{where}: {exc.message}") from None
    except RecursionError:
        raise CliError(f"{_display_name(name)}: the program is nested too deeply") from None


def _globals_option(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise CliError(f"--globals: not valid JSON ({exc})", EXIT_USAGE) from None
    if not isinstance(value, dict):
        raise CliError("--globals: expected a JSON object, e.g. '{\"event\": {\"event\": \"$pageview\"}}'", EXIT_USAGE)
    return value


# -- helpers --------------------------------------------------------------------------------------


def _read_text(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"{name}: no such file", EXIT_USAGE) from None
    except UnicodeDecodeError:
        raise CliError(f"{name}: not UTF-8 text", EXIT_USAGE) from None
    except OSError as exc:
        raise CliError(f"{name}: {exc.strerror}", EXIT_USAGE) from None


def _display_name(name: str) -> str:
    return "<stdin>" if name == "-" else name


def _one_line(exc: BaseException) -> str:
    return str(exc).split("\n", 1)[0]


if __name__ == "__main__":
    raise SystemExit(main())
