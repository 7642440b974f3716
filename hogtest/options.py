"""Reading what the user passed: files, tags, instants, globals; compiling source for a command."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hogtest.errors import EXIT_USAGE, CliError


def read_text(name: str) -> str:
    """A UTF-8 text file, or standard input for `-`."""
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


def display_name(name: str) -> str:
    return "<stdin>" if name == "-" else name


def one_line(exc: BaseException) -> str:
    return str(exc).split("\n", 1)[0]


def tags_option(tags: str | None, tags_file: str | None) -> list[dict[str, Any]]:
    """`--tags a,b` or `--tags-file FILE.json` as `[{name, description?}]`."""
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


def parse_now(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CliError(f"--now: not an ISO 8601 date-time: {text!r} (e.g. 2026-11-27T12:00:00Z)", EXIT_USAGE) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def validation_message(exc: ValidationError) -> str:
    parts = []
    for item in exc.errors(include_url=False):
        where = ".".join(str(p) for p in item["loc"])
        parts.append(f"{where}: {item['msg']}" if where else item["msg"])
    return "; ".join(parts)


def compile_source(source: str, name: str) -> list[Any]:
    """Hog source to bytecode, a compile error becoming `NAME:LINE:COLUMN: message`."""
    from hogvm import HogError, compile_hog

    try:
        return compile_hog(source)
    except HogError as exc:
        where = f":{exc.line}:{exc.column}" if exc.line is not None else ""
        raise CliError(f"{display_name(name)}{where}: {exc.message}") from None
    except RecursionError:
        raise CliError(f"{display_name(name)}: the program is nested too deeply") from None
