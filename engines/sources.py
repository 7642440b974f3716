"""The local engine's inputs, read in bounded chunks: memory does not grow with the input.

- a DuckDB event database: `$ai_generation` events (no other event can be tagged) in the window,
  of one project or of all, each with its project, streamed as Arrow batches by DuckDB without an
  ORDER BY (the output is sorted at the end);
- JSON Lines dumps (optionally gzipped): blocks of whole lines, decoded by the workers;
- Parquet dumps: the file's own batches, read by pyarrow as Ray Data reads them.

Each chunk says how far through the input it reaches (`position`, in the source's `unit`), which
drives the progress bar and its ETA.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.parquet as pq

from engines.batch import EventWindow
from engines.events import EVENT_FIELDS
from sampler.errors import LoadError
from sampler.pipeline import AI_GENERATION_EVENT
from sampler.store import EVENTS_TABLE, EventStore

# Events per chunk handed to a worker (a chunk of the example topic tagger takes about half a
# second), and bytes per chunk of JSON Lines (about a thousand typical LLM events).
CHUNK_EVENTS = 1_000
CHUNK_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class Chunk:
    payload: pa.RecordBatch | bytes  # event columns, or whole JSON lines
    position: int  # how far through the input this chunk ends, in the source's unit


class DatabaseSource:
    unit = "events"

    def __init__(self, store: EventStore, window: EventWindow, *, project: int | None = None) -> None:
        self.store = store
        conditions, self.params = ["event = ?"], [AI_GENERATION_EVENT]
        if window.since is not None:
            conditions.append("timestamp >= ?")
            self.params.append(window.since)
        if window.until is not None:
            conditions.append("timestamp < ?")
            self.params.append(window.until)
        if project is not None:
            conditions.append("project_id = ?")
            self.params.append(project)
        self.where = " AND ".join(conditions)

    def total(self) -> int:
        with self.store.cursor() as cur:
            row = cur.execute(f"SELECT count(*) FROM {EVENTS_TABLE} WHERE {self.where}", self.params).fetchone()
        return int(row[0]) if row else 0

    def chunks(self) -> Iterator[Chunk]:
        sql = (f"SELECT uuid, event, distinct_id, timestamp, properties::VARCHAR AS properties, person_id, "
               f"elements_chain, project_id FROM {EVENTS_TABLE} WHERE {self.where}")
        position = 0
        with self.store.cursor() as cur:
            for batch in cur.sql(sql, params=self.params).to_arrow_reader(CHUNK_EVENTS):
                if batch.num_rows:
                    position += batch.num_rows
                    yield Chunk(batch, position)


class DumpSource:
    """JSON Lines and Parquet dumps (files, or directories of them), one after the other; progress
    in bytes of the files."""

    unit = "bytes"

    def __init__(self, paths: Sequence[str | Path]) -> None:
        for path in paths:
            if "://" in str(path):
                raise LoadError(f"{path}: the local engine reads local files; read URIs with --engine ray")
        self.paths = [Path(p) for p in expand_dumps(paths)]

    def total(self) -> int:
        return sum(path.stat().st_size for path in self.paths)

    def chunks(self) -> Iterator[Chunk]:
        offset = 0
        for path in self.paths:
            reader = _jsonl_chunks if dump_format(path) == "jsonl" else _parquet_chunks
            for payload, position in reader(path):
                yield Chunk(payload, offset + position)
            offset += path.stat().st_size


def dump_format(path: Path | str) -> str:
    name = str(path).rstrip("/").rsplit("/", 1)[-1].lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.removesuffix(".gz").endswith((".jsonl", ".ndjson")):
        return "jsonl"
    raise LoadError(f"{path}: batch tagging reads JSON Lines (.jsonl, .jsonl.gz) and Parquet dumps; "
                    f"load other formats with `hog-test load --db FILE` and tag with --db FILE")


def expand_dumps(paths: Sequence[str | Path]) -> list[str]:
    """Dump files, with each directory (or object-store prefix) replaced by the dumps in it, in
    name order. Local paths and any URI pyarrow's filesystems read (s3://, gs://, abfs://, hdfs://)."""
    from pyarrow import fs

    files: list[str] = []
    for given in map(str, paths):
        try:
            filesystem, path = fs.FileSystem.from_uri(given) if "://" in given else (fs.LocalFileSystem(), given)
            info = filesystem.get_file_info(path)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise LoadError(f"{given}: cannot read it ({str(exc).splitlines()[0]})") from None
        if info.type == fs.FileType.NotFound:
            raise LoadError(f"{given}: no such file")
        if info.type == fs.FileType.File:
            dump_format(given)
            files.append(given)
            continue
        found = sorted(entry.path for entry in filesystem.get_file_info(fs.FileSelector(path, recursive=True))
                       if entry.type == fs.FileType.File and _is_dump(entry.path))
        if not found:
            raise LoadError(f"{given}: a directory with no dumps in it (.jsonl, .jsonl.gz, .parquet)")
        prefix = given[: len(given) - len(path)] if "://" in given and given.endswith(path) else ""
        files += [prefix + name if prefix else name for name in found]
    return files


def _is_dump(name: str) -> bool:
    try:
        dump_format(name)
    except LoadError:
        return False
    return True


def _jsonl_chunks(path: Path) -> Iterator[tuple[bytes, int]]:
    with path.open("rb") as raw:
        stream: IO[bytes] = gzip.GzipFile(fileobj=raw) if path.name.lower().endswith(".gz") else raw
        carry = b""
        try:
            while block := stream.read(CHUNK_BYTES):
                block = carry + block
                cut = block.rfind(b"\n") + 1
                carry = block[cut:]
                if cut:
                    yield block[:cut], raw.tell()
        except (OSError, EOFError) as exc:  # a truncated or corrupt gzip stream
            raise LoadError(f"{path}: cannot read it ({exc})") from None
        if carry.strip():
            yield carry, raw.tell()


def _parquet_chunks(path: Path) -> Iterator[tuple[pa.RecordBatch, int]]:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise LoadError(f"{path}: not a readable Parquet file ({str(exc).splitlines()[0]})") from None
    columns = [name for name in parquet.schema_arrow.names if name in EVENT_FIELDS]
    rows, size = parquet.metadata.num_rows, path.stat().st_size
    done = 0
    for batch in parquet.iter_batches(batch_size=CHUNK_EVENTS, columns=columns):
        done += batch.num_rows
        yield batch, size * done // max(rows, 1)
