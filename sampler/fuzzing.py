"""Fuzz a tagger: generate events until it fails, then shrink each distinct failure to a minimal event.

A failure is anything `test_hog` would report as an error for the event: a runtime error (an
uncaught `throw`, a bad call, too deep a recursion), a timeout, the memory limit, a return value
that is not a list of tag names, or an error inside the VM itself. Failures are told apart by
kind, by message with its numbers blanked, and by the line and column that failed (a compiled
tagger's source map appends them to the message): `jsonParse` failing on two different texts at
one call is one failure (a builtin's error is known by the builtin's name), one `throw` site is
one failure whatever its message says, while two `throw`s are two. Timeouts and the memory limit
are one failure each, wherever they struck. Hypothesis shrinks each separately, and the same seed
always gives the same report.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sampler.tagging import CompiledTagger

DEFAULT_EXAMPLES = 300

# run_hog_tagger's error prefixes, in the order they are tried.
_KINDS = (
    ("Execution timed out", "timeout"),
    ("Memory limit exceeded", "memory"),
    ("Must return a list of tag names", "wrong return type"),
    ("Runtime error", "runtime error"),
    ("Unexpected error during tagging", "internal error"),
    ("Invalid event", "invalid event"),
)
_BUILTIN_ERROR = re.compile(r"^(Runtime error: [A-Za-z_]\w*): ")
_THROWN = re.compile(r"^(Runtime error: [A-Za-z_]\w*)\('")  # an uncaught `throw`: Error('...')
_POSITION = re.compile(r" \((line \d+, column \d+(?:, in (?:a lambda|function [^()]+))?)\)$")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@dataclass(frozen=True)
class FuzzFailure:
    """One distinct way the tagger fails, with the smallest event Hypothesis found for it."""

    kind: str  # timeout, memory, wrong return type, runtime error, internal error
    error: str  # exactly as test_hog reports it for `event`
    event: dict[str, Any]  # capture shape: {uuid, event, distinct_id, timestamp, properties}
    flaky: bool = False  # failed once but not when replayed (a timeout near the limit, say)


@dataclass
class FuzzReport:
    seed: int
    examples: int  # events asked for
    tried: int = 0  # events the tagger actually ran on, shrinking included
    failures: list[FuzzFailure] = field(default_factory=list)


def failure_kind(error: str) -> str:
    for prefix, kind in _KINDS:
        if error.startswith(prefix):
            return kind
    return "error"


def failure_signature(error: str) -> tuple[str, str, str]:
    """What makes two failures the same: the kind, the message with its values blanked, and where
    in the tagger it failed (the position a source map appends; '' without one)."""
    kind = failure_kind(error)
    if kind in ("timeout", "memory"):  # where the limit struck is wherever the run happened to be
        return kind, "", ""
    message, position = split_position(error)
    if kind == "wrong return type":  # "..., got int: 5" -> the type alone
        return kind, message.split(":", 1)[0], position
    builtin = _BUILTIN_ERROR.match(message)
    if builtin:  # "Runtime error: jsonParse: invalid JSON at ..." -> the builtin that failed
        return kind, builtin.group(1), position
    thrown = _THROWN.match(message)
    if thrown and position:  # one `throw` site, whatever text the event put in its message
        return kind, thrown.group(1), position
    return kind, _NUMBER.sub("N", message), position


def split_position(error: str) -> tuple[str, str]:
    """`("Runtime error: ...", "line 3, column 5, in function f")` from a message that ends with
    the position of the failing instruction; `(error, "")` when it has none."""
    found = _POSITION.search(error)
    return (error[:found.start()], found.group(1)) if found else (error, "")


def fuzz_tagger(
    tagger: CompiledTagger,
    *,
    examples: int = DEFAULT_EXAMPLES,
    seed: int | None = None,
    events: Any = None,
    timeout: float | None = None,
    on_event: Callable[[int, str | None], None] | None = None,
) -> FuzzReport:
    """Run `tagger` on `examples` generated events (`events`: a Hypothesis strategy of event
    objects, by default `strategies.ai_generation_events()`), and shrink every distinct failure.

    `seed` makes the run repeatable (a random one is chosen and reported otherwise); `timeout` is
    the limit per event (default PostHog's 5 seconds); `on_event(tried, error)` is called after
    each run of the tagger (for progress, or to warn that timeouts are making the run slow).
    """
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as seed_decorator

    from sampler.strategies import ai_generation_events

    report = FuzzReport(seed=secrets.randbelow(2**32) if seed is None else seed, examples=examples)
    strategy = events if events is not None else ai_generation_events()
    failure_types: dict[tuple[str, str, str], type[_TaggerFailed]] = {}
    known: set[tuple[str, str, str]] = set()

    def check(event: dict[str, Any]) -> None:
        outcome = tagger.run(event, timeout=timeout)
        report.tried += 1
        if on_event is not None:
            on_event(report.tried, outcome["error"])
        if outcome["error"] is None:
            return
        signature = failure_signature(outcome["error"])
        if signature in known:
            return  # reported by an earlier round: look past it for new ones
        # Hypothesis tells bugs apart by exception type: one type per signature.
        failure_type = failure_types.setdefault(
            signature, type(f"TaggerFailed{len(failure_types)}", (_TaggerFailed,), {})
        )
        raise failure_type(outcome["error"], event)

    test = seed_decorator(report.seed)(
        settings(
            max_examples=examples,
            database=None,
            deadline=None,
            report_multiple_bugs=True,
            verbosity=Verbosity.quiet,
            phases=(Phase.generate, Phase.shrink),
            suppress_health_check=list(HealthCheck),
        )(given(strategy)(check))
    )
    # Hypothesis stops generating soon after its first failures, so a tagger that fails on the
    # simplest event would hide its rarer failures. Each round counts the failures already found
    # as passes; the last round is a full run that finds nothing new.
    while True:
        found = _run_round(test)
        if not found:
            break
        for failure, flaky in found:
            known.add(failure_signature(failure.error))
            report.failures.append(FuzzFailure(failure_kind(failure.error), failure.error, failure.event, flaky))
    report.failures.sort(key=lambda f: (f.kind, f.error))
    return report


def _run_round(test: Callable[[], None]) -> list[tuple[_TaggerFailed, bool]]:
    try:
        test()
    except BaseException as exc:
        found = _failures_in(exc)
        if not found:
            raise  # not the tagger failing: a bug here, or KeyboardInterrupt
        return found
    return []


class _TaggerFailed(Exception):
    def __init__(self, error: str, event: dict[str, Any]) -> None:
        super().__init__(error)
        self.error = error
        self.event = event


def _failures_in(exc: BaseException, flaky: bool = False) -> list[tuple[_TaggerFailed, bool]]:
    """Our failures inside whatever Hypothesis raised (one, or a group of distinct ones), each
    with whether it was flaky (Hypothesis wraps a failure it could not replay in `Flaky`).
    """
    from hypothesis.errors import Flaky

    flaky = flaky or isinstance(exc, Flaky)
    if isinstance(exc, _TaggerFailed):
        return [(exc, flaky)]
    if isinstance(exc, BaseExceptionGroup):
        return [found for inner in exc.exceptions for found in _failures_in(inner, flaky)]
    return []
