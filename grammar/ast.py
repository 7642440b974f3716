"""The Hog abstract syntax tree.

Node and field names follow PostHog's HogQL AST (as `hogql-parser`'s `parse_program_json` emits it),
so that parity with PostHog's parser is a structural comparison. Desugaring happens in the parser
exactly where PostHog's does it: `a ?? b` is `Call('ifNull')`, `c ? a : b` is `Call('if')`,
`a || b` is `Call('concat')`, f-strings are `Call('concat')` (or the bare piece), `-x` is
`ArithmeticOperation(Constant(0), '-', x)`, `x is null` is `CompareOperation(x, '==', Constant(None))`
with `is_null_comparison_style`, `interval 5 day` is `Call('toIntervalDay')`.

Every node carries `line` and `column` (both 1-based) of its first character.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True, kw_only=True)
class Node:
    line: int = 0
    column: int = 0


class Expr(Node):
    __slots__ = ()


class Statement(Node):
    __slots__ = ()


# ---------------------------------------------------------------- expressions


@dataclass(slots=True)
class Constant(Expr):
    """A literal: None, bool, int, float (incl. inf/nan) or str."""

    value: Any


@dataclass(slots=True)
class Field(Expr):
    """A name or a dotted chain of names: `x`, `event.properties.$ai_model`.

    Chain elements are strings, or ints for numeric segments (`a.1` is a TupleAccess instead).
    """

    chain: list[str | int]


@dataclass(slots=True)
class ArithmeticOperation(Expr):
    left: Expr
    op: str  # one of + - * / %
    right: Expr


@dataclass(slots=True)
class CompareOperation(Expr):
    left: Expr
    op: str  # == != < <= > >= like ilike 'not like' 'not ilike' in 'not in' =~ !~ =~* !~* 'in cohort' 'not in cohort'
    right: Expr
    is_null_comparison_style: bool = False  # written as `x is [not] null`


@dataclass(slots=True)
class And(Expr):
    exprs: list[Expr]


@dataclass(slots=True)
class Or(Expr):
    exprs: list[Expr]


@dataclass(slots=True)
class Not(Expr):
    expr: Expr


@dataclass(slots=True)
class BetweenExpr(Expr):
    expr: Expr
    low: Expr
    high: Expr
    negated: bool = False


@dataclass(slots=True)
class Call(Expr):
    """A call by name: `f(a, b)`. `params` holds the first list of a double-paren call `f(p)(a)`."""

    name: str
    args: list[Expr]
    params: list[Expr] | None = None
    distinct: bool = False


@dataclass(slots=True)
class ExprCall(Expr):
    """A call of an arbitrary expression: `(x -> x)(1)`, `obj.fn(1)`, `f(1)(2)`."""

    expr: Expr
    args: list[Expr]


@dataclass(slots=True)
class Lambda(Expr):
    """`x -> e`, `(a, b) -> e`, `() -> { ... }`; `expr` is an Expr or a Block."""

    args: list[str]
    expr: Expr | Block


@dataclass(slots=True)
class Array(Expr):
    exprs: list[Expr]


@dataclass(slots=True)
class Tuple(Expr):
    exprs: list[Expr]


@dataclass(slots=True)
class Dict(Expr):
    items: list[tuple[Expr, Expr]]


@dataclass(slots=True)
class ArrayAccess(Expr):
    """`a[k]`, `a.name` on a non-field base, `a?.[k]`, `a?.name`."""

    array: Expr
    property: Expr
    nullish: bool = False


@dataclass(slots=True)
class TupleAccess(Expr):
    """`a.1`: a numeric member access."""

    tuple: Expr
    index: int
    nullish: bool = False


@dataclass(slots=True)
class ArraySlice(Expr):
    """`a[1:2]`: parsed like PostHog does; the compiler rejects it (no bytecode exists for it)."""

    array: Expr
    start_expr: Expr | None
    end_expr: Expr | None


@dataclass(slots=True)
class TypeCast(Expr):
    """`x::Int`, `cast(x as Int)`: parsed like PostHog does (`type_name` lower-cased); the
    compiler has no bytecode for it."""

    expr: Expr
    type_name: str


@dataclass(slots=True)
class Placeholder(Expr):
    """`{expr}` outside a dict literal: only valid in templates; the compiler rejects it."""

    expr: Expr


@dataclass(slots=True)
class HogQLXAttribute(Node):
    name: str
    value: Any  # an Expr, or a list of Exprs for `children`


@dataclass(slots=True)
class HogQLXTag(Expr):
    """`<Tag a='s' b={expr} flag>children</Tag>`."""

    kind: str
    attributes: list[HogQLXAttribute] = field(default_factory=list)


# ---------------------------------------------------------------- statements


@dataclass(slots=True)
class Block(Statement):
    declarations: list[Statement]


@dataclass(slots=True)
class Program(Node):
    declarations: list[Statement]


@dataclass(slots=True)
class ExprStatement(Statement):
    """`expr` is None only for a lone `;` used as a loop or if body (`while (x) ;`), as PostHog
    emits it; blocks and programs drop empty statements."""

    expr: Expr | None


@dataclass(slots=True)
class VariableDeclaration(Statement):
    name: str
    expr: Expr | None = None


@dataclass(slots=True)
class VariableAssignment(Statement):
    """`left := right`; `left` is a Field, ArrayAccess or TupleAccess."""

    left: Expr
    right: Expr


@dataclass(slots=True)
class IfStatement(Statement):
    expr: Expr
    then: Statement
    else_: Statement | None = None


@dataclass(slots=True)
class WhileStatement(Statement):
    expr: Expr
    body: Statement


@dataclass(slots=True)
class ForStatement(Statement):
    initializer: Statement | Expr | None
    condition: Expr | None
    increment: Statement | Expr | None
    body: Statement


@dataclass(slots=True)
class ForInStatement(Statement):
    key_var: str | None
    value_var: str
    expr: Expr
    body: Statement


@dataclass(slots=True)
class Function(Statement):
    name: str
    params: list[str]
    body: Block


@dataclass(slots=True)
class ReturnStatement(Statement):
    expr: Expr | None = None


@dataclass(slots=True)
class ThrowStatement(Statement):
    expr: Expr


@dataclass(slots=True)
class CatchClause(Node):
    """One `catch (var: Type) { ... }`; `var` and `type` may be None."""

    var: str | None
    type: str | None
    body: Block


@dataclass(slots=True)
class TryCatchStatement(Statement):
    try_stmt: Block
    catches: list[CatchClause]
    finally_stmt: Block | None = None
