"""A builtin's result counts against the memory limit as soon as the builtin returns.

A builtin called through a function value (`let f := upper; f(s)`) or from legacy `_h` bytecode
charged its result and, when that crossed the limit, measured live memory before the result was
pushed: the measurement missed the result, so `upper` of a 600 kB string under a 1 MB limit
succeeded with 1.2 MB alive, and the result's size was forgotten until the next measurement.
hogvm/handlers/calls.py now pushes the result before accounting for it, as the direct-call path
(`upper(s)`) already did.
"""

from __future__ import annotations

import pytest

from hogvm import compile_hog, execute_bytecode
from hogvm.errors import HogVMMemoryExceededException
from hogvm.opcodes import Op

LIMIT = 1_000_000


@pytest.mark.parametrize("source", [
    "let s := 'x' * 600000; return length(upper(s))",
    "let s := 'x' * 600000; let f := upper; return length(f(s))",
    "let s := 'x' * 400000; let f := upper; let a := f(s); let b := f(s); return length(a) + length(b)",
])
def test_a_result_over_the_limit_fails_where_the_builtin_returns(source: str) -> None:
    with pytest.raises(HogVMMemoryExceededException) as caught:
        execute_bytecode(compile_hog(source), memory_limit=LIMIT)
    assert caught.value.memory_limit == LIMIT and caught.value.attempted_memory > 1_200_000


def test_legacy_bytecode_builtin_result_is_counted() -> None:
    bytecode = ["_h", Op.INTEGER, 600_000, Op.STRING, "x", Op.MULTIPLY,
                Op.GET_LOCAL, 0, Op.CALL_GLOBAL, "upper", 1, Op.RETURN]
    with pytest.raises(HogVMMemoryExceededException):
        execute_bytecode(bytecode, memory_limit=LIMIT)
    assert execute_bytecode(bytecode, memory_limit=2 * LIMIT).result == "X" * 600_000


def test_results_within_the_limit_still_fit() -> None:
    source = "let s := 'x' * 300000; let f := upper; let a := f(s); return length(a) + length(f(s))"
    assert execute_bytecode(compile_hog(source), memory_limit=LIMIT).result == 600_000
