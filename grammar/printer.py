"""Print a Hog AST back to Hog source.

The output is canonical: `parse_program(print_program(ast))` gives back the same tree (ignoring
positions) for every tree PostHog's parser can produce, and printing is a fixed point after one
round trip. Parentheses are added only where precedence needs them.

Some trees have no source form of their own, and the printer picks the form that parses back to
them: `ArithmeticOperation(Constant(0), '-', x)` is written `-x` (but `-(2)` for a number, since
`-2` is the constant -2); `Call('if', [c, a, b])` is written `c ? a : b`, `Call('ifNull', [a, b])`
is `a ?? b`, and `Call('concat', ...)` is `a || b` unless an argument is itself a `concat` call
(the parser flattens `||` chains, so `concat(concat(a, b), c)` must stay a call).
"""

from __future__ import annotations

import math
import re

from grammar import ast

__all__ = ["print_expr", "print_program", "print_statement"]

INDENT = "    "

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")

# Every keyword of PostHog's lexer. A name that spells one (in any case) is printed in backticks
# where it starts an expression or is declared: `not.1` would negate `.1`, `(select.1)` starts a
# subquery, `if;` an if statement, `true` is a constant.
KEYWORDS = frozenset("""
    all and anti any array as asc ascending asof between both by case cast catch cohort collate
    columns cross cube current date day desc descending distinct else end except exclude extract
    false fill filter final finally first fn following for from full fun group grouping having hour
    id if ignore ilike in include inf infinity inner interpolate intersect interval is join key
    lambda last leading left let like limit local materialized minute month name natural nan not
    null nulls offset on or order outer over partition pivot positional preceding prewhere qualify
    quarter range recursive replace return right rollup row rows sample second select semi sets
    settings step substring then throw ties time timestamp to top totals trailing trim true
    truncate try try_cast unbounded union unpivot using values week when where while window with
    within year yyyy
""".split())  # noqa: SIM905 - a word list reads best as words
# After a dot most keywords are plain names (`properties.date`); these are not (checked against
# hogql-parser).
RESERVED_MEMBER_NAMES = frozenset({
    "catch", "distinct", "except", "false", "finally", "fn", "fun", "inf", "infinity",
    "intersect", "lambda", "let", "materialized", "nan", "null", "throw", "true", "try", "while",
    "within",
})

# Binding strength, tightest first (PostHog's ANTLR `columnExpr` alternative order).
POSTFIX = 100  # literals, names, calls, `a[b]`, `a.1`, array/dict/tuple literals
NEGATE = 90
MULTIPLY = 80
ADD = 70
COMPARE = 60
IS_NULL = 55
NULLISH = 50
NOT = 40
AND = 30
OR = 20
BETWEEN = 15
TERNARY = 10
LAMBDA = 5
ANY = 0  # a context that accepts any expression: a call argument, a statement

_ARITHMETIC_PRECEDENCE = {"*": MULTIPLY, "/": MULTIPLY, "%": MULTIPLY, "+": ADD, "-": ADD}

_STRING_ESCAPES = {
    "\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t",
    "\b": "\\b", "\f": "\\f", "\v": "\\v", "\a": "\\a",
}


def print_program(program: ast.Program) -> str:
    """Hog source for a whole program, one statement per line, ending with a newline."""
    lines: list[str] = []
    for stmt in program.declarations:
        lines.extend(_statement_lines(stmt, 0))
    return "\n".join(lines) + "\n" if lines else ""


def print_statement(stmt: ast.Statement, indent: int = 0) -> str:
    return "\n".join(_statement_lines(stmt, indent))


def print_expr(expr: ast.Expr) -> str:
    return _expr(expr, ANY)


# ---------------------------------------------------------------- names and literals


def print_name(name: str, *, member: bool = False) -> str:
    """An identifier, in backticks when it is not a plain name. `member`: it follows a dot."""
    reserved = RESERVED_MEMBER_NAMES if member else KEYWORDS
    if _IDENTIFIER.match(name) and name.lower() not in reserved:
        return name
    return "`" + "".join(_escape_char(c, "`") for c in name) + "`"


def print_string(value: str) -> str:
    return "'" + "".join(_escape_char(c, "'") for c in value) + "'"


def _escape_char(char: str, quote: str) -> str:
    if char == quote:
        return quote * 2 if quote == "`" else "\\" + quote
    if char == "'" or char == "`":
        return char
    return _STRING_ESCAPES.get(char, char)


def _template_text(text: str) -> str:
    """Literal text inside an f-string: as in a string, plus `{` escaped."""
    return "".join("\\{" if c == "{" else _escape_char(c, "'") for c in text)


def print_constant(value: object) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return print_string(value)
    raise ValueError(f"not a Hog constant: {value!r}")


def _is_number(expr: ast.Expr) -> bool:
    return isinstance(expr, ast.Constant) and type(expr.value) in (int, float)


def _is_negative_literal(expr: ast.Expr) -> bool:
    return _is_number(expr) and print_constant(expr.value).startswith("-")  # type: ignore[attr-defined]


def _is_negation(expr: ast.Expr) -> bool:
    return (isinstance(expr, ast.ArithmeticOperation) and expr.op == "-"
            and isinstance(expr.left, ast.Constant) and type(expr.left.value) is int
            and expr.left.value == 0)


# ---------------------------------------------------------------- expressions


def _precedence(expr: ast.Expr) -> int:
    if isinstance(expr, ast.Constant):
        return NEGATE if _is_negative_literal(expr) else POSTFIX
    if isinstance(expr, ast.ArithmeticOperation):
        return NEGATE if _is_negation(expr) else _ARITHMETIC_PRECEDENCE[expr.op]
    if isinstance(expr, ast.CompareOperation):
        return IS_NULL if _is_null_test(expr) else COMPARE
    if isinstance(expr, ast.Not):
        return NOT
    if isinstance(expr, ast.And):
        return AND
    if isinstance(expr, ast.Or):
        return OR
    if isinstance(expr, ast.BetweenExpr):
        return BETWEEN
    if isinstance(expr, ast.Lambda):
        return LAMBDA
    if isinstance(expr, ast.Call) and expr.params is None:
        if _is_ternary(expr):
            return TERNARY
        if _is_nullish(expr):
            return NULLISH
        if _is_concat_chain(expr):
            return ADD
    return POSTFIX


def _is_null_test(expr: ast.CompareOperation) -> bool:
    return (expr.is_null_comparison_style and expr.op in ("==", "!=")
            and isinstance(expr.right, ast.Constant) and expr.right.value is None)


def _is_ternary(expr: ast.Call) -> bool:
    return expr.name == "if" and len(expr.args) == 3 and not expr.distinct


def _is_nullish(expr: ast.Call) -> bool:
    return expr.name == "ifNull" and len(expr.args) == 2 and not expr.distinct


def _is_concat_chain(expr: ast.Call) -> bool:
    return (expr.name == "concat" and len(expr.args) >= 2 and not expr.distinct
            and not any(isinstance(a, ast.Call) and a.name == "concat" for a in expr.args))


def _expr(expr: ast.Expr, context: int) -> str:
    """`expr` as source, parenthesised if it binds looser than `context` requires."""
    text = _bare_expr(expr)
    return f"({text})" if _precedence(expr) < context else text


def _args(exprs: list[ast.Expr]) -> str:
    return ", ".join(_expr(e, ANY) for e in exprs)


def _postfix_base(expr: ast.Expr) -> str:
    """The base of `x[...]`, `x.1`, `x(...)`."""
    if _is_number(expr):
        return f"({_bare_expr(expr)})"  # `1.1` would lex as a float, `-1[1]` negates the access
    return _expr(expr, POSTFIX)


def _bare_expr(expr: ast.Expr) -> str:
    if isinstance(expr, ast.Constant):
        return print_constant(expr.value)
    if isinstance(expr, ast.Field):
        return ".".join(print_name(str(part), member=i > 0) for i, part in enumerate(expr.chain))
    if isinstance(expr, ast.ArithmeticOperation):
        if _is_negation(expr):
            right = expr.right
            inner = _expr(right, NEGATE)
            if _is_number(right) or inner.startswith("-"):
                inner = f"({_bare_expr(right)})"
            return f"-{inner}"
        level = _ARITHMETIC_PRECEDENCE[expr.op]
        return f"{_expr(expr.left, level)} {expr.op} {_expr(expr.right, level + 1)}"
    if isinstance(expr, ast.CompareOperation):
        if _is_null_test(expr):
            suffix = "is null" if expr.op == "==" else "is not null"
            return f"{_expr(expr.left, IS_NULL)} {suffix}"
        op = expr.op
        if op in ("in cohort", "not in cohort"):
            return f"{_expr(expr.left, COMPARE + 1)} {op} {_expr(expr.right, POSTFIX)}"
        return f"{_expr(expr.left, COMPARE + 1)} {op} {_expr(expr.right, COMPARE + 1)}"
    if isinstance(expr, ast.Not):
        return f"not {_expr(expr.expr, NOT)}"
    if isinstance(expr, ast.And):
        return " and ".join(_expr(e, AND + 1) for e in expr.exprs)
    if isinstance(expr, ast.Or):
        return " or ".join(_expr(e, OR + 1) for e in expr.exprs)
    if isinstance(expr, ast.BetweenExpr):
        keyword = "not between" if expr.negated else "between"
        return (f"{_expr(expr.expr, ADD)} {keyword} {_expr(expr.low, ADD)} "
                f"and {_expr(expr.high, ADD)}")
    if isinstance(expr, ast.Lambda):
        params = ", ".join(print_name(a) for a in expr.args)
        body = _inline_block(expr.expr) if isinstance(expr.expr, ast.Block) else _expr(expr.expr, ANY)
        return f"({params}) -> {body}"
    if isinstance(expr, ast.Call):
        return _call(expr)
    if isinstance(expr, ast.ExprCall):
        callee = expr.expr
        base = _postfix_base(callee)
        # `f(1)` and `true(1)` would be calls by name, `f(1)(2)` one call with parameters.
        if (_IDENTIFIER.match(base) or (isinstance(callee, ast.Field) and len(callee.chain) == 1)
                or (isinstance(callee, ast.Call) and callee.params is None
                    and _precedence(callee) == POSTFIX)):
            base = f"({base})"
        return f"{base}({_args(expr.args)})"
    if isinstance(expr, ast.Array):
        return f"[{_args(expr.exprs)}]"
    if isinstance(expr, ast.Tuple):
        if len(expr.exprs) == 1:
            return f"({_expr(expr.exprs[0], ANY)},)"
        return f"({_args(expr.exprs)})"
    if isinstance(expr, ast.Dict):
        items = ", ".join(f"{_expr(k, TERNARY + 1)}: {_expr(v, TERNARY + 1)}" for k, v in expr.items)
        return "{" + items + "}"
    if isinstance(expr, ast.ArrayAccess):
        access = "?.[" if expr.nullish else "["
        return f"{_postfix_base(expr.array)}{access}{_expr(expr.property, ANY)}]"
    if isinstance(expr, ast.TupleAccess):
        if expr.index < 0:
            raise ValueError("a tuple access index has no negative source form")
        dot = "?." if expr.nullish else "."
        return f"{_postfix_base(expr.tuple)}{dot}{expr.index}"
    if isinstance(expr, ast.ArraySlice):
        start = _expr(expr.start_expr, ANY) if expr.start_expr is not None else ""
        end = _expr(expr.end_expr, ANY) if expr.end_expr is not None else ""
        return f"{_postfix_base(expr.array)}[{start}:{end}]"
    if isinstance(expr, ast.Placeholder):
        return "{" + _expr(expr.expr, ANY) + "}"
    if isinstance(expr, ast.HogQLXTag):
        return _tag(expr)
    raise ValueError(f"cannot print expression node {type(expr).__name__}")


def _call(expr: ast.Call) -> str:
    if expr.params is None:
        if _is_ternary(expr):
            cond, then, else_ = expr.args
            return (f"{_expr(cond, TERNARY + 1)} ? {_expr(then, TERNARY + 1)} "
                    f": {_expr(else_, TERNARY)}")
        if _is_nullish(expr):
            left, right = expr.args
            return f"{_expr(left, NULLISH)} ?? {_expr(right, NULLISH + 1)}"
        if _is_concat_chain(expr):
            return " || ".join(_expr(a, ADD + 1) for a in expr.args)
    distinct = "distinct " if expr.distinct else ""
    name = print_name(expr.name)
    if expr.params is not None:
        return f"{name}({_args(expr.params)})({distinct}{_args(expr.args)})"
    return f"{name}({distinct}{_args(expr.args)})"


def _tag(expr: ast.HogQLXTag) -> str:
    attributes = []
    children: list[ast.Expr] = []
    for attribute in expr.attributes:
        if attribute.name == "children" and isinstance(attribute.value, list):
            children = attribute.value
            continue
        attributes.append(f" {attribute.name}={{{_expr(attribute.value, ANY)}}}")
    head = f"<{expr.kind}{''.join(attributes)}"
    if not children:
        return head + " />"
    inner = "".join(_tag(c) if isinstance(c, ast.HogQLXTag) else "{" + _expr(c, ANY) + "}"
                    for c in children)
    return f"{head}>{inner}</{expr.kind}>"


# ---------------------------------------------------------------- statements


def _statement_lines(stmt: ast.Statement, depth: int) -> list[str]:
    pad = INDENT * depth
    if isinstance(stmt, ast.ExprStatement):
        return [pad + _expression_statement(stmt.expr) + ";"]
    if isinstance(stmt, ast.VariableDeclaration):
        if stmt.expr is None:
            return [f"{pad}let {print_name(stmt.name)};"]
        return [f"{pad}let {print_name(stmt.name)} := {_expr(stmt.expr, ANY)};"]
    if isinstance(stmt, ast.VariableAssignment):
        return [f"{pad}{_assignment(stmt)};"]
    if isinstance(stmt, ast.ReturnStatement):
        return [f"{pad}return;" if stmt.expr is None else f"{pad}return {_expr(stmt.expr, ANY)};"]
    if isinstance(stmt, ast.ThrowStatement):
        return [f"{pad}throw {_expr(stmt.expr, ANY)};"]
    if isinstance(stmt, ast.Block):
        return _block_lines(stmt, depth, pad)
    if isinstance(stmt, ast.IfStatement):
        return _if_lines(stmt, depth, pad)
    if isinstance(stmt, ast.WhileStatement):
        return _with_body(f"{pad}while ({_expr(stmt.expr, ANY)})", stmt.body, depth)
    if isinstance(stmt, ast.ForStatement):
        init = _for_clause(stmt.initializer)
        cond = _expr(stmt.condition, ANY) if stmt.condition is not None else ""
        step = _for_clause(stmt.increment)
        return _with_body(f"{pad}for ({init}; {cond}; {step})", stmt.body, depth)
    if isinstance(stmt, ast.ForInStatement):
        names = print_name(stmt.value_var)
        if stmt.key_var is not None:
            names = f"{print_name(stmt.key_var)}, {names}"
        return _with_body(f"{pad}for (let {names} in {_expr(stmt.expr, ANY)})", stmt.body, depth)
    if isinstance(stmt, ast.Function):
        params = ", ".join(print_name(p) for p in stmt.params)
        return _with_body(f"{pad}fn {print_name(stmt.name)}({params})", stmt.body, depth)
    if isinstance(stmt, ast.TryCatchStatement):
        return _try_lines(stmt, depth, pad)
    raise ValueError(f"cannot print statement node {type(stmt).__name__}")


def _expression_statement(expr: ast.Expr) -> str:
    text = _expr(expr, ANY)
    # A statement that starts with `{` is a block, not a dict or placeholder.
    return f"({text})" if text.startswith("{") else text


def _assignment(stmt: ast.VariableAssignment) -> str:
    return f"{_expression_statement(stmt.left)} := {_expr(stmt.right, ANY)}"


def _for_clause(clause: ast.Statement | ast.Expr | None) -> str:
    if clause is None:
        return ""
    if isinstance(clause, ast.VariableDeclaration):
        return print_statement(clause).rstrip(";")
    if isinstance(clause, ast.VariableAssignment):
        return _assignment(clause)
    if isinstance(clause, ast.ExprStatement):
        return _expr(clause.expr, ANY)
    return _expr(clause, ANY)


def _block_lines(block: ast.Block, depth: int, pad: str) -> list[str]:
    if not block.declarations:
        return [pad + "{", pad + "}"]
    lines = [pad + "{"]
    for inner in block.declarations:
        lines.extend(_statement_lines(inner, depth + 1))
    lines.append(pad + "}")
    return lines


def _with_body(head: str, body: ast.Statement, depth: int) -> list[str]:
    """`head {` ... `}` for a block body, or the body statement on the head's line."""
    if isinstance(body, ast.Block):
        lines = _block_lines(body, depth, INDENT * depth)
        return [f"{head} {{", *lines[1:]]
    inner = _statement_lines(body, depth + 1)
    return [f"{head} {inner[0].lstrip()}", *inner[1:]]


def _if_lines(stmt: ast.IfStatement, depth: int, pad: str) -> list[str]:
    lines = _with_body(f"{pad}if ({_expr(stmt.expr, ANY)})", stmt.then, depth)
    if stmt.else_ is None:
        return lines
    else_lines = _statement_lines(stmt.else_, depth)
    first = else_lines[0].lstrip()
    if isinstance(stmt.then, ast.Block):
        lines[-1] = f"{lines[-1]} else {first}"
    else:
        lines.append(f"{pad}else {first}")
    return lines + else_lines[1:]


def _try_lines(stmt: ast.TryCatchStatement, depth: int, pad: str) -> list[str]:
    lines = _with_body(f"{pad}try", stmt.try_stmt, depth)
    for clause in stmt.catches:
        head = "catch"
        if clause.var is not None:
            head += f" ({print_name(clause.var)}"
            head += f": {print_name(clause.type)})" if clause.type is not None else ")"
        body = _with_body(head, clause.body, depth)
        lines[-1] = f"{lines[-1]} {body[0]}"
        lines.extend(body[1:])
    if stmt.finally_stmt is not None:
        body = _with_body("finally", stmt.finally_stmt, depth)
        lines[-1] = f"{lines[-1]} {body[0]}"
        lines.extend(body[1:])
    return lines


def _inline_block(block: ast.Block) -> str:
    """A lambda's block body on one line. An empty one is `{ ; }`: `{}` would be a dict."""
    if not block.declarations:
        return "{ ; }"
    inner = " ".join(line.strip() for s in block.declarations for line in _statement_lines(s, 0))
    if inner.startswith("{") and len(block.declarations) == 1:
        inner += " ;"  # `{ {} }` would be a placeholder holding an empty dict
    return "{ " + inner + " }"
