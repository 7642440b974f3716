"""What a running server holds: the database (events and registry) and the tagger worker pool."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

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

    @classmethod
    def open(cls, settings: Settings) -> Services:
        """Open the database (raising StoreError, one line, if another process holds it) and start
        the workers."""
        if settings.db is not None:
            store = EventStore(settings.db)
        else:
            from sampler.seed import open_default_store

            store = open_default_store()
        try:
            registry = Registry(store)
            pool = TaggerPool(settings.workers, queue=settings.waiting_places, retry_after_s=settings.tagger_timeout)
        except BaseException:
            store.close()
            raise
        if store.path is not None:
            write_holder_note(store.path, f"the Taggers API server at {settings.base_url}")
        return cls(settings, store, registry, pool)

    def close(self) -> None:
        """Stop the workers, let go of the database. Closing twice is harmless."""
        self.pool.close()
        if self.store.path is not None:
            with contextlib.suppress(OSError):
                remove_holder_note(self.store.path)
        self.store.close()
