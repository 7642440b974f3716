"""What the events endpoint does between HTTP and the library: read PostHog's query parameters,
find the events (`sampler.event_query`), and write PostHog's page `{next, results}`.

Parameters, as PostHog's events API takes them: `event`, `properties` (a JSON list of property
filters), `after` and `before` (ISO 8601; strictly after / before), `distinct_id`, `limit`
(default 100, at most `MAX_LIMIT`). `next` is the same request with `before` set to the last
event's timestamp, present when older events match too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib import parse

from dateutil import parser as date_parser

from sampler.event_query import EventQuery, EventQueryError, event_body, find_events
from taggers_api.auth import Caller
from taggers_api.errors import APIError
from taggers_api.services import Services

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000


def invalid(attr: str, detail: str) -> APIError:
    return APIError(400, "validation_error", "invalid_input", detail, attr)


def parse_query(project_id: int, params: Mapping[str, str]) -> EventQuery:
    return EventQuery(project_id=project_id, event=params.get("event") or None,
                      properties=_properties(params.get("properties")), after=_moment(params, "after"),
                      before=_moment(params, "before"), distinct_id=params.get("distinct_id") or None,
                      limit=_limit(params.get("limit")))


def _properties(text: str | None) -> list[Any]:
    if not text:
        return []
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise invalid("properties", "Properties must be a JSON list of property filters.") from None
    if isinstance(value, dict) and isinstance(value.get("values"), list):  # a property group: its filters
        value = value["values"]
    if not isinstance(value, list):
        raise invalid("properties", "Properties must be a JSON list of property filters.")
    return value


def _moment(params: Mapping[str, str], name: str) -> datetime | None:
    text = params.get(name)
    if not text:
        return None
    try:
        moment = date_parser.isoparse(text.strip())
    except (ValueError, OverflowError):
        raise invalid(name, f"'{name}' must be an ISO 8601 date-time, such as 2026-11-27T10:00:00Z.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _limit(text: str | None) -> int:
    if text is None or text == "":
        return DEFAULT_LIMIT
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise invalid("limit", f"'limit' must be a whole number from 1 to {MAX_LIMIT}.")
    return int(text)


def list_events(services: Services, caller: Caller, params: Mapping[str, str], url: str) -> dict[str, Any]:
    query = parse_query(caller.project.id, params)
    try:
        page = find_events(services.store, query)
    except EventQueryError as exc:
        raise invalid(exc.field, str(exc)) from None
    results = [event_body(event) for event in page.events]
    next_url = _next(url, results[-1]["timestamp"]) if page.more and results else None
    return {"next": next_url, "results": results}


def _next(url: str, before: str) -> str:
    scheme, netloc, path, query, fragment = parse.urlsplit(url)
    params = dict(parse.parse_qsl(query, keep_blank_values=True))
    params["before"] = before
    return parse.urlunsplit((scheme, netloc, path, parse.urlencode(params), fragment))
