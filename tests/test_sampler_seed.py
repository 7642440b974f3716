"""The embedded default database: where it lives, the packaged sample, and keeping the seed recent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sampler.sampling import sample_events
from sampler.seed import REFRESH_AFTER, default_db_path, ensure_recent_seed, packaged_events_path
from sampler.store import EventStore

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "fixtures" / "events" / "events.jsonl"


def test_packaged_sample_is_the_fixture_byte_for_byte() -> None:
    # fixtures/events/ is the source of truth; generate.py writes both copies.
    assert packaged_events_path().read_bytes() == FIXTURE.read_bytes()


def test_default_path_from_env_then_xdg_then_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOG_TAGGER_DB", str(tmp_path / "mine.duckdb"))
    assert default_db_path() == tmp_path / "mine.duckdb"
    monkeypatch.delenv("HOG_TAGGER_DB")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert default_db_path() == tmp_path / "cache" / "hog-tagger" / "events.duckdb"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_db_path() == tmp_path / "home" / ".cache" / "hog-tagger" / "events.duckdb"


def fixture_newest() -> datetime:
    rows = [json.loads(line) for line in FIXTURE.read_text().splitlines()]
    return max(datetime.fromisoformat(r["timestamp"]) for r in rows)


def test_seeding_puts_the_newest_sample_event_at_now(tmp_path: Path) -> None:
    now = datetime(2031, 5, 4, 9, 30, tzinfo=UTC)
    with EventStore(tmp_path / "d.duckdb") as store:
        ensure_recent_seed(store, now=now)
        assert store.count() == len(FIXTURE.read_text().splitlines())
        assert store.newest_timestamp() == now
        sampled = sample_events(store, 10, now=now)
        assert len(sampled) == 10
        # Ages inside the sample are kept: each event is as far behind the newest as in the fixture.
        rows = [json.loads(line) for line in FIXTURE.read_text().splitlines()]
        fixture_age = {r["uuid"]: fixture_newest() - datetime.fromisoformat(r["timestamp"]) for r in rows}
        assert all(now - e.timestamp == fixture_age[e.uuid] for e in sampled)
        ensure_recent_seed(store, now=now + timedelta(minutes=5))  # no shift within the hour
        assert store.newest_timestamp() == now


def test_stale_seed_shifts_forward_but_user_events_stay(tmp_path: Path) -> None:
    seeded_at = datetime(2031, 5, 4, 9, 30, tzinfo=UTC)
    user_dump = tmp_path / "mine.jsonl"
    user_dump.write_text(json.dumps({"uuid": "mine-1", "event": "$ai_generation", "properties": {},
                                     "timestamp": "2031-05-01T00:00:00+00:00"}) + "\n")
    with EventStore(tmp_path / "d.duckdb") as store:
        ensure_recent_seed(store, now=seeded_at)
        store.load([user_dump])
        later = seeded_at + REFRESH_AFTER + timedelta(days=20)
        ensure_recent_seed(store, now=later)
        assert store.newest_timestamp() == later
        with store.cursor() as cur:
            mine = cur.execute("SELECT timestamp FROM events WHERE uuid = 'mine-1'").fetchone()
        assert mine == (datetime(2031, 5, 1, tzinfo=UTC),)
        assert len(sample_events(store, 10, now=later)) == 10


def test_reopening_does_not_seed_twice(tmp_path: Path) -> None:
    path = tmp_path / "d.duckdb"
    now = datetime(2031, 5, 4, tzinfo=UTC)
    with EventStore(path) as store:
        ensure_recent_seed(store, now=now)
        count = store.count()
    with EventStore(path) as store:
        ensure_recent_seed(store, now=now + timedelta(days=2))
        assert store.count() == count


def test_open_default_store_uses_the_env_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from sampler.seed import open_default_store

    target = tmp_path / "nested" / "events.duckdb"
    monkeypatch.setenv("HOG_TAGGER_DB", str(target))
    store = open_default_store()
    try:
        assert store.path == target
        assert len(sample_events(store, 5)) == 5  # recent at the real current time
    finally:
        store.close()
    assert target.is_file()


def test_fixture_file_is_what_its_generator_writes() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("fixture_generator", FIXTURE.parent / "generate.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)  # a fresh module: the same random sequence as the script
    text = "".join(json.dumps(event, ensure_ascii=False) + "\n" for event in generator.build_events())
    assert text == FIXTURE.read_text(encoding="utf-8")
    assert len(text.splitlines()) >= 200
