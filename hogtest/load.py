"""`hog-test load PATH... [--db PATH]`: import event dumps into a database.

A load is all-or-nothing; a first load that fails leaves no database file behind."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path
from typing import Any, TextIO

from hogtest.stores import open_database


def register(commands: Any) -> None:
    load = commands.add_parser("load", help="import event dumps (JSON Lines, JSON, Parquet, CSV) into a database")
    load.add_argument("paths", nargs="+", metavar="PATH", help="event dumps; - reads one from standard input")
    load.add_argument("--db", metavar="PATH", help="the database file (default: the embedded default database)")
    load.set_defaults(handler=cmd_load)


def cmd_load(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sampler.seed import default_db_path, open_default_store

    if args.db:
        target = Path(args.db)
        created = not target.exists()
        store = open_database(target)
    else:
        target, created = default_db_path(), False
        store = open_default_store()
    try:
        report = store.load(args.paths, progress=lambda line: print(line, file=err, flush=True))
        total = store.count()
    except BaseException:
        store.close()
        if created:  # do not leave an empty database behind
            for leftover in (target, target.with_name(target.name + ".wal")):
                with contextlib.suppress(OSError):
                    leftover.unlink()
        raise
    store.close()
    for loaded in report.files:
        out.write(f"{loaded.path}: {loaded.rows} events read, {loaded.added} new\n")
    out.write(f"{target}: {report.added} events added, {total} in total\n")
    return 0
