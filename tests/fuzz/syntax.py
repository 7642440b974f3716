"""Hypothesis strategies for syntactically well-formed Hog ASTs.

Every tree generated here is one PostHog's parser can produce ("canonical"): `and`/`or` are
flat (no `And` directly inside an `And`), `Field` chains hold strings only, a tuple has at least
one element, `is null` style is set only on a comparison with null, and so on. That makes
"print, then parse" an identity, which is what the parser properties check. The programs need
not make sense at run time; `tests/fuzz/programs.py` generates those.
"""

from __future__ import annotations

import string

from hypothesis import strategies as st

from grammar import ast

# Plain names, names that need backticks, and SQL keywords that are ordinary identifiers in Hog.
PLAIN_NAMES = ["a", "b", "x", "y", "value", "$ai_model", "_tmp", "item2", "event", "properties"]
AWKWARD_NAMES = ["date", "day", "select", "not", "key", "if", "true", "null", "let", "my var", "1st"]

ARITHMETIC_OPS = ["+", "-", "*", "/", "%"]
COMPARE_OPS = ["==", "!=", "<", "<=", ">", ">=", "like", "ilike", "not like", "not ilike", "in",
               "not in", "=~", "!~", "=~*", "!~*"]
CALL_NAMES = ["print", "length", "concat", "upper", "toString", "arrayMap", "f", "jsonStringify",
              "ifNull", "if", "toIntervalDay"]

# Text inside string literals: printable ASCII, escapes, and some non-ASCII. No NUL: PostHog's
# C++ parser drops `\0` (a known limitation of the oracle, not of Hog).
STRING_ALPHABET = st.sampled_from(
    [*list(string.ascii_letters + string.digits + " _-'\"`{}\\%.,:;!?"), "\n", "\t", "\r", "é", "漢", "😀", "\xa0"]
)


def names(awkward: bool = True) -> st.SearchStrategy[str]:
    pool = PLAIN_NAMES + AWKWARD_NAMES if awkward else PLAIN_NAMES
    return st.sampled_from(pool)


def constants() -> st.SearchStrategy[ast.Constant]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.integers(min_value=-5, max_value=100),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(STRING_ALPHABET, max_size=12),
    ).map(ast.Constant)


def fields() -> st.SearchStrategy[ast.Field]:
    return st.lists(names(), min_size=1, max_size=3).map(lambda chain: ast.Field(chain=chain))


def _flat(cls: type, children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    """`And`/`Or` whose direct children are not of the same class (the parser flattens those)."""
    return st.lists(children.filter(lambda e: not isinstance(e, cls)), min_size=2, max_size=4).map(
        lambda exprs: cls(exprs=exprs)
    )


def _reads_as_not_operand(expr: ast.Expr) -> bool:
    """`not (x)` is a call of a function named `not`, so `Not` of anything that prints starting
    with `(` (a tuple, a parenthesised `or`) has no source form."""
    from grammar.printer import NOT, _expr

    return not _expr(expr, NOT).startswith("(")


def _expressions(leaves: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    def extend(sub: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
        some = st.lists(sub, max_size=3)
        return st.one_of(
            st.builds(ast.ArithmeticOperation, left=sub, op=st.sampled_from(ARITHMETIC_OPS), right=sub),
            st.builds(lambda e: ast.ArithmeticOperation(left=ast.Constant(0), op="-", right=e), sub),
            st.builds(ast.CompareOperation, left=sub, op=st.sampled_from(COMPARE_OPS), right=sub),
            st.builds(lambda e, neg: ast.CompareOperation(
                left=e, op="!=" if neg else "==", right=ast.Constant(None), is_null_comparison_style=True),
                sub, st.booleans()),
            _flat(ast.And, sub),
            _flat(ast.Or, sub),
            st.builds(ast.Not, expr=sub.filter(_reads_as_not_operand)),
            st.builds(ast.BetweenExpr, expr=sub, low=sub, high=sub, negated=st.booleans()),
            st.builds(ast.Call, name=st.sampled_from(CALL_NAMES), args=some),
            st.builds(lambda c, a, b: ast.Call(name="if", args=[c, a, b]), sub, sub, sub),
            st.builds(lambda a, b: ast.Call(name="ifNull", args=[a, b]), sub, sub),
            st.builds(ast.Call, name=st.just("f"), args=some, params=st.lists(sub, min_size=1, max_size=2)),
            st.builds(ast.ExprCall, expr=sub, args=some),
            st.builds(ast.Lambda, args=st.lists(names(awkward=False), max_size=3, unique=True), expr=sub),
            st.builds(ast.Array, exprs=some),
            st.builds(ast.Tuple, exprs=st.lists(sub, min_size=1, max_size=3)),
            st.builds(ast.Dict, items=st.lists(st.tuples(sub, sub), max_size=3)),
            st.builds(ast.ArrayAccess, array=sub, property=sub, nullish=st.booleans()),
            st.builds(ast.TupleAccess, tuple=sub, index=st.integers(0, 12), nullish=st.booleans()
                      ),
        )

    return st.recursive(leaves, extend, max_leaves=8)


_EXPRESSIONS = _expressions(st.one_of(constants(), fields()))


def expressions() -> st.SearchStrategy[ast.Expr]:
    return _EXPRESSIONS


def _assignable(expr: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    return st.one_of(
        fields(),
        st.builds(ast.ArrayAccess, array=fields(), property=expr),
        st.builds(ast.TupleAccess, tuple=fields(), index=st.integers(1, 5)),
    )


def statements(max_depth: int = 2) -> st.SearchStrategy[ast.Statement]:
    """Statements nesting blocks at most `max_depth` deep (strategies are built once and cached)."""
    if max_depth not in _STATEMENTS:
        _STATEMENTS[max_depth] = _statements(max_depth)
    return _STATEMENTS[max_depth]


_STATEMENTS: dict[int, st.SearchStrategy[ast.Statement]] = {}


def _statements(max_depth: int) -> st.SearchStrategy[ast.Statement]:
    expr = expressions()
    # `let` is a declaration, not a statement: it cannot be the bare body of `if`/`while`/`for`.
    simple = st.one_of(
        st.builds(ast.ExprStatement, expr=expr),
        st.builds(ast.VariableAssignment, left=_assignable(expr), right=expr),
        st.builds(ast.ReturnStatement, expr=st.none() | expr),
        st.builds(ast.ThrowStatement, expr=expr),
    )
    declaration = st.builds(ast.VariableDeclaration, name=names(), expr=st.none() | expr)
    if max_depth <= 0:
        return st.one_of(simple, declaration)
    inner = statements(max_depth - 1)
    block = st.builds(ast.Block, declarations=st.lists(inner, max_size=3))
    # A non-block body is kept simple: `if (a) if (b) x; else y;` is the dangling-else form the
    # parser can only read one way, so an `if` without braces never nests an `if`.
    body = st.one_of(block, simple)
    for_clause = st.one_of(
        st.none(),
        st.builds(ast.VariableDeclaration, name=names(awkward=False), expr=expr),
        st.builds(ast.VariableAssignment, left=fields(), right=expr),
        expr,
    )
    catch = st.one_of(
        st.builds(ast.CatchClause, var=st.none(), type=st.none(), body=block),
        st.builds(ast.CatchClause, var=names(awkward=False), type=st.none() | st.sampled_from(
            ["Error", "RetryError", "MyError"]), body=block),
    )
    return st.one_of(
        simple,
        declaration,
        block,
        st.builds(ast.IfStatement, expr=expr, then=body, else_=st.none() | body),
        st.builds(ast.WhileStatement, expr=expr, body=body),
        st.builds(ast.ForStatement, initializer=for_clause, condition=st.none() | expr,
                  increment=for_clause, body=body),
        st.builds(ast.ForInStatement, key_var=st.none() | names(awkward=False),
                  value_var=names(awkward=False), expr=expr, body=body),
        st.builds(ast.Function, name=names(), params=st.lists(names(awkward=False), max_size=3, unique=True),
                  body=block),
        st.builds(ast.TryCatchStatement, try_stmt=block, catches=st.lists(catch, min_size=1, max_size=2),
                  finally_stmt=st.none() | block),
        st.builds(lambda args, b: ast.ExprStatement(expr=ast.Lambda(args=args, expr=b)),
                  st.lists(names(awkward=False), max_size=2, unique=True), block),
    )


def programs() -> st.SearchStrategy[ast.Program]:
    return st.lists(statements(), min_size=1, max_size=4).map(lambda ds: ast.Program(declarations=ds))


# ---------------------------------------------------------------- f-strings


@st.composite
def fstrings(draw: st.DrawFn) -> tuple[str, ast.Expr]:
    """An f-string's source and the AST PostHog's parser gives it (`concat(...)` of the pieces,
    adjacent text merged by the lexer, a lone piece returned bare)."""
    from grammar.printer import _template_text, print_expr

    pieces: list[str | ast.Expr] = draw(st.lists(
        st.one_of(st.text(STRING_ALPHABET, min_size=1, max_size=6), st.one_of(constants(), fields())),
        max_size=4,
    ))
    source = "f'"
    args: list[ast.Expr] = []
    previous_was_text = False
    for piece in pieces:
        if isinstance(piece, str):
            source += _template_text(piece)
            if previous_was_text:  # the lexer reads adjacent text as one token
                args[-1] = ast.Constant(args[-1].value + piece)  # type: ignore[attr-defined]
            else:
                args.append(ast.Constant(piece))
        else:
            source += "{" + print_expr(piece) + "}"
            args.append(piece)
        previous_was_text = isinstance(piece, str)
    source += "'"
    if not args:
        return source, ast.Constant("")
    if len(args) == 1:
        return source, args[0]
    return source, ast.Call(name="concat", args=args)
