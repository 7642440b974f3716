"""Saying when PostHog's VMs would answer a run differently: the upvalue model they use.

This VM gives every variable its own captured cell. PostHog's VMs (Python and TypeScript alike)
keep one upvalue per stack position for the whole run and reuse it, even once closed, for any
later closure that captures a variable at the same position; and a loop variable keeps one cell
for all iterations. So ordinary code answers differently there:

    let words := ['a', 'b']
    arrayCount(t -> arrayExists(w -> position(t, w) > 0, words), ['xa', 'xb', 'zz'])

is 2 here and 3 in PostHog: from the second call on, the inner lambda sees the first call's `t`.

We keep the right answer, and detect the difference exactly:

1. During a run, the closure handlers note when the run does something on which the two models
   can disagree: a closure captures a local after some captured variable was closed (PostHog may
   hand it the closed cell), or a loop variable's write starts a new binding of a captured
   variable (PostHog keeps the old one). Most runs never do, and pay nothing more.
2. After such a run, `check_against_posthog` replays the program under PostHog's model (the same
   handlers, with `Machine.posthog_cells` set; nondeterministic calls replay their recorded
   results, and arrayMap gets the stack layout of PostHog's own body) and compares what it
   returns and prints. A difference becomes a finding on the result, saying what PostHog would
   answer, and which stale value a closure would see.

A replay that hits a limit the original run did not (its time budget is what the run left) makes
an unconfirmed finding: PostHog may answer differently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hogvm.errors import (
    HogError,
    HogVMCallDepthExceededException,
    HogVMMemoryExceededException,
    HogVMRuntimeExceededException,
    HogVMStepLimitExceededException,
)
from hogvm.values import UpValue

if TYPE_CHECKING:
    from hogvm.vm import Machine

STALE_UPVALUE = "stale_upvalue"
_LIMITS = (HogVMRuntimeExceededException, HogVMStepLimitExceededException, HogVMMemoryExceededException,
           HogVMCallDepthExceededException)
_SHOWN = 60  # characters of a value shown in a message


class Tape:
    """Results of nondeterministic calls, each with a key (a host function's name and arguments):
    recorded in order, then replayed in the same order while the keys match. Once a replay asks
    for something else (its path has diverged), it calls for real, as PostHog's VM would."""

    __slots__ = ("position", "recorded", "replaying")

    def __init__(self, recorded: list[tuple[Any, Any]] | None = None) -> None:
        self.recorded: list[tuple[Any, Any]] = [] if recorded is None else recorded
        self.replaying = recorded is not None
        self.position = 0

    def play(self, produce: Callable[[], Any], key: Any = None) -> Any:
        if self.replaying:
            if self.position < len(self.recorded) and self.recorded[self.position][0] == key:
                self.position += 1
                return self.recorded[self.position - 1][1]
            self.position = len(self.recorded)  # diverged: nothing later lines up either
            return produce()
        value = produce()
        self.recorded.append((key, value))
        return value


# --- during a run: the closure handlers call these ------------------------------------------


def capture(m: Machine, location: int) -> UpValue:
    """A new capture of the local at stack index `location`, none being open there.

    Ordinary run: a fresh cell; a suspect if some captured variable was closed before (PostHog may
    hand out that closed cell). Replay under PostHog's model: the cell this position ever had."""
    cells = m.posthog_cells
    if cells is None:
        if m.upvalues_created > len(m.open_upvalues):  # some cell was closed: PostHog may reuse it
            m.posthog_suspect = True
        m.upvalues_created += 1
        upvalue = m.open_upvalues[location] = UpValue(location)
        return upvalue
    upvalue = cells.get(location)
    if upvalue is None:
        upvalue = cells[location] = m.open_upvalues[location] = UpValue(location)
    elif upvalue.closed:
        live = m.stack[location] if location < len(m.stack) else None
        if not any(event.get("kind") == "stale_capture" for event in m.divergences):
            m.divergences.append({"kind": "stale_capture", "stale": upvalue.value, "live": live})
    return upvalue


def rebinds(m: Machine) -> bool:
    """Whether a loop variable's write may start a new binding (never under PostHog's model, which
    keeps one cell for all iterations). A new binding of a captured variable is a suspect."""
    if m.posthog_cells is not None:
        return False
    m.posthog_suspect = True
    return True


# --- after a run ----------------------------------------------------------------------------


def posthog_bytecode_stl(table: dict[str, Any]) -> dict[str, Any]:
    from hogvm.stl.bytecode_stl import POSTHOG_LAYOUT

    return {**table, **{f"posthog_layout/{name}": entry for name, entry in POSTHOG_LAYOUT.items()}}


def check_against_posthog(m: Machine, result: Any) -> list[dict[str, Any]]:
    """Replay `m`'s program under PostHog's upvalue model; a finding if it answers otherwise."""
    from hogvm.printing import print_hog_value
    from hogvm.vm import Machine

    timeout = None if m.timeout is None else max(m.remaining_time(), 0.05)
    replay = Machine(m.program, m.globals, m.functions, timeout, m.max_steps, m.meter.limit, m.max_call_depth)
    replay.posthog_cells = {}
    replay.tape = Tape(m.tape.recorded)
    ours = (print_hog_value(result), list(m.stdout))
    try:
        replayed = replay.execute()
    except _LIMITS as error:
        return [_finding(
            f"PostHog's VMs may give a closure a stale captured value in this run (checking ran into "
            f"a limit: {error}): this tagger may tag differently in PostHog", confirmed=False)]
    except HogError as error:
        message = str(error).split("\n", 1)[0]
        return [_finding(
            f"{_stale_clause(replay)}: in PostHog this run fails ({message}) where it returns here",
            confirmed=True, posthog_error=message)]
    theirs = (print_hog_value(replayed.result), replayed.stdout)
    if theirs == ours:
        return []
    what = []
    if theirs[0] != ours[0]:
        what.append(f"returns {_shorten(theirs[0])} (here {_shorten(ours[0])})")
    if theirs[1] != ours[1]:
        what.append("prints other lines")
    return [_finding(f"{_stale_clause(replay)}: this tagger tags differently in PostHog, where it "
                     f"{' and '.join(what)}", confirmed=True, posthog_result=replayed.result,
                     posthog_stdout=replayed.stdout)]


def _finding(message: str, **details: Any) -> dict[str, Any]:
    return {"kind": STALE_UPVALUE, "variable": None, "message": message, **details}


def _stale_clause(replay: Machine) -> str:
    from hogvm.printing import print_hog_value

    for event in replay.divergences:
        if event.get("kind") == "stale_capture":
            return (f"PostHog's VMs would give a closure a stale captured value here "
                    f"({_shorten(print_hog_value(event['stale']))} where this run has "
                    f"{_shorten(print_hog_value(event['live']))})")
    return "PostHog's VMs would share one captured variable between loop iterations here"


def _shorten(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"
