"""The Hog language front end: a Lark LALR grammar and a parser to a typed AST."""

from __future__ import annotations

from typing import TYPE_CHECKING

from grammar.errors import HogCompileError, HogError, HogSyntaxError

if TYPE_CHECKING:
    from grammar.ast import Expr, Program

__all__ = ["HogCompileError", "HogError", "HogSyntaxError", "parse_expression", "parse_program"]


def parse_program(source: str) -> Program:
    """Parse Hog source into a `grammar.ast.Program`. Raises `HogSyntaxError`."""
    from grammar.parser import parse_program as _parse

    return _parse(source)


def parse_expression(source: str) -> Expr:
    """Parse a single Hog expression into a `grammar.ast` node. Raises `HogSyntaxError`."""
    from grammar.parser import parse_expression as _parse

    return _parse(source)
