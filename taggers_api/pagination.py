"""Django REST framework's limit/offset pagination, as PostHog lists with it.

`?limit=` must be a positive integer and `?offset=` a non-negative one; anything else falls back to
the defaults (page size, 0) rather than failing. `next` and `previous` are absolute URLs of the
same request with `limit` and `offset` replaced (query parameters sorted, as DRF writes them);
the first page's `previous` has no `offset`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib import parse


def _positive_int(text: str, *, strict: bool) -> int:
    value = int(text)
    if value < 0 or (strict and value == 0):
        raise ValueError(text)
    return value


def page_window(params: Mapping[str, str], default_limit: int) -> tuple[int, int]:
    """`(limit, offset)` of a list request."""
    try:
        limit = _positive_int(params["limit"], strict=True)
    except (KeyError, ValueError):
        limit = default_limit
    try:
        offset = _positive_int(params["offset"], strict=False)
    except (KeyError, ValueError):
        offset = 0
    return limit, offset


def page_body(url: str, count: int, limit: int, offset: int, results: list[Any]) -> dict[str, Any]:
    return {"count": count, "next": _next(url, count, limit, offset), "previous": _previous(url, limit, offset),
            "results": results}


def _next(url: str, count: int, limit: int, offset: int) -> str | None:
    if offset + limit >= count:
        return None
    return _with(_with(url, "limit", limit), "offset", offset + limit)


def _previous(url: str, limit: int, offset: int) -> str | None:
    if offset <= 0:
        return None
    url = _with(url, "limit", limit)
    if offset - limit <= 0:
        return _with(url, "offset", None)
    return _with(url, "offset", offset - limit)


def _with(url: str, key: str, value: int | None) -> str:
    """`url` with query parameter `key` set to `value` (or removed for None), parameters sorted."""
    scheme, netloc, path, query, fragment = parse.urlsplit(url)
    params = parse.parse_qs(query, keep_blank_values=True)
    if value is None:
        params.pop(key, None)
    else:
        params[key] = [str(value)]
    return parse.urlunsplit((scheme, netloc, path, parse.urlencode(sorted(params.items()), doseq=True), fragment))
