"""`hog-test load PATH... [--db PATH] [--project N]`: import event dumps into a database.

A load is all-or-nothing; a first load that fails leaves no database file behind, and a new
project is created only once its events are in."""

from __future__ import annotations

import argparse
import contextlib
from typing import Any, TextIO

from hogtest.stores import database_path, open_writable


def register(commands: Any) -> None:
    load = commands.add_parser("load", help="import event dumps (JSON Lines, JSON, Parquet, CSV) into a database")
    load.add_argument("paths", nargs="+", metavar="PATH", help="event dumps; - reads one from standard input")
    load.add_argument("--db", metavar="PATH", help="the database file (default: the embedded default database)")
    load.add_argument("--project", type=int, default=1, metavar="N",
                      help="the project the events belong to (default 1; created if new)")
    load.set_defaults(handler=cmd_load)


def cmd_load(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sampler.registry import Registry, check_project_id
    from sampler.store import DEFAULT_PROJECT_ID

    project_id = check_project_id(args.project)
    target = database_path(args.db)
    created = bool(args.db) and not target.exists()
    store = open_writable(args.db)
    try:
        registry = Registry(store)
        report = store.load(args.paths, progress=lambda line: print(line, file=err, flush=True),
                            project_id=project_id)
        project, new_project = registry.ensure_project(project_id)
        total = store.count()
    except BaseException:
        store.close()
        if created:  # do not leave an empty database behind
            for leftover in (target, target.with_name(target.name + ".wal")):
                with contextlib.suppress(OSError):
                    leftover.unlink()
        raise
    store.close()
    if new_project:
        print(f"created project {project.id} (token {project.api_token})", file=err)
    for loaded in report.files:
        out.write(f"{loaded.path}: {loaded.rows} events read, {loaded.added} new\n")
    where = "" if project.id == DEFAULT_PROJECT_ID else f" to project {project.id}"
    out.write(f"{target}: {report.added} events added{where}, {total} in total\n")
    return 0
