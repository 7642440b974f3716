"""Which events a command reads: dumps in a throw-away store, a database file, or the default database."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from hogtest.errors import CliError
from sampler.store import EventStore


def open_store(*, events: Sequence[str] | None = None, db: str | None = None, err: TextIO | None = None) -> EventStore:
    """`--events DUMP...` loaded into a temporary store (progress lines on `err`), else `--db PATH`
    (which must exist), else the embedded default database. The caller closes it.
    """
    if events:
        store = EventStore.temporary()
        try:
            store.load(events, progress=(lambda line: print(line, file=err, flush=True)) if err is not None else None)
        except BaseException:
            store.close()
            raise
        return store
    if db is not None:
        path = Path(db)
        if not path.exists():
            raise CliError(f"--db {path}: no such file (create one with `hog-test load DUMP --db {path}`)")
        return open_database(path)
    from sampler.seed import open_default_store

    return open_default_store()


def open_writable(db: str | None) -> EventStore:
    """`--db PATH` (created when missing: `load`, `keys create`), else the embedded default database.
    A dump given by mistake, or a file a running server holds, is a one-line error."""
    if db:
        return open_database(Path(db))
    from sampler.seed import open_default_store

    return open_default_store()


def database_path(db: str | None) -> Path:
    if db:
        return Path(db)
    from sampler.seed import default_db_path

    return default_db_path()


def open_database(path: Path) -> EventStore:
    """An `EventStore` on `path`; a dump given by mistake gets a message that says what to do."""
    from sampler.errors import NotADatabaseError

    try:
        return EventStore(path)
    except NotADatabaseError as exc:
        advice = ""
        if exc.kind.endswith("event dump"):
            advice = (f"; to use its events, pass --events {path}, or keep them in a database with "
                      f"`hog-test load {path} --db events.duckdb`")
        raise CliError(f"--db {path}: {exc.kind}, not a DuckDB event database{advice}") from None
