"""Reading what the user passed (files, tags, instants, JSON), and compiling source for a command.

Every problem becomes a `CliError` worded the same whichever option it came from:
`NAME: no such file`, `NAME: not valid JSON (...)`, `NAME:LINE:COLUMN: message` with a caret line.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from pydantic import ValidationError

from hogtest.errors import EXIT_FAILURE, EXIT_USAGE, CliError

if TYPE_CHECKING:
    from hogvm import CompiledHog, HogError

STDIN = "-"


def display_name(name: str) -> str:
    return "<stdin>" if name == STDIN else name


def read_text(name: str, exit_code: int = EXIT_USAGE) -> str:
    """A UTF-8 text file, or standard input for `-`."""
    from sampler.loaders import file_problem

    if name == STDIN:
        return sys.stdin.read()
    path = Path(name)
    problem = file_problem(path)
    if problem is not None:
        raise CliError(f"{name}: {problem}", exit_code)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CliError(f"{name}: not UTF-8 text", exit_code) from None
    except OSError as exc:
        raise CliError(f"{name}: {exc.strerror or exc}", exit_code) from None


def parse_json(text: str, what: str, exit_code: int = EXIT_USAGE) -> Any:
    """JSON text, a problem (including nesting too deep for Python) named after `what`."""
    try:
        return json.loads(text)
    except RecursionError:
        raise CliError(f"{what}: JSON nested too deeply to read", exit_code) from None
    except ValueError as exc:
        raise CliError(f"{what}: not valid JSON ({exc})", exit_code) from None


def one_line(exc: BaseException) -> str:
    return str(exc).split("\n", 1)[0]


# -- tags ----------------------------------------------------------------------------------------


def tags_option(tags: str | None, tags_file: str | None) -> list[dict[str, Any]]:
    """`--tags a,b` or `--tags-file FILE.json` as `[{name, description?}]`, each tag validated as
    PostHog validates it, problems counted from 1 and named after the option."""
    if tags is not None:
        parsed = [{"name": name.strip()} for name in tags.split(",") if name.strip()]
        _validate_tags(parsed, "--tags")
        return parsed
    if tags_file is None:
        return []
    data = parse_json(read_text(tags_file), f"--tags-file {tags_file}")
    if not isinstance(data, list):
        raise CliError(f"--tags-file {tags_file}: expected a JSON list of tag names or {{name, description}} objects",
                       EXIT_USAGE)
    parsed = []
    for position, item in enumerate(data, start=1):
        if isinstance(item, str):
            parsed.append({"name": item})
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            parsed.append(item)
        else:
            raise CliError(f"--tags-file {tags_file}: tag {position} must be a tag name or an object with a string "
                           "\"name\"", EXIT_USAGE)
    _validate_tags(parsed, f"--tags-file {tags_file}")
    return parsed


def _validate_tags(tags: list[dict[str, Any]], where: str) -> None:
    from sampler.models import TagDefinition

    for position, tag in enumerate(tags, start=1):
        try:
            TagDefinition.model_validate(tag)
        except ValidationError as exc:
            raise CliError(f"{where}: tag {position}: {_tag_problem(exc)}", EXIT_USAGE) from None


def _tag_problem(exc: ValidationError) -> str:
    item = exc.errors(include_url=False)[0]
    field = str(item["loc"][0]) if item["loc"] else "tag"
    limit = (item.get("ctx") or {}).get("max_length")
    if item["type"] == "string_too_long" and limit is not None:
        return f"{field} is longer than {limit} characters"
    if item["type"] in ("string_too_short", "blank_tag_name"):
        return f"{field} is empty"
    return f"{field}: {item['msg']}"


# -- other values ----------------------------------------------------------------------------------


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


# -- compiling ---------------------------------------------------------------------------------------


def compile_for_command(source: str, name: str, err: TextIO, *, globals: Any = None,
                        strict: bool = False) -> CompiledHog:
    """Compile Hog source, printing each warning as `NAME:LINE:COLUMN: warning: message` on `err`.

    A syntax or compile error, or (with `strict`) any warning, becomes a `CliError` in the same
    `NAME:LINE:COLUMN: message` form, with the source line and a caret as details."""
    from hogvm import HogError, compile_hog_with_warnings

    try:
        compiled = compile_hog_with_warnings(source, globals=globals)
    except HogError as exc:
        print_warnings(exc.warnings, name, err)
        raise source_error(exc, name) from None
    except RecursionError:
        raise CliError(f"{display_name(name)}: the program is nested too deeply") from None
    print_warnings(compiled.warnings, name, err)
    if strict and compiled.warnings:
        count = len(compiled.warnings)
        raise CliError(f"{display_name(name)}: {count} warning{'s' if count != 1 else ''}, "
                       "which --strict makes errors")
    return compiled


def print_warnings(warnings: Any, name: str, err: TextIO) -> None:
    for warning in warnings:
        err.write(f"{display_name(name)}:{warning.line}:{warning.column}: warning: {warning.message}\n")


def source_error(exc: HogError, name: str, exit_code: int = EXIT_FAILURE) -> CliError:
    """`NAME:LINE:COLUMN: message` (`NAME: message` without a position), the caret line as details."""
    if exc.line is None:
        return CliError(f"{display_name(name)}: {one_line(exc)}", exit_code)
    inside = ""
    if exc.function == "lambda":
        inside = " (in a lambda)"
    elif exc.function:
        inside = f" (in function {exc.function})"
    return CliError(f"{display_name(name)}:{exc.line}:{exc.column}: {exc.headline()}{inside}", exit_code,
                    exc.snippet())

