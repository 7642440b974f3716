"""Bytecode validation: malformed, truncated or hostile bytecode is refused with a clear
`HogVMException("Invalid bytecode: ... (offset N)")`, never a Python error, hang or crash."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hogvm import compile_hog, execute_bytecode
from hogvm.errors import HogError, HogVMException
from hogvm.loader import CONST, decode_chunk, load_program
from hogvm.opcodes import Op

H = ["_H", 1]

INVALID = {
    "empty": ([], "must start with"),
    "not a list": ("return 1", "expected a bytecode list"),
    "wrong magic": (["_X", 1, Op.NULL], "must start with"),
    "unknown version": (["_H", 7, Op.NULL], "unsupported bytecode version 7"),
    "unknown opcode": ([*H, 99], "unknown opcode 99 (offset 2)"),
    "opcode not a number": ([*H, "STRING", "x"], "unknown opcode 'STRING' (offset 2)"),
    "bool opcode": ([*H, True], "unknown opcode True"),
    "truncated operand": ([*H, Op.STRING], "STRING is missing its str operand"),
    "truncated call": ([*H, Op.CALL_GLOBAL, "print"], "CALL_GLOBAL is missing its count operand"),
    "list constant": ([*H, Op.STRING, [1, 2]], "STRING constant must be a scalar"),
    "dict constant": ([*H, Op.STRING, {"a": 1}], "STRING constant must be a scalar"),
    "float integer": ([*H, Op.INTEGER, 1.5], "INTEGER constant must be an integer"),
    "string float": ([*H, Op.FLOAT, "1.5"], "FLOAT constant must be a number"),
    "negative slot": ([*H, Op.GET_LOCAL, -1], "GET_LOCAL slot must be a non-negative integer"),
    "negative count": ([*H, Op.ARRAY, -2], "ARRAY count must be a non-negative integer"),
    "name not a string": ([*H, Op.CALL_GLOBAL, 5, 0], "CALL_GLOBAL name must be a string"),
    "jump past the end": ([*H, Op.JUMP, 10], "JUMP target 14 is outside the chunk (offset 2)"),
    "jump before the start": ([*H, Op.JUMP, -5], "is outside the chunk"),
    "callable body too long": ([*H, Op.CALLABLE, "f", 0, 0, 50, Op.NULL, Op.RETURN], "is outside the chunk"),
    "callable body splits an instruction": (
        [*H, Op.CALLABLE, "f", 0, 0, 1, Op.STRING, "x", Op.CLOSURE, 0], "lands inside an instruction",
    ),
    "closure count beyond the end": ([*H, Op.CLOSURE, 3, True, 0], "declares 3 upvalues but the bytecode ends"),
    "closure flag": ([*H, Op.CLOSURE, 1, "yes", 0], "capture flag must be a boolean"),
    "closure index": ([*H, Op.CLOSURE, 1, True, -1], "capture index must be a non-negative integer"),
    "chunk dict without root": ({"lib": {"bytecode": H}}, "needs a 'root' entry"),
    "chunk globals not a dict": ({"root": {"bytecode": H, "globals": [1]}}, "globals of chunk 'root' must be a dict"),
}


@pytest.mark.parametrize("name", list(INVALID))
def test_invalid_bytecode_is_refused_with_a_clear_message(name: str) -> None:
    bytecode, message = INVALID[name]
    with pytest.raises(HogVMException) as caught:
        execute_bytecode(bytecode)
    assert str(caught.value).startswith("Invalid bytecode")
    assert message in str(caught.value)


def test_a_jump_into_an_operand_fails_only_when_taken() -> None:
    # PostHog's compiler emits such a jump for `catch (e: SomeType)`; its VMs run the program
    # unless the jump is taken, so the bytecode must load here too.
    bytecode = [*H, Op.GET_GLOBAL, 1, Op.JUMP_IF_FALSE, 1, Op.STRING, "taken? no", Op.RETURN]
    globals_ = {"go": True}
    assert execute_bytecode([*H, Op.STRING, "go", *bytecode[2:]], globals_).result == "taken? no"
    with pytest.raises(HogVMException, match=r"^Invalid bytecode: JUMP_IF_FALSE at offset 6 jumps to offset 9, inside"):
        execute_bytecode([*H, Op.STRING, "go", *bytecode[2:]], {"go": False})
    with pytest.raises(HogVMException, match="inside an instruction"):
        execute_bytecode([*H, Op.JUMP, 1, Op.STRING, "x"])
    # a TRY whose handler lands inside an instruction: fine until something is thrown
    assert execute_bytecode([*H, Op.TRY, 2, Op.STRING, "x", Op.RETURN]).result == "x"


RUNTIME_INVALID = {
    "stack underflow": ([*H, Op.POP], "Stack underflow"),
    "binary op on empty stack": ([*H, Op.INTEGER, 1, Op.PLUS], "Stack underflow"),
    "local slot beyond the stack": ([*H, Op.GET_LOCAL, 5], "local slot 5 does not exist"),
    "upvalue index beyond the closure": ([*H, Op.GET_UPVALUE, 0], "Invalid upvalue index: 0"),
    "closure without callable": ([*H, Op.INTEGER, 1, Op.CLOSURE, 0], "Invalid callable"),
    "closure with the wrong capture count": (
        [*H, Op.CALLABLE, "f", 0, 1, 2, Op.NULL, Op.RETURN, Op.CLOSURE, 0],
        "Invalid upvalue count. Expected 1, got 0",
    ),
    "capture beyond the stack": (
        [*H, Op.CALLABLE, "f", 0, 1, 2, Op.NULL, Op.RETURN, Op.CLOSURE, 1, True, 9],
        "captured local 9 does not exist",
    ),
    "get global without names": ([*H, Op.GET_GLOBAL, 0], "GET_GLOBAL needs at least one name"),
    "array larger than the stack": ([*H, Op.INTEGER, 1, Op.ARRAY, 3], "Stack underflow"),
    "dict larger than the stack": ([*H, Op.INTEGER, 1, Op.INTEGER, 2, Op.DICT, 2], "Stack underflow"),
    "and larger than the stack": ([*H, Op.TRUE, Op.AND, 2], "Stack underflow"),
    "call with missing arguments": ([*H, Op.CALL_GLOBAL, "upper", 3], "Not enough arguments on the stack"),
}


@pytest.mark.parametrize("name", list(RUNTIME_INVALID))
def test_bytecode_that_breaks_at_run_time_gives_a_hog_error(name: str) -> None:
    bytecode, message = RUNTIME_INVALID[name]
    with pytest.raises(HogVMException) as caught:
        execute_bytecode(bytecode)
    assert message in str(caught.value)


def test_decoding_resolves_jumps_to_instruction_indexes() -> None:
    chunk = decode_chunk(compile_hog("let i := 0; while (i < 3) { i := i + 1 } return i"))
    for op, operand in chunk.code:
        if op in (Op.JUMP, Op.JUMP_IF_FALSE):
            assert 0 <= operand < len(chunk.code)
    assert all(op != Op.STRING and op != Op.INTEGER for op, _ in chunk.code)
    assert any(op == CONST for op, _ in chunk.code)


def test_the_same_bytecode_is_decoded_once() -> None:
    bytecode = compile_hog("return 1 + 2")
    assert load_program(list(bytecode)).root is load_program(list(bytecode)).root
    # Equal-looking constants of different types are different programs.
    assert execute_bytecode([*H, Op.STRING, 1, Op.RETURN]).result == 1
    assert execute_bytecode([*H, Op.STRING, 1.0, Op.RETURN]).result == 1.0
    assert type(execute_bytecode([*H, Op.STRING, 1.0, Op.RETURN]).result) is float
    assert repr(execute_bytecode([*H, Op.FLOAT, -0.0, Op.RETURN]).result) == "-0.0"
    assert repr(execute_bytecode([*H, Op.FLOAT, 0.0, Op.RETURN]).result) == "0.0"


def test_posthog_python_compiler_style_intenum_opcodes_are_accepted() -> None:
    assert execute_bytecode(["_H", Op.INTEGER.__class__(1), Op.INTEGER, 2, Op.RETURN]).result == 2


SCALARS = st.one_of(
    st.integers(min_value=-5, max_value=60), st.none(), st.booleans(), st.text(max_size=3),
    st.floats(allow_nan=False), st.sampled_from([int(op) for op in Op]),
)


@given(st.lists(SCALARS, max_size=40))
def test_fuzz_random_bytecode_only_ever_raises_hog_errors(body: list[Any]) -> None:
    with contextlib.suppress(HogError):
        execute_bytecode([*H, *body], max_steps=2000, timeout=2, memory_limit=1 << 20,
                         functions={"print": lambda *args: None})


@given(st.lists(st.sampled_from([int(op) for op in Op]), max_size=30), st.lists(SCALARS, max_size=30))
def test_fuzz_opcode_heavy_bytecode_only_ever_raises_hog_errors(ops: list[int], operands: list[Any]) -> None:
    body = [item for pair in zip(ops, operands, strict=False) for item in pair]
    with contextlib.suppress(HogError):
        execute_bytecode([*H, *body], max_steps=2000, timeout=2, memory_limit=1 << 20)
