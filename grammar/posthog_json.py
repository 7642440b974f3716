"""Our AST in the JSON shape of PostHog's `hogql_parser.parse_program_json`, for parity tests
and differential fuzzing against PostHog's parser.

`to_posthog_json(node)` renders a node the way PostHog names things (`keyVar`/`valueVar`,
catches as `[var, type, block]` triples, non-finite floats as strings with `value_type`).
`comparable(json)` then erases what PostHog's JSON itself leaves out or spells inconsistently
(positions, null-valued fields, default flags), so that two ASTs compare with `==`.
"""

from __future__ import annotations

import math
from dataclasses import fields
from typing import Any

from grammar import ast

# Our field name -> PostHog's JSON key, where they differ.
_RENAMED = {
    (ast.ForInStatement, "key_var"): "keyVar",
    (ast.ForInStatement, "value_var"): "valueVar",
}
# Flags PostHog omits from its JSON when they are false.
_DEFAULT_FALSE = frozenset({"distinct", "is_null_comparison_style", "nullish"})
_POSITION_KEYS = frozenset({"start", "end"})


def to_posthog_json(node: Any) -> Any:
    """`node` (an AST node, a list of them, or a plain value) as PostHog's JSON would have it."""
    if isinstance(node, ast.CatchClause):
        return [node.var, node.type, to_posthog_json(node.body)]
    if isinstance(node, ast.Constant):
        return _constant(node.value)
    if isinstance(node, ast.Node):
        out: dict[str, Any] = {"node": type(node).__name__}
        for f in fields(node):
            if f.name in ("line", "column"):
                continue
            key = _RENAMED.get((type(node), f.name), f.name)
            out[key] = to_posthog_json(getattr(node, f.name))
        return out
    if isinstance(node, (list, tuple)):
        return [to_posthog_json(item) for item in node]
    return node


def _constant(value: Any) -> dict[str, Any]:
    if isinstance(value, float) and not math.isfinite(value):
        text = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return {"node": "Constant", "value": text, "value_type": "number"}
    return {"node": "Constant", "value": value}


def comparable(tree: Any) -> Any:
    """`tree` (PostHog JSON or `to_posthog_json` output) without positions, null fields and
    false default flags."""
    if isinstance(tree, dict):
        return {
            key: comparable(value)
            for key, value in tree.items()
            if key not in _POSITION_KEYS
            and value is not None
            and not (key in _DEFAULT_FALSE and value is False)
        }
    if isinstance(tree, list):
        return [comparable(item) for item in tree]
    return tree
