"""Labelled cases for a tagger: which tags each event should get, and how well the tagger does.

A case file is JSON Lines, one case per line (blank lines and lines starting with `//` or `#` are
skipped):

    {"event": {"properties": {"$ai_input": "Why was I charged twice?"}}, "tags": ["billing"]}
    {"uuid": "67a2208b-075c-49a2-ae45-06d98d2cd9c4", "tags": ["code"], "name": "SQL question"}
    {"properties": {"$ai_is_error": true}, "tags": ["error"]}

`event` is an event in capture or export shape; `properties` alone is shorthand for a
`$ai_generation` event with those properties; `uuid` names an event in a store. `tags` is the
list the tagger should return (order and repeats do not matter); `name` is an optional label.

`check_cases` runs the tagger on every case as `test_hog` does, and `CheckReport` gives per-tag
precision, recall and F1 (a tag counts as predicted for an event when the tagger returned it).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sampler.errors import SamplerError
from sampler.runner import TaggerResult
from sampler.sampling import SampledEvent
from sampler.store import EventStore
from sampler.tagging import CompiledTagger, EventShapeError, as_event, events_by_uuid

_CASE_KEYS = {"event", "properties", "uuid", "tags", "name"}


class CaseFileError(SamplerError):
    """A case file that cannot be used; the message names the file, the line and the problem."""


@dataclass(frozen=True)
class Case:
    line: int
    expected: frozenset[str]
    event: SampledEvent | None  # None until a uuid case is resolved against a store
    uuid: str | None = None
    name: str | None = None

    @property
    def label(self) -> str:
        return self.name or (self.event.uuid if self.event is not None and self.event.uuid else None) \
            or self.uuid or f"line {self.line}"


@dataclass(frozen=True)
class CaseResult:
    case: Case
    got: frozenset[str]
    reasoning: str
    error: str | None
    returned: tuple[str, ...]  # the tags in the order the tagger returned them
    posthog_divergences: tuple[str, ...] = ()  # where PostHog's VMs would answer this case otherwise

    @property
    def ok(self) -> bool:
        return self.error is None and self.got == self.case.expected


@dataclass(frozen=True)
class TagScore:
    tag: str
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def support(self) -> int:
        """Events expected to get the tag."""
        return self.tp + self.fn

    @property
    def precision(self) -> float | None:
        predicted = self.tp + self.fp
        return self.tp / predicted if predicted else None

    @property
    def recall(self) -> float | None:
        return self.tp / self.support if self.support else None

    @property
    def f1(self) -> float | None:
        """2TP / (2TP + FP + FN); None for a tag neither expected nor returned anywhere."""
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else None


@dataclass
class CheckReport:
    results: list[CaseResult]
    tags: list[str]  # every tag configured, expected or returned, configured ones first
    scores: list[TagScore] = field(init=False)

    def __post_init__(self) -> None:
        self.scores = [self._score(tag) for tag in self.tags]

    def _score(self, tag: str) -> TagScore:
        tp = fp = fn = tn = 0
        for result in self.results:
            expected, got = tag in result.case.expected, tag in result.got
            tp += expected and got
            fp += got and not expected
            fn += expected and not got
            tn += not expected and not got
        return TagScore(tag, tp, fp, fn, tn)

    @property
    def mismatches(self) -> list[CaseResult]:
        return [result for result in self.results if not result.ok]

    @property
    def errors(self) -> list[CaseResult]:
        return [result for result in self.results if result.error is not None]

    @property
    def divergent(self) -> list[CaseResult]:
        """Cases PostHog's VMs would answer differently (what passes here may not pass there)."""
        return [result for result in self.results if result.posthog_divergences]

    @property
    def micro(self) -> TagScore:
        """All tags pooled: each (event, tag) decision counts once."""
        return TagScore("all tags", *(sum(getattr(s, part) for s in self.scores) for part in ("tp", "fp", "fn", "tn")))

    @property
    def macro_f1(self) -> float | None:
        values = [s.f1 for s in self.scores if s.f1 is not None]
        return sum(values) / len(values) if values else None

    def confusions(self) -> list[tuple[str | None, str | None, int]]:
        """How cases went wrong, most frequent first: (expected tag missed or None, tag returned
        instead or None, cases). `("billing", "bug", 3)` reads "3 cases expected billing got bug".
        """
        counts: Counter[tuple[str | None, str | None]] = Counter()
        for result in self.results:
            if result.error is not None:
                continue
            missed = sorted(result.case.expected - result.got)
            extra = sorted(result.got - result.case.expected)
            for tag in missed:
                for other in extra or [None]:
                    counts[(tag, other)] += 1
            if not missed:
                for other in extra:
                    counts[(None, other)] += 1
        return [(a, b, n) for (a, b), n in sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))]

    def below(self, min_f1: float) -> list[TagScore]:
        """Tags whose F1 is under `min_f1` (tags with no decisions at all have no F1 and pass)."""
        return [s for s in self.scores if s.f1 is not None and s.f1 < min_f1]


def read_cases(path: str | Path, *, configured_tags: Iterable[str] = ()) -> list[Case]:
    """Parse a case file. Raises `CaseFileError` with the line of the first bad case; with
    `configured_tags`, a case expecting a tag outside them is an error (the tagger could never
    return it: PostHog drops returned names that are not configured).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CaseFileError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise CaseFileError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise CaseFileError(f"{path}: {exc.strerror}") from None
    allowed = set(configured_tags)
    cases = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("//", "#")):
            continue
        try:
            cases.append(_case(number, stripped, allowed))
        except (ValueError, EventShapeError) as exc:
            raise CaseFileError(f"{path}: line {number}: {exc}") from None
    if not cases:
        raise CaseFileError(f"{path}: no cases (expected one JSON object per line)")
    return cases


def _case(line: int, text: str, allowed: set[str]) -> Case:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON at column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if not isinstance(data, dict):
        raise ValueError('expected an object like {"event": {...}, "tags": [...]}')
    unknown = sorted(set(data) - _CASE_KEYS)
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r} (a case has event, properties or uuid, tags, and name)")
    sources = [key for key in ("event", "properties", "uuid") if key in data]
    if len(sources) != 1:
        raise ValueError('give exactly one of "event", "properties" or "uuid"' if sources
                         else 'missing the event: give "event", "properties" or "uuid"')
    if "tags" not in data:
        raise ValueError('missing "tags" (the tags the event should get; [] for none)')
    tags = data["tags"]
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise ValueError('"tags" must be a list of tag names')
    outside = sorted(set(tags) - allowed) if allowed else []
    if outside:
        raise ValueError(f"expects {outside[0]!r}, which is not a configured tag ({', '.join(sorted(allowed))})")
    name = data.get("name")
    if name is not None and not isinstance(name, str):
        raise ValueError('"name" must be a string')

    expected = frozenset(tags)
    if "uuid" in data:
        if not isinstance(data["uuid"], str) or not data["uuid"]:
            raise ValueError('"uuid" must be a non-empty string')
        return Case(line, expected, None, data["uuid"], name)
    event_object = data["event"] if "event" in data else {"properties": data["properties"]}
    return Case(line, expected, as_event(event_object, default_uuid=f"case-{line}"), None, name)


def resolve_cases(cases: list[Case], store: EventStore | None, *, where: str = "the event database") -> list[Case]:
    """Fill in the events of uuid cases from `store`; a uuid not found is a `CaseFileError`."""
    wanted = [case.uuid for case in cases if case.event is None and case.uuid is not None]
    if not wanted:
        return cases
    if store is None:
        raise CaseFileError(f"line {next(c.line for c in cases if c.event is None)}: a uuid case needs an event database")
    found = events_by_uuid(store, wanted)
    resolved = []
    for case in cases:
        if case.event is None and case.uuid is not None:
            event = found.get(case.uuid)
            if event is None:
                raise CaseFileError(f"line {case.line}: no event with uuid {case.uuid} in {where}")
            case = Case(case.line, case.expected, event, case.uuid, case.name)
        resolved.append(case)
    return resolved


def check_cases(tagger: CompiledTagger, cases: list[Case]) -> CheckReport:
    """Run the tagger on every case and score it."""
    results = [_result(case, tagger.run(_event_of(case))) for case in cases]
    seen = {tag for r in results for tag in r.case.expected | r.got}
    configured = list(tagger.tags)
    return CheckReport(results, configured + sorted(seen - set(configured)))


def _event_of(case: Case) -> SampledEvent:
    if case.event is None:
        raise CaseFileError(f"line {case.line}: the event of uuid {case.uuid} was not looked up (resolve_cases)")
    return case.event


def _result(case: Case, outcome: TaggerResult) -> CaseResult:
    return CaseResult(case, frozenset(outcome["tags"]), outcome["reasoning"], outcome["error"], tuple(outcome["tags"]),
                      tuple(outcome["posthog_divergences"]))


def case_as_json(result: CaseResult) -> dict[str, Any]:
    """A case's result; `posthog_divergences` only when there are some, as `test_hog` adds them."""
    case = result.case
    event = case.event
    body = {
        "line": case.line,
        "name": case.name,
        "uuid": event.uuid if event is not None else case.uuid,
        "expected": sorted(case.expected),
        "got": list(result.returned),
        "reasoning": result.reasoning,
        "error": result.error,
        "properties": event.properties if event is not None else None,
    }
    if result.posthog_divergences:
        body["posthog_divergences"] = list(result.posthog_divergences)
    return body
