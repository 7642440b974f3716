"""Run one program on both VM tiers and describe everything a caller could observe.

`outcome(bytecode, tier, ...)` is what tier 1 or tier 2 gives: the result (as Hog prints it), the
printed lines, the step count and peak memory of a run, or the error's class and message, the
lines printed before it and the instruction it happened at (what error positions are looked up
by). Tests compare the two tiers' outcomes for equality; `Outcome.tier` (not compared) says which
tier really ran, since tier 2 leaves what it cannot compile to tier 1.
"""

from __future__ import annotations

from typing import Any

from hogvm import HogError, HogVMException
from hogvm.errors import HogVMRuntimeExceededException
from hogvm.loader import load_program
from hogvm.printing import print_hog_value
from hogvm.tier2 import Tier2Machine, Unsupported, compile_function, machine_for
from hogvm.vm import DEFAULT_MAX_CALL_DEPTH, DEFAULT_MEMORY_LIMIT, Machine


class Outcome(dict):
    """What a caller sees of a run; `tier` is the tier that ran it (not part of the comparison)."""

    tier: int | None = None


TIMED_OUT = Outcome({"timed out": True})


def outcome(bytecode: Any, tier: int, globals: dict[str, Any] | None = None, *, timeout: float = 5.0,
            max_steps: int | None = None, memory_limit: int = DEFAULT_MEMORY_LIMIT,
            max_call_depth: int = DEFAULT_MAX_CALL_DEPTH, functions: dict[str, Any] | None = None,
            require_tier2: bool = False) -> Outcome:
    try:
        program = load_program(bytecode)
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
    try:
        result = machine.execute()
    except HogVMRuntimeExceededException:
        return TIMED_OUT  # wall-clock: not comparable between tiers
    except HogError as error:
        seen = Outcome(error=type(error).__name__, message=str(error), stdout=list(machine.stdout))
        if type(error) is HogVMException or type(error).__name__ == "UncaughtHogVMException":
            seen["site"] = error_site(machine)
    else:
        seen = Outcome(result=print_hog_value(result.result), stdout=result.stdout, steps=result.steps,
                       peak_memory=result.peak_memory)
    seen.tier = machine.TIER
    return seen


def error_site(machine: Machine) -> tuple[str, int] | None:
    """(chunk name, instruction index) of the instruction a run failed at."""
    if isinstance(machine, Tier2Machine):
        site = machine.error_site
        return None if site is None else (site[0].name, site[1])
    return machine.chunk.name, machine.ip - 1


def both(bytecode: Any, globals: dict[str, Any] | None = None, **options: Any) -> Outcome:
    """The outcome of both tiers, asserted equal."""
    first = outcome(bytecode, 1, globals, **options)
    second = outcome(bytecode, 2, globals, **options)
    assert first == second
    return first
