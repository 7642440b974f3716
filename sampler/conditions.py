"""Which generations a tagger runs on: its conditions and rollout, decided as PostHog's Node.js
scheduler decides them (`nodejs/src/ai-observability/evaluation-scheduler/evaluation-scheduler.ts`).

- Conditions are tried in order. A condition matches when its compiled bytecode, run on the
  *filter globals*, returns exactly `true`; no bytecode (or a `bytecode_error`), an error while
  running, or any other result is no match (`checkConditionMatch`). The bytecode runs with the
  VM's Node semantics (`execute_bytecode(..., semantics="node")`, hogvm/node_semantics.py): PostHog
  runs it on its TypeScript VM, which orders, compares, converts and matches regexes unlike its
  Python VM in places (`null < 5` is true there, `toString(2.0)` is '2'). Taggers themselves keep
  the Python VM's semantics, as in PostHog.
- A matching condition lets the event through when the event falls within its rollout
  (`checkRolloutPercentage`): the MD5 of the event's uuid, its first 8 hex digits as an integer,
  modulo 10,000, divided by 100, must be below `rollout_percentage`; 100 or more always passes.
  The first condition that both matches and samples the event in wins; otherwise the next one
  is tried. A tagger without conditions runs on nothing.

The filter globals are `{event, elements_chain, distinct_id, person: {properties}, properties}`,
with `properties` and `person.properties` decoded from the event's JSON as `JSON.parse` reads it
(`{}` when it is not valid JSON, which includes `NaN` and `Infinity`) and `elements_chain` `''`
when missing. There is no `timestamp`, `uuid` or `pdi`: a
filter on a person's `distinct_id` reads `person.pdi.distinct_id`, which is null.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hogvm.errors import HogError
from sampler.filters import compile_condition

# PostHog's scheduler runs condition bytecode with @posthog/hogvm's default limit.
CONDITION_TIMEOUT_S = 5.0


def rollout_bucket(key: str) -> float:
    """Where `key` (an event uuid) falls in 0.00-99.99: PostHog's deterministic sampling hash."""
    digest = hashlib.md5(key.encode("utf-8"), usedforsecurity=False).hexdigest()
    return (int(digest[:8], 16) % 10_000) / 100


def in_rollout(key: str, rollout_percentage: float) -> bool:
    if rollout_percentage >= 100:
        return True
    return rollout_bucket(key) < rollout_percentage


def filter_globals(event: Mapping[str, Any]) -> dict[str, Any]:
    """The globals PostHog's scheduler evaluates conditions on, for a stored or captured event."""
    return {
        "event": event.get("event"),
        "elements_chain": event.get("elements_chain") or "",
        "distinct_id": event.get("distinct_id"),
        "person": {"properties": _decoded(event.get("person_properties"))},
        "properties": _decoded(event.get("properties")),
    }


def _decoded(value: Any) -> Any:
    """A JSON column as Node's `parseJSON(value || '{}')` reads it; `{}` if it is not JSON."""
    if not isinstance(value, str):
        return {} if value is None else value
    try:
        return json.loads(value or "{}", parse_constant=_not_json)
    except (ValueError, RecursionError):
        return {}


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Python's json reads NaN and Infinity; JSON.parse refuses them


@dataclass(frozen=True, slots=True)
class PreparedCondition:
    id: str
    rollout_percentage: float
    program: Any  # the VM's decoded program, or None when the condition has no bytecode
    bytecode_error: str | None

    def evaluate(self, globals_: dict[str, Any]) -> tuple[bool, str | None]:
        """(matched, error): PostHog's rule, with the error message PostHog only logs."""
        if self.program is None:
            return False, None
        from hogvm import execute_bytecode

        try:
            result = execute_bytecode(self.program, globals_, timeout=CONDITION_TIMEOUT_S, semantics="node").result
        except HogError as exc:
            return False, f"condition {self.id}: {str(exc).splitlines()[0]}"
        except RecursionError:
            return False, f"condition {self.id}: nested too deeply"
        return result is True, None


@dataclass(frozen=True, slots=True)
class ConditionMatch:
    matched: bool  # some condition's filters matched
    in_rollout: bool  # ... and sampled the event in
    condition_id: str | None  # the condition that let the event through
    errors: tuple[str, ...] = ()  # conditions whose bytecode failed on this event


def prepare_conditions(conditions: Sequence[Any], *, compiled_at: datetime | None = None) -> list[PreparedCondition]:
    """Decode each condition's bytecode once. A condition that was never compiled (neither
    `bytecode` nor `bytecode_error`, as in a hand-written conditions file) is compiled as PostHog
    compiles it on save, relative dates resolved against `compiled_at`."""
    from hogvm.errors import HogVMException
    from hogvm.loader import load_program

    prepared = []
    for condition in conditions:
        data = condition.model_dump() if hasattr(condition, "model_dump") else dict(condition)
        if data.get("bytecode") is None and data.get("bytecode_error") is None:
            data = compile_condition(data, now=compiled_at)
        program, error = None, data.get("bytecode_error")
        if data.get("bytecode"):
            try:
                program = load_program(data["bytecode"])
            except HogVMException as exc:  # PostHog's VM would fail on every event; no match
                error = f"invalid condition bytecode: {exc}"
        # A null percentage samples nothing in Node (`x < null` is false), as 0 does.
        rollout = data.get("rollout_percentage", 100)
        prepared.append(PreparedCondition(str(data.get("id")), float(rollout or 0), program, error))
    return prepared


def match_conditions(conditions: Sequence[PreparedCondition], globals_: dict[str, Any], sampling_key: str
                     ) -> ConditionMatch:
    """PostHog's `shouldTriggerEvaluation` over prepared conditions."""
    matched = False
    errors: list[str] = []
    for condition in conditions:
        ok, error = condition.evaluate(globals_)
        if error is not None:
            errors.append(error)
        if not ok:
            continue
        matched = True
        if in_rollout(sampling_key, condition.rollout_percentage):
            return ConditionMatch(True, True, condition.id, tuple(errors))
    return ConditionMatch(matched, False, None, tuple(errors))
