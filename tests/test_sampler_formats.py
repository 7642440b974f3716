"""The dump formats the README promises, beyond the basics of test_sampler_store.py: rows without a
uuid, `distinct_id` inside properties, capture API payloads, standard input, `.parquet.gz`; and a
database path that is not a database."""

from __future__ import annotations

import gzip
import io
import json
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from sampler.errors import LoadError, NotADatabaseError, StoreError
from sampler.loaders import derived_uuid, file_problem, sniff_format
from sampler.store import EventStore

UUID_SHAPE = r"^[0-9a-f]{8}-[0-9a-f]{4}-3[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"


@pytest.fixture
def store():
    with EventStore() as s:
        yield s


def capture(n: int, **extra: object) -> dict:
    """An event in the SDK's capture shape, without a uuid."""
    return {"event": "$ai_generation", "distinct_id": f"user-{n}", "timestamp": f"2026-11-2{n}T10:00:00Z",
            "properties": {"$ai_input": f"question {n}", "$ai_model": "gpt"}, **extra}


def rows(store: EventStore) -> list[tuple]:
    with store.cursor() as cur:
        return cur.execute("SELECT uuid, event, distinct_id FROM events ORDER BY timestamp").fetchall()


# -- uuids derived from the content ------------------------------------------------------------


def test_a_row_without_uuid_gets_one_derived_from_its_content(store: EventStore, tmp_path: Path) -> None:
    dump = tmp_path / "capture.jsonl"
    events = [capture(1), capture(2), capture(3, uuid="given-uuid")]
    dump.write_text("".join(json.dumps(e) + "\n" for e in events))
    report = store.load([dump])
    assert (report.rows, report.added) == (3, 3)
    stored = rows(store)
    for event, (uuid, _, _) in zip(events[:2], stored, strict=False):
        # the documented derivation, computed in Python from the same event
        assert uuid == derived_uuid(event["event"], event["distinct_id"], event["timestamp"], event["properties"])
        assert re.match(UUID_SHAPE, uuid)
    assert stored[2][0] == "given-uuid"
    assert stored[0][0] != stored[1][0]
    # deterministic: loading the same dump again adds nothing, in this store or another one
    assert store.load([dump]).added == 0
    with EventStore() as other:
        other.load([dump])
        assert rows(other) == stored


def test_identical_rows_without_uuid_are_one_event(store: EventStore, tmp_path: Path) -> None:
    dump = tmp_path / "twice.jsonl"
    dump.write_text((json.dumps(capture(1)) + "\n") * 2)
    report = store.load([dump])
    assert (report.rows, report.added) == (2, 1)


def test_csv_without_a_uuid_column(store: EventStore, tmp_path: Path) -> None:
    dump = tmp_path / "no_uuid.csv"
    dump.write_text('event,distinct_id,timestamp,properties\n$ai_generation,u,2026-11-27T00:00:00Z,"{""a"": 1}"\n')
    assert store.load([dump]).added == 1
    assert rows(store)[0][1:] == ("$ai_generation", "u")


# -- distinct_id inside properties ------------------------------------------------------------


def test_distinct_id_inside_properties_is_used(store: EventStore, tmp_path: Path) -> None:
    inside = capture(1)
    del inside["distinct_id"]
    inside["properties"]["distinct_id"] = "from-properties"
    number = capture(2)
    del number["distinct_id"]
    number["properties"]["distinct_id"] = 42
    both = capture(3)
    both["properties"]["distinct_id"] = "ignored"
    neither = capture(4)
    del neither["distinct_id"]
    dump = tmp_path / "ids.jsonl"
    dump.write_text("".join(json.dumps(e) + "\n" for e in (inside, number, both, neither)))
    store.load([dump])
    assert [distinct for _, _, distinct in rows(store)] == ["from-properties", "42", "user-3", None]


# -- capture API payloads ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["payload.json", "payload.jsonl"])
def test_a_bare_batch_payload_is_unwrapped(store: EventStore, tmp_path: Path, name: str) -> None:
    payload = {"api_key": "phc_test", "batch": [capture(1, uuid="b-1"), capture(2), capture(3, uuid="b-3")]}
    dump = tmp_path / name
    dump.write_text(json.dumps(payload, indent=2 if name.endswith(".json") else None))
    report = store.load([dump])
    assert (report.rows, report.added) == (3, 3)
    assert [(event, distinct) for _, event, distinct in rows(store)] == [
        ("$ai_generation", "user-1"), ("$ai_generation", "user-2"), ("$ai_generation", "user-3")
    ]


def test_a_bad_event_in_a_batch_is_named_by_its_position(store: EventStore, tmp_path: Path) -> None:
    dump = tmp_path / "payload.json"
    dump.write_text(json.dumps({"batch": [capture(1), capture(2, timestamp="soon")]}))
    with pytest.raises(LoadError) as caught:
        store.load([dump])
    assert str(caught.value) == f'{dump}: batch event 2: "timestamp" is not an ISO 8601 date-time: soon'
    assert store.count() == 0


# -- standard input ----------------------------------------------------------------------------


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(data)))


def _parquet_bytes(tmp_path: Path) -> bytes:
    source = tmp_path / "source.jsonl"
    source.write_text(json.dumps(capture(1, uuid="pq-1")) + "\n")
    target = tmp_path / "events.parquet"
    with EventStore() as scratch:
        scratch.load([source])
        with scratch.cursor() as cur:
            cur.execute(f"COPY events TO '{target}' (FORMAT parquet)")
    return target.read_bytes()


@pytest.mark.parametrize("kind", ["jsonl", "json array", "pretty object", "gzip jsonl", "csv", "parquet",
                                  "gzip parquet"])
def test_dash_reads_a_dump_from_standard_input(store: EventStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                kind: str) -> None:
    events = [capture(1, uuid="in-1"), capture(2, uuid="in-2")]
    data = {
        "jsonl": lambda: "".join(json.dumps(e) + "\n" for e in events).encode(),
        "json array": lambda: json.dumps(events, indent=2).encode(),
        "pretty object": lambda: json.dumps(events[0], indent=2).encode(),
        "gzip jsonl": lambda: gzip.compress("".join(json.dumps(e) + "\n" for e in events).encode()),
        "csv": lambda: b'uuid,event,timestamp,properties\nin-1,e,2026-11-21T10:00:00Z,{}\n',
        "parquet": lambda: _parquet_bytes(tmp_path),
        "gzip parquet": lambda: gzip.compress(_parquet_bytes(tmp_path)),
    }[kind]()
    _stdin(monkeypatch, data)
    report = store.load(["-"])
    assert report.added >= 1
    assert str(report.files[0].path) == "<stdin>"


def test_standard_input_problems_name_stdin(store: EventStore, monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, b"")
    with pytest.raises(LoadError, match=r"^<stdin>: no events \(standard input is empty\)$"):
        store.load(["-"])
    _stdin(monkeypatch, b"hello there")
    with pytest.raises(LoadError, match=r"^<stdin>: cannot tell the format"):
        store.load(["-"])
    _stdin(monkeypatch, b'{"uuid": "a", "event": "e", "properties": {}, "timestamp": "never"}\n')
    with pytest.raises(LoadError, match=r'^<stdin>: line 1: "timestamp" is not an ISO 8601 date-time'):
        store.load(["-"])


def test_sniffing_the_format() -> None:
    assert sniff_format(b"PAR1...") == "parquet"
    assert sniff_format(b"\xef\xbb\xbf  [{}]") == "json"
    assert sniff_format(b'{"a": 1}\n{"a": 2}\n') == "jsonl"
    assert sniff_format(b'{\n  "a": 1\n}') == "json"
    assert sniff_format(b"uuid,event,timestamp\n") == "csv"
    assert sniff_format(b"") is None


# -- Parquet -----------------------------------------------------------------------------------


def test_gzipped_parquet(store: EventStore, tmp_path: Path) -> None:
    dump = tmp_path / "events.parquet.gz"
    dump.write_bytes(gzip.compress(_parquet_bytes(tmp_path)))
    assert store.load([dump]).added == 1
    assert rows(store)[0][0] == "pq-1"


def test_several_gzipped_parquet_files_in_one_load(store: EventStore, tmp_path: Path) -> None:
    first, second = tmp_path / "a.parquet.gz", tmp_path / "b.parquet.gz"
    first.write_bytes(gzip.compress(_parquet_bytes(tmp_path)))
    source = tmp_path / "other.jsonl"
    source.write_text(json.dumps(capture(2, uuid="pq-2")) + "\n")
    with EventStore() as scratch:
        scratch.load([source])
        with scratch.cursor() as cur:
            cur.execute(f"COPY events TO '{tmp_path / 'b.parquet'}' (FORMAT parquet)")
    second.write_bytes(gzip.compress((tmp_path / "b.parquet").read_bytes()))
    report = store.load([first, second])
    assert [f.rows for f in report.files] == [1, 1]
    assert sorted(uuid for uuid, _, _ in rows(store)) == ["pq-1", "pq-2"]


def test_standard_input_is_read_once(store: EventStore, monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, json.dumps(capture(1)).encode() + b"\n")
    with pytest.raises(LoadError, match=r"^<stdin>: standard input can be read only once \(- given twice\)$"):
        store.load(["-", "-"])


def test_a_parquet_name_on_another_file(store: EventStore, tmp_path: Path) -> None:
    dump = tmp_path / "events.parquet"
    dump.write_text('{"uuid": "x"}\n')
    with pytest.raises(LoadError, match=r"events\.parquet: not a Parquet file \(it does not start with PAR1\)$"):
        store.load([dump])
    zst = tmp_path / "events.parquet.zst"
    zst.write_bytes(b"\x28\xb5\x2f\xfd")
    with pytest.raises(LoadError, match=r"only when gzip-compressed"):
        store.load([zst])


def test_parquet_without_a_required_column_lists_what_it_has(store: EventStore, tmp_path: Path) -> None:
    dump = tmp_path / "thin.parquet"
    with store.cursor() as cur:
        cur.execute(f"COPY (SELECT 'a' AS uuid, 'e' AS name) TO '{dump}' (FORMAT parquet)")
    with pytest.raises(LoadError) as caught:
        store.load([dump])
    assert str(caught.value) == f"{dump}: no 'event', 'timestamp', 'properties' column (its columns are: uuid, name)"


# -- files and databases -----------------------------------------------------------------------


def test_file_problems_are_worded_once(tmp_path: Path) -> None:
    assert file_problem(tmp_path / "missing.jsonl") == "no such file"
    assert file_problem(tmp_path) == "is a directory, not a file"
    present = tmp_path / "here.jsonl"
    present.write_text("")
    assert file_problem(present) is None


def test_a_dump_given_as_the_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    dump = tmp_path / "dump.jsonl"
    dump.write_text(json.dumps(capture(1)) + "\n")
    before = dump.read_bytes()
    with pytest.raises(NotADatabaseError) as caught:
        EventStore(dump)
    assert str(caught.value) == f"{dump} is a JSON Lines event dump, not a DuckDB event database"
    assert dump.read_bytes() == before
    for name, content, kind in [("e.csv", b"uuid,event\n", "a CSV event dump"),
                                ("e.parquet", b"PAR1", "a Parquet event dump"),
                                ("e.json.gz", gzip.compress(b"[]"), "a JSON event dump"),
                                ("events.db", b"", "an empty file"),
                                ("events.bin", b"\x1f\x8b\x08rest", "a gzip-compressed file")]:
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(StoreError, match=rf"is {kind}, not a DuckDB event database$"):
            EventStore(path)
    with pytest.raises(StoreError, match=r"is a directory, not a DuckDB event database$"):
        EventStore(tmp_path)


def test_a_real_database_still_opens(tmp_path: Path) -> None:
    path = tmp_path / "events.duckdb"
    EventStore(path).close()
    with EventStore(path) as again:
        assert again.count() == 0
