"""The disassembler: listing format, nesting, every opcode of the table, and malformed input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hogvm import HogVMException, compile_hog, disassemble
from hogvm.opcodes import BODY, CAPTURES, COUNT, INT, NUM, OFFSET, OPCODES, SLOT, STR, Op

GOLDEN = Path(__file__).parent / "golden"


def test_listing_shows_offsets_names_operands_and_jump_targets() -> None:
    assert disassemble(compile_hog("let x := 1\nif (x > 0) print('big')")) == "\n".join([
        "    2  INTEGER                1",
        "    4  INTEGER                0",
        "    6  GET_LOCAL              0",
        "    8  GT",
        "    9  JUMP_IF_FALSE          +6 (-> 17)",
        '   11  STRING                 "big"',
        '   13  CALL_GLOBAL            "print" 1',
        "   16  POP",
        "   17  POP",
    ])


def test_function_bodies_are_indented_and_captures_named() -> None:
    listing = disassemble(compile_hog("let a := 1\nfn f() { return () -> a }"))
    assert listing.splitlines()[1:9] == [
        '    4  CALLABLE               "f" 0 1 13',
        '    9      CALLABLE               "lambda" 0 1 3',
        "   14          GET_UPVALUE            0",
        "   16          RETURN",
        "   17      CLOSURE                1 [upvalue 0]",
        "   21      RETURN",
        "   22  CLOSURE                1 [local 0]",
        "   26  POP",
    ]


def test_try_target_counts_from_its_operand_like_the_vms() -> None:
    listing = disassemble(compile_hog("try { f() } catch { }"))
    assert listing.splitlines()[0] == "    2  TRY                    +8 (-> 11)"
    assert listing.splitlines()[5].startswith("   11  GET_LOCAL")  # the catch area starts there


def test_legacy_header_is_accepted() -> None:
    assert disassemble(["_h", 33, 1, 38]) == "    1  INTEGER                1\n    3  RETURN"


_SAMPLE_OPERAND = {STR: "name", INT: -3, NUM: 1.5, COUNT: 2, SLOT: 0, OFFSET: 0, BODY: 0, CAPTURES: 1}


@pytest.mark.parametrize("op", list(Op), ids=lambda op: op.name)
def test_every_opcode_in_the_table_disassembles(op: Op) -> None:
    instruction: list[Any] = [int(op)]
    for kind in OPCODES[op].operands:
        instruction.append(_SAMPLE_OPERAND[kind])
        if kind is CAPTURES:
            instruction += [True, 0]
    line = disassemble(["_H", 1, *instruction])
    assert line.split()[1] == op.name
    assert len(line.splitlines()) == 1


@pytest.mark.parametrize("name", sorted(p.stem for p in GOLDEN.glob("*.hog")))
def test_golden_programs_disassemble(name: str) -> None:
    bytecode = json.loads((GOLDEN / f"{name}.json").read_text())
    listing = disassemble(bytecode)
    assert listing.splitlines()[0].startswith("    2  ")


@pytest.mark.parametrize(("bytecode", "message"), [
    ([], "empty bytecode in chunk 'root', must start with '_H' (offset 0)"),
    ("_H", "chunk 'root' must be a list, got str"),
    (["_X", 1], "must start with '_H' or '_h', got '_X' (offset 0)"),
    (["_H"], "missing version after '_H' (offset 1)"),
    (["_H", 1, 999], "unknown opcode 999 (offset 2)"),
    (["_H", 1, "PRINT"], "unknown opcode 'PRINT' (offset 2)"),
    (["_H", 1, True], "unknown opcode True (offset 2)"),
    (["_H", 1, 33], "INTEGER is missing its int operand (unexpected end of bytecode) (offset 2)"),
    (["_H", 1, 2, 5, 0], "CALL_GLOBAL name must be a string, got 5 (offset 2)"),
    (["_H", 1, 33, "1"], "INTEGER constant must be an integer, got '1' (offset 2)"),
    (["_H", 1, 36, -1], "GET_LOCAL slot must be a non-negative integer, got -1 (offset 2)"),
    (["_H", 1, 52, "f", 0, 0, 100], "CALLABLE body end target 107 is outside the chunk (offset 2)"),
    (["_H", 1, 53, 1, "yes", 0], "capture flag must be a boolean"),
    (["_H", 1, 52, "f", 0, 0, 5, 52, "g", 0, 0, 9, 38], "CALLABLE body end target 21 is outside the chunk (offset 7)"),
])
def test_malformed_bytecode_is_a_clear_error(bytecode: Any, message: str) -> None:
    # the disassembler validates with the VM's loader: the same message the VM would give
    with pytest.raises(HogVMException, match=r"^Invalid bytecode: ") as caught:
        disassemble(bytecode)
    assert message in str(caught.value)


_items = st.one_of(
    st.integers(min_value=-5, max_value=60), st.text(max_size=3), st.booleans(), st.none(), st.floats(),
    st.lists(st.integers(), max_size=2),
)


@given(st.lists(_items, max_size=30))
def test_arbitrary_input_never_raises_anything_but_hogvm_exception(body: list[Any]) -> None:
    try:
        listing = disassemble(["_H", 1, *body])
    except HogVMException:
        return
    assert isinstance(listing, str)
