"""Random and mutated bytecode: loading and running it ends in a result or a `HogError`.

Never another Python exception, a hang (the step limit and the timeout stop every loop), or a
memory blow-up (the memory limit). The strategies are in tests/fuzz/bytecode.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import strategies as st

from hogvm import HogError, execute_bytecode
from hogvm.printing import print_hog_value
from tests.fuzz.bytecode import TOKENS, mutated_bytecode, random_bytecode
from tests.fuzz.seeds import fuzz_tests

pytestmark = pytest.mark.fuzz

MAX_STEPS = 10_000
MEMORY_LIMIT = 2 * 1024 * 1024


def run(bytecode: Any) -> None:
    try:
        result = execute_bytecode(bytecode, {"event": {"properties": {}}}, timeout=1.0,
                                  max_steps=MAX_STEPS, memory_limit=MEMORY_LIMIT)
    except HogError:
        return
    assert result.steps <= MAX_STEPS
    print_hog_value(result.result)


def check_random_bytecode_ends_in_result_or_hog_error(bytecode) -> None:
    run(bytecode)


def check_mutated_bytecode_ends_in_result_or_hog_error(bytecode) -> None:
    run(bytecode)


test_random_bytecode_fixed_seed, test_random_bytecode_random_seed = fuzz_tests(
    check_random_bytecode_ends_in_result_or_hog_error, bytecode=random_bytecode() | st.one_of(
        st.none(), st.integers(), st.text(max_size=3), st.dictionaries(st.text(max_size=4), TOKENS, max_size=2)))
test_mutated_bytecode_fixed_seed, test_mutated_bytecode_random_seed = fuzz_tests(
    check_mutated_bytecode_ends_in_result_or_hog_error, bytecode=mutated_bytecode())
