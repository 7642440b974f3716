"""Convert PostHog's parser output (`hogql-parser`'s JSON AST) into our `grammar.ast` nodes.

This lets compiler tests compile exactly the AST PostHog's own parser produced, independently of
our Lark parser: a bytecode difference is then the compiler's fault alone.
"""

from __future__ import annotations

import math
from typing import Any

from grammar import ast
from tests.oracles.hogql_parser_oracle import parse_program as posthog_parse_program

_FLOATS = {"Infinity": math.inf, "-Infinity": -math.inf, "NaN": math.nan}


def posthog_program(source: str) -> ast.Program:
    """`source` parsed by PostHog's C++ parser, as our AST. Raises ValueError on a syntax error."""
    tree = posthog_parse_program(source)
    if tree.get("error"):
        raise ValueError(f"hogql-parser rejected the program: {tree.get('message')}")
    return convert(tree)


def convert(node: Any) -> Any:
    if isinstance(node, list):
        return [convert(item) for item in node]
    if not isinstance(node, dict) or "node" not in node:
        return node
    kind = node["node"]
    pos = _position(node)
    c = convert
    match kind:
        case "Constant":
            value = node["value"]
            if node.get("value_type") == "number" and isinstance(value, str):
                value = _FLOATS[value]
            return ast.Constant(value, **pos)
        case "Field":
            return ast.Field(list(node["chain"]), **pos)
        case "ArithmeticOperation":
            return ast.ArithmeticOperation(c(node["left"]), node["op"], c(node["right"]), **pos)
        case "CompareOperation":
            return ast.CompareOperation(c(node["left"]), node["op"], c(node["right"]),
                                        bool(node.get("is_null_comparison_style")), **pos)
        case "And":
            return ast.And(c(node["exprs"]), **pos)
        case "Or":
            return ast.Or(c(node["exprs"]), **pos)
        case "Not":
            return ast.Not(c(node["expr"]), **pos)
        case "BetweenExpr":
            return ast.BetweenExpr(c(node["expr"]), c(node["low"]), c(node["high"]),
                                   bool(node.get("negated")), **pos)
        case "Call":
            params = node.get("params")
            return ast.Call(node["name"], c(node["args"]), None if params is None else c(params),
                            bool(node.get("distinct")), **pos)
        case "ExprCall":
            return ast.ExprCall(c(node["expr"]), c(node["args"]), **pos)
        case "Lambda":
            return ast.Lambda(list(node["args"]), c(node["expr"]), **pos)
        case "Array":
            return ast.Array(c(node["exprs"]), **pos)
        case "Tuple":
            return ast.Tuple(c(node["exprs"]), **pos)
        case "Dict":
            return ast.Dict([(c(k), c(v)) for k, v in node["items"]], **pos)
        case "ArrayAccess":
            return ast.ArrayAccess(c(node["array"]), c(node["property"]), bool(node.get("nullish")), **pos)
        case "TupleAccess":
            return ast.TupleAccess(c(node["tuple"]), node["index"], bool(node.get("nullish")), **pos)
        case "ArraySlice":
            return ast.ArraySlice(c(node["array"]), c(node.get("start_expr")), c(node.get("end_expr")), **pos)
        case "TypeCast":
            return ast.TypeCast(c(node["expr"]), node["type_name"], **pos)
        case "Placeholder":
            return ast.Placeholder(c(node["expr"]), **pos)
        case "HogQLXTag":
            return ast.HogQLXTag(node["kind"], c(node["attributes"]), **pos)
        case "HogQLXAttribute":
            return ast.HogQLXAttribute(node["name"], c(node["value"]), **pos)
        case "Program":
            return ast.Program(c(node["declarations"]), **pos)
        case "Block":
            return ast.Block(c(node["declarations"]), **pos)
        case "ExprStatement":
            return ast.ExprStatement(c(node["expr"]), **pos)
        case "VariableDeclaration":
            return ast.VariableDeclaration(node["name"], c(node.get("expr")), **pos)
        case "VariableAssignment":
            return ast.VariableAssignment(c(node["left"]), c(node["right"]), **pos)
        case "IfStatement":
            return ast.IfStatement(c(node["expr"]), c(node["then"]), c(node.get("else_")), **pos)
        case "WhileStatement":
            return ast.WhileStatement(c(node["expr"]), c(node["body"]), **pos)
        case "ForStatement":
            return ast.ForStatement(c(node.get("initializer")), c(node.get("condition")),
                                    c(node.get("increment")), c(node["body"]), **pos)
        case "ForInStatement":
            return ast.ForInStatement(node.get("keyVar"), node["valueVar"], c(node["expr"]), c(node["body"]), **pos)
        case "Function":
            return ast.Function(node["name"], list(node["params"]), c(node["body"]), **pos)
        case "ReturnStatement":
            return ast.ReturnStatement(c(node.get("expr")), **pos)
        case "ThrowStatement":
            return ast.ThrowStatement(c(node["expr"]), **pos)
        case "TryCatchStatement":
            catches = [ast.CatchClause(var, type_, c(body), **_position(body)) for var, type_, body in node["catches"]]
            return ast.TryCatchStatement(c(node["try_stmt"]), catches, c(node.get("finally_stmt")), **pos)
    raise ValueError(f"no grammar.ast equivalent for PostHog node {kind}")


def _position(node: dict[str, Any]) -> dict[str, int]:
    start = node.get("start")
    if not start:
        return {}
    return {"line": start["line"], "column": start["column"] + 1}
