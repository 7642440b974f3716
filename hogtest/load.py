"""`hog-test load PATH... [--db PATH] [--project N]`: import event dumps into a database."""

from __future__ import annotations

import argparse
from typing import Any, TextIO


def register(commands: Any) -> None:
    load = commands.add_parser("load", help="import event dumps (JSON Lines, JSON, Parquet, CSV) into a database")
    load.add_argument("paths", nargs="+", metavar="PATH")
    load.add_argument("--db", metavar="PATH", help="the database file (default: the embedded default database)")
    load.add_argument("--project", type=int, default=1, metavar="N",
                      help="the project the events belong to (default 1; created if new)")
    load.set_defaults(handler=cmd_load)


def cmd_load(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hogtest.database import database_name, open_database
    from sampler.registry import Registry
    from sampler.store import DEFAULT_PROJECT_ID

    store = open_database(args.db)
    target = database_name(args.db)
    try:
        project, created = Registry(store).ensure_project(args.project)
        if created:
            print(f"created project {project.id} (token {project.api_token})", file=err)
        report = store.load(args.paths, progress=lambda line: print(line, file=err, flush=True),
                            project_id=project.id)
        for loaded in report.files:
            out.write(f"{loaded.path}: {loaded.rows} events read, {loaded.added} new\n")
        where = "" if project.id == DEFAULT_PROJECT_ID else f" to project {project.id}"
        out.write(f"{target}: {report.added} events added{where}, {store.count()} in total\n")
    finally:
        store.close()
    return 0
