"""`hog-test`: try Hog taggers on events (run, fuzz, check, diff), tag whole stores and dumps in
batch (tag), load event dumps, compile and run Hog programs, serve the Taggers API and manage its
keys and projects.

Each subcommand lives in its own module with `register(commands)`, which adds its parser and sets
`handler(args, out, err) -> exit code`. Errors print one line on standard error (a source error
adds its source line and a caret) and exit non-zero: 1 for a failing program, dump or database,
2 for bad usage, 130 when interrupted. Never a traceback; a closed pipe (`| head`) ends quietly.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

import duckdb

from hogtest import check, compile_exec, diff, events, fuzz, keys, load, projects, run, serve, tag
from hogtest.errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, CliError
from sampler.errors import SamplerError

# In the order `hog-test --help` lists them.
COMMANDS = [run, load, tag, compile_exec, fuzz, check, diff, serve, keys, projects, events]

# A process whose reader went away exits as one killed by SIGPIPE would (128 + 13).
EXIT_BROKEN_PIPE = 141


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the (sub)command and where to get help."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed_version

    try:
        return installed_version("hog-tagger")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    from sampler.seed import DB_ENV_VAR

    parser = OneLineParser(
        prog="hog-test",
        description="Try PostHog Hog taggers on LLM events, offline.",
        epilog=(
            f"Without --db or --events, events come from the embedded default database "
            f"(${DB_ENV_VAR}, else ~/.cache/hog-tagger/events.duckdb), seeded with sample events on first use."
        ),
    )
    parser.add_argument("--version", action="version", version=f"hog-test {version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=OneLineParser)
    for module in COMMANDS:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args, sys.stdout, sys.stderr)
    except CliError as exc:
        _fail(str(exc), exc.exit_code, exc.details)
    except SamplerError as exc:
        _fail(str(exc), EXIT_FAILURE)
    except duckdb.Error as exc:  # a database failure the store did not anticipate
        _fail(f"event database: {str(exc).splitlines()[0]}", EXIT_FAILURE)
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as exc:  # e.g. the cache directory cannot be created
        where = f"{exc.filename}: " if exc.filename else ""
        _fail(f"{where}{exc.strerror or exc}", EXIT_FAILURE)
    except RecursionError:  # input nested deeper than Python reads (each reader should say which)
        _fail("input nested too deeply to process", EXIT_FAILURE)
    except KeyboardInterrupt:
        _fail("interrupted", EXIT_INTERRUPTED)


def _fail(message: str, code: int, details: str = "") -> NoReturn:
    print(f"hog-test: error: {message}", file=sys.stderr)
    if details:
        print(details, file=sys.stderr)
    raise SystemExit(code)


def _quiet_stdout() -> None:
    """The reader of standard output has gone: send what is still buffered nowhere, so that the
    interpreter's final flush does not complain about the broken pipe."""
    with contextlib.suppress(OSError, ValueError, AttributeError):  # no real descriptor when captured
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":
    raise SystemExit(main())
