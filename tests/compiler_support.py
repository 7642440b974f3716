"""Shared helpers for the compiler tests: the two front ends and a readable bytecode notation."""

from __future__ import annotations

from typing import Any

from grammar import ast
from hogvm.compiler import compile_program
from hogvm.opcodes import Op
from tests.posthog_ast import posthog_program

# Our Lark parser, and PostHog's own C++ parser (through tests/posthog_ast.py). Compiling both
# must give the same bytecode: any difference is then either parser's fault, never the compiler's.
FRONT_ENDS = ("lark", "posthog")


def parse(source: str, front_end: str) -> ast.Program:
    if front_end == "posthog":
        return posthog_program(source)
    from grammar import parse_program

    return parse_program(source)


def compile_source(source: str, front_end: str = "posthog") -> list[Any]:
    return compile_program(parse(source, front_end))


class Bytecode(list):
    """A bytecode list whose equality also compares item types, so that `1` never equals `1.0` or
    `True` (INTEGER vs FLOAT operands, capture flags). Being a list subclass, its `__eq__` is used
    even when it is the right-hand operand of `==`."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, list) or len(self) != len(other):
            return False
        return all(type(a) is type(b) and a == b for a, b in zip(self, other, strict=True))

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]


def code(*items: Any) -> Bytecode:
    """Bytecode written with opcode names: code('INTEGER', 1, 'RETURN') -> ['_H', 1, 33, 1, 38].

    Strings that name an opcode are opcodes; write string operands as `s('text')`."""
    out = Bytecode(["_H", 1])
    for item in items:
        if isinstance(item, str):
            out.append(int(Op[item]))
        elif isinstance(item, _Str):
            out.append(item.text)
        else:
            out.append(item)
    return out


class _Str:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def s(text: str) -> _Str:
    """A string operand inside `code(...)`."""
    return _Str(text)
