"""Reading back what came in and what live tagging made.

- `GET /api/environments/{project_id}/events/` (and `/api/projects/...`): PostHog's events API,
  scope `query:read` (as PostHog names the scope of its events endpoint). See `taggers_api.events`.
- `GET /api/environments/{project_id}/live_tagging/`: this server's own addition, scope
  `tagger:read`: what live tagging did per tagger (tagged, skipped by reason, failed by kind,
  LLM taggers counted but not run) and the capture-to-`$ai_tag` lag.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from taggers_api import events, schemas
from taggers_api.auth import READ, authorize
from taggers_api.responses import JSONBody
from taggers_api.services import Services

QUERY_READ = "query:read"
PREFIXES = {"environments_": "/api/environments/{project_id}", "": "/api/projects/{project_id}"}
_ERRORS = {status: {"model": schemas.Error, "description": text} for status, text in {
    401: "No key, or an unknown or revoked one", 403: "The key may not use this project, or lacks the scope",
    404: "No such project", 405: "Method not allowed"}.items()}
_EVENT_PARAMETERS = [
    {"name": "event", "in": "query", "schema": {"type": "string"}, "description": "Only events with this name"},
    {"name": "properties", "in": "query", "schema": {"type": "string"},
     "description": "A JSON list of property filters, as in PostHog (e.g. "
                    "`[{\"key\": \"$ai_tagger_name\", \"value\": \"Billing\", \"operator\": \"exact\", "
                    "\"type\": \"event\"}]`)"},
    {"name": "after", "in": "query", "schema": {"type": "string", "format": "date-time"},
     "description": "Only events strictly after this moment (ISO 8601)"},
    {"name": "before", "in": "query", "schema": {"type": "string", "format": "date-time"},
     "description": "Only events strictly before this moment (ISO 8601)"},
    {"name": "distinct_id", "in": "query", "schema": {"type": "string"}, "description": "Only this person's events"},
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": events.MAX_LIMIT},
     "description": f"Events per page (default {events.DEFAULT_LIMIT})"},
]


def services(request: Request) -> Services:
    return request.app.state.services


def build_event_router() -> APIRouter:
    router = APIRouter()

    async def list_events(request: Request, project_id: str) -> Response:
        """List events, newest first."""
        s = services(request)
        caller = authorize(s.registry, request, project_id, QUERY_READ)
        body = await run_in_threadpool(events.list_events, s, caller, request.query_params, str(request.url))
        return JSONBody(body)

    async def live_status(request: Request, project_id: str) -> Response:
        """What live tagging did for this project, per tagger, and its lag."""
        s = services(request)
        caller = authorize(s.registry, request, project_id, READ)
        return JSONBody(s.live.status(caller.project.id))

    def add(path: str, endpoint: Any, operation: str, **options: Any) -> None:
        router.add_api_route(path + "/", endpoint, methods=["GET"], operation_id=operation, **options)
        router.add_api_route(path, endpoint, methods=["GET"], include_in_schema=False,
                             operation_id=operation + "_no_slash")

    for operation_prefix, prefix in PREFIXES.items():
        add(prefix + "/events", list_events, operation_prefix + "events_list", tags=["events"], openapi_extra={"parameters": _EVENT_PARAMETERS},
            responses={200: {"model": schemas.EventList},
                       400: {"model": schemas.Error, "description": "Unreadable parameters"}, **_ERRORS})
        if operation_prefix:  # the server's own endpoint, under the current (environments) path only
            add(prefix + "/live_tagging", live_status, "environments_live_tagging_retrieve", tags=["live tagging"],
                responses={200: {"model": schemas.LiveTaggingStatus}, **_ERRORS})
    return router
