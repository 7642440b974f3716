"""The HTTP routes: authorise, read the body, call `taggers_api.taggers`, write the answer.

Every tagger route exists under `/api/environments/{project_id}/taggers/` and, as PostHog serves
both, `/api/projects/{project_id}/taggers/`; the trailing slash is optional.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from sampler.pool import WorkerLost
from sampler.tagger_input import ORDER_CHOICES
from taggers_api import schemas, taggers
from taggers_api.auth import READ, WRITE, authorize
from taggers_api.body import read_json
from taggers_api.responses import JSONBody, RawJSON
from taggers_api.services import Services

PREFIXES = {"environments": "/api/environments/{project_id}/taggers", "projects": "/api/projects/{project_id}/taggers"}
DETAIL_ALLOW = "GET, PUT, PATCH, DELETE, HEAD"

_ERRORS = {status: {"model": schemas.Error, "description": text} for status, text in {
    401: "No key, or an unknown or revoked one", 403: "The key may not use this project, or lacks the scope",
    404: "No such project", 405: "Method not allowed", 413: "Body over the size limit",
    415: "Body is not JSON"}.items()}
# Declared here rather than as typed parameters: DRF ignores an unreadable limit or offset, where
# FastAPI would reject it.
_LIST_PARAMETERS = [
    {"name": "enabled", "in": "query", "schema": {"type": "boolean"}, "description": "Filter by enabled status"},
    {"name": "id__in", "in": "query", "style": "form", "explode": False,
     "schema": {"type": "array", "items": {"type": "string", "format": "uuid"}},
     "description": "Multiple values may be separated by commas."},
    {"name": "limit", "in": "query", "schema": {"type": "integer"},
     "description": "Number of results to return per page."},
    {"name": "offset", "in": "query", "schema": {"type": "integer"},
     "description": "The initial index from which to return the results."},
    {"name": "order_by", "in": "query", "style": "form", "explode": False,
     "schema": {"type": "array", "items": {"type": "string", "enum": list(ORDER_CHOICES)}},
     "description": schemas.ORDER_BY_DESCRIPTION},
    {"name": "search", "in": "query", "schema": {"type": "string"}, "description": "Search in name or description"},
]
_BODY_ERRORS = {400: {"model": schemas.Error, "description": "Invalid body or parameters"}}


def services(request: Request) -> Services:
    return request.app.state.services


async def _body(request: Request) -> Any:
    settings = services(request).settings
    return await read_json(request, max_bytes=settings.max_body_bytes, max_depth=settings.max_json_depth)


def _request_body(schema: str) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}}


def add_tagger_routes(router: APIRouter, path: str, operation_prefix: str) -> None:
    def route(methods: list[str], suffix: str, endpoint: Callable[..., Any], name: str, **options: Any) -> None:
        operation = f"{operation_prefix}{name}"
        router.add_api_route(path + suffix + "/", endpoint, methods=methods, operation_id=operation,
                             tags=["taggers"], **options)
        router.add_api_route(path + suffix, endpoint, methods=methods, include_in_schema=False,
                             operation_id=operation + "_no_slash")

    async def list_taggers(request: Request, project_id: str) -> Response:
        """List all taggers."""
        s = services(request)
        caller = authorize(s.registry, request, project_id, READ)
        return RawJSON(taggers.list_page(s, caller, request.query_params, str(request.url)))

    async def create_tagger(request: Request, project_id: str) -> Response:
        """Create a tagger."""
        s = services(request)
        caller = authorize(s.registry, request, project_id, WRITE)
        body = await _body(request)
        tagger = await run_in_threadpool(taggers.create, s, caller, body)
        return RawJSON(tagger.api_json, status_code=201)

    async def retrieve_tagger(request: Request, project_id: str, id: str) -> Response:
        """Retrieve a tagger."""
        s = services(request)
        caller = authorize(s.registry, request, project_id, READ)
        return RawJSON(taggers.retrieve(s, caller, id).api_json)

    def updater(partial: bool) -> Callable[..., Any]:
        async def update_tagger(request: Request, project_id: str, id: str) -> Response:
            s = services(request)
            caller = authorize(s.registry, request, project_id, WRITE)
            body = await _body(request)
            tagger = await run_in_threadpool(taggers.update, s, caller, id, body, partial=partial)
            return RawJSON(tagger.api_json)

        update_tagger.__doc__ = "Update a tagger (only the fields given)." if partial else "Replace a tagger."
        return update_tagger

    async def destroy_tagger(request: Request, project_id: str, id: str) -> Response:
        """Hard delete of this model is not allowed. Use a patch API call to set "deleted" to true"""
        s = services(request)
        authorize(s.registry, request, project_id, WRITE)
        return Response(status_code=405, headers={"Allow": DETAIL_ALLOW})

    async def test_hog(request: Request, project_id: str) -> Response:
        """Test Hog tagger code against sample events without saving."""
        s = services(request)
        caller = authorize(s.registry, request, project_id, READ)
        body = await _body(request)
        outcome = await run_in_threadpool(taggers.test_hog, s, caller, body)
        if isinstance(outcome, tuple):
            return JSONBody(outcome[1], status_code=outcome[0])
        try:
            status, answer = await asyncio.wrap_future(outcome)
        except WorkerLost as lost:
            return JSONBody({"error": f"Tagging failed: {lost}"}, status_code=400)
        return JSONBody(answer, status_code=status)

    detail = "/{id}"
    route(["GET"], "", list_taggers, "list", openapi_extra={"parameters": _LIST_PARAMETERS},
          responses={200: {"model": schemas.PaginatedTaggerList}, **_BODY_ERRORS, **_ERRORS})
    route(["POST"], "", create_tagger, "create", status_code=201, openapi_extra=_request_body("TaggerRequest"),
          responses={201: {"model": schemas.Tagger}, **_BODY_ERRORS, **_ERRORS})
    route(["POST"], "/test_hog", test_hog, "test_hog_create", openapi_extra=_request_body("TestHogTaggerRequest"),
          responses={200: {"model": schemas.TestHogTaggerResponse},
                     400: {"model": schemas.TestHogTaggerError | schemas.Error,
                           "description": "Invalid request or compile error ({error}), or unreadable JSON"},
                     503: {"model": schemas.Error, "description": "Every tagger worker is busy (see Retry-After)"},
                     **_ERRORS})
    route(["GET"], detail, retrieve_tagger, "retrieve",
          responses={200: {"model": schemas.Tagger}, **_ERRORS, 404: {"model": schemas.Error}})
    route(["PATCH"], detail, updater(partial=True), "partial_update",
          openapi_extra=_request_body("PatchedTaggerRequest"),
          responses={200: {"model": schemas.Tagger}, **_BODY_ERRORS, **_ERRORS})
    route(["PUT"], detail, updater(partial=False), "update", openapi_extra=_request_body("TaggerRequest"),
          responses={200: {"model": schemas.Tagger}, **_BODY_ERRORS, **_ERRORS})
    route(["DELETE"], detail, destroy_tagger, "destroy", status_code=405,
          responses={405: {"description": "Taggers are never hard-deleted; PATCH `deleted` instead"},
                     **{s: r for s, r in _ERRORS.items() if s != 405}})


def build_router() -> APIRouter:
    router = APIRouter()
    for name, path in PREFIXES.items():
        add_tagger_routes(router, path, "environments_taggers_" if name == "environments" else "taggers_")

    async def health(request: Request) -> Response:
        """200 while the database answers."""
        healthy = await run_in_threadpool(_database_answers, services(request))
        return JSONBody({"status": "ok" if healthy else "database unavailable"}, status_code=200 if healthy else 503)

    router.add_api_route("/_health", health, methods=["GET"], operation_id="health", tags=["health"],
                         responses={200: {"model": schemas.Health}, 503: {"model": schemas.Health}})
    return router


def _database_answers(s: Services) -> bool:
    try:
        with s.store.cursor() as cur:
            return cur.execute("SELECT 1").fetchone() == (1,)
    except Exception:
        return False
