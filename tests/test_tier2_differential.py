"""Tier 1 and tier 2 agree on every generated program and every mutated bytecode.

The generators are the fuzzers' own (tests/fuzz/): programs of every type, operator and STL
function, well-typed or not, and real programs mutated at the bytecode level (truncated, bad
operands, wild jumps, wrong counts). Both tiers run each with the same limits and must agree on
everything a caller sees (tests/tier2_support.py): the result, the printed lines, the step count
and PostHog divergences, or the error's class, message and position, the lines printed before it
and the instruction it happened at; and the memory meter's reading. A successful program must
also agree one step short of its count (max_steps is exact), and with a memory limit that it only
just fits in and one it does not. Programs our compiler makes must compile to tier 2.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, event, settings
from hypothesis import strategies as st

from grammar.printer import print_program
from hogvm import HogError, compile_hog_with_warnings
from tests.fuzz.bytecode import mutated_bytecode, random_bytecode
from tests.fuzz.programs import runnable_programs
from tests.fuzz.seeds import fuzz_tests
from tests.tier2_support import TIMED_OUT, Outcome, outcome

pytestmark = pytest.mark.fuzz
RUNS_BOTH_TIERS_ITSELF = True

GLOBALS = {"event": {"properties": {"a": 1}}}
LIMITS: dict[str, Any] = {"timeout": 5.0, "max_steps": 20_000, "memory_limit": 4 * 1024 * 1024}


def agree(bytecode: Any, require_tier2: bool = False, **limits: Any) -> Outcome:
    options = {**LIMITS, **limits}
    first = outcome(bytecode, 1, GLOBALS, **options)
    second = outcome(bytecode, 2, GLOBALS, require_tier2=require_tier2, replay=first.tape, **options)
    assume(first is not TIMED_OUT and second is not TIMED_OUT)
    assert first == second
    event(f"tiers agree on: {first.get('error', 'a result')}")
    event(f"ran on tier {second.tier or 'none: not loadable'}")
    return first


def check_programs(program: Any) -> None:
    # compiled from its printed source, with the source map: errors have positions to agree on
    try:
        compiled = compile_hog_with_warnings(print_program(program))
    except HogError:
        assume(False)
    bytecode, source_map = compiled.bytecode, compiled.source_map
    seen = agree(bytecode, require_tier2=True, source_map=source_map)
    if seen.get("steps"):
        agree(bytecode, require_tier2=True, source_map=source_map, max_steps=seen["steps"] - 1)
        agree(bytecode, require_tier2=True, source_map=source_map, memory_limit=seen["memory"])
        agree(bytecode, require_tier2=True, source_map=source_map, memory_limit=seen["memory"] // 2)


def check_bytecode(bytecode: Any) -> None:
    agree(bytecode)


# Cheap per example (a few ms): three times the profile's examples, for more agreement per CI run.
_more = settings(max_examples=3 * settings.default.max_examples)
check_programs, check_bytecode = _more(check_programs), _more(check_bytecode)

test_any_program_fixed_seed, test_any_program_random_seed = fuzz_tests(
    check_programs, program=runnable_programs(typed=False))
test_typed_program_fixed_seed, test_typed_program_random_seed = fuzz_tests(
    check_programs, program=runnable_programs(typed=True))
test_mutated_bytecode_fixed_seed, test_mutated_bytecode_random_seed = fuzz_tests(
    check_bytecode, bytecode=mutated_bytecode())
test_random_bytecode_fixed_seed, test_random_bytecode_random_seed = fuzz_tests(
    check_bytecode, bytecode=random_bytecode() | st.just(["_H", 1]))
