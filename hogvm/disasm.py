"""A readable listing of HogVM bytecode, driven entirely by the opcode table.

    >>> print(disassemble(["_H", 1, 33, 2, 33, 1, 6, 38]))
        2  INTEGER              2
        4  INTEGER              1
        6  PLUS
        7  RETURN

Each line is the instruction's offset in the bytecode list (what jumps and the VM's `ip` count),
its name, and its operands. Jumps show their target; a function's body is listed indented under
its CALLABLE. The bytecode is first validated by the VM's own loader, so malformed input gets the
very `HogVMException("Invalid bytecode: ... (offset N)")` the VM would raise, and the listing
below can trust every operand.
"""

from __future__ import annotations

import json
from typing import Any

from hogvm.loader import decode_chunk
from hogvm.opcodes import BYTECODE_MAGIC, CAPTURES, NUM, OFFSET, OPCODES, STR, Op, Operand

__all__ = ["disassemble"]

_NAME_WIDTH = max(len(op.name) for op in Op) + 1


def disassemble(bytecode: Any) -> str:
    """The listing of `bytecode` (`["_H", 1, ...]`, or legacy `["_h", ...]`), one instruction a line."""
    decode_chunk(bytecode)  # raises HogVMException for anything the VM would refuse
    start = 2 if bytecode[0] == BYTECODE_MAGIC else 1
    return "\n".join(_Listing(bytecode).lines(start))


class _Listing:
    def __init__(self, code: list[Any]) -> None:
        self.code = code
        self.ip = 0

    def lines(self, start: int) -> list[str]:
        code, out = self.code, []
        body_ends: list[int] = []  # ends of the function bodies we are inside, innermost last
        self.ip = start
        while self.ip < len(code):
            while body_ends and self.ip >= body_ends[-1]:
                body_ends.pop()
            offset = self.ip
            info = OPCODES[Op(code[offset])]
            self.ip += 1
            operands = [self.operand(kind, offset) for kind in info.operands]
            out.append(f"{offset:>5}  {'    ' * len(body_ends)}{info.name:<{_NAME_WIDTH}}{' '.join(operands)}".rstrip())
            if info.op is Op.CALLABLE:
                body_ends.append(self.ip + code[self.ip - 1])
        return out

    def operand(self, kind: Operand, offset: int) -> str:
        value = self.code[self.ip]
        self.ip += 1
        if kind is STR:
            return _show(value)
        if kind is NUM:
            return json.dumps(value)
        if kind is OFFSET:
            # Jumps count from the next instruction; TRY's handler address counts from the operand.
            target = self.ip + value - (1 if self.code[offset] == Op.TRY else 0)
            return f"{value:+d} (-> {target})"
        if kind is CAPTURES:
            pairs = self.code[self.ip:self.ip + 2 * value]
            self.ip += 2 * value
            captures = [f"{'local' if is_local else 'upvalue'} {index}"
                        for is_local, index in zip(pairs[::2], pairs[1::2], strict=True)]
            return f"{value} [{', '.join(captures)}]" if captures else str(value)
        return str(int(value))  # INT, COUNT, SLOT, BODY


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)  # the loader allows only scalars here
