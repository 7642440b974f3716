"""JSON responses as the API writes them."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

from sampler.registry import to_json_bytes


class JSONBody(JSONResponse):
    """A response from a JSON-able value (compact UTF-8, see `to_json_bytes`)."""

    def render(self, content: Any) -> bytes:
        return to_json_bytes(content)


class RawJSON(Response):
    """A response whose body is JSON already (a tagger's cached `api_json`, a page made of them)."""

    media_type = "application/json"
