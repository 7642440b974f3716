"""Unit behaviour of the Hog front end: positions, desugaring, precedence, lexing corners, the
parse-table cache, and the deliberate differences from PostHog's parser."""

from __future__ import annotations

import math
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grammar import ast
from grammar.errors import HogSyntaxError
from grammar.lalr import GRAMMAR_PATH, load_table
from grammar.parser import parse_expression, parse_program

ROOT = Path(__file__).resolve().parent.parent


def field(*chain: str | int) -> ast.Field:
    return ast.Field(chain=list(chain))


def const(value: object) -> ast.Constant:
    return ast.Constant(value=value)


def strip(node: object) -> object:
    """`node` with every position zeroed, so trees compare by structure."""
    if isinstance(node, ast.Node):
        for name in node.__dataclass_fields__:
            value = getattr(node, name)
            if name in ("line", "column"):
                setattr(node, name, 0)
            else:
                strip(value)
    elif isinstance(node, (list, tuple)):
        for item in node:
            strip(item)
    return node


def expr(source: str) -> ast.Expr:
    return strip(parse_expression(source))  # type: ignore[return-value]


# ---------------------------------------------------------------- positions


def test_every_node_has_the_position_of_its_first_character() -> None:
    source = "let total := 0\nfor (let i, v in items) {\n    total := total + v.price * 2\n}\nreturn f'{total} items'"
    program = parse_program(source)
    let, loop, ret = program.declarations
    assert (let.line, let.column) == (1, 1)
    assert (let.expr.line, let.expr.column) == (1, 14)
    assert (loop.line, loop.column) == (2, 1)
    assert (loop.expr.line, loop.expr.column) == (2, 18)
    assign = loop.body.declarations[0]
    assert (loop.body.line, loop.body.column) == (2, 25)
    assert (assign.line, assign.column) == (3, 5)
    plus = assign.right
    assert (plus.line, plus.column) == (3, 14)
    times = plus.right
    assert (times.line, times.column) == (3, 22)  # `v.price * 2` starts at `v`
    assert (times.left.line, times.left.column) == (3, 22)
    assert (ret.line, ret.column) == (5, 1)
    concat = ret.expr
    assert (concat.line, concat.column) == (5, 8)
    assert [(a.line, a.column) for a in concat.args] == [(5, 11), (5, 17)]


def test_a_node_built_on_a_parenthesised_one_starts_at_the_parenthesis() -> None:
    product = parse_expression("(1 + 2) * 3")
    assert (product.line, product.column) == (1, 1)
    assert (product.left.line, product.left.column) == (1, 2)
    access = parse_expression("(a).b")
    assert isinstance(access, ast.ArrayAccess) and (access.column, access.array.column) == (1, 2)


def test_positions_count_unicode_characters_and_tabs_as_one_column() -> None:
    program = parse_program("let s := '🙂🙂'\n\tlet t := 1")
    assert (program.declarations[1].line, program.declarations[1].column) == (2, 2)
    assert parse_program("x := 'é' + y").declarations[0].right.right.column == 12


# ---------------------------------------------------------------- desugaring


def test_nullish_ternary_and_concat_become_calls() -> None:
    assert expr("a ?? b") == ast.Call(name="ifNull", args=[field("a"), field("b")])
    assert expr("c ? a : b") == ast.Call(name="if", args=[field("c"), field("a"), field("b")])
    assert expr("a || b || c") == ast.Call(name="concat", args=[field("a"), field("b"), field("c")])


def test_unary_minus_is_zero_minus_except_on_number_literals() -> None:
    assert expr("-x") == ast.ArithmeticOperation(left=const(0), op="-", right=field("x"))
    assert expr("-1") == const(-1)
    assert expr("- 2.5") == const(-2.5)
    assert expr("-(1)") == ast.ArithmeticOperation(left=const(0), op="-", right=const(1))
    assert expr("- -1") == ast.ArithmeticOperation(left=const(0), op="-", right=const(-1))
    assert expr("+3") == const(3)


def test_is_null_is_an_equality_with_null_in_null_comparison_style() -> None:
    assert expr("x is not null") == ast.CompareOperation(
        left=field("x"), op="!=", right=const(None), is_null_comparison_style=True
    )


def test_fstrings() -> None:
    assert expr("f'a {x} b'") == ast.Call(name="concat", args=[const("a "), field("x"), const(" b")])
    assert expr("f'{x}'") == field("x")  # a single piece is the value itself, not a string
    assert expr("f''") == const("")
    assert expr("f'\\{x} \\n it''s'") == const("{x} \n it's")
    assert expr("f'{a['k']}'") == ast.ArrayAccess(array=field("a"), property=const("k"))
    assert expr("f'{f'{x}!'}'") == ast.Call(name="concat", args=[field("x"), const("!")])


def test_interval_and_case() -> None:
    assert expr("interval 5 day") == ast.Call(name="toIntervalDay", args=[const(5)])
    assert expr("interval '3 hours'") == ast.Call(name="toIntervalHour", args=[const(3)])
    assert expr("case when a then 1 else 2 end") == ast.Call(name="if", args=[field("a"), const(1), const(2)])
    assert expr("case when a then 1 when b then 2 end") == ast.Call(
        name="multiIf", args=[field("a"), const(1), field("b"), const(2), const(None)]
    )


def test_booleans_are_names_that_spell_true_or_false() -> None:
    assert expr("TRUE") == const(True)
    assert expr("False") == const(False)
    assert expr("x.true") == field("x", "true")
    assert expr("`true`") == field("true")  # quoted: a name, not the constant


def test_lambda_body_brace_is_a_dict_a_placeholder_or_a_block() -> None:
    assert expr("() -> {}") == ast.Lambda(args=[], expr=ast.Dict(items=[]))
    assert expr("() -> {'a': 1}") == ast.Lambda(args=[], expr=ast.Dict(items=[(const("a"), const(1))]))
    assert expr("() -> {a}") == ast.Lambda(args=[], expr=ast.Placeholder(expr=field("a")))
    body = expr("(x) -> { let y := x\n return y }").expr
    assert isinstance(body, ast.Block) and len(body.declarations) == 2


def test_statement_level_braces() -> None:
    block, dict_stmt = parse_program("{ a }\n{'k': 1}").declarations
    assert isinstance(block, ast.Block)
    assert isinstance(dict_stmt, ast.ExprStatement) and isinstance(dict_stmt.expr, ast.Dict)


def test_empty_statement_as_a_body_is_kept_and_elsewhere_dropped() -> None:
    loop, = parse_program(";; while (x) ; ;").declarations
    assert isinstance(loop.body, ast.ExprStatement) and loop.body.expr is None
    assert parse_program("{ ; }").declarations[0].declarations == []


def test_try_catch_finally_parse() -> None:
    stmt, = parse_program("try { a() } catch (e: RetryError) { b() } catch { c() } finally { d() }").declarations
    assert [(c.var, c.type) for c in stmt.catches] == [("e", "RetryError"), (None, None)]
    assert stmt.finally_stmt is not None


def test_for_in_key_and_value_names() -> None:
    one, two = parse_program("for (let v in xs) {} for (let k, v in xs) {}").declarations
    assert (one.key_var, one.value_var) == (None, "v")
    assert (two.key_var, two.value_var) == ("k", "v")


def test_double_paren_call_and_member_calls() -> None:
    assert expr("f(1)(2)") == ast.Call(name="f", args=[const(2)], params=[const(1)])
    assert expr("a.b(1)") == ast.ExprCall(expr=field("a", "b"), args=[const(1)])
    assert expr("f(distinct x)") == ast.Call(name="f", args=[field("x")], distinct=True)


def test_tags() -> None:
    tag = expr("<A b='s' c={1} d>t {x}</A>")
    assert tag == ast.HogQLXTag(kind="A", attributes=[
        ast.HogQLXAttribute(name="b", value=const("s")),
        ast.HogQLXAttribute(name="c", value=const(1)),
        ast.HogQLXAttribute(name="d", value=const(True)),
        ast.HogQLXAttribute(name="children", value=[const("t "), field("x")]),
    ])


# ---------------------------------------------------------------- precedence (reference §3, §9)


@pytest.mark.parametrize(("source", "expected"), [
    ("a ?? b == c", ast.Call(name="ifNull", args=[field("a"), ast.CompareOperation(left=field("b"), op="==", right=field("c"))])),
    ("not a = b", ast.Not(expr=ast.CompareOperation(left=field("a"), op="==", right=field("b")))),
    ("a or b and c", ast.Or(exprs=[field("a"), ast.And(exprs=[field("b"), field("c")])])),
    ("-x * y", ast.ArithmeticOperation(left=ast.ArithmeticOperation(left=const(0), op="-", right=field("x")), op="*", right=field("y"))),
    ("1 + 2 || 3", ast.Call(name="concat", args=[ast.ArithmeticOperation(left=const(1), op="+", right=const(2)), const(3)])),
    ("x ?? 0 + 1", ast.Call(name="ifNull", args=[field("x"), ast.ArithmeticOperation(left=const(0), op="+", right=const(1))])),
    ("a is null + b", ast.ArithmeticOperation(left=ast.CompareOperation(left=field("a"), op="==", right=const(None), is_null_comparison_style=True), op="+", right=field("b"))),
    ("x between 1 and 2 and y", ast.And(exprs=[ast.BetweenExpr(expr=field("x"), low=const(1), high=const(2)), field("y")])),
    ("a - b - c", ast.ArithmeticOperation(left=ast.ArithmeticOperation(left=field("a"), op="-", right=field("b")), op="-", right=field("c"))),
    ("a ? b : c ? d : e", ast.Call(name="if", args=[field("a"), field("b"), ast.Call(name="if", args=[field("c"), field("d"), field("e")])])),
    ("x ~* 'a'", ast.CompareOperation(left=field("x"), op="=~*", right=const("a"))),
    ("a <> b", ast.CompareOperation(left=field("a"), op="!=", right=field("b"))),
])
def test_precedence(source: str, expected: ast.Expr) -> None:
    assert expr(source) == expected


# ---------------------------------------------------------------- lexing corners


def test_numbers() -> None:
    assert [expr(s) for s in ("017", "0x1F", "0b101", "1.", ".5", "1e3", "0x1.8p1")] == [
        const(17), const(31), const(5), const(1.0), const(0.5), const(1000.0), const(3.0)
    ]
    assert math.isinf(parse_expression("Infinity").value)
    assert math.isnan(parse_expression("nan").value)
    assert expr("a.1.2") == ast.TupleAccess(tuple=ast.TupleAccess(tuple=field("a"), index=1), index=2)


def test_strings_and_names() -> None:
    assert expr(r"'\x41 \0 \' '' \\'") == const("\\x41  ' ' \\")  # \x kept verbatim, \0 dropped
    assert expr('"my var"') == field("my var")
    assert expr("`a``b`") == field("a`b")
    assert expr("$set.$ai_model") == field("$set", "$ai_model")
    assert expr("event.event") == field("event", "event")


def test_comments() -> None:
    assert len(parse_program("a // x\n-- y\n# z\n/* w\n */ b").declarations) == 2
    assert expr("a--b") == field("a")  # `--` starts a comment


def test_case_insensitive_keywords() -> None:
    program = parse_program("LET x := 1 FN f() { RETURN NULL } IF (x) {} ELSE {} WHILE (FALSE) {}")
    assert [type(d).__name__ for d in program.declarations] == [
        "VariableDeclaration", "Function", "IfStatement", "WhileStatement"
    ]


# ---------------------------------------------------------------- deliberate divergences

# PostHog's parser accepts these; we reject them with a clear message. SQL is not compiled to
# bytecode here; the rest are ANTLR error-recovery accidents or HogQL-only syntax.
DELIBERATE_DIVERGENCES = {
    "select 1": "SQL queries (select ...) are not supported",  # PostHog: `select; 1`
    "(select 1)": "SQL queries (select ...) are not supported",  # PostHog: a SelectQuery node
    "sql(1)": "SQL queries (sql(...)) are not supported",
    "x as y": "Unexpected 'as'",  # PostHog: Alias, which its compiler rejects
    "count(*)": "Unexpected '*'",  # PostHog: Field(['*'])
    "if a {}": "Unexpected name 'a' — expected '('",  # PostHog: `if; a; {}`
    "let in := 1": "Unexpected 'in' — expected a name",
}


@pytest.mark.parametrize(("source", "message"), DELIBERATE_DIVERGENCES.items())
def test_deliberate_divergence_is_a_syntax_error(source: str, message: str) -> None:
    with pytest.raises(HogSyntaxError) as info:
        parse_program(source)
    assert message in info.value.message


def test_known_structural_differences_are_stable() -> None:
    # PostHog keeps `True` as written in `True.x`; we lower-case a boolean-looking chain head.
    assert expr("True.x") == field("true", "x")
    # `return` and `else` are not names here: PostHog parses `return return` as returning a
    # Field 'return', and `if (a) return else b` as `if (a) return else;` then `b`.
    first, second = parse_program("return\nreturn x").declarations
    assert first == ast.ReturnStatement(expr=None, line=1, column=1)
    assert strip(second) == ast.ReturnStatement(expr=field("x"))
    # ... and `() -> { return (a) }` as a placeholder holding a call of a function `return`.
    lam = expr("() -> { return (a) }")
    assert lam == ast.Lambda(args=[], expr=ast.Block(declarations=[ast.ReturnStatement(expr=field("a"))]))
    branch, = parse_program("if (a) return else return").declarations
    assert strip(branch) == ast.IfStatement(expr=field("a"), then=ast.ReturnStatement(), else_=ast.ReturnStatement())


# ---------------------------------------------------------------- machinery


def test_prebuilt_parse_table_matches_the_grammar() -> None:
    # Fails after an edit to hog.lark until `python -m grammar.lalr` regenerates the table.
    assert load_table(GRAMMAR_PATH.read_text()) is not None


def test_import_grammar_does_not_load_lark() -> None:
    code = "import sys, grammar; assert 'lark' not in sys.modules and 'grammar.parser' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_parsing_runs_from_the_stored_table_without_lark() -> None:
    code = "import sys, grammar; grammar.parse_program('let x := f(1) ?? 2'); assert 'lark' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_parse_expression_rejects_statements_and_several_expressions() -> None:
    for source in ("let x := 1", "a b", ""):
        with pytest.raises(HogSyntaxError, match="Expected exactly one expression"):
            parse_expression(source)


def test_concurrent_parses_do_not_interfere() -> None:
    sources = [f"let v{i} := (a{i} + {i}) * f(x)[{i}]" for i in range(40)]
    expected = [strip(parse_program(s)) for s in sources]
    results: dict[int, object] = {}

    def work(i: int) -> None:
        for _ in range(20):
            results[i] = strip(parse_program(sources[i]))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(sources))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [results[i] for i in range(len(sources))] == expected


_VOCABULARY = [
    "let", "x", "y", ":=", "=", "==", "(", ")", "[", "]", "{", "}", ",", ";", ".", "?.", "?", ":",
    "??", "||", "+", "-", "*", "/", "%", "not", "and", "or", "in", "like", "is", "null", "between",
    "fn", "return", "if", "else", "while", "for", "try", "catch", "finally", "throw", "->", "lambda",
    "1", "2.5", "'s'", "f'", "{x}", "'", "`q`", '"d"', "<A", ">", "/>", "</A>", "case", "when",
    "then", "end", "interval", "day", "true", "$a", "::", "--", "/*", "*/", "\n", "#", "\\",
]


@given(st.lists(st.sampled_from(_VOCABULARY), max_size=40))
def test_token_soup_never_crashes(words: list[str]) -> None:
    source = " ".join(words)
    try:
        parse_program(source)
    except HogSyntaxError as error:
        assert "Internal parser error" not in error.message
        assert error.line is not None and error.column is not None


@given(st.text(max_size=60))
def test_arbitrary_text_never_crashes(source: str) -> None:
    try:
        parse_program(source)
    except HogSyntaxError as error:
        assert "Internal parser error" not in error.message
