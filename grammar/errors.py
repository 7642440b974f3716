"""Errors that carry a source position.

`HogError` is the root of every error this project raises for bad Hog input, bad bytecode or a
sandbox limit. It lives here, in the package with no dependencies, so that `grammar` and `hogvm`
can both raise it without importing each other; `hogvm` re-exports all of them.
"""

from __future__ import annotations


class HogError(Exception):
    """Base class of every error raised for Hog source, bytecode or execution."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None,
                 source: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.source = source

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        where = f"line {self.line}, column {self.column}"
        text = f"{self.message} ({where})"
        snippet = self.snippet()
        return f"{text}\n{snippet}" if snippet else text

    def snippet(self) -> str:
        """The offending source line with a caret under the column, or '' if unknown."""
        if self.source is None or self.line is None:
            return ""
        lines = self.source.splitlines()
        if not 1 <= self.line <= len(lines):
            return ""
        text = lines[self.line - 1].expandtabs(1)
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
