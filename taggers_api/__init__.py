"""PostHog's Taggers API over HTTP: FastAPI routes over the sampler library, served by uvicorn.

    services = Services.open(Settings(db=Path("events.duckdb")))
    app = create_app(services)          # then uvicorn.run(app, ...); `hog-test serve` does both

Layers: routes (`routes.py`, thin) -> endpoint actions (`taggers.py`) -> library (`sampler.tagger_input`
validates, `sampler.registry` stores, `sampler.pool` runs taggers). Errors come out of one handler
(`errors.py`) in PostHog's `{type, code, detail, attr}` shape.

Names load on first use, so that `hog-test` reading `taggers_api.settings` does not import FastAPI.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from taggers_api.app import create_app
    from taggers_api.services import Services
    from taggers_api.settings import Settings

_LAZY = {"create_app": "taggers_api.app", "Services": "taggers_api.services", "Settings": "taggers_api.settings"}

__all__ = ["Services", "Settings", "create_app"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'taggers_api' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
