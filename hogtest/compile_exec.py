"""`hog-test compile FILE` (bytecode as JSON) and `hog-test exec FILE [--globals JSON]`."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from hogtest.errors import EXIT_USAGE, CliError
from hogtest.options import compile_source, display_name, one_line, read_text


def register(commands: Any) -> None:
    compile_ = commands.add_parser("compile", help="print a Hog program's bytecode as JSON")
    compile_.add_argument("file", help="a .hog file, or - for standard input")
    compile_.set_defaults(handler=cmd_compile)

    exec_ = commands.add_parser("exec", help="run a Hog program (.hog source or .hoge bytecode)")
    exec_.add_argument("file", help="a .hog or .hoge file, or - for standard input")
    exec_.add_argument("--globals", metavar="JSON", help="a JSON object of globals for the program")
    exec_.set_defaults(handler=cmd_exec)


def cmd_compile(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    source = read_text(args.file)
    bytecode = compile_source(source, args.file)
    json.dump(bytecode, out, ensure_ascii=False)
    out.write("\n")
    return 0


def cmd_exec(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hogvm import HogError, execute_bytecode
    from hogvm.printing import print_hog_value

    text = read_text(args.file)
    bytecode = _bytecode_of(text, args.file)
    globals_ = _globals_option(args.globals)
    try:
        result = execute_bytecode(bytecode, globals_)
    except HogError as exc:
        raise CliError(f"{display_name(args.file)}: {one_line(exc)}") from None
    except RecursionError:
        raise CliError(f"{display_name(args.file)}: the program nested too deeply") from None
    for line in result.stdout:
        out.write(f"{line}\n")
    out.write(f"{print_hog_value(result.result)}\n")
    for divergence in result.posthog_divergences:  # on stderr: stdout stays the program's output
        err.write(f"posthog: {divergence['message']}\n")
    return 0


def _bytecode_of(text: str, name: str) -> list[Any]:
    """`.hoge` files (and bytecode piped on stdin) are JSON; anything else is Hog source."""
    looks_like_bytecode = name.endswith(".hoge") or (name == "-" and text.lstrip().startswith("["))
    if not looks_like_bytecode:
        return compile_source(text, name)
    try:
        bytecode = json.loads(text)
    except ValueError as exc:
        raise CliError(f"{display_name(name)}: not valid JSON bytecode ({exc})") from None
    if not isinstance(bytecode, list):
        raise CliError(f"{display_name(name)}: bytecode must be a JSON array like [\"_H\", 1, ...]")
    return bytecode


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
