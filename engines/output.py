"""Where `$ai_tag` rows go: staged parts, one sorted output file written atomically, the database.

A run stages its rows in Parquet parts in a hidden directory beside the output
(`.tags.parquet.<tagger version>.parts/`), each part written to a temporary name and renamed, so a
part on disk is always whole. At the end, the parts are sorted (by time, then `$ai_tag` uuid, then
every other column: a total order) by DuckDB, which spills to disk rather than grow, into a
temporary file in that directory, which is then renamed over the output. A killed run leaves the
output as it was (absent, or the previous run's) and its whole parts, which `--resume` reuses.

The output's bytes depend only on its rows: rows are deduplicated and sorted, Parquet is written
in fixed row groups by one writer, JSON Lines by Python's `json` with fixed separators. So any
number of workers, either engine, or a resumed run gives the same file.

`--into-db` inserts each part into the events table as it is staged (one transaction each), every
`$ai_tag` in the project of the event it tags, as live tagging stores it; a uuid already in that
project is skipped, and a killed run keeps what it committed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from engines.rows import PROJECT_COLUMN, SORT_COLUMNS, TAG_COLUMNS, TAG_SCHEMA, TARGET_PATH
from sampler.ai_tag import AI_TAG_EVENT, ai_tag_uuid
from sampler.errors import SamplerError
from sampler.store import DEFAULT_PROJECT_ID, EVENTS_TABLE, EventStore, property_path

OUTPUT_FORMATS = {".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}
# Rows per staged part, and per row group of the output (fixed, so the bytes are too).
PART_ROWS = 10_000
ROW_GROUP_ROWS = 50_000
# The sort runs on one thread within this much memory and spills the rest to the staging
# directory: beyond a few hundred thousand rows, memory no longer grows with the output.
SORT_MEMORY_LIMIT = "256MB"
_PART_GLOB = "part-*.parquet"


class OutputError(SamplerError):
    """The output cannot be written or read back (a clear one-line message)."""


def output_format(path: Path) -> str:
    fmt = OUTPUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise OutputError(f"{path}: the output must end in .parquet or .jsonl")
    return fmt


@dataclass(frozen=True, slots=True)
class TaggerIdentity:
    """What makes `$ai_tag` uuids: rows of another id or version belong to another run."""

    id: str
    version: str

    def made(self, tag_uuid: str | None, target_uuid: str | None) -> bool:
        return bool(tag_uuid and target_uuid) and tag_uuid == ai_tag_uuid(self.id, self.version, str(target_uuid))


class Staging:
    """The hidden directory of one output's parts for one tagger version."""

    def __init__(self, out: Path, version: str) -> None:
        self.out = out
        self.directory = out.parent / f".{out.name}.{version}.parts"

    def prepare(self, *, resume: bool) -> None:
        """Start afresh, or (resuming) keep the whole parts of an earlier run; drop other versions'."""
        for stale in self.out.parent.glob(f".{self.out.name}.*.parts"):
            if stale != self.directory or not resume:
                shutil.rmtree(stale, ignore_errors=True)
        self.directory.mkdir(parents=True, exist_ok=True)
        for leftover in self.directory.glob("*.tmp"):  # a part or a Ray directory never finished
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)

    def parts(self) -> list[Path]:
        """Whole parts: ours, and those of finished Ray writes (`ray-*/`)."""
        ray_parts = (p for p in self.directory.glob("ray-*/*.parquet") if not p.parent.name.endswith(".tmp"))
        return sorted(self.directory.glob(_PART_GLOB)) + sorted(ray_parts)

    def write_part(self, table: pa.Table) -> Path:
        numbers = [int(p.stem.split("-")[1]) for p in self.directory.glob(_PART_GLOB) if p.stem.split("-")[1].isdigit()]
        path = self.directory / f"part-{max(numbers, default=0) + 1:06d}.parquet"
        _write_atomically(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))
        return path

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def _write_atomically(path: Path, write: Callable[[Path], object], tmp: Path | None = None) -> None:
    """`write(tmp)`, flush it to disk, then rename it to `path`: readers see all of it or nothing."""
    tmp = tmp or path.with_name(path.name + ".tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# -- reading tag rows back --------------------------------------------------------------------


def read_tag_rows(path: Path, batch_rows: int = PART_ROWS) -> Iterator[pa.RecordBatch]:
    """Rows of an output file (Parquet or JSON Lines) or part, in TAG_SCHEMA."""
    try:
        if output_format(path) == "parquet":
            yield from pq.ParquetFile(path).iter_batches(batch_size=batch_rows, columns=list(TAG_COLUMNS))
            return
        with path.open("rb") as lines:
            rows: list[dict[str, object]] = []
            for number, line in enumerate(lines, start=1):
                if line.strip():
                    rows.append(_jsonl_row(line, path, number))
                if len(rows) == batch_rows:
                    yield pa.RecordBatch.from_pylist(rows, schema=TAG_SCHEMA)
                    rows = []
            if rows:
                yield pa.RecordBatch.from_pylist(rows, schema=TAG_SCHEMA)
    except (pa.ArrowException, OSError) as exc:
        raise OutputError(f"{path}: cannot read it back as $ai_tag rows ({str(exc).splitlines()[0]})") from None


def _jsonl_row(line: bytes, path: Path, number: int) -> dict[str, object]:
    try:
        value = json.loads(line)
        row = {name: value[name] for name in TAG_COLUMNS}
        row["properties"] = _compact(value["properties"])
    except (ValueError, KeyError, TypeError) as exc:
        raise OutputError(f"{path}: line {number}: not a $ai_tag row of this tool ({exc})") from None
    return row


def _compact(value: object) -> str:
    """JSON text as `engines.rows.tag_row` writes it (the same bytes after a round trip)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _targets(batch: pa.RecordBatch) -> Iterator[tuple[str | None, str | None]]:
    uuids = batch.column("uuid").to_pylist()
    for tag_uuid, properties in zip(uuids, batch.column("properties").to_pylist(), strict=True):
        try:
            target = json.loads(properties).get("$ai_target_event_id")
        except (ValueError, AttributeError):
            target = None
        yield tag_uuid, target


def file_targets(path: Path, identity: TaggerIdentity) -> set[str] | None:
    """The target uuids a file's rows tagged, or None when any row is not this tagger version's or
    the file is not a `$ai_tag` file at all (it is then replaced like any output of another run)."""
    done: set[str] = set()
    try:
        for batch in read_tag_rows(path):
            for tag_uuid, target in _targets(batch):
                if not identity.made(tag_uuid, target):
                    return None
                done.add(str(target))
    except OutputError:
        return None
    return done


def database_targets(store: EventStore, identity: TaggerIdentity, project: int | None = None) -> set[str]:
    """Target uuids of `$ai_tag` events this tagger version already stored in the database (in
    `project`, when the run tags one project)."""
    sql = (f"SELECT uuid, properties->>'{TARGET_PATH}' FROM {EVENTS_TABLE} "
           f"WHERE event = ? AND properties->>'{property_path('$ai_tagger_id')}' = ?")
    params: list[object] = [AI_TAG_EVENT, identity.id]
    if project is not None:
        sql += " AND project_id = ?"
        params.append(project)
    done: set[str] = set()
    with store.cursor() as cur:
        reader = cur.sql(sql, params=params).to_arrow_reader(PART_ROWS)
        for batch in reader:
            for tag_uuid, target in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist(), strict=True):
                if identity.made(tag_uuid, target):
                    done.add(target)
    return done


# -- the sink -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SinkReport:
    rows: int  # rows in the output file (or tagged this run, without one)
    added_to_db: int


class TagSink:
    """Receives `$ai_tag` rows in any order, stages them, and writes the output at `finish()`."""

    def __init__(self, identity: TaggerIdentity, *, out: Path | None = None, into: EventStore | None = None,
                 resume: bool = False, project: int | None = None) -> None:
        self.identity = identity
        self.out = out
        self.into = into
        self.resume = resume
        self.project = project  # the one project whose events the run tags, if it tags one
        self.format = output_format(out) if out is not None else None
        self.staging = Staging(out, identity.version) if out is not None else None
        self._buffer: list[pa.Table] = []
        self._buffered = 0
        self.rows = 0
        self.added_to_db = 0
        self.previous_output: Path | None = None  # the output being resumed, kept when it is ours

    def open(self) -> set[str]:
        """Prepare staging; with `resume`, the target uuids already tagged by this tagger version."""
        done: set[str] = set()
        if self.staging is not None:
            assert self.out is not None
            self.staging.prepare(resume=self.resume)
            if self.resume:
                for part in self.staging.parts():
                    done |= file_targets(part, self.identity) or set()
                if self.out.exists():
                    previous = file_targets(self.out, self.identity)
                    if previous is not None:
                        done |= previous
                        self.previous_output = self.out
        if self.resume and self.into is not None:
            done |= database_targets(self.into, self.identity, self.project)
        return done

    def add(self, rows: pa.Table) -> None:
        if rows.num_rows == 0:
            return
        self._buffer.append(rows)
        self._buffered += rows.num_rows
        self.rows += rows.num_rows
        if self._buffered >= PART_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self._buffer:
            return
        table = pa.concat_tables(self._buffer)
        self._buffer, self._buffered = [], 0
        if self.staging is not None:
            self.staging.write_part(table)
        if self.into is not None:
            self.added_to_db += insert_tag_rows(self.into, table)

    def finish(self, extra_parts: Iterable[Path] = ()) -> SinkReport:
        """Flush, then write the sorted output over `out` (atomically) and remove the staging."""
        self.flush()
        if self.out is None or self.staging is None or self.format is None:
            return SinkReport(self.rows, self.added_to_db)
        parts = [*self.staging.parts(), *extra_parts]
        if self.previous_output is not None:
            parts.append(self._previous_as_part(self.previous_output))
        rows = write_sorted(parts, self.out, self.format, scratch=self.staging.directory)
        self.staging.remove()
        return SinkReport(rows, self.added_to_db)

    def _previous_as_part(self, previous: Path) -> Path:
        if self.format == "parquet":
            return previous
        assert self.staging is not None
        path = self.staging.directory / "previous.parquet"
        with pq.ParquetWriter(path, TAG_SCHEMA, compression="zstd") as writer:
            for batch in read_tag_rows(previous):
                writer.write_batch(batch)
        return path


def insert_tag_rows(store: EventStore, table: pa.Table) -> int:
    """Store staged `$ai_tag` rows as events, each in its target's project (uuids already stored in
    that project are skipped); returns how many were new."""
    columns = f"uuid, event, distinct_id, timestamp, properties, person_id, elements_chain, {PROJECT_COLUMN}"
    with store.cursor() as cur:
        cur.register("tag_rows", table)
        try:
            cur.execute("BEGIN TRANSACTION")
            before = _count(cur)
            cur.execute(f"""
                INSERT INTO {EVENTS_TABLE} ({columns})
                SELECT DISTINCT ON (project, uuid) uuid, event, distinct_id, timestamp::TIMESTAMPTZ,
                       properties::JSON, person_id, elements_chain, project
                FROM (SELECT *, coalesce({PROJECT_COLUMN}, {DEFAULT_PROJECT_ID}) AS project FROM tag_rows) AS s
                WHERE NOT EXISTS (SELECT 1 FROM {EVENTS_TABLE} AS e
                                  WHERE e.{PROJECT_COLUMN} = s.project AND e.uuid = s.uuid)
            """)
            added = _count(cur) - before
            cur.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                cur.execute("ROLLBACK")
            raise
        finally:
            cur.unregister("tag_rows")
    return added


def _count(cur: duckdb.DuckDBPyConnection) -> int:
    row = cur.execute(f"SELECT count(*) FROM {EVENTS_TABLE}").fetchone()
    return int(row[0]) if row else 0


# -- the sorted output ---------------------------------------------------------------------------


def write_sorted(parts: list[Path], out: Path, fmt: str, *, scratch: Path) -> int:
    """Deduplicate and sort the rows of `parts` into `out`, atomically. Returns the row count."""
    order = ", ".join([*SORT_COLUMNS, *(c for c in TAG_COLUMNS if c not in SORT_COLUMNS)])
    columns = ", ".join(TAG_COLUMNS)
    conn = duckdb.connect(config={"memory_limit": SORT_MEMORY_LIMIT, "threads": 1,
                                  "temp_directory": str(scratch / "spill")})
    try:
        if parts:
            files = "[" + ", ".join(_sql_string(str(p)) for p in parts) + "]"
            # By name: staged parts carry the target's project, a resumed output does not.
            source = f"SELECT DISTINCT {columns} FROM read_parquet({files}, union_by_name=true)"
        else:
            conn.register("no_rows", TAG_SCHEMA.empty_table())
            source = f"SELECT {columns} FROM no_rows"
        reader = conn.sql(f"{source} ORDER BY {order}").to_arrow_reader(ROW_GROUP_ROWS)
        tmp = scratch / f"output{out.suffix}.tmp"
        rows = 0

        def write(path: Path) -> None:
            nonlocal rows
            rows = (_write_parquet if fmt == "parquet" else _write_jsonl)(_regrouped(reader), path)

        try:
            _write_atomically(out, write, tmp)
        except duckdb.Error as exc:
            raise OutputError(f"{out}: cannot sort the tagged rows ({str(exc).splitlines()[0]})") from None
        return rows
    finally:
        conn.close()


def _regrouped(reader: pa.RecordBatchReader) -> Iterator[pa.Table]:
    """Batches of exactly ROW_GROUP_ROWS rows (the last shorter), whatever sizes DuckDB hands out."""
    pending: list[pa.RecordBatch] = []
    count = 0
    for batch in reader:
        pending.append(batch)
        count += batch.num_rows
        while count >= ROW_GROUP_ROWS:
            table = pa.Table.from_batches(pending, schema=batch.schema)
            yield table.slice(0, ROW_GROUP_ROWS)
            rest = table.slice(ROW_GROUP_ROWS)
            pending, count = rest.to_batches(), rest.num_rows
    if count:
        yield pa.Table.from_batches(pending, schema=reader.schema)


def _write_parquet(tables: Iterator[pa.Table], path: Path) -> int:
    rows = 0
    with pq.ParquetWriter(path, TAG_SCHEMA, compression="zstd") as writer:
        for table in tables:
            writer.write_table(table.cast(TAG_SCHEMA), row_group_size=ROW_GROUP_ROWS)
            rows += table.num_rows
    return rows


def _write_jsonl(tables: Iterator[pa.Table], path: Path) -> int:
    rows = 0
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for table in tables:
            columns = [table.column(name).to_pylist() for name in TAG_COLUMNS]
            for values in zip(*columns, strict=True):
                fields = [f"{json.dumps(name)}:{_field(name, value)}" for name, value in zip(TAG_COLUMNS, values,
                                                                                            strict=True)]
                handle.write("{" + ",".join(fields) + "}\n")
            rows += table.num_rows
    return rows


def _field(name: str, value: object) -> str:
    # `properties` is already compact JSON text: it goes in as an object, not re-encoded.
    return str(value) if name == "properties" else json.dumps(value, ensure_ascii=False)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
