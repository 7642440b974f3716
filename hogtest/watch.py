"""`hog-test run TAGGER --watch`: run again every time the tagger (or its tags file) is saved.

On a terminal the screen is cleared before each run, so it always shows one report; into a pipe or
a log, runs are separated by a header line. A failing run (a compile error, a bad dump) prints its
error as `run` does (one line, and the source line with a caret for a compile error) and the watch
goes on; Ctrl-C ends it with exit code 0.

The directory of each watched file is watched, not the file: editors that save by writing a new
file and renaming it over the old one replace the file a watch on it would follow.
"""

from __future__ import annotations

import argparse
import copy
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import duckdb

from hogtest.errors import EXIT_USAGE, CliError
from hogtest.extras import require
from sampler.errors import SamplerError

CLEAR_SCREEN = "\x1b[2J\x1b[H"
DEBOUNCE_MS = 150  # editors write a file in several steps; one run per save
WAKE_MS = 200  # how long the first run waits for the watcher to be ready

RunOnce = Callable[[argparse.Namespace, TextIO, TextIO], int]


def run_watching(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    run_once: RunOnce,
    *,
    stop_event: threading.Event | None = None,
) -> int:
    """Run `run_once(args)` now and after every change to the tagger or tags file, until Ctrl-C
    (or `stop_event`, for embedding and tests).
    """
    watchfiles = require("watchfiles", "watchfiles", "hog-test run --watch")
    if args.tagger == "-":
        raise CliError("--watch needs a tagger file to watch, not standard input", EXIT_USAGE)
    watched = {Path(name).resolve() for name in (args.tagger, args.tags_file) if name}
    if not Path(args.tagger).is_file():
        raise CliError(f"{args.tagger}: no such file", EXIT_USAGE)
    once = copy.copy(args)
    once.watch = False
    clear = _is_terminal(out)

    def is_watched(_change: Any, path: str) -> bool:
        return Path(path).resolve() in watched

    runs = 0

    def run(reason: str) -> None:
        nonlocal runs
        runs += 1
        stamp = datetime.now().strftime("%H:%M:%S")
        out.write(CLEAR_SCREEN if clear else ("\n" if runs > 1 else ""))
        out.write(f"── hog-test run {args.tagger} · run {runs} at {stamp} · {reason} ──\n")
        out.flush()
        try:
            run_once(once, out, err)
        except (CliError, SamplerError, OSError, duckdb.Error) as exc:
            err.write(f"hog-test: error: {_one_line(exc)}\n")
            if isinstance(exc, CliError) and exc.details:  # the source line and its caret, as `run` shows them
                err.write(f"{exc.details}\n")
        err.write(f"watching {', '.join(sorted(str(p.name) for p in watched))} for changes (Ctrl-C to stop)\n")
        out.flush()
        err.flush()

    # watchfiles logs its own note on Ctrl-C; the "stopped watching" line below says it already.
    quiet = _Quiet("watchfiles")
    started = False
    try:
        # The watcher starts on the generator's first step, and wakes every WAKE_MS when idle: the
        # first run waits for that wake-up, so a save made during any run, the first included, is
        # seen and runs again.
        for changes in watchfiles.watch(
            *sorted({path.parent for path in watched}),
            watch_filter=is_watched,
            debounce=DEBOUNCE_MS,
            rust_timeout=WAKE_MS,
            yield_on_timeout=True,
            recursive=False,
            stop_event=stop_event,
            raise_interrupt=False,
        ):
            if not started:
                started = True
                run("started")
            elif changes:
                names = sorted({Path(path).name for _, path in changes})
                run(f"{', '.join(names)} changed")
    except KeyboardInterrupt:
        pass
    finally:
        quiet.restore()
    err.write("stopped watching\n")
    return 0


class _Quiet:
    """A library's logger raised to errors only, until restored."""

    def __init__(self, name: str) -> None:
        self._logger = logging.getLogger(name)
        self._level = self._logger.level
        self._logger.setLevel(logging.ERROR)

    def restore(self) -> None:
        self._logger.setLevel(self._level)


def _is_terminal(stream: TextIO) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)())


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    return str(exc).split("\n", 1)[0]
