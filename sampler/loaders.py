"""Read local event dumps through DuckDB's own readers and normalise them to PostHog's event columns.

Two shapes are accepted, in JSON Lines, JSON arrays (or single objects), Parquet and CSV:

- PostHog's batch export: `uuid, event, distinct_id, person_id, properties, timestamp,
  elements_chain, ...` with `properties` an object or a JSON string;
- the SDK's capture shape: `uuid, event, distinct_id, properties, timestamp`.

Every column is first read as JSON (whatever its type in the file), so that one SQL expression per
column can both check a row and convert it. No Python code runs per row: a dump of a million
events streams through DuckDB's readers.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

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


@dataclass(frozen=True, slots=True)
class DumpFile:
    path: Path
    format: str  # 'jsonl', 'json', 'parquet' or 'csv'

    @property
    def unit(self) -> str:
        """What a position in this file is called in error messages."""
        return "line" if self.format == "jsonl" else "row"


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
    if not p.exists():
        raise LoadError(f"{p}: no such file")
    if not p.is_file():
        raise LoadError(f"{p}: not a file")
    return DumpFile(p, detect_format(p))


def _json_columns_spec() -> str:
    return "{" + ", ".join(f"{name}: 'JSON'" for name in EVENT_COLUMNS) + "}"


def _source_sql(conn: duckdb.DuckDBPyConnection, dump: DumpFile) -> str:
    """A SELECT (one `?` parameter: the path) giving every event column as JSON, in file order."""
    if dump.format in ("jsonl", "json"):
        json_format = "newline_delimited" if dump.format == "jsonl" else "auto"
        columns = ", ".join(EVENT_COLUMNS)
        return (
            f"SELECT {columns} FROM read_json(?, format='{json_format}', records=true, "
            f"columns={_json_columns_spec()}, maximum_object_size={MAX_OBJECT_BYTES})"
        )
    if dump.format == "parquet":
        reader = "read_parquet(?)"
        try:
            described = conn.execute(f"DESCRIBE SELECT * FROM {reader}", [str(dump.path)]).fetchall()
        except duckdb.Error as exc:
            raise LoadError(_explain_reader_error(dump, exc)) from None
        present = {row[0] for row in described}
    else:
        # Standard CSV, read strictly with the columns of its header: DuckDB's dialect sniffer
        # would otherwise turn a file with one bad row into a single-column file.
        header = _csv_header(dump.path)
        present = set(header)
        columns = ", ".join(f"{_sql_string(name)}: 'VARCHAR'" for name in header)
        reader = (
            "read_csv(?, header=true, auto_detect=false, delim=',', quote='\"', escape='\"', "
            f"strict_mode=true, columns={{{columns}}})"
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in present]
    if missing:
        raise LoadError(f"{dump.path}: no {', '.join(repr(m) for m in missing)} column")
    # CSV cells are text; a CSV `properties` cell holds JSON text, which the checks below parse.
    selected = ", ".join(
        f'to_json("{name}") AS {name}' if name in present else f"NULL::JSON AS {name}"
        for name in EVENT_COLUMNS
    )
    return f"SELECT {selected} FROM {reader}"


def _csv_header(path: Path) -> list[str]:
    """The column names on the first line of a CSV file (gzip-compressed or not)."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LoadError(f"{path}: cannot read the CSV header ({exc})") from None
    if len(set(header)) != len(header):
        raise LoadError(f"{path}: line 1: repeated column names in the CSV header")
    return header


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
        raise LoadError(f"{dump.path}: {dump.unit} {bad_row}: {problem}{more}")
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
        raise LoadError(f"{dump.path}: could not store the events: {str(exc).splitlines()[0]}") from None


_LINE_RE = re.compile(r"\bline (\d+)")


def _explain_reader_error(dump: DumpFile, exc: duckdb.Error) -> str:
    """Turn a DuckDB reader error into `FILE: line N: what was wrong`, without DuckDB's hints."""
    text = str(exc).split("\n", 1)[0]
    text = re.sub(r"^[A-Za-z ]+Error: ", "", text)
    if dump.format == "jsonl" and "Malformed JSON" in text:
        line = _first_malformed_line(dump.path, _LINE_RE.search(text))
        if line is not None:
            number, reason = line
            return f"{dump.path}: line {number}: malformed JSON ({reason})"
    if "Expected OBJECT" in text:
        match = _LINE_RE.search(text)
        got = text.split("but got", 1)[-1].split(":", 1)[0].strip()
        where = f"{dump.unit} {match.group(1)}: " if match else ""
        return f"{dump.path}: {where}an event must be a JSON object, got {got or 'something else'}"
    csv_line = re.match(r"CSV Error on Line: (\d+)", text)
    if csv_line:
        details = str(exc).split("\n")
        what = details[2] if len(details) > 2 and details[2].strip() else "not valid CSV"
        return f"{dump.path}: line {csv_line.group(1)}: {what.strip()}"
    text = text.replace(f'in file "{dump.path}", ', "").replace(f'"{dump.path}"', "the file")
    return f"{dump.path}: {text.rstrip('. ')}"


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
