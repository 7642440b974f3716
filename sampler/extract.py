"""What a tagger sees of an event, and the readable previews `test_hog` shows beside its tags.

Same rules as PostHog's `extract_event_io` and `extract_text_from_messages`:

- input: `$ai_input`, else `$ai_input_state`; output: `$ai_output_choices`, else `$ai_output`, else
  `$ai_output_state` (a falsy value such as `[]` or `""` falls through to the next key). Other
  event types (spans, traces) read only the `*_state` keys.
- text: one `role: text` line per message. Content blocks give their `text`, else their `content`,
  else the block as Python's `str()` shows a dict. Assistant `tool_calls` render as
  `[tool_call ID: name(arguments)]`; a `tool` message with a `tool_call_id` is labelled `tool[ID]`.
"""

from __future__ import annotations

import json
from typing import Any

PREVIEW_CHARS = 200


def extract_event_io(event_type: str, properties: dict[str, Any]) -> tuple[Any, Any]:
    """The raw input and output values of an event: `(input_raw, output_raw)`."""
    if event_type == "$ai_generation":
        input_raw = properties.get("$ai_input") or properties.get("$ai_input_state", "")
        output_raw = (
            properties.get("$ai_output_choices")
            or properties.get("$ai_output")
            or properties.get("$ai_output_state", "")
        )
    else:
        input_raw = properties.get("$ai_input_state", "")
        output_raw = properties.get("$ai_output_state", "")
    return input_raw, output_raw


def as_tagger_global(raw: Any) -> Any:
    """The `input`/`output` global: lists and dicts as `json.dumps` text, a missing value as ''.

    Other values pass through unchanged, as in PostHog (a number stays a number).
    """
    if isinstance(raw, list | dict):
        return json.dumps(raw)
    return raw or ""


def extract_text_from_messages(messages: Any) -> str:
    """Readable text of a message list, a single message, or a plain string."""
    if not messages:
        return ""
    if isinstance(messages, str):
        return messages
    if isinstance(messages, list):
        lines = []
        for message in messages:
            if isinstance(message, dict):
                line = _message_line(message)
                if line is not None:
                    lines.append(line)
            elif isinstance(message, str):
                lines.append(message)
        return "\n".join(lines)
    if isinstance(messages, dict):
        return _message_body(messages)
    # PostHog returns nothing here (and its preview slicing then fails); a number or boolean
    # is shown as Python shows it instead.
    return str(messages)


def preview(messages: Any) -> str:
    """The first 200 characters of the readable text, as `test_hog` shows it."""
    return extract_text_from_messages(messages)[:PREVIEW_CHARS]


def _message_body(message: dict[str, Any]) -> str:
    text = _content_text(message.get("content", ""))
    calls = _tool_calls_text(message.get("tool_calls"))
    return " ".join(part for part in (text, calls) if part)


def _message_line(message: dict[str, Any]) -> str | None:
    """`role: body`; just `role:` for an empty message; None when there is neither."""
    role = message.get("role", "")
    label = role
    if role == "tool" and message.get("tool_call_id"):
        # Pairs a tool's result with the assistant call that asked for it.
        label = f"tool[{message['tool_call_id']}]"
    body = _message_body(message)
    if body:
        return f"{label}: {body}" if label else body
    return f"{label}:" if label else None


def _content_text(content: Any) -> str:
    if not content:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, dict):
                if "text" in block:
                    parts.append(str(block["text"]))
                elif "content" in block:
                    parts.append(str(block["content"]))
                else:
                    # An unknown block (a tool call, reasoning, an image) is shown rather than dropped.
                    parts.append(str(block))
            elif isinstance(block, str):
                parts.append(block)
        return " ".join(parts)
    return str(content)


def _tool_calls_text(tool_calls: Any) -> str:
    if not isinstance(tool_calls, list):
        return ""
    rendered = []
    for call in tool_calls:
        if not isinstance(call, dict):
            continue
        function = call.get("function", {})
        if not isinstance(function, dict):
            continue
        name = function.get("name") or ""
        if not name:
            continue
        arguments = function.get("arguments", "")
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments, default=str)
        call_id = call.get("id")
        label = f"tool_call {call_id}" if call_id else "tool_call"
        rendered.append(f"[{label}: {name}({arguments})]")
    return " ".join(rendered)
