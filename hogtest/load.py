"""`hog-test load PATH... [--db PATH]`: import event dumps into a database."""

from __future__ import annotations

import argparse
from typing import Any, TextIO


def register(commands: Any) -> None:
    load = commands.add_parser("load", help="import event dumps (JSON Lines, JSON, Parquet, CSV) into a database")
    load.add_argument("paths", nargs="+", metavar="PATH")
    load.add_argument("--db", metavar="PATH", help="the database file (default: the embedded default database)")
    load.set_defaults(handler=cmd_load)


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
