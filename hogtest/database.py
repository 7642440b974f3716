"""Opening the database a command works on: `--db PATH`, else the embedded default database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hogtest.options import open_database


def open_store(db: str | None) -> Any:
    """An open EventStore. Raises a one-line error when the file is not a database or is held elsewhere."""
    if db:
        return open_database(Path(db))
    from sampler.seed import open_default_store

    return open_default_store()


def database_path(db: str | None) -> Path:
    if db:
        return Path(db)
    from sampler.seed import default_db_path

    return default_db_path()
