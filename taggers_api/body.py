"""Reading a request body as JSON, as DRF's JSONParser reads it, within limits.

Only JSON is accepted (`application/json`, any `+json` type, or no Content-Type at all); an empty
body is an empty object. Bodies over the size limit get 413 before they are read in full; JSON
that is malformed, nested deeper than the limit, holds NaN or Infinity, or a lone surrogate
(text no database can store) is a parse error, never an exception further in.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import ClientDisconnect, Request

from taggers_api import errors


async def read_json(request: Request, *, max_bytes: int, max_depth: int) -> Any:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise errors.unsupported_media_type(media_type)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise errors.payload_too_large(max_bytes)
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                raise errors.payload_too_large(max_bytes)
            chunks.append(chunk)
    except ClientDisconnect:
        raise errors.parse_error("the client disconnected before the body was complete") from None
    raw = b"".join(chunks)
    if not raw.strip():
        return {}
    return parse_json(raw, max_depth=max_depth)


def parse_json(raw: bytes, *, max_depth: int) -> Any:
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except RecursionError:
        raise errors.parse_error(f"nested deeper than {max_depth} levels") from None
    except UnicodeDecodeError as exc:
        raise errors.parse_error(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except ValueError as exc:  # JSONDecodeError, and the constants refused below
        raise errors.parse_error(str(exc)) from None
    _check(value, max_depth)
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"Out of range float values are not JSON compliant: {name}")


def _check(value: Any, max_depth: int) -> None:
    """Depth and text checks, without recursion (the value may be as deep as the decoder allows)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, (list, dict)):
            if depth > max_depth:
                raise errors.parse_error(f"nested deeper than {max_depth} levels")
            if isinstance(item, dict):
                for key in item:
                    _check_text(key)
                stack.extend((child, depth + 1) for child in item.values())
            else:
                stack.extend((child, depth + 1) for child in item)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise errors.parse_error("a string holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text") from None
