"""The FastAPI application: routes, the one error handler, and the OpenAPI schema at /api/schema/."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from pydantic import TypeAdapter, ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from sampler.models import TestHogRequest
from sampler.tagger_input import TaggerCreate, TaggerPatch
from taggers_api import errors
from taggers_api.capture_routes import build_capture_router
from taggers_api.event_routes import build_event_router
from taggers_api.responses import JSONBody
from taggers_api.routes import build_router
from taggers_api.services import Services

SCHEMA_PATH = "/api/schema/"
# Request bodies, described under PostHog's component names.
REQUEST_SCHEMAS = {"TaggerRequest": TaggerCreate, "PatchedTaggerRequest": TaggerPatch,
                   "TestHogTaggerRequest": TestHogRequest}


def create_app(services: Services) -> FastAPI:
    """The app over opened `services`; it closes them when the server shuts down (uvicorn re-raises
    SIGTERM/SIGINT after its shutdown, so code after `uvicorn.run` may never run)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services.live.start()  # picks up the tagging a previous run left pending
        yield
        services.close()

    app = FastAPI(title="hog-tagger Taggers API", version="1.0.0", openapi_url=None, docs_url=None, lifespan=lifespan,
                  redoc_url=None, default_response_class=JSONBody,
                  description="PostHog's Taggers API, served locally: list, create, retrieve, update and "
                              "soft-delete taggers, and try Hog code on recent generations with test_hog.")
    app.router.redirect_slashes = False
    app.state.services = services
    app.include_router(build_router())
    app.include_router(build_event_router())
    app.include_router(build_capture_router())
    for exception in (errors.APIError, ValidationError, HTTPException, RequestValidationError, Exception):
        app.add_exception_handler(exception, errors.handle)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _schema(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    async def schema(request: Request) -> Response:
        return JSONBody(app.openapi())

    for path in (SCHEMA_PATH, SCHEMA_PATH.rstrip("/")):
        app.add_api_route(path, schema, methods=["GET"], include_in_schema=False)
    return app


def _schema(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = document.setdefault("components", {}).setdefault("schemas", {})
    for name, model in REQUEST_SCHEMAS.items():
        schema = TypeAdapter(model).json_schema(ref_template="#/components/schemas/{model}")
        components.update(schema.pop("$defs", {}))
        schema["title"] = name
        components[name] = schema
    document["components"]["securitySchemes"] = {
        "PersonalAPIKeyAuth": {"type": "http", "scheme": "bearer", "description": "A personal API key, phx_..."}}
    document["security"] = [{"PersonalAPIKeyAuth": []}]
    return document
