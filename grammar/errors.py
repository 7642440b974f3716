"""Errors that carry a source position.

`HogError` is the root of every error this project raises for bad Hog input, bad bytecode or a
sandbox limit. It lives here, in the package with no dependencies, so that `grammar` and `hogvm`
can both raise it without importing each other; `hogvm` re-exports all of them.
"""

from __future__ import annotations


class HogError(Exception):
    """Base class of every error raised for Hog source, bytecode or execution.

    `str()` is the message, then `(line L, column C[, in function f])` when the position is known,
    then the source line with a caret under the column when the source is known."""

    # Runtime errors, set by the VM as the error leaves the run (see hogvm/positions.py): the Hog
    # function around the failing instruction, and the lines the program printed before it failed.
    function: str | None = None
    stdout: list[str] | None = None
    # Compile errors from `compile_hog_with_warnings`: the warnings found before the error.
    warnings: tuple[object, ...] = ()

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None,
                 source: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.source = source

    def __str__(self) -> str:
        return self.with_position(self.headline())

    def headline(self) -> str:
        """The error's own text, without the position."""
        return self.message

    def with_position(self, text: str) -> str:
        """`text`, then the position and the caret snippet when they are known."""
        where = self.location()
        if not where:
            return text
        snippet = self.snippet()
        text = f"{text} ({where})"
        return f"{text}\n{snippet}" if snippet else text

    def location(self) -> str:
        """`line 3, column 5`, with `, in function f` (`, in a lambda`) inside a function; '' if unknown."""
        if self.line is None:
            return ""
        where = f"line {self.line}, column {self.column}"
        if self.function == "lambda":
            where += ", in a lambda"
        elif self.function:
            where += f", in function {self.function}"
        return where

    def snippet(self) -> str:
        """The offending source line with a caret under the column, or '' if unknown."""
        if self.source is None or self.line is None:
            return ""
        lines = self.source.split("\n")  # as the lexer counts lines (not at \v, \f, U+2028, ...)
        if not 1 <= self.line <= len(lines):
            return ""
        text = lines[self.line - 1].rstrip("\r").expandtabs(1)
        if len(text) > 200:  # keep one-line context readable on huge generated lines
            start = max(0, (self.column or 1) - 100)
            text = text[start:start + 200]
            col = (self.column or 1) - start
        else:
            col = self.column or 1
        return f"  {text}\n  {' ' * (col - 1)}^"


class HogSyntaxError(HogError):
    """The source is not valid Hog. `line` and `column` are 1-based."""


class HogCompileError(HogError):
    """The source parses but cannot be compiled to bytecode (e.g. assignment to a global)."""
