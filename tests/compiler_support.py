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


def code(*items: Any) -> list[Any]:
    """Bytecode written with opcode names: code('INTEGER', 1, 'RETURN') -> ['_H', 1, 33, 1, 38].

    Strings that name an opcode are opcodes; write string operands as `s('text')`."""
    out: list[Any] = ["_H", 1]
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
