"""The tagging pipeline: one tagger, one event, PostHog's rules, one outcome. Live and batch
tagging both call this and nothing else.

    >>> tagger = prepare_tagger(tagger_json)          # once: validates, decodes all bytecode
    >>> outcome = tagger(event)                       # per event: a plain, picklable callable
    >>> outcome.tagged, outcome.tags, outcome.tag_event

For each event, as PostHog does it:

1. Only `$ai_generation` events are considered, and only by enabled, not deleted taggers (pass
   `require_enabled=False` to try a tagger before enabling it, as a batch run does).
2. The conditions decide, with the event's uuid as sampling key (see `sampler/conditions.py`).
   A tagger without conditions runs on nothing.
3. A Hog tagger runs (`run_hog_tagger`: PostHog's globals, 5 seconds). LLM taggers are kept and
   their conditions evaluated, but they are not run here: the outcome says `llm_tagger`.
4. Success builds the `$ai_tag` event (see `sampler/ai_tag.py`). On failure PostHog's workflow
   fails with `Hog tagger error: <error>` and captures nothing; the outcome carries that message
   and an `error_kind`, and no event.

`TagOutcome` records every step, so a batch run can say how many events were considered,
matched, sampled in, tagged, and which failed how. Nothing in it depends on the machine or on
how many workers ran, except `duration_s`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sampler.ai_tag import AI_TAG_NAMESPACE, build_ai_tag_event
from sampler.conditions import PreparedCondition, filter_globals, match_conditions, prepare_conditions
from sampler.models import Tagger, TaggerType
from sampler.runner import run_hog_tagger

AI_GENERATION_EVENT = "$ai_generation"


class SkipReason(StrEnum):
    """Why a tagger did not run on an event (not an error)."""

    DISABLED = "disabled"  # PostHog loads enabled taggers only
    DELETED = "deleted"
    NOT_AI_GENERATION = "not_ai_generation"
    NO_CONDITIONS = "no_conditions"
    FILTERED = "filtered"  # no condition's filters matched
    SAMPLING_EXCLUDED = "sampling_excluded"  # matched, but outside the rollout percentage
    LLM_TAGGER = "llm_tagger"  # would run in PostHog; LLM taggers are not run here


class ErrorKind(StrEnum):
    """Why a tagger that should have tagged an event did not."""

    INVALID_EVENT = "invalid_event"  # no uuid, no timestamp, properties that are not JSON
    MISSING_BYTECODE = "missing_bytecode"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory_limit"
    RUNTIME_ERROR = "runtime_error"  # a throw, a bad call, a type error in the tagger
    BAD_RETURN = "bad_return"  # returned something other than a list, a string or null
    UNEXPECTED = "unexpected"
    EMIT_FAILED = "emit_failed"  # PostHog's capture refuses the `$ai_tag` (no distinct_id)


# run_hog_tagger's error messages, by how they start.
_ERROR_KINDS = (
    ("Invalid event:", ErrorKind.INVALID_EVENT),
    ("Execution timed out", ErrorKind.TIMEOUT),
    ("Memory limit exceeded", ErrorKind.MEMORY_LIMIT),
    ("Runtime error:", ErrorKind.RUNTIME_ERROR),
    ("Must return a list of tag names", ErrorKind.BAD_RETURN),
)


@dataclass(frozen=True, slots=True)
class TagOutcome:
    event_uuid: str | None
    considered: bool = False  # an `$ai_generation` that this (active) tagger looks at
    matched: bool = False  # some condition's filters matched
    in_rollout: bool = False  # ... and its rollout sampled the event in
    condition_id: str | None = None  # the condition that let the event through
    tagged: bool = False  # the tagger ran and `tag_event` is its `$ai_tag`
    tags: tuple[str, ...] = ()
    reasoning: str = ""
    skip_reason: SkipReason | None = None
    error_kind: ErrorKind | None = None
    error: str | None = None  # the message PostHog's failed workflow carries
    condition_errors: tuple[str, ...] = ()  # conditions that failed on this event (PostHog logs them)
    tag_event: dict[str, Any] | None = None
    duration_s: float = 0.0


@dataclass(frozen=True, slots=True, eq=False)
class PreparedTagger:
    """A tagger ready to run on many events: bytecode decoded once, conditions compiled.

    Call it with an event (a mapping with PostHog's event columns: `uuid`, `event`,
    `distinct_id`, `timestamp`, `properties` as a dict or JSON text, and optionally
    `person_properties`, `elements_chain`, `person_id`). Pickling it re-prepares it from the
    tagger, so it can be shipped to worker processes or Ray actors.
    """

    tagger: Tagger
    id: str
    version: str
    conditions: tuple[PreparedCondition, ...]
    program: Any  # the decoded Hog program, None when there is no bytecode (or an LLM tagger)
    valid_tag_names: frozenset[str]
    inactive: SkipReason | None
    options: tuple[tuple[str, Any], ...]

    @property
    def name(self) -> str:
        return self.tagger.name

    @property
    def tagger_type(self) -> TaggerType:
        return self.tagger.tagger_type

    def __reduce__(self) -> tuple[Any, ...]:
        return functools.partial(prepare_tagger, **dict(self.options)), (self.tagger,)

    def __call__(self, event: Mapping[str, Any], *, now: datetime | None = None) -> TagOutcome:
        """Decide, run and build the `$ai_tag` for one event. `now` stamps the `$ai_tag`
        (default: the event's own timestamp). Never raises for anything in the event."""
        started = time.perf_counter()
        outcome = self._outcome(event, now)
        return replace(outcome, duration_s=time.perf_counter() - started)

    def _outcome(self, event: Mapping[str, Any], now: datetime | None) -> TagOutcome:
        uuid = event.get("uuid")
        target_uuid = uuid if isinstance(uuid, str) else None
        if self.inactive is not None:
            return TagOutcome(target_uuid, skip_reason=self.inactive)
        if event.get("event") != AI_GENERATION_EVENT:
            return TagOutcome(target_uuid, skip_reason=SkipReason.NOT_AI_GENERATION)
        if not target_uuid:
            return TagOutcome(target_uuid, considered=True, error_kind=ErrorKind.INVALID_EVENT,
                              error="Invalid event: it has no uuid")
        if not self.conditions:
            return TagOutcome(target_uuid, considered=True, skip_reason=SkipReason.NO_CONDITIONS)

        properties = _decode(event.get("properties"))
        view = {**event, "properties": properties} if properties is not None else event
        match = match_conditions(self.conditions, filter_globals(view), target_uuid)
        decided = TagOutcome(target_uuid, considered=True, matched=match.matched, in_rollout=match.in_rollout,
                             condition_id=match.condition_id, condition_errors=match.errors)
        if not match.matched:
            return _replace(decided, skip_reason=SkipReason.FILTERED)
        if not match.in_rollout:
            return _replace(decided, skip_reason=SkipReason.SAMPLING_EXCLUDED)
        if self.tagger_type is TaggerType.LLM:
            return _replace(decided, skip_reason=SkipReason.LLM_TAGGER)
        if self.program is None:
            return _replace(decided, error_kind=ErrorKind.MISSING_BYTECODE, error="Missing bytecode in tagger_config")
        when = now or _timestamp(event.get("timestamp"))
        if when is None:
            return _replace(decided, error_kind=ErrorKind.INVALID_EVENT,
                            error="Invalid event: it has no readable timestamp (pass `now`)")

        if not isinstance(properties, dict):
            shown = "not valid JSON" if properties is None else f"a JSON {type(properties).__name__}"
            return _replace(decided, error_kind=ErrorKind.INVALID_EVENT,
                            error=f"Hog tagger error: Invalid event: properties are {shown}, not an object")
        event_data = {"uuid": target_uuid, "event": AI_GENERATION_EVENT, "properties": properties,
                      "distinct_id": event.get("distinct_id") or ""}
        try:
            result = run_hog_tagger(self.program, event_data, self.valid_tag_names)
        except Exception as exc:  # a bug below us must cost one event, not the run
            return _replace(decided, error_kind=ErrorKind.UNEXPECTED,
                            error=f"Hog tagger error: Unexpected error during tagging: {type(exc).__name__}: {exc}")
        if result["error"] is not None:
            return _replace(decided, error_kind=_error_kind(result["error"]), error=f"Hog tagger error: {result['error']}")
        ran = _replace(decided, tags=tuple(result["tags"]), reasoning=result["reasoning"])
        if not event.get("distinct_id"):
            return _replace(ran, error_kind=ErrorKind.EMIT_FAILED,
                            error="capture_internal (llm_analytics_tagger, $ai_tag): distinct ID is required")
        tag_event = build_ai_tag_event(
            tagger_id=self.id, tagger_name=self.name, version=self.version, target=event, target_properties=properties,
            tags=result["tags"], reasoning=result["reasoning"], when=when)
        return _replace(ran, tagged=True, tag_event=tag_event)


def prepare_tagger(
    tagger: Tagger | Mapping[str, Any],
    *,
    require_enabled: bool = True,
    version: str | None = None,
    compiled_at: datetime | None = None,
) -> PreparedTagger:
    """Validate a tagger (the API's JSON or a `Tagger`) and prepare it for `PreparedTagger(event)`.

    `version` names this tagger's behaviour in `$ai_tag` uuids (default: a hash of everything that
    decides its output). A tagger without an `id` gets one derived from that version.
    `compiled_at` resolves relative dates in conditions that were never compiled.
    Raises pydantic's ValidationError for a tagger the API would reject.
    """
    from hogvm.loader import load_program

    model = tagger if isinstance(tagger, Tagger) else Tagger.model_validate(tagger)
    version = version or tagger_version(model)
    tagger_id = str(model.id) if model.id is not None else str(_derived_id(version))
    inactive = None
    if require_enabled:
        inactive = SkipReason.DELETED if model.deleted else None if model.enabled else SkipReason.DISABLED
    bytecode = model.tagger_config.get("bytecode") if model.tagger_type is TaggerType.HOG else None
    tags = model.tagger_config.get("tags") or []
    return PreparedTagger(
        tagger=model,
        id=tagger_id,
        version=version,
        conditions=tuple(prepare_conditions(model.conditions, compiled_at=compiled_at)),
        program=load_program(bytecode) if bytecode else None,
        valid_tag_names=frozenset(tag["name"] for tag in tags),
        inactive=inactive,
        options=(("require_enabled", require_enabled), ("version", version), ("compiled_at", compiled_at)),
    )


def tagger_version(tagger: Tagger) -> str:
    """A short hash of everything that decides what the tagger emits: id, name, type, config
    (source, bytecode, tags) and conditions."""
    canonical = json.dumps(
        {"id": None if tagger.id is None else str(tagger.id), "name": tagger.name, "type": tagger.tagger_type.value,
         "config": tagger.tagger_config, "conditions": [c.model_dump() for c in tagger.conditions]},
        sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _derived_id(version: str) -> uuid.UUID:
    return uuid.uuid5(AI_TAG_NAMESPACE, f"tagger/{version}")


def _decode(properties: Any) -> Any:
    """Event properties as a value; None when they are JSON text that does not decode."""
    if not isinstance(properties, str):
        return properties
    try:
        return json.loads(properties)
    except (ValueError, RecursionError):
        return None


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            return _timestamp(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def _error_kind(message: str) -> ErrorKind:
    for prefix, kind in _ERROR_KINDS:
        if message.startswith(prefix):
            return kind
    return ErrorKind.UNEXPECTED


def _replace(outcome: TagOutcome, **changes: Any) -> TagOutcome:
    return replace(outcome, **changes)
