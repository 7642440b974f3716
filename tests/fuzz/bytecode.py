"""Hypothesis strategies for bytecode: random token lists, and real programs mutated.

Mutations start from programs compiled by our compiler (tests/fuzz/programs.py), so they reach deep
into the VM before going wrong: truncation, wrong operand types, huge and negative jumps, unknown
opcodes, bad argument and upvalue counts.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from hogvm import HogError, compile_program
from hogvm.opcodes import Op
from tests.fuzz.programs import runnable_programs

OPCODES = [int(op) for op in Op]
# Operand-like values: small and huge numbers, every JSON type, and things no JSON has.
TOKENS = st.one_of(
    st.sampled_from(OPCODES),
    st.integers(-3, 60),
    st.sampled_from([0, 58, 999, -1, 2**31, -(2**31), 2**63, 10**30, 1e308, float("nan"), float("inf")]),
    st.text(max_size=5),
    st.sampled_from(["_H", "_h", "root", "print", "length", "concat", "arrayMap", "import", "__proto__"]),
    st.booleans(),
    st.none(),
    st.floats(),
    st.lists(st.integers(0, 5), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)


@st.composite
def random_bytecode(draw: st.DrawFn) -> Any:
    header = draw(st.sampled_from([["_H", 1], ["_h"], ["_H", 0], ["_H", 2], ["_H"], [], ["x"]]))
    return header + draw(st.lists(TOKENS, max_size=40))


@st.composite
def mutated_bytecode(draw: st.DrawFn) -> list[Any]:
    try:
        bytecode = list(compile_program(draw(runnable_programs(typed=True))))
    except HogError:
        bytecode = ["_H", 1]
    for _ in range(draw(st.integers(1, 3))):
        if len(bytecode) <= 2:
            break
        at = draw(st.integers(2, len(bytecode) - 1))
        mutation = draw(st.sampled_from(["truncate", "replace", "insert", "delete", "jump", "count"]))
        if mutation == "truncate":
            bytecode = bytecode[:at]
        elif mutation == "replace":
            bytecode[at] = draw(TOKENS)
        elif mutation == "insert":
            bytecode.insert(at, draw(TOKENS))
        elif mutation == "delete":
            del bytecode[at]
        elif mutation == "jump":  # a jump anywhere, including before the start and past the end
            op = draw(st.sampled_from([Op.JUMP, Op.JUMP_IF_FALSE, Op.JUMP_IF_STACK_NOT_NULL, Op.TRY]))
            bytecode[at:at] = [int(op), draw(st.integers(-len(bytecode) - 5, len(bytecode) + 5) | st.sampled_from(
                [-(2**40), 2**40]))]
        else:  # an argument, element or upvalue count that does not match the stack
            op = draw(st.sampled_from([Op.CALL_LOCAL, Op.ARRAY, Op.DICT, Op.TUPLE, Op.GET_GLOBAL,
                                       Op.CLOSURE, Op.POP, Op.RETURN]))
            bytecode[at:at] = [int(op), draw(st.integers(-2, 400) | st.just(10**9))]
    return bytecode
