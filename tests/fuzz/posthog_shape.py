"""One comparable shape for our AST and for `hogql-parser`'s JSON AST.

`shape(node)` turns our dataclasses into the JSON layout `parse_program_json` emits
(`{"node": ClassName, field: ...}`), and `normalise_posthog(json)` cleans PostHog's side. Both drop
what is not structure: source positions, and fields that PostHog emits only on some code paths
with their default value (`distinct: false`, `params: null`, `nullish: false`, ...). Constants
become `(type, text)` pairs so that NaN equals NaN and a big integer PostHog sends as a string
equals our Python int.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from grammar import ast

# field -> value that means "absent"; PostHog omits these on desugared nodes
_DEFAULTS: dict[str, Any] = {
    "distinct": False,
    "params": None,
    "filter_expr": None,
    "order_by": None,
    "nullish": False,
    "is_null_comparison_style": False,
    "negated": False,
    "finally_stmt": None,
    "value_type": None,
}
# our field name -> PostHog's JSON key
_RENAMED = {"key_var": "keyVar", "value_var": "valueVar"}


def constant_key(value: Any) -> tuple[str, str]:
    if value is None or isinstance(value, bool):
        return ("literal", repr(value))
    if isinstance(value, int):
        return ("int", str(value))
    if isinstance(value, float):
        if math.isnan(value):
            return ("float", "nan")
        return ("float", repr(value))
    return (type(value).__name__, value)


def shape(node: Any) -> Any:
    """Our AST (dataclasses) as a position-free, PostHog-shaped structure."""
    if isinstance(node, ast.Constant):
        return {"node": "Constant", "value": constant_key(node.value)}
    if isinstance(node, ast.CatchClause):
        return [node.var, node.type, shape(node.body)]
    if isinstance(node, ast.Node):
        out: dict[str, Any] = {"node": type(node).__name__}
        for f in dataclasses.fields(node):
            if f.name in ("line", "column"):
                continue
            value = getattr(node, f.name)
            if f.name in _DEFAULTS and value == _DEFAULTS[f.name]:
                continue
            out[_RENAMED.get(f.name, f.name)] = shape(value)
        return out
    if isinstance(node, (list, tuple)):
        return [shape(x) for x in node]
    return node


def _posthog_constant(node: dict[str, Any]) -> tuple[str, str]:
    value = node.get("value")
    if node.get("value_type") == "number" and isinstance(value, str):
        if value in ("Infinity", "-Infinity", "NaN"):
            return constant_key(float(value.replace("Infinity", "inf")))
        return constant_key(int(value)) if value.lstrip("-").isdigit() else constant_key(float(value))
    return constant_key(value)


def normalise_posthog(node: Any) -> Any:
    """`hogql-parser` JSON without positions and default-valued optional fields."""
    if isinstance(node, dict):
        if node.get("node") == "Constant":
            return {"node": "Constant", "value": _posthog_constant(node)}
        out = {}
        for key, value in node.items():
            if key in ("start", "end"):
                continue
            if key in _DEFAULTS and value == _DEFAULTS[key]:
                continue
            out[key] = normalise_posthog(value)
        return out
    if isinstance(node, list):
        return [normalise_posthog(x) for x in node]
    return node
