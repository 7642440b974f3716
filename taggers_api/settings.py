"""The server's options, each a first-class setting with PostHog's value as its default where
PostHog has one."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


@dataclass(frozen=True, slots=True)
class Settings:
    db: Path | None = None  # None: the embedded default database
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    workers: int = max(1, min(4, os.cpu_count() or 1))  # tagger worker processes
    queue: int | None = None  # tasks that may wait for a worker; None: as many as there are workers
    tagger_timeout: float = 5.0  # seconds per event, as PostHog's run_hog_tagger
    max_body_bytes: int = 2 * 1024 * 1024  # a Hog source may be 1 MiB; bigger bodies get 413
    page_size: int = 100  # DRF's PAGE_SIZE in PostHog
    max_json_depth: int = 100  # nesting allowed in a request body
    live_workers: int | None = None  # processes that run live tagging; None: as many as `workers`
    max_capture_bytes: int = 20 * 1024 * 1024  # a capture body, decompressed (PostHog's batch limit)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def live_pool_size(self) -> int:
        return self.workers if self.live_workers is None else self.live_workers

    @property
    def waiting_places(self) -> int:
        return self.workers if self.queue is None else self.queue
