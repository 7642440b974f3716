"""What a running server holds: the database (events and registry) and the tagger worker pool."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from sampler.live import LiveTagger
from sampler.pool import TaggerPool
from sampler.registry import Registry
from sampler.store import EventStore, remove_holder_note, write_holder_note
from taggers_api.settings import Settings


@dataclass
class Services:
    settings: Settings
    store: EventStore
    registry: Registry
    pool: TaggerPool
    live: LiveTagger

    @classmethod
    def open(cls, settings: Settings) -> Services:
        """Open the database (raising StoreError, one line, if another process holds it) and start
        the workers."""
        if settings.db is not None:
            store = EventStore(settings.db)
        else:
            from sampler.seed import open_default_store

            store = open_default_store()
        pools: list[TaggerPool] = []
        try:
            registry = Registry(store)
            pools.append(TaggerPool(settings.workers, queue=settings.waiting_places,
                                    retry_after_s=settings.tagger_timeout))
            # Live tagging has its own workers, so that neither it nor test_hog can starve the other.
            pools.append(TaggerPool(settings.live_pool_size, queue=settings.live_pool_size))
            live = LiveTagger(store, registry, pools[1], timeout=settings.tagger_timeout)
        except BaseException:
            for pool in pools:
                pool.close()
            store.close()
            raise
        if store.path is not None:
            write_holder_note(store.path, f"the Taggers API server at {settings.base_url}")
        return cls(settings, store, registry, pools[0], live)

    def close(self) -> None:
        """Stop the workers, let go of the database. Closing twice is harmless."""
        self.live.close()
        self.live.pool.close()
        self.pool.close()
        if self.store.path is not None:
            with contextlib.suppress(OSError):
                remove_holder_note(self.store.path)
        self.store.close()
