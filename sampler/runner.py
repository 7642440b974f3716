"""Run a compiled Hog tagger on one event, as PostHog's `run_hog_tagger` does.

The tagger gets the globals `input`, `output`, `properties`, `event {uuid, event, distinct_id}`
and `tags` (the configured tag names, sorted), and 5 seconds. What it prints becomes the
reasoning; what it returns becomes the tags:

    list   -> each item `str()`-ed, then only configured names kept (all kept when none configured)
    string -> that one tag
    null   -> no tags
    other  -> the error "Must return a list of tag names, got <type>: <value>"
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any, TypedDict

from hogvm.errors import (
    HogError,
    HogVMMemoryExceededException,
    HogVMRuntimeExceededException,
)
from hogvm.printing import to_python_str
from hogvm.values import Closure
from sampler.extract import as_tagger_global, extract_event_io

TAGGER_TIMEOUT_S = 5.0


class TaggerResult(TypedDict):
    tags: list[str]
    reasoning: str
    error: str | None


def tagger_globals(event_data: dict[str, Any], valid_tag_names: Collection[str]) -> dict[str, Any]:
    """The globals a tagger runs with, built from PostHog's `event_data` dict."""
    properties = event_data["properties"]
    if isinstance(properties, str):
        properties = json.loads(properties)
    event_type = event_data["event"]
    input_raw, output_raw = extract_event_io(event_type, properties)
    return {
        "input": as_tagger_global(input_raw),
        "output": as_tagger_global(output_raw),
        "properties": properties,
        "event": {
            "uuid": event_data.get("uuid", ""),
            "event": event_type,
            "distinct_id": event_data.get("distinct_id", ""),
        },
        "tags": sorted(valid_tag_names),
    }


def run_hog_tagger(
    bytecode: list[Any],
    event_data: dict[str, Any],
    valid_tag_names: Collection[str],
    *,
    timeout: float = TAGGER_TIMEOUT_S,
) -> TaggerResult:
    """Tag one event. Never raises for anything the tagger or its bytecode does: errors are reported
    in `error`, with empty tags and reasoning, exactly where PostHog reports them.

    `timeout` is PostHog's 5 seconds unless a tool (a fuzzer) asks for a shorter limit.
    """
    from hogvm import execute_bytecode  # the VM loads on first use; `import sampler` stays light

    try:
        globals_ = tagger_globals(event_data, valid_tag_names)
    except (KeyError, TypeError, ValueError) as exc:
        return _failure(f"Invalid event: {type(exc).__name__}: {exc}")
    try:
        response = execute_bytecode(bytecode, globals_, timeout=timeout)
    except HogVMRuntimeExceededException:
        return _failure(f"Execution timed out ({timeout:g}s limit exceeded)")
    except HogVMMemoryExceededException:
        return _failure("Memory limit exceeded")
    except HogError as exc:  # an uncaught `throw` reads `Error('message')`, as in PostHog
        return _failure(f"Runtime error: {_one_line(exc)}")
    except RecursionError:
        return _failure("Runtime error: the tagger nested too deeply")
    except Exception as exc:  # a bug in the VM, not in the tagger: say what it was
        return _failure(f"Unexpected error during tagging: {type(exc).__name__}: {exc}")

    reasoning = "\n".join(response.stdout) if response.stdout else ""
    result = response.result
    if result is None:
        return {"tags": [], "reasoning": reasoning, "error": None}
    if isinstance(result, str):
        result = [result]
    if not isinstance(result, list):
        return {
            "tags": [],
            "reasoning": reasoning,
            "error": f"Must return a list of tag names, got {_python_type_name(result)}: {to_python_str(result)}",
        }
    # `str()` as PostHog's VM computes it on Hog values (cycle-safe, no recursion).
    names = [to_python_str(item) for item in result]
    if valid_tag_names:
        names = [name for name in names if name in valid_tag_names]
    return {"tags": names, "reasoning": reasoning, "error": None}


def _python_type_name(value: Any) -> str:
    """The Python type name PostHog reports; its VM represents functions as dicts."""
    return "dict" if type(value) is Closure else type(value).__name__


def _failure(message: str) -> TaggerResult:
    return {"tags": [], "reasoning": "", "error": message}


def _one_line(exc: BaseException) -> str:
    """The message without the source snippet a HogError may append on following lines."""
    return str(exc).split("\n", 1)[0]
