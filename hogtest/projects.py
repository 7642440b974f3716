"""`hog-test projects list`: the projects of a database, with their public `phc_` tokens."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from hogtest.keys import table


def register(commands: Any) -> None:
    projects = commands.add_parser("projects", help="list projects and their public phc_ tokens")
    actions = projects.add_subparsers(dest="projects_action", required=True, metavar="ACTION")
    list_ = actions.add_parser("list", help="list projects: id, name, token, events, taggers")
    list_.add_argument("--db", metavar="PATH", help="the database file (default: the embedded default database)")
    list_.set_defaults(handler=cmd_list)


def cmd_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hogtest.stores import open_writable
    from sampler.registry import Registry

    store = open_writable(args.db)
    try:
        registry = Registry(store)
        projects, counts = registry.projects(), registry.project_counts()
    finally:
        store.close()
    rows = [("ID", "NAME", "TOKEN", "EVENTS", "TAGGERS")]
    rows += [(str(p.id), p.name, p.api_token, *map(str, counts.get(p.id, (0, 0)))) for p in projects]
    out.write(table(rows))
    return 0
