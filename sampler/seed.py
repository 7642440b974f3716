"""The embedded default database, so that `hog-test run` shows real results out of the box.

Location: `$HOG_TAGGER_DB` if set, else `$XDG_CACHE_HOME/hog-tagger/events.duckdb` (by default
`~/.cache/hog-tagger/events.duckdb`). On first use it is seeded with the sample events shipped in
the package (`sampler/data/events.jsonl`, a copy of `fixtures/events/events.jsonl`).

Keeping the sample recent: the sample spans about a month of ages, but `test_hog` only looks at
the last 7 days. So the seed is shifted in time as a block: at seeding its newest event is placed
at the current time, and whenever the database is opened more than an hour after the last shift,
the seeded events (and only those; events you loaded yourself are never touched) are moved
forward by the time elapsed. The spread of ages inside the sample is preserved.
"""

from __future__ import annotations

import os
import threading
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

from sampler.sampling import utc_now
from sampler.store import EVENTS_TABLE, EventStore

DB_ENV_VAR = "HOG_TAGGER_DB"
REFRESH_AFTER = timedelta(hours=1)

_META_SQL = """
CREATE TABLE IF NOT EXISTS hog_tagger_meta (key VARCHAR PRIMARY KEY, value TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS hog_tagger_seed (uuid VARCHAR);
"""
_ANCHOR_KEY = "seed_anchor"

_default_store: EventStore | None = None
_default_lock = threading.Lock()


def default_db_path() -> Path:
    """Where the embedded default database lives (see the module docstring)."""
    configured = os.environ.get(DB_ENV_VAR)
    if configured:
        return Path(configured).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache).expanduser() / "hog-tagger" / "events.duckdb"


def packaged_events_path() -> Path:
    """The sample events shipped inside the package."""
    path = Path(str(resources.files("sampler") / "data" / "events.jsonl"))
    return path


def open_default_store(path: str | Path | None = None) -> EventStore:
    """Open (creating and seeding if needed) the default database, with a recent seed."""
    store = EventStore(path if path is not None else default_db_path())
    try:
        ensure_recent_seed(store)
    except BaseException:
        store.close()
        raise
    return store


def default_store() -> EventStore:
    """The process-wide default store, opened once and shared (stores are thread-safe)."""
    global _default_store
    with _default_lock:
        if _default_store is None:
            _default_store = open_default_store()
        return _default_store


def ensure_recent_seed(store: EventStore, *, now: datetime | None = None) -> None:
    """Seed `store` with the packaged sample if it never was; shift the seed if it went stale."""
    moment = now or utc_now()
    with store.cursor() as cur:
        cur.execute(_META_SQL)
        row = cur.execute("SELECT value FROM hog_tagger_meta WHERE key = ?", [_ANCHOR_KEY]).fetchone()
    if row is None:
        _seed(store, moment)
    elif moment - row[0] > REFRESH_AFTER:
        _shift_seed(store, moment)


def _seed(store: EventStore, moment: datetime) -> None:
    sample = packaged_events_path()
    store.load([sample], rebase_newest_to=moment)
    with store.cursor() as cur:
        cur.execute("BEGIN TRANSACTION")
        cur.execute(
            "INSERT INTO hog_tagger_seed SELECT uuid FROM read_json(?, format='newline_delimited', "
            "columns={uuid: 'VARCHAR'})",
            [str(sample)],
        )
        cur.execute("INSERT OR REPLACE INTO hog_tagger_meta VALUES (?, ?)", [_ANCHOR_KEY, moment])
        cur.execute("COMMIT")


def _shift_seed(store: EventStore, moment: datetime) -> None:
    with store.cursor() as cur:
        cur.execute("BEGIN TRANSACTION")
        cur.execute(
            f"""
            UPDATE {EVENTS_TABLE}
            SET timestamp = timestamp + (?::TIMESTAMPTZ - (SELECT value FROM hog_tagger_meta WHERE key = ?))
            WHERE uuid IN (SELECT uuid FROM hog_tagger_seed)
            """,
            [moment, _ANCHOR_KEY],
        )
        cur.execute("UPDATE hog_tagger_meta SET value = ? WHERE key = ?", [moment, _ANCHOR_KEY])
        cur.execute("COMMIT")
