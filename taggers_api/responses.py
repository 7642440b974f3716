"""JSON responses as the API writes them."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import JSONResponse


def dump_json(content: Any) -> bytes:
    """Compact JSON in UTF-8. A lone surrogate a tagger produced becomes its JSON escape (`\\ud800`),
    which is what `backslashreplace` writes inside a string, instead of failing the response."""
    return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode(
        "utf-8", "backslashreplace")


class JSONBody(JSONResponse):
    def render(self, content: Any) -> bytes:
        return dump_json(content)
