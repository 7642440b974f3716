"""Checks that need the source text, run when `compile_hog` compiles.

PostHog's `compile_hog` (the one validating taggers and CDP functions) rejects `a.b-c` written
without spaces: Hog identifiers cannot contain hyphens, so it means `a.b - c`, almost never what
was meant (`properties.$ai-model`). We reject it the same way, with PostHog's message.

The source is scanned once for minus signs touching a name on both sides; the compiler then only
looks up the subtractions whose right operand starts right after one of them.
"""

from __future__ import annotations

import re

from grammar import ast
from grammar.errors import HogCompileError

_TOUCHING_MINUS = re.compile(r"(?<=[\w$`\"])-(?=[\w$`\"])")


def touching_minus_positions(source: str) -> frozenset[tuple[int, int]]:
    """(line, column), 1-based, of each character that directly follows a name-touching minus."""
    positions = []
    line, line_start, scanned = 1, 0, 0
    for match in _TOUCHING_MINUS.finditer(source):
        after = match.end()
        newlines = source.count("\n", scanned, after)
        if newlines:
            line += newlines
            line_start = source.rindex("\n", scanned, after) + 1
        scanned = after
        positions.append((line, after - line_start + 1))
    return frozenset(positions)


def hyphenated_name_error(node: ast.ArithmeticOperation) -> HogCompileError | None:
    """PostHog's error for `a.b-c` (a chain minus a bare name), or None for any other shape."""
    left, right = node.left, node.right
    if not (type(left) is ast.Field and len(left.chain) >= 2 and type(right) is ast.Field and len(right.chain) == 1):
        return None
    parent = ".".join(str(part) for part in left.chain[:-1])
    return HogCompileError(
        "Hyphens are not supported in identifiers and are interpreted as subtraction. "
        f"Use bracket notation: {parent}['{left.chain[-1]}-{right.chain[0]}']"
    )
