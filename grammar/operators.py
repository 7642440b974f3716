"""Operator runs -> expression trees, by PostHog's precedence.

The grammar hands over each expression as a flat run of operands and operators (see `op_run`
in hog.lark); `Climber` orders it by precedence climbing, the algorithm ANTLR derives from
PostHog's left-recursive `columnExpr` rule, so that results agree with PostHog's parser even
where a layered grammar would differ (`a is null + b`, `a + not b = c`, `x between 1 and 2 and y`).

Also here: the start positions of parenthesised expressions, which the nodes built on them
(`(a + b) * c`, `(a).b`) take as their own, as PostHog does.
"""

from __future__ import annotations

import threading

from grammar import ast
from grammar.errors import HogSyntaxError
from grammar.lexer import MAX_NESTING, Token

COMPARE_OPS = {
    "EQ": "==", "EQ_DOUBLE": "==", "NOT_EQ": "!=", "LT": "<", "LT_EQ": "<=", "GT": ">",
    "GT_EQ": ">=", "IN": "in", "NOT_IN": "not in", "IN_COHORT": "in cohort",
    "NOT_IN_COHORT": "not in cohort", "LIKE": "like", "ILIKE": "ilike", "NOT_LIKE": "not like",
    "NOT_ILIKE": "not ilike", "REGEX": "=~", "IREGEX": "=~*", "NOT_REGEX": "!~",
    "NOT_IREGEX": "!~*",
}


# Per-parse state of the (shared) callbacks: where parenthesised expressions start. A node keeps
# the position of its own first character, but a node built on it (`(a + b) * c`, `(a).b`)
# starts at the parenthesis, as in PostHog.
_parse_state = threading.local()


def reset_starts() -> None:
    _parse_state.paren_starts = {}


def start_of(node: ast.Node) -> tuple[int, int]:
    """Where the source text of `node` starts, including enclosing parentheses."""
    starts = _parse_state.paren_starts
    if starts:
        entry = starts.get(id(node))
        # The entry holds the node itself: it stays alive, so its id cannot be reused by a new node.
        if entry is not None and entry[0] is node:
            return entry[1], entry[2]
    return node.line, node.column


def mark_start(node: ast.Node, token: Token) -> None:
    """Record that `node`'s text starts at `token` (an opening parenthesis or f-string quote)."""
    _parse_state.paren_starts[id(node)] = (node, token.line, token.column)


class IsNull:
    """`is [not] null` in an operator run."""

    __slots__ = ("negated", "null", "token")

    def __init__(self, token: Token, *, negated: bool, null: Token) -> None:
        self.token, self.negated, self.null = token, negated, null


class Ternary:
    """`? then : else` in an operator run; both branches are complete expressions."""

    __slots__ = ("else_", "then")

    def __init__(self, then: ast.Expr, else_: ast.Expr) -> None:
        self.then, self.else_ = then, else_


class Between:
    """`[not] between low and` in an operator run; the upper bound follows in the run."""

    __slots__ = ("keyword", "low")

    def __init__(self, keyword: Token, low: ast.Expr) -> None:
        self.keyword, self.low = keyword, low


# PostHog's operator precedence (higher binds tighter), as ANTLR derives it from the order of
# the alternatives of HogQLParser.g4's `columnExpr` in hogql-parser 1.3.88 and as its parser
# behaves: a binary operator's right operand is parsed at its level + 1, a prefix operator's
# operand at its own level; any operator may follow a finished left operand.
_PREFIX_NEGATE = 90
_BINARY_PRECEDENCE = {
    "ASTERISK": 80, "SLASH": 80, "PERCENT": 80,
    "PLUS": 70, "DASH": 70, "CONCAT": 70,
    **dict.fromkeys(COMPARE_OPS, 60),
    "NULLISH": 40, "AND": 20, "OR": 10,
}
_IS_NULL = 50
_BETWEEN = 35
_PREFIX_NOT = 30
_TERNARY = 5


class Climber:
    """Precedence climbing over a flat operator run: expression nodes, operator tokens
    (binary, or prefix where an operand is due) and `IsNull`/`Ternary`/`Between` items."""

    __slots__ = ("depth", "i", "run")

    def __init__(self, run: list) -> None:
        self.run = run
        self.i = 0
        self.depth = 0

    def expression(self, min_precedence: int = 0) -> ast.Expr:
        self.depth += 1
        if self.depth > MAX_NESTING:
            at = self.run[self.i]
            raise HogSyntaxError(f"Nesting too deep (more than {MAX_NESTING} levels)",
                                 line=getattr(at, "line", None), column=getattr(at, "column", None))
        run = self.run
        prefixes = []
        item = run[self.i]
        while type(item) is Token:  # prefix operators: `not`, `-`
            prefixes.append(item)
            self.i += 1
            item = run[self.i]
        self.i += 1
        left = item
        for op in reversed(prefixes):
            if op.type == "NOT":
                left = ast.Not(expr=self.operators(left, _PREFIX_NOT), line=op.line, column=op.column)
            else:
                zero = ast.Constant(value=0, line=op.line, column=op.column)
                left = ast.ArithmeticOperation(left=zero, op="-", right=self.operators(left, _PREFIX_NEGATE),
                                               line=op.line, column=op.column)
        left = self.operators(left, min_precedence)
        self.depth -= 1
        return left

    def operators(self, left: ast.Expr, min_precedence: int) -> ast.Expr:
        """Apply the operators that follow `left` while they bind at least `min_precedence`."""
        run = self.run
        n = len(run)
        while self.i < n:
            item = run[self.i]
            kind = type(item)
            if kind is Token:
                precedence = _BINARY_PRECEDENCE[item.type]
                if precedence < min_precedence:
                    break
                self.i += 1
                left = binary(item, left, self.expression(precedence + 1))
            elif kind is IsNull:
                if min_precedence > _IS_NULL:
                    break
                self.i += 1
                null = ast.Constant(value=None, line=item.null.line, column=item.null.column)
                line, column = start_of(left)
                left = ast.CompareOperation(left=left, op="!=" if item.negated else "==", right=null,
                                            is_null_comparison_style=True, line=line, column=column)
            elif kind is Between:
                if min_precedence > _BETWEEN:
                    break
                self.i += 1
                high = self.expression(_BETWEEN + 1)
                line, column = start_of(left)
                left = ast.BetweenExpr(expr=left, low=item.low, high=high,
                                       negated=item.keyword.type == "NOT_BETWEEN", line=line,
                                       column=column)
            else:  # Ternary: right-associative, its branches are already whole expressions
                if min_precedence > _TERNARY:
                    break
                self.i += 1
                line, column = start_of(left)
                left = ast.Call(name="if", args=[left, item.then, item.else_], line=line,
                                column=column)
        return left


def binary(op: Token, left: ast.Expr, right: ast.Expr) -> ast.Expr:
    kind = op.type
    line, column = start_of(left)
    if kind in COMPARE_OPS:
        return ast.CompareOperation(left=left, op=COMPARE_OPS[kind], right=right, line=line,
                                    column=column)
    if kind == "AND" or kind == "OR":
        cls = ast.And if kind == "AND" else ast.Or
        exprs = left.exprs if type(left) is cls else [left]
        exprs = exprs + (right.exprs if type(right) is cls else [right])
        return cls(exprs=exprs, line=line, column=column)
    if kind == "NULLISH":
        return ast.Call(name="ifNull", args=[left, right], line=line, column=column)
    if kind == "CONCAT":  # `a || b || c` is one concat(a, b, c), also across parentheses
        args = left.args if type(left) is ast.Call and left.name == "concat" and left.params is None else [left]
        if type(right) is ast.Call and right.name == "concat" and right.params is None:
            return ast.Call(name="concat", args=[*args, *right.args], line=line, column=column)
        return ast.Call(name="concat", args=[*args, right], line=line, column=column)
    return ast.ArithmeticOperation(left=left, op=op.value, right=right, line=line, column=column)
