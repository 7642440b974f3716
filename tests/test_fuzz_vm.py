"""Generated programs on the VM.

- Safety: compiling and running any generated program (mixed types, floats, nulls, division by
  zero, every STL function with arbitrary arguments) ends in a result or a `HogError`, within
  the step, time and memory limits given.
- Differential: for well-typed programs that avoid the documented divergences (see
  tests/fuzz/programs.py and tests/test_vm_divergences.py), our VM and PostHog's TypeScript VM
  print the same lines and return the same value for the same bytecode.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import assume

from grammar.printer import print_program
from hogvm import HogError, compile_program, execute_bytecode
from hogvm.printing import print_hog_value
from tests.fuzz.programs import runnable_programs
from tests.fuzz.seeds import fuzz_tests

pytestmark = pytest.mark.fuzz

MAX_STEPS = 20_000
MEMORY_LIMIT = 4 * 1024 * 1024
TIMEOUT = 2.0
# JavaScript numbers are doubles: an integer past 2**53 prints differently there.
_BIG_NUMBER = re.compile(r"\d{16,}")


def check_running_raises_only_hog_errors(program) -> None:
    try:
        bytecode = compile_program(program)
        result = execute_bytecode(bytecode, {"event": {"properties": {"a": 1}}}, timeout=TIMEOUT,
                                  max_steps=MAX_STEPS, memory_limit=MEMORY_LIMIT)
    except HogError:
        return
    assert result.steps <= MAX_STEPS
    print_hog_value(result.result)  # whatever a program returns can be printed


def check_same_output_as_posthog_typescript_vm(program, node_vm) -> None:
    source = print_program(program)
    bytecode = compile_program(program)
    try:
        ours = execute_bytecode(bytecode, timeout=TIMEOUT, max_steps=MAX_STEPS)
    except HogError as error:
        theirs = node_vm.run(bytecode)
        assert not theirs["ok"], f"only our VM failed ({error}) on:\n{source}"
        return
    printed = print_hog_value(ours.result)
    assume(not _BIG_NUMBER.search(printed + "\n".join(ours.stdout)))
    theirs = node_vm.run(bytecode)
    assert theirs["ok"], f"only the TypeScript VM failed ({theirs.get('error')}) on:\n{source}"
    assert ours.stdout == theirs["stdout"], source
    assert printed == theirs["printed"], source


test_running_raises_only_hog_errors_fixed_seed, test_running_raises_only_hog_errors_random_seed = fuzz_tests(
    check_running_raises_only_hog_errors, program=runnable_programs(typed=False))
test_same_output_as_posthog_typescript_vm_fixed_seed, test_same_output_as_posthog_typescript_vm_random_seed = (
    fuzz_tests(check_same_output_as_posthog_typescript_vm, program=runnable_programs(typed=True)))
