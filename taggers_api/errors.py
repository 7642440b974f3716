"""Every error the API answers with, in PostHog's shape `{type, code, detail, attr}` (its
drf-exceptions-hog handler), produced by one handler.

`type` is `validation_error`, `authentication_error`, `invalid_request`, `throttled_error` or
`server_error`; `attr` names the field at fault, nested fields joined by `__`
(`conditions__0__rollout_percentage`).
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from sampler.drf import drf_error, nests_non_field_errors
from taggers_api.responses import JSONBody

log = logging.getLogger("taggers_api")


class APIError(Exception):
    """An answer other than success: status, PostHog's error fields, and extra headers."""

    def __init__(self, status: int, type_: str, code: str, detail: str, attr: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.type, self.code, self.detail, self.attr = status, type_, code, detail, attr
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"type": self.type, "code": self.code, "detail": self.detail, "attr": self.attr}


def not_authenticated() -> APIError:
    return APIError(401, "authentication_error", "not_authenticated", "Authentication credentials were not provided.",
                    headers={"WWW-Authenticate": "Bearer"})


def authentication_failed(source: str) -> APIError:
    return APIError(401, "authentication_error", "authentication_failed",
                    f"Personal API key found in request {source} is invalid.", headers={"WWW-Authenticate": "Bearer"})


def permission_denied(detail: str) -> APIError:
    return APIError(403, "authentication_error", "permission_denied", detail)


def not_found(detail: str = "Not found.") -> APIError:
    return APIError(404, "invalid_request", "not_found", detail)


def parse_error(detail: str) -> APIError:
    return APIError(400, "invalid_request", "parse_error", f"JSON parse error - {detail}")


def unsupported_media_type(media_type: str) -> APIError:
    return APIError(415, "invalid_request", "unsupported_media_type", f'Unsupported media type "{media_type}" in request.')


def payload_too_large(limit: int) -> APIError:
    return APIError(413, "invalid_request", "payload_too_large", f"Request body is larger than {limit} bytes.")


def workers_busy(capacity: int, retry_after: int) -> APIError:
    return APIError(503, "throttled_error", "workers_busy",
                    f"All {capacity} tagger worker places are busy. Expected available in {retry_after} seconds.",
                    headers={"Retry-After": str(retry_after)})


def from_validation_error(exc: ValidationError) -> APIError:
    """The first problem of a pydantic error, as DRF words it and drf-exceptions-hog reports it."""
    first = exc.errors(include_url=False)[0]
    code, message = drf_error(first)
    parts = [str(part) for part in first["loc"]]
    if parts and nests_non_field_errors(first):
        parts.append("non_field_errors")
    return APIError(400, "validation_error", "invalid_input" if code == "invalid" else code, message,
                    "__".join(parts) or None)


def _method_not_allowed(request: Request, headers: dict[str, str]) -> APIError:
    return APIError(405, "invalid_request", "method_not_allowed", f'Method "{request.method}" not allowed.',
                    headers=headers)


async def handle(request: Request, exc: Exception) -> Response:
    """The one handler: every failure becomes PostHog's error body."""
    if isinstance(exc, ValidationError):
        exc = from_validation_error(exc)
    elif isinstance(exc, HTTPException):  # from routing: no such path, or not this method
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            exc = _method_not_allowed(request, headers)
        elif exc.status_code == 404:
            exc = not_found("Endpoint not found.")
        else:
            exc = APIError(exc.status_code, "invalid_request", "error", str(exc.detail), headers=headers)
    elif not isinstance(exc, APIError):
        log.exception("unexpected error answering %s %s", request.method, request.url.path, exc_info=exc)
        exc = APIError(500, "server_error", "error", "A server error occurred.")
    return JSONBody(exc.body(), status_code=exc.status, headers=exc.headers)
