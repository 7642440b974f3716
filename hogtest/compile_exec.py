"""`hog-test compile FILE` (bytecode as JSON) and `hog-test exec FILE [--globals JSON]`.

Both print the compiler's warnings (one line each, on standard error); `--strict` makes them errors.
`compile` checks names against a tagger's globals; `exec` against the keys of `--globals`."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from hogtest.errors import EXIT_USAGE, CliError
from hogtest.options import STDIN, compile_for_command, display_name, parse_json, read_text, source_error
from hogtest.taggers import add_strict_option, compile_tagger_source


def register(commands: Any) -> None:
    compile_ = commands.add_parser(
        "compile", help="print a Hog program's bytecode as JSON",
        description="Print a Hog program's bytecode as JSON. Warnings go to standard error; names are "
                    "checked against a tagger's globals (input, output, properties, event, tags).")
    compile_.add_argument("file", help="a .hog file, or - for standard input")
    add_strict_option(compile_)
    compile_.set_defaults(handler=cmd_compile)

    exec_ = commands.add_parser(
        "exec", help="run a Hog program (.hog source or .hoge bytecode)",
        description="Run a Hog program and print its output, then its result. Names are checked against "
                    "the keys of --globals.")
    exec_.add_argument("file", help="a .hog or .hoge file, or - for standard input")
    exec_.add_argument("--globals", metavar="JSON", help="a JSON object of globals for the program")
    add_strict_option(exec_)
    exec_.set_defaults(handler=cmd_exec)


def cmd_compile(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    source = read_text(args.file)
    compiled = compile_tagger_source(source, args.file, err, strict=args.strict)
    json.dump(compiled.bytecode, out, ensure_ascii=False)
    out.write("\n")
    return 0


def cmd_exec(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hogvm import HogError, execute_bytecode
    from hogvm.printing import print_hog_value

    text = read_text(args.file)
    globals_ = _globals_option(args.globals)
    bytecode, source_map = _program_of(text, args.file, globals_, args.strict, err)
    try:
        result = execute_bytecode(bytecode, globals_, source_map=source_map)
    except HogError as exc:
        _print_lines(exc.stdout or [], out)  # what the program printed before it failed
        raise source_error(exc, args.file) from None
    _print_lines(result.stdout, out)
    out.write(f"{print_hog_value(result.result)}\n")
    for divergence in result.posthog_divergences:  # on stderr: stdout stays the program's output
        err.write(f"posthog: {divergence['message']}\n")
    return 0


def _print_lines(lines: list[str], out: TextIO) -> None:
    for line in lines:
        out.write(f"{line}\n")
    out.flush()


def _program_of(text: str, name: str, globals_: dict[str, Any], strict: bool, err: TextIO) -> tuple[list[Any], Any]:
    """(bytecode, source map): `.hoge` files (and bytecode piped on stdin) are JSON bytecode, with
    no source map; anything else is Hog source."""
    looks_like_bytecode = name.endswith(".hoge") or (name == STDIN and text.lstrip().startswith("["))
    if not looks_like_bytecode:
        compiled = compile_for_command(text, name, err, globals=list(globals_), strict=strict)
        return compiled.bytecode, compiled.source_map
    bytecode = parse_json(text, display_name(name), exit_code=1)
    if not isinstance(bytecode, list):
        raise CliError(f"{display_name(name)}: bytecode must be a JSON array like [\"_H\", 1, ...]")
    return bytecode, None


def _globals_option(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    value = parse_json(text, "--globals")
    if not isinstance(value, dict):
        raise CliError("--globals: expected a JSON object, e.g. '{\"event\": {\"event\": \"$pageview\"}}'", EXIT_USAGE)
    return value
