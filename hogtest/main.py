"""`hog-test`: try Hog taggers on events, load event dumps, compile and run Hog programs.

Each subcommand lives in its own module with `register(commands)`, which adds its parser and sets
`handler(args, out, err) -> exit code`. Errors print one line on standard error and exit non-zero:
1 for a failing program, dump or database, 2 for bad usage. Never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

import duckdb

from hogtest import compile_exec, load, run, tag
from hogtest.errors import EXIT_FAILURE, CliError
from sampler.errors import SamplerError

# In the order `hog-test --help` lists them.
COMMANDS = [run, load, tag, compile_exec]


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
    for module in COMMANDS:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args, sys.stdout, sys.stderr)
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


if __name__ == "__main__":
    raise SystemExit(main())
