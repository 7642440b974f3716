"""The local engine end to end: worker processes, sources, the sorted atomic output, resume, the database."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

import engines.output
import engines.sources
from engines.batch import EventWindow
from engines.job import JobError, TagJob, run_job
from engines.output import OutputError, Staging
from engines.rows import TAG_SCHEMA
from sampler.ai_tag import ai_tag_uuid
from sampler.pipeline import prepare_tagger
from sampler.store import EventStore
from tests.tag_support import START, generations, topic_tagger, write_jsonl, write_parquet

EVENTS = generations(600)


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many chunks and parts from a small dump, so that workers really interleave."""
    monkeypatch.setattr(engines.sources, "CHUNK_BYTES", 16 * 1024)
    monkeypatch.setattr(engines.sources, "CHUNK_EVENTS", 50)
    monkeypatch.setattr(engines.output, "PART_ROWS", 70)


@pytest.fixture(scope="module")
def dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("dumps") / "events.jsonl", EVENTS)


def tag(out: Path | None, *, events: Any = None, store: EventStore | None = None, **options: Any) -> Any:
    job = TagJob(tagger=options.pop("tagger", topic_tagger()), events=events or (), out=out, **options)
    return run_job(job, store=store)


def test_one_and_two_workers_write_the_same_bytes(tmp_path: Path, dump: Path) -> None:
    for suffix in (".parquet", ".jsonl"):
        one = tag(tmp_path / f"one{suffix}", events=[dump], workers=1)
        two = tag(tmp_path / f"two{suffix}", events=[dump], workers=2)
        assert (tmp_path / f"one{suffix}").read_bytes() == (tmp_path / f"two{suffix}").read_bytes()
        assert one.stats.as_dict() | {"time_per_event_ms": None} == two.stats.as_dict() | {"time_per_event_ms": None}
        assert one.rows == one.stats.tagged > 100


def test_output_is_every_tagged_generation_sorted(tmp_path: Path, dump: Path) -> None:
    summary = tag(tmp_path / "tags.parquet", events=[dump], workers=2)
    table = pq.read_table(tmp_path / "tags.parquet")
    assert table.schema == TAG_SCHEMA
    rows = table.to_pylist()
    assert [(r["timestamp"], r["uuid"]) for r in rows] == sorted((r["timestamp"], r["uuid"]) for r in rows)
    prepared = prepare_tagger(topic_tagger(), require_enabled=False)
    expected = {o.tag_event["uuid"]: o.tag_event for o in map(prepared, EVENTS) if o.tagged}
    assert {r["uuid"] for r in rows} == set(expected) and summary.stats.tagged == len(expected)
    for row in rows[:50]:
        assert json.loads(row["properties"]) == expected[row["uuid"]]["properties"]
    assert pq.ParquetFile(tmp_path / "tags.parquet").metadata.num_row_groups == 1


def test_jsonl_output_is_the_ai_tag_events_and_loads_back(tmp_path: Path, dump: Path) -> None:
    tag(tmp_path / "tags.jsonl", events=[dump])
    lines = (tmp_path / "tags.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    assert list(first) == ["uuid", "event", "distinct_id", "timestamp", "properties", "person_id", "elements_chain"]
    assert first["event"] == "$ai_tag" and first["properties"]["$ai_tagger_name"] == "Topics"
    with EventStore(tmp_path / "back.duckdb") as store:
        assert store.load([tmp_path / "tags.jsonl"]).added == len(lines)
        assert store.load([tmp_path / "tags.jsonl"]).added == 0


def test_database_parquet_and_jsonl_inputs_give_the_same_output(tmp_path: Path, dump: Path) -> None:
    tag(tmp_path / "from_jsonl.parquet", events=[dump])
    write_parquet(tmp_path / "events.parquet", EVENTS)
    tag(tmp_path / "from_parquet.parquet", events=[tmp_path / "events.parquet"])
    with EventStore(tmp_path / "events.duckdb") as store:
        store.load([dump])
        summary = tag(tmp_path / "from_db.parquet", store=store)
    reference = (tmp_path / "from_jsonl.parquet").read_bytes()
    assert (tmp_path / "from_parquet.parquet").read_bytes() == reference
    assert (tmp_path / "from_db.parquet").read_bytes() == reference
    assert summary.stats.events == summary.stats.considered  # the database is read for generations only


def test_gzipped_dumps_several_dumps_and_directories(tmp_path: Path) -> None:
    export = tmp_path / "export"
    (export / "day2").mkdir(parents=True)
    first = write_jsonl(export / "a.jsonl.gz", EVENTS[:300])
    second = write_parquet(export / "day2" / "b.parquet", EVENTS[300:])
    (export / "README.txt").write_text("not a dump")
    whole = write_jsonl(tmp_path / "all.jsonl", EVENTS)
    tag(tmp_path / "parts.parquet", events=[first, second])
    tag(tmp_path / "directory.parquet", events=[export])
    tag(tmp_path / "whole.parquet", events=[whole])
    assert (tmp_path / "parts.parquet").read_bytes() == (tmp_path / "whole.parquet").read_bytes()
    assert (tmp_path / "directory.parquet").read_bytes() == (tmp_path / "whole.parquet").read_bytes()
    (tmp_path / "empty").mkdir()
    from sampler.errors import LoadError

    with pytest.raises(LoadError, match="a directory with no dumps"):
        tag(tmp_path / "x.parquet", events=[tmp_path / "empty"])
    with pytest.raises(LoadError, match="read URIs with --engine ray"):
        tag(tmp_path / "x.parquet", events=["s3://bucket/export/"])


def test_window_selects_the_same_events_in_a_database_and_a_dump(tmp_path: Path, dump: Path) -> None:
    from datetime import timedelta

    window = EventWindow(START + timedelta(days=2), START + timedelta(days=5))
    from_dump = tag(tmp_path / "dump.parquet", events=[dump], window=window)
    with EventStore(tmp_path / "events.duckdb") as store:
        store.load([dump])
        tag(tmp_path / "db.parquet", store=store, window=window)
    assert (tmp_path / "dump.parquet").read_bytes() == (tmp_path / "db.parquet").read_bytes()
    assert 0 < from_dump.stats.tagged < 0.5 * len(EVENTS)
    assert from_dump.stats.outside_window > 0


def test_resume_skips_what_the_output_already_has(tmp_path: Path) -> None:
    first_half = write_jsonl(tmp_path / "first.jsonl", EVENTS[:300])
    everything = write_jsonl(tmp_path / "all.jsonl", EVENTS)
    tag(tmp_path / "reference.parquet", events=[everything])
    out = tmp_path / "tags.parquet"
    earlier = tag(out, events=[first_half])
    resumed = tag(out, events=[everything], resume=True)
    assert resumed.stats.resumed == earlier.stats.tagged > 0
    assert resumed.stats.tagged + resumed.stats.resumed == earlier.stats.tagged + resumed.stats.tagged
    assert out.read_bytes() == (tmp_path / "reference.parquet").read_bytes()
    assert not list(tmp_path.glob(".tags.parquet.*"))  # no staging left


def test_resume_goes_on_from_the_parts_of_a_killed_run(tmp_path: Path) -> None:
    everything = write_jsonl(tmp_path / "all.jsonl", EVENTS)
    tag(tmp_path / "reference.jsonl", events=[everything])
    # What a run killed half-way leaves: whole parts in its staging directory, no output.
    half = tag(tmp_path / "half.parquet", events=[write_jsonl(tmp_path / "half.jsonl", EVENTS[:250])])
    version = prepare_tagger(topic_tagger(), require_enabled=False).version
    staging = Staging(tmp_path / "tags.jsonl", version)
    staging.directory.mkdir()
    shutil.copy(tmp_path / "half.parquet", staging.directory / "part-000001.parquet")
    (staging.directory / "part-000002.parquet.tmp").write_bytes(b"PAR1 half written")
    resumed = tag(tmp_path / "tags.jsonl", events=[everything], resume=True)
    assert resumed.stats.resumed == half.stats.tagged > 0
    assert (tmp_path / "tags.jsonl").read_bytes() == (tmp_path / "reference.jsonl").read_bytes()


def test_without_resume_a_run_starts_afresh(tmp_path: Path, dump: Path) -> None:
    out = tmp_path / "tags.parquet"
    tag(out, events=[dump])
    again = tag(out, events=[dump])
    assert again.stats.resumed == 0 and again.rows == again.stats.tagged


def test_resume_does_not_keep_another_tagger_versions_rows(tmp_path: Path, dump: Path) -> None:
    out = tmp_path / "tags.parquet"
    tag(out, events=[dump])
    changed = topic_tagger(source="return ['other']")
    summary = tag(out, events=[dump], tagger=changed, resume=True)
    assert summary.stats.resumed == 0
    assert {tuple(json.loads(p)["$ai_tags"]) for p in pq.read_table(out).column("properties").to_pylist()} == {("other",)}


def test_into_db_stores_ai_tag_events_once_and_resume_skips_them(tmp_path: Path, dump: Path) -> None:
    db = tmp_path / "events.duckdb"
    with EventStore(db) as store:
        store.load([dump])
        first = tag(None, store=store, into_db=True)
        assert first.added_to_db == first.stats.tagged == store.count("$ai_tag") > 0
        again = tag(None, store=store, into_db=True)
        assert again.added_to_db == 0 and store.count("$ai_tag") == first.stats.tagged
        resumed = tag(None, store=store, into_db=True, resume=True)
        assert (resumed.stats.resumed, resumed.stats.tagged) == (first.stats.tagged, 0)
        tag(tmp_path / "file.parquet", store=store)
        with store.cursor() as cur:
            stored = cur.execute("SELECT uuid, properties::VARCHAR FROM events WHERE event = '$ai_tag' "
                                 "ORDER BY timestamp, uuid").fetchall()
    in_file = pq.read_table(tmp_path / "file.parquet").select(["uuid", "properties"]).to_pylist()
    assert [(r["uuid"], r["properties"]) for r in in_file] == stored
    tagger = prepare_tagger(topic_tagger(), require_enabled=False)
    target = json.loads(stored[0][1])["$ai_target_event_id"]
    assert stored[0][0] == ai_tag_uuid(tagger.id, tagger.version, target)


def test_a_failed_run_leaves_the_previous_output(tmp_path: Path, dump: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "tags.parquet"
    tag(out, events=[dump])
    before = out.read_bytes()

    def fail(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(engines.output, "_write_parquet", fail)
    with pytest.raises(OSError):
        tag(out, events=[dump], tagger=topic_tagger(source="return ['other']"))
    assert out.read_bytes() == before
    assert not [p for p in tmp_path.rglob("*.tmp")]


@pytest.mark.parametrize(("options", "message"), [
    ({"engine": "spark"}, "unknown engine 'spark'"),
    ({"workers": 0}, "--workers must be at least 1"),
    ({"into_db": True}, "--into-db stores the $ai_tag events in the database"),
    ({"project": 2}, "--project selects the events of a database"),
])
def test_impossible_jobs_are_refused(tmp_path: Path, dump: Path, options: dict[str, Any], message: str) -> None:
    with pytest.raises(JobError, match=message.replace("$", r"\$")):
        tag(tmp_path / "x.parquet", events=[dump], **options)


def test_unknown_output_and_dump_formats(tmp_path: Path, dump: Path) -> None:
    with pytest.raises(OutputError, match=r"must end in \.parquet or \.jsonl"):
        tag(tmp_path / "x.csv", events=[dump])
    (tmp_path / "events.csv").write_text("uuid\n")
    from sampler.errors import LoadError

    with pytest.raises(LoadError, match="batch tagging reads JSON Lines"):
        tag(tmp_path / "x.parquet", events=[tmp_path / "events.csv"])
