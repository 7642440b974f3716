"""Read local event dumps through DuckDB's own readers and normalise them to PostHog's event columns.

Three shapes are accepted, in JSON Lines, JSON arrays (or single objects), Parquet and CSV, each
optionally gzip-compressed (`.gz`; JSON and CSV also `.zst`), or piped on standard input (`-`):

- PostHog's batch export: `uuid, event, distinct_id, person_id, properties, timestamp,
  elements_chain, ...` with `properties` an object or a JSON string;
- the SDK's capture shape: `uuid, event, distinct_id, properties, timestamp`. Without `uuid` (raw
  capture calls often have none), the event gets one derived from its content (`derived_uuid`), so
  reloading the dump adds nothing; without `distinct_id`, `properties.distinct_id` is used;
- a capture API payload, `{"api_key": ..., "batch": [events]}`: its events.

Every column is first read as JSON (whatever its type in the file), so that one SQL expression per
column can both check a row and convert it. No Python code runs per row: a dump of a million
events streams through DuckDB's readers.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import duckdb

from sampler.errors import LoadError

# Columns of the store, in order. The first four are required in every row.
REQUIRED_COLUMNS = ("uuid", "event", "timestamp", "properties")
EVENT_COLUMNS = ("uuid", "event", "distinct_id", "timestamp", "properties", "person_id", "elements_chain")

# One LLM event can carry a long conversation: above DuckDB's default 16 MB, below what
# would make each reader thread's buffers crowd the memory limit.
MAX_OBJECT_BYTES = 32 * 1024 * 1024

_FORMAT_BY_SUFFIX = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
    ".csv": "csv",
}
_COMPRESSION_SUFFIXES = (".gz", ".zst")
STDIN = "-"  # the path that means standard input
STDIN_NAME = "<stdin>"


@dataclass(frozen=True, slots=True)
class DumpFile:
    path: Path  # the file DuckDB reads (a private copy for standard input and compressed Parquet)
    format: str  # 'jsonl', 'json', 'parquet' or 'csv'
    name: str = ""  # how messages name it: the path given, or <stdin>
    batch: bool = False  # a capture API payload `{"batch": [...]}`: events are its batch's items

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", str(self.path))

    @property
    def unit(self) -> str:
        """What a position in this file is called in error messages."""
        if self.batch:
            return "batch event"
        return "line" if self.format == "jsonl" else "row"


def file_problem(path: Path) -> str | None:
    """Why `path` cannot be read as a file ('no such file', ...), worded the same for every option;
    None if it can."""
    if not path.exists():
        return "no such file"
    if path.is_dir():
        return "is a directory, not a file"
    if not os.access(path, os.R_OK):
        return "permission denied"
    return None


def detect_format(path: Path) -> str:
    """The dump format from the file name (`events.jsonl`, `events.json.gz`, `export.parquet`, ...)."""
    name = path.name.lower()
    for suffix in _COMPRESSION_SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    for suffix, fmt in _FORMAT_BY_SUFFIX.items():
        if name.endswith(suffix):
            return fmt
    known = ", ".join(sorted(_FORMAT_BY_SUFFIX))
    raise LoadError(f"{path}: unknown dump format; expected a file ending in one of {known} (optionally .gz)")


def dump_file(path: str | Path) -> DumpFile:
    p = Path(path)
    problem = file_problem(p)
    if problem is not None:
        raise LoadError(f"{p}: {problem}")
    return DumpFile(p, detect_format(p))


@contextlib.contextmanager
def readable_dumps(paths: Iterable[str | Path], conn: duckdb.DuckDBPyConnection) -> Iterator[list[DumpFile]]:
    """The dumps at `paths`, ready for DuckDB's readers: standard input (`-`) and gzip-compressed
    Parquet (which DuckDB cannot read) become private copies, removed afterwards."""
    scratch: str | None = None

    def private_file(name: str) -> Path:
        nonlocal scratch
        if scratch is None:
            scratch = tempfile.mkdtemp(prefix="hog-tagger-dump-")
        return Path(scratch) / name

    try:
        dumps = []
        for number, path in enumerate(paths):
            if str(path) == STDIN:
                if any(dump.name == STDIN_NAME for dump in dumps):
                    raise LoadError(f"{STDIN_NAME}: standard input can be read only once (- given twice)")
                dump = _stdin_dump(private_file)
            else:
                dump = dump_file(path)
                compression = next((s for s in _COMPRESSION_SUFFIXES if dump.path.name.lower().endswith(s)), None)
                if dump.format == "parquet" and compression == ".gz":
                    dump = _decompressed_parquet(dump, private_file(f"dump-{number}.parquet"))
                elif dump.format == "parquet" and compression is not None:
                    raise LoadError(f"{dump.name}: compressed Parquet is read only when gzip-compressed "
                                    "(.parquet.gz); decompress it first")
            dumps.append(_with_batch_shape(conn, dump))
        yield dumps
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _decompressed_parquet(dump: DumpFile, target: Path) -> DumpFile:
    """A decompressed copy of gzip-compressed Parquet (DuckDB reads Parquet only uncompressed)."""
    try:
        with gzip.open(dump.path, "rb") as source, target.open("wb") as copy:
            shutil.copyfileobj(source, copy, 1024 * 1024)
    except (OSError, EOFError) as exc:
        raise LoadError(f"{dump.name}: not a gzip-compressed file ({exc})") from None
    return DumpFile(target, "parquet", dump.name)


def _stdin_dump(private_file: Callable[[str], Path]) -> DumpFile:
    """Standard input, copied to a private file and named after the format its content shows."""
    raw = private_file("stdin")
    stream: BinaryIO = sys.stdin.buffer
    with raw.open("wb") as copy:
        shutil.copyfileobj(stream, copy, 1024 * 1024)
    with raw.open("rb") as handle:
        head = handle.read(2)
    compressed = head == b"\x1f\x8b"
    try:
        opener = gzip.open if compressed else open
        with opener(raw, "rb") as handle:
            sample = handle.read(64 * 1024)
    except (OSError, EOFError) as exc:
        raise LoadError(f"{STDIN_NAME}: cannot read the gzip-compressed input ({exc})") from None
    fmt = sniff_format(sample)
    if fmt is None:
        if not sample.strip():
            raise LoadError(f"{STDIN_NAME}: no events (standard input is empty)")
        raise LoadError(f"{STDIN_NAME}: cannot tell the format: expected JSON Lines, a JSON array, CSV or Parquet")
    if fmt == "parquet" and compressed:
        return _decompressed_parquet(DumpFile(raw, fmt, STDIN_NAME), private_file("stdin.parquet"))
    named = raw.with_name(f"stdin.{fmt}" + (".gz" if compressed else ""))
    raw.rename(named)
    return DumpFile(named, fmt, STDIN_NAME)


def sniff_format(sample: bytes) -> str | None:
    """The dump format the first bytes of a file show, or None."""
    if sample.startswith(b"PAR1"):
        return "parquet"
    text = sample.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"["):
        return "json"
    if text.startswith(b"{"):
        first_line = text.split(b"\n", 1)[0]
        try:
            json.loads(first_line)
        except ValueError:
            return "json"  # one object over several lines
        return "jsonl"
    first_line = text.split(b"\n", 1)[0]
    if b"," in first_line and b"event" in first_line:
        return "csv"
    return None


def describe_file(path: Path) -> str:
    """What kind of file `path` looks like, for a message: 'a JSON Lines event dump', ..."""
    with contextlib.suppress(LoadError):
        return f"{_FORMAT_WORDS[detect_format(path)]} event dump"
    try:
        with path.open("rb") as handle:
            sample = handle.read(64 * 1024)
    except OSError:
        return "an unreadable file"
    if sample.startswith(b"\x1f\x8b"):
        return "a gzip-compressed file"
    fmt = sniff_format(sample)
    if fmt is not None:
        return f"{_FORMAT_WORDS[fmt]} file"
    return "an empty file" if not sample else "some other kind of file"


_FORMAT_WORDS = {"jsonl": "a JSON Lines", "json": "a JSON", "parquet": "a Parquet", "csv": "a CSV"}


def derived_uuid(event: str, distinct_id: str | None, timestamp: str, properties: object) -> str:
    """The uuid a dump row without one gets: the MD5 of its `event`, `distinct_id`, `timestamp` and
    `properties` as minified JSON, one per line, as a version-3 (name-based, MD5) UUID. Identical
    rows get the same uuid, so reloading a dump adds nothing (and a repeated row is one event).

    The loader computes it in SQL from the JSON text DuckDB reads; this is the same function for
    Python callers (DuckDB writes JSON minified, keys in file order)."""
    def minified(value: object) -> str:
        return "null" if value is None else json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    text = "\n".join(minified(v) for v in (event, distinct_id, timestamp, properties))
    digest = hashlib.md5(text.encode("utf-8")).hexdigest()
    variant = "89ab"[int(digest[16], 16) & 3]
    return f"{digest[:8]}-{digest[8:12]}-3{digest[13:16]}-{variant}{digest[17:20]}-{digest[20:32]}"





def _json_columns_spec() -> str:
    return "{" + ", ".join(f"{name}: 'JSON'" for name in EVENT_COLUMNS) + "}"


def _source_sql(conn: duckdb.DuckDBPyConnection, dump: DumpFile) -> str:
    """A SELECT (one `?` parameter: the path) giving every event column as JSON, in file order,
    with a derived uuid where a row has none and `properties.distinct_id` where it has no
    `distinct_id`."""
    columns = ", ".join(
        f"CASE WHEN uuid IS NULL THEN to_json({_UUID_FROM_DIGEST_SQL}) ELSE uuid END AS uuid" if name == "uuid"
        else f"{_DISTINCT_ID_SQL} AS distinct_id" if name == "distinct_id"
        else name
        for name in EVENT_COLUMNS
    )
    return (
        f"SELECT {columns} FROM (SELECT *, CASE WHEN uuid IS NULL THEN {_DIGEST_SQL} END AS _digest "
        f"FROM ({_raw_source_sql(conn, dump)}))"
    )


# A row without `uuid`: the MD5 of its columns' JSON text (see `derived_uuid`), as a version-3 UUID.
_DIGEST_SQL = (
    "md5(concat_ws(chr(10), coalesce(event::VARCHAR, 'null'), coalesce(distinct_id::VARCHAR, 'null'), "
    "coalesce(timestamp::VARCHAR, 'null'), coalesce(properties::VARCHAR, 'null')))"
)
_UUID_FROM_DIGEST_SQL = (
    "substr(_digest, 1, 8) || '-' || substr(_digest, 9, 4) || '-3' || substr(_digest, 14, 3) || '-' "
    "|| substr('89ab', (('0x' || substr(_digest, 17, 1))::INTEGER & 3) + 1, 1) || substr(_digest, 18, 3) "
    "|| '-' || substr(_digest, 21, 12)"
)
# A row without `distinct_id` takes the string or number `properties.distinct_id`, if there is one.
_DISTINCT_ID_SQL = """CASE
    WHEN distinct_id IS NULL AND left(properties::VARCHAR, 1) = '{'
         AND json_type(properties, '$.distinct_id') IN ('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE')
    THEN json_extract(properties, '$.distinct_id')
    ELSE distinct_id
END"""


def _with_batch_shape(conn: duckdb.DuckDBPyConnection, dump: DumpFile) -> DumpFile:
    """`dump`, marked as a capture API payload when its first record is `{"batch": [...]}`."""
    if dump.format not in ("jsonl", "json"):
        return dump
    sql = (f"SELECT json_type(batch) FROM read_json(?, format='{_JSON_FORMATS[dump.format]}', records=true, "
           f"columns={{batch: 'JSON'}}, maximum_object_size={MAX_OBJECT_BYTES}) LIMIT 1")
    try:
        row = conn.execute(sql, [str(dump.path)]).fetchone()
    except duckdb.Error:
        return dump  # not readable as records: the check pass will say why
    if row is None or row[0] != "ARRAY":
        return dump
    return DumpFile(dump.path, dump.format, dump.name, batch=True)


_JSON_FORMATS = {"jsonl": "newline_delimited", "json": "auto"}


def _raw_source_sql(conn: duckdb.DuckDBPyConnection, dump: DumpFile) -> str:
    """A SELECT (one `?` parameter: the path) giving every event column as JSON, in file order."""
    if dump.batch:
        # JSON null must read as SQL NULL, as DuckDB's reader gives it for plain records.
        columns = ", ".join(
            f"CASE WHEN coalesce(json_type(_event, '$.{name}'), 'NULL') = 'NULL' THEN NULL "
            f"ELSE json_extract(_event, '$.{name}') END AS {name}"
            for name in EVENT_COLUMNS
        )
        return (
            f"SELECT {columns} FROM (SELECT unnest(from_json(batch, '[\"JSON\"]')) AS _event "
            f"FROM read_json(?, format='{_JSON_FORMATS[dump.format]}', records=true, columns={{batch: 'JSON'}}, "
            f"maximum_object_size={MAX_OBJECT_BYTES}))"
        )
    if dump.format in ("jsonl", "json"):
        json_format = _JSON_FORMATS[dump.format]
        columns = ", ".join(EVENT_COLUMNS)
        return (
            f"SELECT {columns} FROM read_json(?, format='{json_format}', records=true, "
            f"columns={_json_columns_spec()}, maximum_object_size={MAX_OBJECT_BYTES})"
        )
    if dump.format == "parquet":
        reader = "read_parquet(?)"
        _check_parquet_magic(dump)
        try:
            described = conn.execute(f"DESCRIBE SELECT * FROM {reader}", [str(dump.path)]).fetchall()
        except duckdb.Error as exc:
            raise LoadError(_explain_reader_error(dump, exc)) from None
        found_columns = [row[0] for row in described]
    else:
        # Standard CSV, read strictly with the columns of its header: DuckDB's dialect sniffer
        # would otherwise turn a file with one bad row into a single-column file.
        found_columns = _csv_header(dump)
        columns = ", ".join(f"{_sql_string(name)}: 'VARCHAR'" for name in found_columns)
        reader = (
            "read_csv(?, header=true, auto_detect=false, delim=',', quote='\"', escape='\"', "
            f"strict_mode=true, columns={{{columns}}})"
        )
    present = set(found_columns)
    # A missing uuid is derived from the row (see `derived_uuid`); the others are required.
    missing = [name for name in REQUIRED_COLUMNS if name not in present and name != "uuid"]
    if missing:
        kind = "the CSV header has" if dump.format == "csv" else "its columns are"
        found = ", ".join(found_columns) or "nothing"
        raise LoadError(f"{dump.name}: no {', '.join(repr(m) for m in missing)} column ({kind}: {found})")
    # CSV cells are text; a CSV `properties` cell holds JSON text, which the checks below parse.
    selected = ", ".join(
        f'to_json("{name}") AS {name}' if name in present else f"NULL::JSON AS {name}"
        for name in EVENT_COLUMNS
    )
    return f"SELECT {selected} FROM {reader}"


def _csv_header(dump: DumpFile) -> list[str]:
    """The column names on the first line of a CSV file (gzip-compressed or not)."""
    path = dump.path
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:
        raise LoadError(f"{dump.name}: cannot read the CSV header ({exc})") from None
    if len(set(header)) != len(header):
        raise LoadError(f"{dump.name}: line 1: repeated column names in the CSV header")
    return header


def _check_parquet_magic(dump: DumpFile) -> None:
    try:
        with dump.path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise LoadError(f"{dump.name}: {exc.strerror}") from None
    if magic != b"PAR1":
        raise LoadError(f"{dump.name}: not a Parquet file (it does not start with PAR1)")


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# Each column arrives as minified JSON text (DuckDB re-serialises what it reads; JSON null becomes
# SQL NULL), so its first character tells its kind without parsing it again: `"` a string, `{` an
# object. That matters for `properties`, which is large. `json_type` runs only to word an error.
_KINDS_SQL = """
    *,
    left(uuid::VARCHAR, 1) AS k_uuid,
    left(event::VARCHAR, 1) AS k_event,
    left(timestamp::VARCHAR, 1) AS k_timestamp,
    left(properties::VARCHAR, 1) AS k_properties,
    left(distinct_id::VARCHAR, 1) AS k_distinct_id,
    TRY_CAST(CASE WHEN left(timestamp::VARCHAR, 1) = '"' THEN timestamp->>'$' END AS TIMESTAMPTZ) AS ts_value
"""

# Per-row checks, first failure wins.
_PROBLEM_SQL = """
CASE
    WHEN k_uuid IS NULL THEN 'missing "uuid"'
    WHEN k_uuid <> '"' THEN '"uuid" must be a string, got ' || json_type(uuid)
    WHEN uuid::VARCHAR = '""' THEN '"uuid" is empty'
    WHEN k_event IS NULL THEN 'missing "event"'
    WHEN k_event <> '"' THEN '"event" must be a string, got ' || json_type(event)
    WHEN event::VARCHAR = '""' THEN '"event" is empty'
    WHEN k_timestamp IS NULL THEN 'missing "timestamp"'
    WHEN k_timestamp <> '"' THEN '"timestamp" must be an ISO 8601 string, got ' || json_type(timestamp)
    WHEN ts_value IS NULL THEN '"timestamp" is not an ISO 8601 date-time: ' || left(timestamp->>'$', 60)
    WHEN k_distinct_id IS NOT NULL AND k_distinct_id NOT IN ('"', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
        THEN '"distinct_id" must be a string, got ' || json_type(distinct_id)
    WHEN k_properties IS NULL THEN 'missing "properties"'
    WHEN k_properties = '{' THEN NULL
    WHEN k_properties <> '"'
        THEN '"properties" must be an object or a JSON string of one, got ' || json_type(properties)
    WHEN NOT json_valid(properties->>'$') THEN '"properties" is a string but not valid JSON'
    WHEN json_type((properties->>'$')::JSON) <> 'OBJECT'
        THEN '"properties" is a JSON string of ' || json_type((properties->>'$')::JSON) || ', not of an object'
END
"""

# Conversions, valid only for rows whose problem is NULL.
_TEXT = "CASE WHEN k_{c} = '\"' THEN {c}->>'$' ELSE {c}::VARCHAR END"
_NORMALISED_SQL = f"""
    uuid->>'$' AS uuid,
    event->>'$' AS event,
    {_TEXT.format(c="distinct_id")} AS distinct_id,
    ts_value AS timestamp,
    CASE WHEN k_properties = '{{' THEN properties ELSE TRY_CAST(properties->>'$' AS JSON) END AS properties,
    CASE WHEN left(person_id::VARCHAR, 1) = '"' THEN person_id->>'$' ELSE person_id::VARCHAR END AS person_id,
    CASE WHEN left(elements_chain::VARCHAR, 1) = '"' THEN elements_chain->>'$' ELSE elements_chain::VARCHAR END
        AS elements_chain
"""


@dataclass(frozen=True, slots=True)
class FileCheck:
    rows: int
    distinct_uuids: int
    newest: datetime | None


def check(conn: duckdb.DuckDBPyConnection, dump: DumpFile) -> FileCheck:
    """First pass over `dump`: count it and find its first invalid row, storing nothing.

    Raises LoadError naming the file, the line (or row) and the problem. Streaming: memory does
    not grow with the file, apart from the set of distinct uuids.
    """
    sql = f"""
        SELECT count(*), count(DISTINCT uuid), max(timestamp),
               arg_min(_row, _row) FILTER (WHERE _problem IS NOT NULL),
               arg_min(_problem, _row) FILTER (WHERE _problem IS NOT NULL),
               count(*) FILTER (WHERE _problem IS NOT NULL)
        FROM (
            SELECT row_number() OVER () AS _row, ({_PROBLEM_SQL}) AS _problem, uuid, ts_value AS timestamp
            FROM (SELECT {_KINDS_SQL} FROM ({_source_sql(conn, dump)}))
        )
    """
    try:
        row = conn.execute(sql, [str(dump.path)]).fetchone()
    except duckdb.Error as exc:
        raise LoadError(_explain_reader_error(dump, exc)) from None
    assert row is not None  # an aggregate always yields a row
    rows, distinct, newest, bad_row, problem, bad_count = row
    if bad_row is not None:
        more = f" ({bad_count - 1} more invalid rows)" if bad_count > 1 else ""
        # JSON arrays have no one-row-per-line layout; the row index is the position in the array.
        raise LoadError(f"{dump.name}: {dump.unit} {bad_row}: {problem}{more}")
    return FileCheck(int(rows), int(distinct), newest)


def insert(conn: duckdb.DuckDBPyConnection, dump: DumpFile, table: str, *, shift: timedelta,
           keep_first_of_repeats: bool, project_id: int = 1) -> None:
    """Second pass: append the (checked) rows of `dump` to `table`, skipping uuids already there.

    `shift` is added to every timestamp; every row goes to project `project_id`.
    """
    shift_us = (shift.days * 86_400 + shift.seconds) * 1_000_000 + shift.microseconds
    keep_first = (
        "QUALIFY row_number() OVER (PARTITION BY uuid ORDER BY _row) = 1" if keep_first_of_repeats else ""
    )
    sql = f"""
        INSERT INTO {table} BY NAME
        SELECT uuid, event, distinct_id, timestamp + to_microseconds({int(shift_us)}) AS timestamp, properties,
               person_id, elements_chain, {int(project_id)} AS project_id
        FROM (
            SELECT row_number() OVER () AS _row, {_NORMALISED_SQL}
            FROM (SELECT {_KINDS_SQL} FROM ({_source_sql(conn, dump)}))
        ) AS s
        WHERE NOT EXISTS (SELECT 1 FROM {table} AS e WHERE e.uuid = s.uuid AND e.project_id = {int(project_id)})
        {keep_first}
    """
    try:
        conn.execute(sql, [str(dump.path)])
    except duckdb.Error as exc:
        raise LoadError(f"{dump.name}: could not store the events: {str(exc).splitlines()[0]}") from None


_LINE_RE = re.compile(r"\bline (\d+)")


def _explain_reader_error(dump: DumpFile, exc: duckdb.Error) -> str:
    """Turn a DuckDB reader error into `FILE: line N: what was wrong`, without DuckDB's hints."""
    text = str(exc).split("\n", 1)[0]
    text = re.sub(r"^[A-Za-z ]+Error: ", "", text)
    if dump.format == "jsonl" and "Malformed JSON" in text:
        line = _first_malformed_line(dump.path, _LINE_RE.search(text))
        if line is not None:
            number, reason = line
            return f"{dump.name}: line {number}: malformed JSON ({reason})"
    if "Expected OBJECT" in text:
        match = _LINE_RE.search(text)
        got = text.split("but got", 1)[-1].split(":", 1)[0].strip()
        where = f"{dump.unit} {match.group(1)}: " if match else ""
        return f"{dump.name}: {where}an event must be a JSON object, got {got or 'something else'}"
    csv_line = re.match(r"CSV Error on Line: (\d+)", text)
    if csv_line:
        details = str(exc).split("\n")
        what = details[2] if len(details) > 2 and details[2].strip() else "not valid CSV"
        return f"{dump.name}: line {csv_line.group(1)}: {what.strip()}"
    text = text.replace(f'in file "{dump.path}", ', "").replace(f'"{dump.path}"', "the file")
    return f"{dump.name}: {text.rstrip('. ')}"


def _first_malformed_line(path: Path, hint: re.Match[str] | None) -> tuple[int, str] | None:
    """Find the malformed line near DuckDB's reported one (its count can be one past the line).

    Runs only after DuckDB has rejected the file, and reads just up to the reported line.
    """
    if hint is None or path.name.lower().endswith(_COMPRESSION_SUFFIXES):
        return None
    reported = int(hint.group(1))
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number < reported - 1:
                continue
            if number > reported:
                break
            if not raw.strip():
                continue
            try:
                json.loads(raw)
            except ValueError as exc:
                return number, str(exc).split(":", 1)[0]
    return None
