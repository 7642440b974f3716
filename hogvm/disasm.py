"""A readable listing of HogVM bytecode, driven entirely by the opcode table.

    >>> print(disassemble(["_H", 1, 33, 2, 33, 1, 6, 38]))
        2  INTEGER              2
        4  INTEGER              1
        6  PLUS
        7  RETURN

Each line is the instruction's offset in the bytecode list (what jumps and the VM's `ip` count),
its name, and its operands. Jumps show their target; a function's body is listed indented under
its CALLABLE. Malformed input raises `HogVMException` saying where and why, never another error.
"""

from __future__ import annotations

import json
from typing import Any

from hogvm.errors import HogVMException
from hogvm.opcodes import (
    BODY,
    BYTECODE_MAGIC,
    BYTECODE_MAGIC_LEGACY,
    CAPTURES,
    COUNT,
    INT,
    NUM,
    OFFSET,
    OPCODES,
    SLOT,
    STR,
    Op,
    Operand,
)

__all__ = ["disassemble"]

_NAME_WIDTH = max(len(op.name) for op in Op) + 1


def disassemble(bytecode: Any) -> str:
    """The listing of `bytecode` (`["_H", 1, ...]`, or legacy `["_h", ...]`), one instruction a line."""
    if not isinstance(bytecode, list) or not bytecode:
        raise HogVMException("Malformed bytecode: expected a non-empty list")
    if bytecode[0] == BYTECODE_MAGIC:
        if len(bytecode) < 2 or type(bytecode[1]) is not int:
            raise HogVMException("Malformed bytecode: missing version after '_H'")
        start = 2
    elif bytecode[0] == BYTECODE_MAGIC_LEGACY:
        start = 1
    else:
        raise HogVMException(f"Malformed bytecode: does not start with '_H' (found {_show(bytecode[0])})")
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
            raw = code[offset]
            if type(raw) is not int or raw not in _BY_NUMBER:
                raise HogVMException(f"Malformed bytecode at offset {offset}: unknown opcode {_show(raw)}")
            info = OPCODES[_BY_NUMBER[raw]]
            self.ip += 1
            operands = [self.operand(kind, offset) for kind in info.operands]
            text = f"{offset:>5}  {'    ' * len(body_ends)}{info.name:<{_NAME_WIDTH}}{' '.join(operands)}"
            out.append(text.rstrip())
            if info.op is Op.CALLABLE:
                body_end = self.ip + code[self.ip - 1]
                if body_end > len(code) or (body_ends and body_end > body_ends[-1]):
                    raise HogVMException(f"Malformed bytecode at offset {offset}: function body runs past its end")
                body_ends.append(body_end)
        return out

    def operand(self, kind: Operand, offset: int) -> str:
        value = self.take(offset)
        if kind is STR:
            if not isinstance(value, str):
                self.fail(offset, "a string", value)
            return _show(value)
        if kind is NUM:
            if type(value) not in (int, float):
                self.fail(offset, "a number", value)
            return json.dumps(value)
        if type(value) is not int:
            self.fail(offset, "an integer", value)
        if kind is INT:
            return str(value)
        if kind in (COUNT, SLOT, BODY):
            if value < 0:
                self.fail(offset, "a non-negative integer", value)
            return str(value)
        if kind is OFFSET:
            # Jumps count from the next instruction; TRY's handler address counts from the operand.
            target = self.ip + value - (1 if self.code[offset] == Op.TRY else 0)
            return f"{value:+d} (-> {target})"
        if kind is CAPTURES:
            captures = []
            for _ in range(value):
                is_local, index = self.take(offset), self.take(offset)
                if type(is_local) is not bool or type(index) is not int:
                    raise HogVMException(f"Malformed bytecode at offset {offset}: bad upvalue capture")
                captures.append(f"{'local' if is_local else 'upvalue'} {index}")
            return f"{value} [{', '.join(captures)}]" if captures else str(value)
        raise AssertionError(f"unhandled operand kind {kind}")

    def take(self, offset: int) -> Any:
        if self.ip >= len(self.code):
            raise HogVMException(f"Malformed bytecode at offset {offset}: instruction is cut short")
        value = self.code[self.ip]
        self.ip += 1
        return value

    @staticmethod
    def fail(offset: int, expected: str, value: Any) -> None:
        raise HogVMException(f"Malformed bytecode at offset {offset}: expected {expected}, got {_show(value)}")


_BY_NUMBER = {int(op): op for op in Op}


def _show(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return f"<{type(value).__name__}>"
