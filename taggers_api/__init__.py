"""PostHog's Taggers API over HTTP: FastAPI routes over the sampler library, served by uvicorn.

    services = Services.open(Settings(db=Path("events.duckdb")))
    app = create_app(services)          # then uvicorn.run(app, ...); `hog-test serve` does both

Layers: routes (`routes.py`, thin) -> endpoint actions (`taggers.py`) -> library (`sampler.tagger_input`
validates, `sampler.registry` stores, `sampler.pool` runs taggers). Errors come out of one handler
(`errors.py`) in PostHog's `{type, code, detail, attr}` shape.
"""

from taggers_api.app import create_app
from taggers_api.services import Services
from taggers_api.settings import Settings

__all__ = ["Services", "Settings", "create_app"]
