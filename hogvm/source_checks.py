"""Checks that need the source text, run by `compile_hog` before compiling.

PostHog's `compile_hog` (the one validating taggers and CDP functions) rejects `a.b-c` written
without spaces: Hog identifiers cannot contain hyphens, so it means `a.b - c`, almost never what
was meant (`properties.$ai-model`). We reject it the same way, with PostHog's message.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from grammar import ast
from grammar.errors import HogCompileError


def reject_hyphenated_names(program: ast.Program, source: str) -> None:
    """Raise `HogCompileError` for the first `a.b-c` (post-order, as PostHog's visitor) whose
    minus touches both names."""
    line_starts = [0]
    for index, char in enumerate(source):
        if char == "\n":
            line_starts.append(index + 1)
    for node in _post_order(program):
        if type(node) is not ast.ArithmeticOperation or node.op != "-":
            continue
        left, right = node.left, node.right
        if not (type(left) is ast.Field and len(left.chain) >= 2 and type(right) is ast.Field
                and len(right.chain) == 1 and 1 <= right.line <= len(line_starts)):
            continue
        minus = line_starts[right.line - 1] + right.column - 2  # offset just before `right`
        if minus < 1 or source[minus] != "-" or source[minus - 1].isspace():
            continue
        parent = ".".join(str(part) for part in left.chain[:-1])
        raise HogCompileError(
            "Hyphens are not supported in identifiers and are interpreted as subtraction. "
            f"Use bracket notation: {parent}['{left.chain[-1]}-{right.chain[0]}']",
            line=node.line, column=node.column, source=source,
        )


def _post_order(root: ast.Node) -> Iterator[ast.Node]:
    """Every node below and including `root`, children first; iterative, so depth costs no frames."""
    stack: list[tuple[ast.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            yield node
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(list(_children(node))))


def _children(node: ast.Node) -> Iterator[ast.Node]:
    pending: list[object] = [getattr(node, field.name) for field in dataclasses.fields(node)]
    pending.reverse()
    while pending:
        value = pending.pop()
        if isinstance(value, ast.Node):
            yield value
        elif isinstance(value, list | tuple):
            pending.extend(reversed(value))
