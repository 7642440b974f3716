"""Opening the database a command works on: `--db PATH`, else the embedded default database."""

from __future__ import annotations

from typing import Any


def open_database(db: str | None) -> Any:
    """An open EventStore. Raises StoreError (one line) when the file is missing or held elsewhere."""
    from sampler.store import EventStore

    if db:
        return EventStore(db)
    from sampler.seed import open_default_store

    return open_default_store()


def database_name(db: str | None) -> str:
    if db:
        return db
    from sampler.seed import default_db_path

    return str(default_db_path())
