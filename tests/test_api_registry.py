"""The registry under concurrent writes: group commit keeps each write whole, isolates a failing
one, and the in-memory view ends exactly as the database."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pytest

from sampler.registry import Registry, _Write
from sampler.store import EventStore
from sampler.tagger_input import parse_tagger_body, prepare_tagger_write

CONFIG = {"prompt": "p", "tags": [{"name": "a"}, {"name": "b"}]}


def fields(**body: object) -> dict:
    return prepare_tagger_write(parse_tagger_body({"name": "t", "tagger_config": CONFIG, **body}, partial=False), None)


def reopened(path: Path) -> Registry:
    return Registry(EventStore(path))


def test_concurrent_creates_all_land(tmp_path: Path) -> None:
    path = tmp_path / "r.duckdb"
    with EventStore(path) as store:
        registry = Registry(store)
        made: list[str] = []

        def create(n: int) -> None:
            for i in range(25):
                made.append(registry.create_tagger(1, fields(name=f"{n}-{i}"), created_by=None).id)

        threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(set(made)) == 200 and registry.list_taggers(1).count == 200
    again = reopened(path)
    assert all(again.get_tagger(1, tagger_id) is not None for tagger_id in made)
    assert again.list_taggers(1).count == 200
    again.store.close()


def test_a_failing_write_in_a_batch_fails_alone(tmp_path: Path) -> None:
    with EventStore(tmp_path / "r.duckdb") as store:
        registry = Registry(store)
        good = [_Write([("INSERT INTO projects VALUES (?, ?, ?, now())", [n, f"p{n}", f"phc_{n}"])], None)
                for n in (7, 8)]
        bad = _Write([("INSERT INTO projects VALUES (?, ?, ?, now())", [9, "dup token", "phc_7"])], None)
        registry._commit([good[0], bad, good[1]])
        assert all(job.done and job.error is None for job in good)
        assert bad.done and isinstance(bad.error, duckdb.Error)
        with store.cursor() as cur:
            assert cur.execute("SELECT id FROM projects ORDER BY id").fetchall() == [(1,), (7,), (8,)]


def test_the_view_follows_concurrent_updates_in_commit_order(tmp_path: Path) -> None:
    path = tmp_path / "r.duckdb"
    with EventStore(path) as store:
        registry = Registry(store)
        tagger = registry.create_tagger(1, fields(), created_by=None)
        barrier = threading.Barrier(8)

        def update(n: int) -> None:
            barrier.wait()
            for i in range(10):
                change = {"description": f"d{n}-{i}"} if n % 2 else {"enabled": bool(i % 2), "name": f"n{n}-{i}"}
                registry.update_tagger(1, tagger.id, change)

        threads = [threading.Thread(target=update, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        in_memory = registry.get_tagger(1, tagger.id)
    again = reopened(path)
    assert again.get_tagger(1, tagger.id).api_body() == in_memory.api_body()
    again.store.close()


def test_bad_ids_find_nothing(tmp_path: Path) -> None:
    with EventStore(tmp_path / "r.duckdb") as store:
        registry = Registry(store)
        for bad in ("", "x", "1" * 1000, "\x00"):
            assert registry.get_tagger(1, bad) is None
            assert registry.update_tagger(1, bad, {"name": "x"}) is None
        with pytest.raises(Exception, match="project ids"):
            registry.ensure_project(0)


def test_engines_find_taggers_by_id_and_see_changes(tmp_path: Path) -> None:
    with EventStore(tmp_path / "r.duckdb") as store:
        registry = Registry(store)
        registry.ensure_project(2)
        tagger = registry.create_tagger(2, fields(enabled=True), created_by=None)
        assert registry.find_tagger(tagger.id.upper()) == tagger
        assert [t.id for t in registry.enabled_taggers(2)] == [tagger.id] and registry.enabled_taggers(1) == []
        seen = registry.revision
        registry.update_tagger(2, tagger.id, {"deleted": True})
        assert registry.revision > seen
        assert registry.find_tagger(tagger.id) is None and registry.find_tagger(tagger.id, include_deleted=True)
        assert registry.enabled_taggers() == []
