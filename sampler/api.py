"""`test_hog`: try a Hog tagger on recent generations and answer as PostHog's endpoint does.

    >>> response = test_hog("return ['support']", tags=[{"name": "support"}])
    >>> response.model_dump()          # exactly the endpoint's JSON body
    {'results': [{'event_uuid': ..., 'trace_id': ..., 'input_preview': ..., 'output_preview': ...,
                  'tags': ['support'], 'reasoning': '', 'error': None}, ...]}

For an API server, `handle_test_hog_request(body)` takes the raw request body and returns the
endpoint's `(status, body)` pair, validation errors included.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from sampler.extract import extract_event_io, preview
from sampler.models import (
    TagDefinition,
    TestHogRequest,
    TestHogResponse,
    TestHogResult,
    first_line,
    validation_error_body,
)
from sampler.runner import tag_event
from sampler.sampling import SampledEvent, sample_events
from sampler.store import EventStore

if TYPE_CHECKING:
    from hogvm import CompiledHog

NO_EVENTS_MESSAGE = "No recent AI events found in the last 7 days"

ResultCallback = Callable[[TestHogResult], None]


def test_hog(
    source: str,
    *,
    sample_count: int = 5,
    tags: Iterable[Mapping[str, Any] | TagDefinition | str] = (),
    store: EventStore | None = None,
    now: datetime | None = None,
    project_id: int | None = None,
    on_result: ResultCallback | None = None,
) -> TestHogResponse:
    """Compile `source`, run it on the newest `sample_count` generations of the 7 days before `now`.

    `tags` are `{name, description}` mappings (a bare string is shorthand for `{name}`); with no
    tags every returned name is kept. `store` defaults to the embedded default database;
    `project_id` limits the sample to one project's events.
    `on_result` is called with each event's result as soon as it is done (for a live report).
    Raises pydantic's ValidationError for a request the endpoint would reject with status 400.
    """
    request = TestHogRequest.model_validate(
        {"source": source, "sample_count": sample_count, "tags": [_tag_input(tag) for tag in tags]}
    )
    return _answer(request, store, now, project_id, on_result)


test_hog.__test__ = False  # type: ignore[attr-defined]  # a library function, not a pytest test


def handle_test_hog_request(
    body: Any, *, store: EventStore | None = None, now: datetime | None = None, project_id: int | None = None
) -> tuple[int, dict[str, Any]]:
    """The endpoint itself: a request body in, `(HTTP status, JSON body)` out."""
    request = parse_test_hog_request(body)
    if isinstance(request, dict):
        return 400, request
    response = _answer(request, store, now, project_id)
    return response.status_code, response.model_dump()


def parse_test_hog_request(body: Any) -> TestHogRequest | dict[str, Any]:
    """The validated request, or the endpoint's 400 body (`{"error": {field: [messages]}}`)."""
    if body is None:
        return {"error": {"non_field_errors": ["This field may not be null."]}}
    if not isinstance(body, Mapping):
        return {"error": {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {type(body).__name__}."]}}
    try:
        return TestHogRequest.model_validate(body)
    except ValidationError as exc:
        return validation_error_body(exc)


def answer_test_hog(
    source: str, events: list[SampledEvent], valid_tag_names: set[str], *, timeout: float | None = None
) -> tuple[int, dict[str, Any]]:
    """Compile `source` and tag the sampled `events`: the part of the endpoint that runs tagger code,
    answering its `(HTTP status, JSON body)`.

    Plain values in and out, so that a server can run it in a worker process (each result's
    `failure` stays behind: not every HogError survives pickling, and the body does not carry it).
    As in PostHog, a compile error wins over an empty sample.
    """
    compiled = compile_tagger(source)
    response = compiled if isinstance(compiled, TestHogResponse) else _tag_sample(
        compiled, events, valid_tag_names, timeout=timeout)
    return response.status_code, response.model_dump()


def compile_tagger(source: str) -> CompiledHog | TestHogResponse:
    """The tagger compiled (bytecode and source map), or the endpoint's compile-error answer."""
    from hogvm import HogError, compile_hog_with_warnings

    try:
        return compile_hog_with_warnings(source)
    except HogError as exc:
        return TestHogResponse(error=f"Compilation error: {first_line(exc)}")
    except RecursionError:
        return TestHogResponse(error="Compilation error: the program is nested too deeply")


def _answer(request: TestHogRequest, store: EventStore | None, now: datetime | None,
            project_id: int | None = None, on_result: ResultCallback | None = None) -> TestHogResponse:
    compiled = compile_tagger(request.source)
    if isinstance(compiled, TestHogResponse):
        return compiled

    if store is None:
        from sampler.seed import default_store

        store = default_store()
    events = sample_events(store, request.sample_count, now=now, project_id=project_id)
    return _tag_sample(compiled, events, {tag.name for tag in request.tags}, on_result=on_result)


def _tag_sample(compiled: CompiledHog, events: list[SampledEvent], valid_tag_names: set[str], *,
                timeout: float | None = None, on_result: ResultCallback | None = None) -> TestHogResponse:
    if not events:
        return TestHogResponse(results=[], message=NO_EVENTS_MESSAGE)
    results = []
    for event in events:
        result = _tag_one(compiled, event, valid_tag_names, timeout)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return TestHogResponse(results=results)


def _tag_one(compiled: CompiledHog, event: SampledEvent, valid_tag_names: set[str],
             timeout: float | None) -> TestHogResult:
    if event.problem is not None:
        return TestHogResult(event_uuid=event.uuid, trace_id=None, input_preview="", output_preview="", tags=[],
                             reasoning="", error=event.problem)
    outcome = tag_event(compiled.bytecode, event.as_event_data(), valid_tag_names,
                        source_map=compiled.source_map, timeout=timeout)
    input_raw, output_raw = extract_event_io(event.event, event.properties)
    result = TestHogResult(
        event_uuid=event.uuid,
        trace_id=event.properties.get("$ai_trace_id"),
        input_preview=preview(input_raw),
        output_preview=preview(output_raw),
        tags=outcome.tags,
        reasoning=outcome.reasoning,
        error=outcome.error,
        posthog_divergences=outcome.posthog_divergences or None,
    )
    result._dropped_tags = outcome.dropped
    result._failure = outcome.failure
    return result


def _tag_input(tag: Mapping[str, Any] | TagDefinition | str) -> Any:
    if isinstance(tag, str):
        return {"name": tag}
    if isinstance(tag, TagDefinition):
        return tag.model_dump()
    return tag
