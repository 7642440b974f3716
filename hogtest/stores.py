"""Which events a command reads: dumps in a throw-away store, a database file, or the default database."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from hogtest.errors import CliError
from sampler.store import EventStore


def open_store(*, events: Sequence[str] | None = None, db: str | None = None, err: TextIO | None = None) -> EventStore:
    """`--events DUMP...` loaded into a temporary store, else `--db PATH` (which must exist), else
    the embedded default database. The caller closes it.
    """
    if events:
        store = EventStore.temporary()
        try:
            store.load(events, progress=(lambda line: print(line, file=err)) if err is not None else None)
        except BaseException:
            store.close()
            raise
        return store
    if db is not None:
        if not Path(db).is_file():
            raise CliError(f"no event database at {db} (create one with `hog-test load --db {db} DUMP`)")
        return EventStore(db)
    from sampler.seed import open_default_store

    return open_default_store()
