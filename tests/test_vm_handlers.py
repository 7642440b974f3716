"""The dispatch table: every executable opcode has its own named handler."""

from __future__ import annotations

from hogvm.handlers import HANDLERS
from hogvm.handlers.control import op_unexpected
from hogvm.loader import CONST, END, SET_LOCAL_REBIND, SET_LOCAL_REBIND_TOP
from hogvm.opcodes import Op

NOT_EXECUTED = {Op.IN_COHORT, Op.NOT_IN_COHORT}  # valid opcodes that no VM runs
DECODED_AS_CONST = {Op.TRUE, Op.FALSE, Op.NULL, Op.STRING, Op.INTEGER, Op.FLOAT}


def test_every_executable_opcode_has_its_own_handler() -> None:
    numbers = [int(op) for op in Op if op not in NOT_EXECUTED | DECODED_AS_CONST]
    numbers += [CONST, END, SET_LOCAL_REBIND, SET_LOCAL_REBIND_TOP]
    handlers = [HANDLERS[number] for number in numbers]
    assert op_unexpected not in handlers
    assert len(set(handlers)) == len(handlers)
    assert all(handler.__name__.startswith("op_") for handler in handlers)


def test_opcodes_no_vm_runs_are_unexpected() -> None:
    for op in NOT_EXECUTED | DECODED_AS_CONST:
        assert HANDLERS[int(op)] is op_unexpected
