"""Run a compiled Hog tagger on one event, as PostHog's `run_hog_tagger` does.

The tagger gets the globals `input`, `output`, `properties`, `event {uuid, event, distinct_id}`
and `tags` (the configured tag names, sorted), and 5 seconds. What it prints becomes the
reasoning; what it returns becomes the tags:

    list   -> each item `str()`-ed, then only configured names kept (all kept when none configured)
    string -> that one tag
    null   -> no tags
    other  -> the error "Must return a list of tag names, got <type>: <value>"

With the tagger's source map (`compile_hog_with_warnings`), a runtime error ends with its position:
"Runtime error: Invalid closure: null is not a function (line 3, column 10, in function f)".
`tag_event` also says which returned names were dropped as not configured.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, TypedDict

from hogvm.errors import (
    HogError,
    HogVMMemoryExceededException,
    HogVMRuntimeExceededException,
)
from hogvm.positions import SourceMap
from hogvm.printing import to_python_str
from hogvm.values import Closure
from sampler.extract import as_tagger_global, extract_event_io

TAGGER_TIMEOUT_S = 5.0
# The globals a tagger gets (see `tagger_globals`): compile-time warnings check names against them.
TAGGER_GLOBAL_NAMES = ("input", "output", "properties", "event", "tags")


class TaggerResult(TypedDict):
    tags: list[str]
    reasoning: str
    error: str | None
    posthog_divergences: list[str]  # where PostHog's VMs would answer otherwise (messages)


@dataclass(slots=True)
class TaggerOutcome:
    """One event tagged: PostHog's answer (`as_result()`), and what a report can add to it."""

    tags: list[str]
    reasoning: str
    error: str | None
    dropped: list[str] = field(default_factory=list)  # returned names that are not configured tags
    failure: HogError | None = None  # the error itself (position, source snippet), if the VM raised one
    posthog_divergences: list[str] = field(default_factory=list)  # where PostHog's VMs would answer otherwise

    def as_result(self) -> TaggerResult:
        return {"tags": self.tags, "reasoning": self.reasoning, "error": self.error,
                "posthog_divergences": self.posthog_divergences}


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


def run_hog_tagger(bytecode: list[Any], event_data: dict[str, Any], valid_tag_names: Collection[str], *,
                   source_map: SourceMap | None = None, timeout: float | None = None) -> TaggerResult:
    """Tag one event. Never raises for anything the tagger or its bytecode does: errors are reported
    in `error`, with empty tags and reasoning, exactly where PostHog reports them. `timeout` is
    `TAGGER_TIMEOUT_S` (PostHog's 5 seconds) unless a server or a tool (a fuzzer) sets its own.
    """
    return tag_event(bytecode, event_data, valid_tag_names, source_map=source_map, timeout=timeout).as_result()


def tag_event(bytecode: list[Any], event_data: dict[str, Any], valid_tag_names: Collection[str], *,
              source_map: SourceMap | None = None, timeout: float | None = None) -> TaggerOutcome:
    """`run_hog_tagger`, with the names dropped as not configured and the VM's error."""
    if timeout is None:
        timeout = TAGGER_TIMEOUT_S  # read when called, so a host may change the module's default
    from hogvm import execute_bytecode  # the VM loads on first use; `import sampler` stays light
    try:
        globals_ = tagger_globals(event_data, valid_tag_names)
    except (KeyError, TypeError, ValueError) as exc:
        return _failure(f"Invalid event: {type(exc).__name__}: {exc}")
    try:
        response = execute_bytecode(bytecode, globals_, timeout=timeout, source_map=source_map)
    except HogVMRuntimeExceededException as exc:
        return _failure(_at(f"Execution timed out ({timeout:g}s limit exceeded)", exc), exc)
    except HogVMMemoryExceededException as exc:
        return _failure(_at("Memory limit exceeded", exc), exc)
    except HogError as exc:  # an uncaught `throw` reads `Error('message')`, as in PostHog
        return _failure(f"Runtime error: {_one_line(exc)}", exc)
    except RecursionError:
        return _failure("Runtime error: the tagger nested too deeply")
    except Exception as exc:  # a bug in the VM, not in the tagger: say what it was
        return _failure(f"Unexpected error during tagging: {type(exc).__name__}: {exc}")

    reasoning = "\n".join(response.stdout) if response.stdout else ""
    divergences = [finding["message"] for finding in response.posthog_divergences]
    result = response.result
    if result is None:
        return TaggerOutcome([], reasoning, None, posthog_divergences=divergences)
    if isinstance(result, str):
        result = [result]
    if not isinstance(result, list):
        return TaggerOutcome(
            [], reasoning, f"Must return a list of tag names, got {_python_type_name(result)}: {to_python_str(result)}",
            posthog_divergences=divergences,
        )
    # `str()` as PostHog's VM computes it on Hog values (cycle-safe, no recursion).
    names = [to_python_str(item) for item in result]
    if not valid_tag_names:
        return TaggerOutcome(names, reasoning, None, posthog_divergences=divergences)
    kept = [name for name in names if name in valid_tag_names]
    dropped = list(dict.fromkeys(name for name in names if name not in valid_tag_names))
    return TaggerOutcome(kept, reasoning, None, dropped, posthog_divergences=divergences)


def _python_type_name(value: Any) -> str:
    """The Python type name PostHog reports; its VM represents functions as dicts."""
    return "dict" if type(value) is Closure else type(value).__name__


def _failure(message: str, error: HogError | None = None) -> TaggerOutcome:
    return TaggerOutcome([], "", message, failure=error)


def _at(message: str, error: HogError) -> str:
    """`message` with the position of the failing instruction, when the tagger's source map gave one."""
    where = error.location()
    return f"{message} ({where})" if where else message


def _one_line(exc: BaseException) -> str:
    """The message without the source snippet a HogError may append on following lines."""
    return str(exc).split("\n", 1)[0]
