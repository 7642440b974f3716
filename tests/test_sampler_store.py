"""The DuckDB event store and its loaders: every dump format and shape, idempotent reloads,
all-or-nothing loads, and errors that name the file, the line and the problem."""

from __future__ import annotations

import csv
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sampler.errors import LoadError, StoreError
from sampler.store import EventStore, property_path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "events"
EVENTS = FIXTURES / "events.jsonl"
MALFORMED = FIXTURES / "malformed.jsonl"
REFERENCE = ROOT / "tests" / "data" / "reference" / "events"


@pytest.fixture
def store():
    with EventStore() as s:
        yield s


def fixture_rows() -> list[dict]:
    return [json.loads(line) for line in EVENTS.read_text(encoding="utf-8").splitlines()]


def stored(store: EventStore, uuid: str) -> dict:
    with store.cursor() as cur:
        row = cur.execute(
            "SELECT uuid, event, distinct_id, timestamp, properties::VARCHAR, person_id, elements_chain "
            "FROM events WHERE uuid = ?",
            [uuid],
        ).fetchone()
    assert row is not None, f"{uuid} not stored"
    keys = ("uuid", "event", "distinct_id", "timestamp", "properties", "person_id", "elements_chain")
    record = dict(zip(keys, row, strict=True))
    record["properties"] = json.loads(record["properties"])
    return record


def test_fixture_dump_loads_every_event(store: EventStore) -> None:
    rows = fixture_rows()
    report = store.load([EVENTS])
    assert (report.rows, report.added) == (len(rows), len(rows))
    assert store.count() == len(rows) >= 200
    counts = store.event_counts()
    assert counts["$ai_generation"] == sum(1 for r in rows if r["event"] == "$ai_generation")
    assert {"$ai_span", "$ai_trace", "$ai_embedding", "$pageview"} <= set(counts)


def test_properties_given_as_json_string_are_stored_as_an_object(store: EventStore) -> None:
    rows = fixture_rows()
    as_string = next(r for r in rows if isinstance(r["properties"], str))
    as_object = next(r for r in rows if isinstance(r["properties"], dict))
    store.load([EVENTS])
    assert stored(store, as_string["uuid"])["properties"] == json.loads(as_string["properties"])
    assert stored(store, as_object["uuid"])["properties"] == as_object["properties"]


def test_batch_export_columns_are_kept(store: EventStore) -> None:
    row = next(r for r in fixture_rows() if "person_id" in r)
    store.load([EVENTS])
    record = stored(store, row["uuid"])
    assert record["person_id"] == row["person_id"]
    assert record["elements_chain"] == ""
    assert record["distinct_id"] == row["distinct_id"]
    assert record["timestamp"] == datetime.fromisoformat(row["timestamp"])


def test_reloading_the_same_dump_adds_nothing(store: EventStore) -> None:
    store.load([EVENTS])
    again = store.load([EVENTS])
    assert again.rows == store.count()
    assert again.added == 0
    assert store.count() == len(fixture_rows())


def test_duplicate_uuids_inside_one_dump_keep_the_first(store: EventStore, tmp_path: Path) -> None:
    first = {"uuid": "dup-1", "event": "first", "properties": {}, "timestamp": "2026-11-20T00:00:00Z"}
    second = {**first, "event": "second"}
    dump = tmp_path / "dups.jsonl"
    dump.write_text(json.dumps(first) + "\n" + json.dumps(second) + "\n")
    report = store.load([dump])
    assert (report.rows, report.added) == (2, 1)
    assert stored(store, "dup-1")["event"] == "first"


def test_sdk_capture_shape_as_single_objects_and_arrays(store: EventStore) -> None:
    single = REFERENCE / "openai_chat_tool_call.json"
    array = REFERENCE / "langchain_chain.json"
    report = store.load([single, array])
    assert [f.rows for f in report.files] == [1, 4]
    record = stored(store, json.loads(single.read_text())["uuid"])
    assert record["person_id"] is None
    assert record["properties"]["$ai_trace_id"] == "trace_tool_1"
    assert store.event_counts() == {"$ai_span": 2, "$ai_generation": 2, "$ai_trace": 1}


def test_json_array_dump(store: EventStore, tmp_path: Path) -> None:
    rows = fixture_rows()[:30]
    dump = tmp_path / "events.json"
    dump.write_text(json.dumps(rows, indent=2))
    assert store.load([dump]).added == 30


def test_gzipped_json_lines(store: EventStore, tmp_path: Path) -> None:
    dump = tmp_path / "events.jsonl.gz"
    with gzip.open(dump, "wb") as handle:
        handle.write(EVENTS.read_bytes())
    assert store.load([dump]).added == len(fixture_rows())


def test_parquet_dump_with_struct_or_text_properties(store: EventStore, tmp_path: Path) -> None:
    text_props = tmp_path / "text.parquet"
    with store.cursor() as cur:
        cur.execute(
            # Rows whose properties are a JSON string already hold the text to store.
            f"COPY (SELECT uuid, event, distinct_id, timestamp, person_id, CASE WHEN json_type(properties) = 'VARCHAR' "
            f"THEN properties->>'$' ELSE properties::VARCHAR END AS properties "
            f"FROM read_json('{EVENTS}', columns={{uuid: 'VARCHAR', event: 'VARCHAR', distinct_id: 'VARCHAR', "
            f"timestamp: 'TIMESTAMPTZ', properties: 'JSON', person_id: 'VARCHAR'}})) TO '{text_props}' (FORMAT parquet)"
        )
    struct_props = tmp_path / "struct.parquet"
    with store.cursor() as cur:
        cur.execute(
            f"COPY (SELECT 'p-1' AS uuid, '$ai_generation' AS event, {{'$ai_model': 'gpt-4o', 'n': 3}} AS properties, "
            f"TIMESTAMPTZ '2026-11-26 10:00:00+00' AS timestamp) TO '{struct_props}' (FORMAT parquet)"
        )
    report = store.load([text_props, struct_props])
    assert [f.added for f in report.files] == [len(fixture_rows()), 1]
    assert stored(store, "p-1")["properties"] == {"$ai_model": "gpt-4o", "n": 3}


def test_csv_dump(store: EventStore, tmp_path: Path) -> None:
    rows = fixture_rows()[:20]
    dump = tmp_path / "events.csv"
    with dump.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["uuid", "event", "distinct_id", "properties", "timestamp"])
        writer.writeheader()
        for row in rows:
            props = row["properties"] if isinstance(row["properties"], str) else json.dumps(row["properties"])
            writer.writerow({**{k: row[k] for k in ("uuid", "event", "distinct_id", "timestamp")}, "properties": props})
    assert store.load([dump]).added == 20
    first = rows[0]
    expected = first["properties"] if isinstance(first["properties"], dict) else json.loads(first["properties"])
    assert stored(store, first["uuid"])["properties"] == expected


def test_csv_without_a_required_column_is_refused(store: EventStore, tmp_path: Path) -> None:
    dump = tmp_path / "no_event.csv"
    dump.write_text("uuid,name,timestamp,properties\nx,e,2026-11-27T00:00:00Z,{}\n")
    with pytest.raises(LoadError) as caught:
        store.load([dump])
    assert str(caught.value) == f"{dump}: no 'event' column (the CSV header has: uuid, name, timestamp, properties)"


def test_timestamps_without_offset_are_utc(store: EventStore, tmp_path: Path) -> None:
    dump = tmp_path / "naive.jsonl"
    dump.write_text(json.dumps({"uuid": "n-1", "event": "e", "properties": {}, "timestamp": "2026-11-27 08:30:00"}) + "\n")
    store.load([dump])
    assert stored(store, "n-1")["timestamp"] == datetime(2026, 11, 27, 8, 30, tzinfo=UTC)


# -- errors -------------------------------------------------------------------------------------

MALFORMED_LINES = MALFORMED.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize(
    ("line_index", "expected"),
    [
        (1, r'line 2: "timestamp" is not an ISO 8601 date-time: yesterday'),
        (2, r'line 3: missing "event"'),
        (3, r'line 4: "properties" is a string but not valid JSON'),
        (4, r'line 5: "properties" must be an object or a JSON string of one, got ARRAY'),
        (5, r"line 6: malformed JSON"),
    ],
)
def test_bad_row_is_named_by_file_line_and_problem(store: EventStore, tmp_path: Path, line_index: int,
                                                   expected: str) -> None:
    # The good first line, then padding good lines up to the bad one, so its line number is known.
    dump = tmp_path / "bad.jsonl"
    good = json.loads(MALFORMED_LINES[0])
    lines = [json.dumps({**good, "uuid": f"good-{n}"}) for n in range(line_index)]
    dump.write_text("\n".join([*lines, MALFORMED_LINES[line_index]]) + "\n")
    with pytest.raises(LoadError) as caught:
        store.load([dump])
    message = str(caught.value)
    assert message.startswith(f"{dump}: ")
    assert "\n" not in message
    assert re.search(expected, message), message


def test_malformed_fixture_fails_on_its_first_unparseable_line(store: EventStore) -> None:
    with pytest.raises(LoadError, match=rf"{MALFORMED}: line {len(MALFORMED_LINES)}: malformed JSON"):
        store.load([MALFORMED])


def test_a_failed_load_changes_nothing(store: EventStore, tmp_path: Path) -> None:
    store.load([EVENTS])
    before = store.count()
    fresh = tmp_path / "fresh.jsonl"
    fresh.write_text(json.dumps({"uuid": "fresh-1", "event": "e", "properties": {}, "timestamp": "2026-11-27T00:00:00Z"}))
    bad = tmp_path / "bad.jsonl"
    bad.write_text(MALFORMED_LINES[1] + "\n")
    with pytest.raises(LoadError, match=r"bad\.jsonl: line 1"):
        store.load([fresh, bad])  # the good file comes first and must be rolled back too
    assert store.count() == before
    with store.cursor() as cur:
        assert cur.execute("SELECT count(*) FROM events WHERE uuid = 'fresh-1'").fetchone() == (0,)


def test_count_of_further_bad_rows_is_reported(store: EventStore, tmp_path: Path) -> None:
    dump = tmp_path / "many.jsonl"
    bad = json.loads(MALFORMED_LINES[1])
    dump.write_text("".join(json.dumps({**bad, "uuid": f"b{n}"}) + "\n" for n in range(3)))
    with pytest.raises(LoadError, match=r"line 1: .* \(2 more invalid rows\)"):
        store.load([dump])


def test_non_object_line_is_refused(store: EventStore, tmp_path: Path) -> None:
    dump = tmp_path / "array_line.jsonl"
    dump.write_text(MALFORMED_LINES[0] + "\n[1, 2]\n")
    with pytest.raises(LoadError, match=r"array_line\.jsonl: line 2: an event must be a JSON object, got ARRAY"):
        store.load([dump])


def test_wrongly_typed_columns_are_refused(store: EventStore, tmp_path: Path) -> None:
    dump = tmp_path / "types.jsonl"
    dump.write_text(json.dumps({"uuid": 7, "event": "e", "properties": {}, "timestamp": "2026-11-27T00:00:00Z"}) + "\n")
    with pytest.raises(LoadError, match=r'line 1: "uuid" must be a string, got UBIGINT'):
        store.load([dump])


def test_missing_and_unknown_files(store: EventStore, tmp_path: Path) -> None:
    with pytest.raises(LoadError, match=r"nope\.jsonl: no such file"):
        store.load([tmp_path / "nope.jsonl"])
    odd = tmp_path / "events.xml"
    odd.write_text("<events/>")
    with pytest.raises(LoadError, match=r"events\.xml: unknown dump format"):
        store.load([odd])


def test_unopenable_database_is_a_store_error(tmp_path: Path) -> None:
    not_a_db = tmp_path / "garbage.duckdb"
    not_a_db.write_bytes(b"this is not a duckdb file" * 100)
    with pytest.raises(StoreError, match=r"garbage\.duckdb is some other kind of file, not a DuckDB event database"):
        EventStore(not_a_db)


def test_file_database_persists_between_opens(tmp_path: Path) -> None:
    path = tmp_path / "db" / "events.duckdb"
    with EventStore(path) as first:
        first.load([EVENTS])
    with EventStore(path) as second:
        assert second.count() == len(fixture_rows())


def test_temporary_store_removes_its_directory() -> None:
    store = EventStore.temporary()
    assert store.path is not None
    directory = store.path.parent
    store.load([EVENTS])
    store.close()
    assert not directory.exists()


# -- JSON paths and threads ---------------------------------------------------------------------


def test_property_path_quotes_dollar_keys(store: EventStore) -> None:
    store.load([EVENTS])
    row = next(r for r in fixture_rows() if r["event"] == "$ai_generation" and isinstance(r["properties"], dict))
    with store.cursor() as cur:
        got = cur.execute(
            "SELECT properties->>? FROM events WHERE uuid = ?", [property_path("$ai_trace_id"), row["uuid"]]
        ).fetchone()
    assert got == (row["properties"]["$ai_trace_id"],)
    assert property_path('we"ird.key') == '$."we\\"ird.key"'


def test_concurrent_readers_share_one_store(store: EventStore) -> None:
    store.load([EVENTS])
    expected = store.event_counts()
    failures: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(20):
                assert store.event_counts() == expected
        except BaseException as exc:  # collected and re-raised in the main thread
            failures.append(exc)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures


def test_progress_is_reported_for_large_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sampler.store as store_module

    monkeypatch.setattr(store_module, "PROGRESS_MIN_BYTES", 0)
    monkeypatch.setattr(store_module, "PROGRESS_INTERVAL_S", 0.001)
    big = tmp_path / "big.jsonl"
    with big.open("wb") as handle:
        for _ in range(40):
            handle.write(EVENTS.read_bytes())
    lines: list[str] = []
    with EventStore() as s:
        s.load([big], progress=lines.append)
    assert lines[0] == f"checking {big}"
    assert f"storing {big}" in lines
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_naive_timestamps_are_utc_whatever_the_local_zone(tmp_path: Path) -> None:
    # DuckDB cursors do not inherit a session SET; the zone must be set for the whole database.
    dump = tmp_path / "naive.jsonl"
    dump.write_text(json.dumps({"uuid": "n-1", "event": "e", "properties": {}, "timestamp": "2026-11-27 08:30:00"}) + "\n")
    code = (
        "import sys; from sampler.store import EventStore; s = EventStore(); s.load([sys.argv[1]]);"
        "print(s.newest_timestamp().isoformat())"
    )
    done = subprocess.run([sys.executable, "-c", code, str(dump)], capture_output=True, text=True, check=True,
                          cwd=ROOT, env={**os.environ, "TZ": "Asia/Tokyo"})
    assert datetime.fromisoformat(done.stdout.strip()) == datetime(2026, 11, 27, 8, 30, tzinfo=UTC)


def test_csv_row_with_extra_cells_is_named_by_line(store: EventStore, tmp_path: Path) -> None:
    dump = tmp_path / "ragged.csv"
    dump.write_text('uuid,event,timestamp,properties\n'
                    'a,e,2026-11-27T00:00:00Z,{}\n'
                    'b,e,2026-11-27T00:00:00Z,"{""k"": 1}"\n'
                    'c,e,2026-11-27T00:00:00Z,{},extra\n')
    with pytest.raises(LoadError, match=r"ragged\.csv: line 4: Expected Number of Columns: 4 Found: 5$"):
        store.load([dump])
    assert store.count() == 0


def test_corrupt_parquet_is_a_load_error(store: EventStore, tmp_path: Path) -> None:
    dump = tmp_path / "broken.parquet"
    dump.write_bytes(b"PAR1" + b"\x00" * 64)
    with pytest.raises(LoadError, match=r"broken\.parquet: "):
        store.load([dump])
