"""`hog-test keys create|list|revoke`: personal API keys for the Taggers API."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from hogtest.errors import EXIT_USAGE, CliError


def register(commands: Any) -> None:
    keys = commands.add_parser("keys", help="create, list and revoke personal API keys (phx_...)")
    actions = keys.add_subparsers(dest="keys_action", required=True, metavar="ACTION")

    create = actions.add_parser("create", help="create a key; prints it once, on the last line")
    create.add_argument("--project", action="append", metavar="N",
                        help="a project the key may use (repeat, or comma-separate; default: every project)")
    create.add_argument("--scopes", required=True, metavar="a,b",
                        help="comma-separated: tagger:read, tagger:write, query:read (read events), or * for everything")
    create.add_argument("--email", default=None, help="the user the key belongs to (created if new)")
    create.add_argument("--label", default="hog-test key", help="a name to recognise the key by (up to 40)")
    create.add_argument("--db", metavar="PATH", help="the database file (default: the embedded default database)")
    create.set_defaults(handler=cmd_create)

    list_ = actions.add_parser("list", help="list keys (never their secrets)")
    list_.add_argument("--db", metavar="PATH", help="the database file (default: the embedded default database)")
    list_.set_defaults(handler=cmd_list)

    revoke = actions.add_parser("revoke", help="revoke a key: it stops working at once")
    revoke.add_argument("key", help="the key's id (see `hog-test keys list`) or the key itself")
    revoke.add_argument("--db", metavar="PATH", help="the database file (default: the embedded default database)")
    revoke.set_defaults(handler=cmd_revoke)


def _projects(values: list[str] | None) -> list[int] | None:
    if not values:
        return None
    try:
        return [int(part) for value in values for part in value.split(",") if part.strip()]
    except ValueError:
        raise CliError(f"--project takes project numbers, not {', '.join(values)!r}", EXIT_USAGE) from None


def cmd_create(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hogtest.stores import open_writable
    from sampler.registry import DEFAULT_EMAIL, Registry

    projects = _projects(args.project)
    scopes = [scope.strip() for scope in args.scopes.split(",") if scope.strip()]
    store = open_writable(args.db)
    try:
        registry = Registry(store)
        for project_id in projects or []:
            project, created = registry.ensure_project(project_id)
            if created:
                print(f"created project {project.id} (token {project.api_token})", file=err)
        key, secret = registry.create_key(scopes=scopes, projects=projects, email=args.email or DEFAULT_EMAIL,
                                          label=args.label)
        user = registry.user(key.user_id)
    finally:
        store.close()
    where = "every project" if key.projects is None else "project " + ", ".join(map(str, key.projects))
    out.write(f"created key {key.id} ({key.label}) for {user.email if user else '?'}: "
              f"scopes {', '.join(key.scopes)}; {where}\n")
    out.write("the key is shown only now; keep it safe:\n")
    out.write(f"{secret}\n")
    return 0


def cmd_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hogtest.stores import open_writable
    from sampler.registry import Registry

    store = open_writable(args.db)
    try:
        keys = Registry(store).keys()
    finally:
        store.close()
    if not keys:
        out.write("no keys yet (create one with `hog-test keys create --project 1 --scopes tagger:read`)\n")
        return 0
    rows = [("ID", "KEY", "USER", "SCOPES", "PROJECTS", "CREATED", "LAST USED", "STATUS")]
    for key, user in keys:
        rows.append((key.id, key.mask_value, user.email if user else "?", ",".join(key.scopes),
                     "all" if key.projects is None else ",".join(map(str, key.projects)),
                     _when(key.created_at), _when(key.last_used_at) if key.last_used_at else "never",
                     f"revoked {_when(key.revoked_at)}" if key.revoked_at else "active"))
    out.write(table(rows))
    return 0


def cmd_revoke(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from hogtest.stores import open_writable
    from sampler.registry import Registry

    store = open_writable(args.db)
    try:
        key = Registry(store).revoke_key(args.key.strip())
    finally:
        store.close()
    out.write(f"revoked key {key.id} ({key.mask_value})\n")
    return 0


def _when(moment: Any) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n"
                   for row in rows)
