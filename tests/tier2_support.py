"""Run one program on both VM tiers and describe everything a caller could observe.

`outcome(bytecode, tier, ...)` is what tier 1 or tier 2 gives: the result (as Hog prints it), the
printed lines, the step count and PostHog divergences of a run, or the error's class, message,
source position and the lines printed before it, and the instruction it happened at (what error
positions are looked up by); and in both cases the memory meter's final reading (the same
charges and the same measurements of live values). Tests compare the two tiers' outcomes for equality; `Outcome.tier` (not compared) says which
tier really ran, since tier 2 leaves what it cannot compile to tier 1.
"""

from __future__ import annotations

from typing import Any

from hogvm import HogError, HogVMException
from hogvm.errors import HogVMRuntimeExceededException
from hogvm.loader import load_program
from hogvm.posthog_model import Tape
from hogvm.printing import print_hog_value
from hogvm.tier2 import Tier2Machine, Unsupported, compile_function, machine_for
from hogvm.vm import DEFAULT_MAX_CALL_DEPTH, DEFAULT_MEMORY_LIMIT, Machine


class Outcome(dict):
    """What a caller sees of a run. Not compared: `tier`, the tier that ran it, and `tape`, the
    results of its nondeterministic calls (the clock, randomness, host functions)."""

    tier: int | None = None
    tape: list[tuple[Any, Any]] | None = None


TIMED_OUT = Outcome({"timed out": True})


def outcome(bytecode: Any, tier: int, globals: dict[str, Any] | None = None, *, timeout: float = 5.0,
            max_steps: int | None = None, memory_limit: int = DEFAULT_MEMORY_LIMIT,
            max_call_depth: int = DEFAULT_MAX_CALL_DEPTH, functions: dict[str, Any] | None = None,
            source_map: Any = None, require_tier2: bool = False,
            replay: list[tuple[Any, Any]] | None = None) -> Outcome:
    """`replay`: another run's `tape`, so that the clock and randomness answer as they did there."""
    try:
        program = load_program(bytecode, source_map=source_map)
    except HogError as error:
        return Outcome(error=type(error).__name__, message=str(error), stdout=[])
    machine_class = Machine if tier == 1 else machine_for(program, 2, max_call_depth)
    if require_tier2 and machine_class is not Tier2Machine:
        try:
            compile_function(program.root, 0, 0, root=True)
        except Unsupported as refusal:
            raise AssertionError(f"tier 2 refused a program our compiler made: {refusal}") from None
    machine = machine_class(program, globals or {}, functions or {}, timeout, max_steps, memory_limit,
                            max_call_depth)
    if replay is not None:
        machine.tape = Tape(replay)
    try:
        result = machine.execute()
    except HogVMRuntimeExceededException:
        return TIMED_OUT  # wall-clock: not comparable between tiers
    except HogError as error:
        seen = Outcome(error=type(error).__name__, message=str(error), stdout=error.stdout,
                       position=(error.line, error.column, error.function))
        if type(error) is HogVMException or type(error).__name__ == "UncaughtHogVMException":
            seen["site"] = error_site(machine)
    else:
        seen = Outcome(result=printed(result.result), stdout=result.stdout, steps=result.steps,
                       divergences=result.posthog_divergences)
    seen["memory"] = machine.meter.used
    seen.tier = machine.TIER
    seen.tape = machine.tape.recorded
    return seen


def printed(value: Any) -> str:
    """A result as Hog prints it (or why it can not be: `fromUnixTimestamp(null)` makes such a value)."""
    try:
        return print_hog_value(value)
    except HogError as error:
        return f"<unprintable: {error}>"


def error_site(machine: Machine) -> tuple[str, int] | None:
    """(chunk name, instruction index) of the instruction a run failed at."""
    if isinstance(machine, Tier2Machine):
        site = machine.error_site
        return None if site is None else (site[0].name, site[1])
    return machine.chunk.name, machine.ip - 1


def both(bytecode: Any, globals: dict[str, Any] | None = None, **options: Any) -> Outcome:
    """The outcome of both tiers, asserted equal."""
    first = outcome(bytecode, 1, globals, **options)
    second = outcome(bytecode, 2, globals, replay=first.tape, **options)
    assert first == second
    return first
