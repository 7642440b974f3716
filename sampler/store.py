"""The event store: PostHog's event columns in a DuckDB table.

    uuid, event, distinct_id, timestamp (TIMESTAMPTZ), properties (JSON), person_id, elements_chain,
    project_id (the project the event belongs to; 1 unless loaded with another)

A store is safe to share between threads: every query runs on its own DuckDB cursor, and loads
are serialised by a lock. Loads are all-or-nothing, and a reload of the same dump adds nothing
(identity is `uuid` within a project).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from sampler import loaders
from sampler.errors import NotADatabaseError, StoreError

EVENTS_TABLE = "events"

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {EVENTS_TABLE} (
    uuid VARCHAR NOT NULL,
    event VARCHAR NOT NULL,
    distinct_id VARCHAR,
    timestamp TIMESTAMPTZ NOT NULL,
    properties JSON NOT NULL,
    person_id VARCHAR,
    elements_chain VARCHAR,
    project_id INTEGER NOT NULL DEFAULT 1
)
"""

DEFAULT_PROJECT_ID = 1

# A long-running process holding a database (the Taggers API server) leaves this note beside it, so
# that another process refused by DuckDB's lock can say who holds the file instead of a raw IO error.
HOLDER_NOTE_SUFFIX = ".holder.json"

# Loads stay within about this much memory; DuckDB spills the rest to a temporary directory.
DEFAULT_MEMORY_LIMIT = "768MB"

# Progress is reported only for files big enough to take a noticeable time.
PROGRESS_MIN_BYTES = 32 * 1024 * 1024
PROGRESS_INTERVAL_S = 1.0

ProgressCallback = Callable[[str], None]


def property_path(key: str) -> str:
    """A DuckDB JSON path to the top-level property `key`.

    Keys are always quoted: PostHog's keys begin with `$` (`$ai_trace_id`), which an unquoted path
    would read as the root, and may contain dots.
    """
    escaped = key.replace("\\", "\\\\").replace('"', '\\"')
    return f'$."{escaped}"'


@dataclass(frozen=True, slots=True)
class FileLoad:
    path: Path
    rows: int  # rows read from the file
    added: int  # rows new to the store (not already present by uuid, first of duplicates)


@dataclass(frozen=True, slots=True)
class LoadReport:
    files: list[FileLoad] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def added(self) -> int:
        return sum(f.added for f in self.files)


class EventStore:
    """A DuckDB database holding events. `path=None` keeps it in memory."""

    def __init__(self, path: str | Path | None = None, *, memory_limit: str = DEFAULT_MEMORY_LIMIT) -> None:
        self.path = Path(path) if path is not None else None
        self._load_lock = threading.Lock()
        self._scratch: str | None = None
        config: dict[str, str | bool] = {"memory_limit": memory_limit}
        if self.path is None:
            # An in-memory database still needs somewhere to spill a large load.
            self._scratch = tempfile.mkdtemp(prefix="hog-tagger-")
            config["temp_directory"] = self._scratch
        else:
            _check_database_file(self.path)
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = duckdb.connect(str(self.path) if self.path else ":memory:", config=config)
            # Timestamps without an offset in a dump are UTC, as in PostHog's exports.
            self._conn.execute("SET GLOBAL TimeZone = 'UTC'")  # GLOBAL: cursors do not inherit a SET
            self._conn.execute(_SCHEMA)
            _add_project_column(self._conn)
        except duckdb.Error as exc:
            self._remove_scratch()
            with contextlib.suppress(duckdb.Error, AttributeError):
                self._conn.close()
            where = self.path or "in-memory database"
            raise StoreError(_in_use_message(self.path, exc) or f"cannot open event database {where}: "
                             f"{_first_line(exc)}") from None

    @classmethod
    def temporary(cls) -> EventStore:
        """A throw-away store in a private temporary directory, removed by `close()`."""
        directory = tempfile.mkdtemp(prefix="hog-tagger-")
        store = cls(Path(directory) / "events.duckdb")
        store._scratch = directory
        return store

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        with contextlib.suppress(duckdb.Error):
            self._conn.close()
        self._remove_scratch()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _remove_scratch(self) -> None:
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    @contextlib.contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A DuckDB cursor for the calling thread; DuckDB connections must not be shared by threads."""
        try:
            cur = self._conn.cursor()
        except duckdb.Error as exc:
            raise StoreError(f"event database is not usable: {_first_line(exc)}") from None
        try:
            yield cur
        finally:
            cur.close()

    # -- queries -----------------------------------------------------------------------------

    def count(self, event: str | None = None) -> int:
        with self.cursor() as cur:
            if event is None:
                row = cur.execute(f"SELECT count(*) FROM {EVENTS_TABLE}").fetchone()
            else:
                row = cur.execute(f"SELECT count(*) FROM {EVENTS_TABLE} WHERE event = ?", [event]).fetchone()
        return int(row[0]) if row else 0

    def event_counts(self) -> dict[str, int]:
        """Events per event name, most frequent first."""
        with self.cursor() as cur:
            rows = cur.execute(
                f"SELECT event, count(*) AS n FROM {EVENTS_TABLE} GROUP BY event ORDER BY n DESC, event"
            ).fetchall()
        return {name: int(n) for name, n in rows}

    def newest_timestamp(self) -> datetime | None:
        with self.cursor() as cur:
            row = cur.execute(f"SELECT max(timestamp) FROM {EVENTS_TABLE}").fetchone()
        return row[0] if row else None

    # -- loading -----------------------------------------------------------------------------

    def load(
        self,
        paths: Iterable[str | Path],
        *,
        rebase_newest_to: datetime | None = None,
        progress: ProgressCallback | None = None,
        project_id: int = DEFAULT_PROJECT_ID,
    ) -> LoadReport:
        """Import dumps (all of them or none) into project `project_id`. Events already in the store
        (by uuid, in that project) are skipped.

        `rebase_newest_to` shifts every loaded timestamp by one interval so that the newest event
        of the loaded files lands at that instant (used to keep the embedded sample recent).
        """
        with self._load_lock, self.cursor() as cur, loaders.readable_dumps(paths, cur) as dumps, transaction(cur):
            return self._load_in_transaction(cur, dumps, rebase_newest_to, progress, project_id)

    def _load_in_transaction(
        self,
        cur: duckdb.DuckDBPyConnection,
        dumps: list[loaders.DumpFile],
        rebase_newest_to: datetime | None,
        progress: ProgressCallback | None,
        project_id: int,
    ) -> LoadReport:
        # Check every file before storing any, so that a bad row anywhere stores nothing.
        checks = []
        for dump in dumps:
            with _progress_while(cur, dump, progress, "checking"):
                checks.append(loaders.check(cur, dump))

        shift = timedelta(0)
        newest = [c.newest for c in checks if c.newest is not None]
        if rebase_newest_to is not None and newest:
            target = rebase_newest_to if rebase_newest_to.tzinfo else rebase_newest_to.replace(tzinfo=UTC)
            shift = target - max(newest)

        files = []
        for dump, checked in zip(dumps, checks, strict=True):
            before = self._count(cur)
            with _progress_while(cur, dump, progress, "storing"):
                loaders.insert(cur, dump, EVENTS_TABLE, shift=shift,
                               keep_first_of_repeats=checked.distinct_uuids != checked.rows,
                               project_id=project_id)
            files.append(FileLoad(Path(dump.name), checked.rows, self._count(cur) - before))
        return LoadReport(files)

    @staticmethod
    def _count(cur: duckdb.DuckDBPyConnection) -> int:
        row = cur.execute(f"SELECT count(*) FROM {EVENTS_TABLE}").fetchone()
        return int(row[0]) if row else 0


@contextlib.contextmanager
def transaction(cur: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction on `cur`: committed when the block ends, rolled back if it raises."""
    cur.execute("BEGIN TRANSACTION")
    try:
        yield
        cur.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            cur.execute("ROLLBACK")
        raise


@contextlib.contextmanager
def _progress_while(
    cur: duckdb.DuckDBPyConnection, dump: loaders.DumpFile, progress: ProgressCallback | None, step: str
) -> Iterator[None]:
    """Report DuckDB's own progress on the running read of a large file, once a second."""
    if progress is None or os.path.getsize(dump.path) < PROGRESS_MIN_BYTES:
        yield
        return
    progress(f"{step} {dump.name}")
    done = threading.Event()

    def poll() -> None:
        last = ""
        while not done.wait(PROGRESS_INTERVAL_S):
            with contextlib.suppress(duckdb.Error):
                percent = cur.query_progress()
                line = f"{step} {dump.name}: {percent:.0f}%"
                if percent >= 0 and line != last:
                    progress(line)
                    last = line

    # Progress tracking is per connection; DuckDB must not draw its own bar on the terminal.
    cur.execute("SET enable_progress_bar = true")
    cur.execute("SET enable_progress_bar_print = false")
    poller = threading.Thread(target=poll, name="hog-tagger-load-progress", daemon=True)
    poller.start()
    try:
        yield
    finally:
        done.set()
        poller.join()


# A DuckDB database file has this at byte 8 (after a checksum). DuckDB would open other files too:
# a JSON dump given as a database opens as a read-only view of it, and events "added" vanish.
_DUCKDB_MAGIC = b"DUCK"


def _check_database_file(path: Path) -> None:
    """Refuse an existing file that is not a DuckDB database (a dump given by mistake)."""
    if not path.exists():
        return
    if path.is_dir():
        raise NotADatabaseError(path, "a directory")
    try:
        with path.open("rb") as handle:
            header = handle.read(12)
    except OSError as exc:
        raise StoreError(f"cannot open event database {path}: {exc.strerror}") from None
    if header[8:12] != _DUCKDB_MAGIC:
        raise NotADatabaseError(path, loaders.describe_file(path))


def _first_line(exc: BaseException) -> str:
    return str(exc).split("\n", 1)[0]


def _add_project_column(conn: duckdb.DuckDBPyConnection) -> None:
    """Databases made before events had a project get the column; their events belong to project 1."""
    row = conn.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = ? AND column_name = 'project_id' "
        "AND schema_name = current_schema() AND database_name = current_database()",
        [EVENTS_TABLE],
    ).fetchone()
    if row and row[0] == 0:
        conn.execute(f"ALTER TABLE {EVENTS_TABLE} ADD COLUMN project_id INTEGER DEFAULT {DEFAULT_PROJECT_ID}")


def holder_note_path(path: str | Path) -> Path:
    return Path(str(path) + HOLDER_NOTE_SUFFIX)


def write_holder_note(path: str | Path, description: str) -> Path:
    """Tell other processes who holds the database at `path` (this process), e.g. a server's URL."""
    note = holder_note_path(path)
    note.write_text(json.dumps({"pid": os.getpid(), "description": description}), encoding="utf-8")
    return note


def remove_holder_note(path: str | Path) -> None:
    note = holder_note_path(path)
    with contextlib.suppress(OSError, ValueError):
        if json.loads(note.read_text(encoding="utf-8")).get("pid") == os.getpid():
            note.unlink()


_LOCK_PID = re.compile(r"Conflicting lock is held in .*\(PID (\d+)\)")


def _in_use_message(path: Path | None, exc: duckdb.Error) -> str | None:
    """One line saying which process holds the database, when DuckDB refused it for its lock."""
    match = _LOCK_PID.search(str(exc))
    if path is None or match is None:
        return None
    pid = int(match.group(1))
    holder = f"another process (PID {pid})"
    with contextlib.suppress(OSError, ValueError, AttributeError):
        note = json.loads(holder_note_path(path).read_text(encoding="utf-8"))
        if note.get("pid") == pid:
            holder = f"{note['description']} (PID {pid})"
    return (f"{path} is in use by {holder}; DuckDB lets only one process open a database file, "
            f"so stop it first or use another --db")
