"""The paths PostHog's SDKs send events to, answered as PostHog's capture answers them.

- `POST|GET /batch/`, `/e/`, `/i/v0/e/`, `/capture/`, `/track/`, `/engage/`, and the AI lane
  `/i/v0/ai/batch/` (posthog-python's `capture_ai` / `enable_full_ai_capture`): the trailing slash
  is optional. `200 {"status": "Ok"}` once the events are durable (`204` with `?beacon=1`);
  refusals are capture's `{"status", "code", "error"}` (`taggers_api.capture`).
- `OPTIONS` on each: CORS preflight, answered for any origin as PostHog's capture does, so that
  posthog-js on a web page can send here.
- What SDKs ask on start-up, answered so that they carry on without feature flags:
  `POST /flags/` (`{"flags": {}, ...}`), `POST /decide/` (the legacy form) and
  `GET /array/{token}/config` (posthog-js's remote config: gzip accepted, no flags to load).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from sampler.live_store import EventRow
from taggers_api import errors
from taggers_api.capture import CaptureError, decode_request, normalize_event, unknown_token
from taggers_api.responses import JSONBody
from taggers_api.services import Services

CAPTURE_PATHS = ("/batch", "/e", "/i/v0/e", "/capture", "/track", "/engage", "/i/v0/ai/batch")
OK = {"status": "Ok"}


def _cors(request: Request) -> dict[str, str]:
    origin = request.headers.get("origin")
    if origin is None:
        return {}
    headers = {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true",
               "Vary": "Origin"}
    if request.method == "OPTIONS":
        headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        asked = request.headers.get("access-control-request-headers")
        if asked:
            headers["Access-Control-Allow-Headers"] = asked
    return headers


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise CaptureError(413, "payload_too_large", f"maximum event size exceeded: body over {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise CaptureError(413, "payload_too_large", f"maximum event size exceeded: body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _rows(services: Services, body: bytes, query: dict[str, str], headers: dict[str, str], path: str
          ) -> list[EventRow]:
    """Decode and check the whole request (refusing it whole), then its events as stored rows."""
    request = decode_request(body, query, headers, path=path, max_bytes=services.settings.max_capture_bytes)
    if not request.events:
        return []
    project = services.registry.project_by_token(request.token)
    if project is None:
        raise unknown_token()
    now = datetime.now(UTC)
    rows = []
    for raw in request.events:
        row = normalize_event(raw, sent_at=request.sent_at, now=now)
        rows.append(EventRow(project.id, row.uuid, row.event, row.distinct_id, row.timestamp, row.properties,
                             row.person_id, row.elements_chain))
    return rows


def build_capture_router() -> APIRouter:
    router = APIRouter()

    async def capture(request: Request) -> Response:
        """Capture events (PostHog's v0 capture)."""
        services: Services = request.app.state.services
        cors = _cors(request)
        if request.method == "OPTIONS":
            return JSONBody(OK, headers=cors)
        try:
            body = await _body(request, services.settings.max_capture_bytes)
            rows = await run_in_threadpool(_rows, services, body, dict(request.query_params), dict(request.headers),
                                           request.url.path)
            if rows:
                try:
                    await asyncio.wrap_future(services.live.capture(rows))
                except Exception as exc:  # nothing was committed: the SDK may send it again
                    errors.log.error("capture: storing %d events failed: %s", len(rows), exc)
                    raise CaptureError(503, "service_unavailable", "transient error, please retry") from None
        except CaptureError as refused:
            raise refused.with_headers(cors) from None
        if request.query_params.get("beacon") == "1":
            return Response(status_code=204, headers=cors)
        return JSONBody(OK, headers=cors)

    for path in CAPTURE_PATHS:
        for variant in (path + "/", path):
            router.add_api_route(variant, capture, methods=["GET", "POST", "OPTIONS"], include_in_schema=False,
                                 operation_id=f"capture_{variant.strip('/').replace('/', '_') or 'root'}"
                                              f"{'_slash' if variant.endswith('/') else ''}")

    async def flags(request: Request) -> Response:
        """Feature flags: this server has none (so SDKs evaluate every flag as not set)."""
        return JSONBody({"flags": {}, "featureFlags": {}, "featureFlagPayloads": {},
                         "errorsWhileComputingFlags": False, "quotaLimited": [], "requestId": str(uuid.uuid4())},
                        headers=_cors(request))

    async def remote_config(request: Request, token: str) -> Response:
        """posthog-js's remote config: gzip is accepted, there are no flags, no recordings, no surveys."""
        return JSONBody({"token": token, "supportedCompression": ["gzip", "gzip-js"], "hasFeatureFlags": False,
                         "autocaptureExceptions": False, "sessionRecording": False, "heatmaps": False,
                         "surveys": False, "defaultIdentifiedOnly": True, "siteApps": []}, headers=_cors(request))

    for path in ("/flags", "/decide"):
        for variant in (path + "/", path):
            router.add_api_route(variant, flags, methods=["GET", "POST", "OPTIONS"], include_in_schema=False)
    router.add_api_route("/array/{token}/config", remote_config, methods=["GET", "OPTIONS"], include_in_schema=False)
    return router
