"""The VM's opcode handlers, one small function per opcode, and the dispatch table.

Every handler has the signature `op_xxx(m: Machine, arg) -> None`: `m` is the running machine
(hogvm/vm.py) with `m.ip` already past the instruction, `arg` the operand the loader decoded.
Handlers are grouped by concern:

    stack.py     constants, locals, POP, containers, property get/set
    arith.py     arithmetic, comparison, logic, in / like / regex
    control.py   jumps, RETURN, end of chunk, TRY / POP_TRY / THROW
    calls.py     CALL_GLOBAL, CALL_LOCAL, GET_GLOBAL, DECLARE_FN; builtins and host functions
    closures.py  CALLABLE, CLOSURE, upvalues

`HANDLERS[opcode]` is the table the loop dispatches through; opcodes that no VM executes
(IN_COHORT, NOT_IN_COHORT) and unknown numbers map to `control.op_unexpected`.
"""

from __future__ import annotations

from hogvm.handlers import arith, calls, closures, control, stack

_TABLE_SIZE = 128  # opcodes are 1..57, the loader's decoded-only instructions 0 and 100..102


def _build() -> list:
    table = [control.op_unexpected] * _TABLE_SIZE
    for group in (stack, arith, control, calls, closures):
        for op, handler in group.HANDLERS.items():
            table[int(op)] = handler
    return table


HANDLERS = _build()
