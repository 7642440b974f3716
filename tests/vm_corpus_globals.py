"""The globals every program in tests/corpus/vm/ runs with (an `$ai_generation`-like event)."""

from __future__ import annotations

from typing import Any

CORPUS_GLOBALS: dict[str, Any] = {
    "event": {
        "event": "$ai_generation",
        "properties": {"$ai_model": "gpt-4o", "tags": ["a", "b"], "nested": {"deep": {"value": 42}}},
    },
    "properties": {"$ai_input_tokens": 12, "$ai_output_tokens": 30},
    "input": "What is Hog?",
    "tags": ["billing", "error"],
}
