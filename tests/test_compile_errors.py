"""Every compile-time rejection: the error class, PostHog's message, and the 1-based position of the
offending node, through both front ends (our Lark parser and PostHog's C++ parser)."""

from __future__ import annotations

import pytest

from grammar import ast
from hogvm import HogCompileError, compile_hog, compile_program
from hogvm.compiler import MAX_NESTING
from tests.compiler_support import FRONT_ENDS, compile_source, parse

GLOBALS = 'Variable "{}" not declared in this scope. Can not assign to globals.'
REDECLARED = "Variable `{}` already declared in this scope"

# (source, message, line, column): the position is the start of the node PostHog blames.
REJECTIONS = [
    pytest.param("let e := 1\nevent.x := 1", GLOBALS.format("event"), 2, 1, id="assign-to-global-property"),
    pytest.param("x := 1", GLOBALS.format("x"), 1, 1, id="assign-to-undeclared"),
    pytest.param("1 := 2", "Can not assign to this type of expression", 1, 1, id="assign-to-constant"),
    pytest.param("let a := [1]\nprint(a[0])", "Array access starts from 1", 2, 7, id="index-zero"),
    pytest.param("fn f() {\n  return [1][0]\n}", "Array access starts from 1", 2, 10, id="index-zero-in-function"),
    # PostHog tests `value == 0` on an int, and `false == 0` in Python: kept for identical behaviour.
    pytest.param("print(a[false])", "Array access starts from 1", 1, 7, id="index-false"),
    pytest.param("try {\n} catch {\n} finally {\n}", "finally blocks are not yet supported", 1, 1, id="finally"),
    pytest.param("try {\n  print(1)\n}", "try statement must have at least one catch block", 1, 1, id="try-without-catch"),
    pytest.param("let a := 1\n  let a := 2", REDECLARED.format("a"), 2, 3, id="redeclared-local"),
    pytest.param("fn f(a, a) {\n}", REDECLARED.format("a"), 1, 1, id="duplicate-parameter"),
    pytest.param("let g := (a, a) -> a", REDECLARED.format("a"), 1, 10, id="duplicate-lambda-parameter"),
    pytest.param("for (let x, x in [1]) {\n}", REDECLARED.format("x"), 1, 1, id="duplicate-loop-variables"),
    pytest.param("fn f() {}\nfn f() {}", REDECLARED.format("f"), 2, 1, id="redeclared-function"),
    pytest.param(
        "let x := 1\nprint(x in cohort 5)",
        "Can't use cohorts in real-time filters. Please inline the relevant expressions (cohort id=5).",
        2, 7, id="in-cohort-id",
    ),
    pytest.param(
        "print(x not in cohort 'vips')",
        "Can't use cohorts in real-time filters. Please inline the relevant expressions (cohort: vips).",
        1, 7, id="not-in-cohort-name",
    ),
    pytest.param("print({x})", "Placeholders are not allowed in this context", 1, 7, id="placeholder"),
    pytest.param(
        "let a := [1, 2]\nreturn a[1:2]",
        "Array slices (`x[start:end]`) have no HogVM bytecode; use substring() for strings or a loop for arrays",
        2, 8, id="array-slice",
    ),
    pytest.param(
        "return case 1 when 1 then 2 else 3 end",
        "`case <expr> when ... end` is not supported by HogVM (it needs `transform`); "
        "write `case when <expr> = ... then ... end` instead",
        1, 8, id="case-with-expression",
    ),
    pytest.param("return if(1, 2, 3, 4)", "if() takes 2 or 3 arguments, got 4", 1, 8, id="if-with-four-arguments"),
    pytest.param(
        "return x::Int",
        "Type casts (`x::type`, `cast(x as type)`) have no HogVM bytecode; "
        "use toInt(), toFloat(), toString() or toDateTime() instead",
        1, 8, id="type-cast",
    ),
]


@pytest.mark.parametrize("front_end", FRONT_ENDS)
@pytest.mark.parametrize(("source", "message", "line", "column"), REJECTIONS)
def test_rejection(source: str, message: str, line: int, column: int, front_end: str) -> None:
    with pytest.raises(HogCompileError) as caught:
        compile_source(source, front_end)
    err = caught.value
    assert type(err) is HogCompileError
    assert (err.message, err.line, err.column) == (message, line, column)


def test_compile_hog_attaches_the_source_for_a_caret_snippet() -> None:
    with pytest.raises(HogCompileError) as caught:
        compile_hog("let a := [1]\nprint(a[0])")
    assert caught.value.source == "let a := [1]\nprint(a[0])"
    assert str(caught.value) == (
        "Array access starts from 1 (line 2, column 7)\n"
        "  print(a[0])\n"
        "        ^"
    )


def test_sql_call_is_rejected_clearly() -> None:
    # Our parser already refuses SQL; an AST that still carries `sql(...)` is refused here.
    program = ast.Program([ast.ReturnStatement(ast.Call("sql", [ast.Constant(1)]), line=1, column=1)])
    with pytest.raises(HogCompileError, match=r"sql\(\) builds HogQL query ASTs") as caught:
        compile_program(program)
    assert (caught.value.line, caught.value.column) == (1, 1)


def test_unknown_comparison_operator() -> None:
    expr = ast.CompareOperation(ast.Constant(1), "global in", ast.Constant(2), line=3, column=4)
    with pytest.raises(HogCompileError, match="Unsupported comparison operator `global in`") as caught:
        compile_program(ast.Program([ast.ExprStatement(expr)]))
    assert (caught.value.line, caught.value.column) == (3, 4)


def test_unsupported_constant_type() -> None:
    program = ast.Program([ast.ReturnStatement(ast.Constant(b"bytes", line=1, column=8))])
    with pytest.raises(HogCompileError, match="Constant type `bytes` is not supported"):
        compile_program(program)


def test_nesting_too_deep_is_a_compile_error_not_a_recursion_error() -> None:
    expr: ast.Expr = ast.Constant(1)
    for _ in range(MAX_NESTING + 10):
        expr = ast.Not(expr)
    with pytest.raises(HogCompileError, match="Nesting too deep"):
        compile_program(ast.Program([ast.ReturnStatement(expr)]))


def test_deeply_nested_lambdas_are_a_compile_error_not_a_recursion_error() -> None:
    expr: ast.Expr = ast.Constant(1)
    for _ in range(MAX_NESTING):
        expr = ast.Lambda([], expr)
    with pytest.raises(HogCompileError, match="Nesting too deep"):
        compile_program(ast.Program([ast.ReturnStatement(expr)]))


def test_nesting_just_under_the_limit_compiles() -> None:
    expr: ast.Expr = ast.Constant(True)
    for _ in range(MAX_NESTING - 5):
        expr = ast.Not(expr)
    bytecode = compile_program(ast.Program([ast.ReturnStatement(expr)]))
    assert bytecode.count(5) == MAX_NESTING - 5  # one NOT per level


@pytest.mark.parametrize(("source", "message", "line", "column"), [
    ("return properties.$ai-model", "properties['$ai-model']", 1, 8),
    ("let x := 1\nreturn [x, event.properties.gpt-x]", "event.properties['gpt-x']", 2, 12),
])
@pytest.mark.parametrize("front_end", FRONT_ENDS)
def test_hyphen_touching_a_property_chain_is_rejected(
    source: str, message: str, line: int, column: int, front_end: str
) -> None:
    # PostHog's compile_hog rejects `a.b-c`: it is `a.b - c`, almost never what was meant.
    with pytest.raises(HogCompileError) as caught:
        compile_program(parse(source, front_end), source=source)
    assert caught.value.message == (
        "Hyphens are not supported in identifiers and are interpreted as subtraction. "
        f"Use bracket notation: {message}"
    )
    assert (caught.value.line, caught.value.column, caught.value.source) == (line, column, source)


@pytest.mark.parametrize("source", [
    "return properties.a - b", "return properties.a -b", "return properties.a- b", "return a-b", "return a.b-c.d",
])
@pytest.mark.parametrize("front_end", FRONT_ENDS)
def test_subtraction_with_spaces_or_plain_names_compiles(source: str, front_end: str) -> None:
    assert compile_program(parse(source, front_end), source=source)[-2] == 7  # MINUS, then RETURN


def test_hyphen_check_only_needs_the_source() -> None:
    program = compile_source("return properties.$ai-model", "posthog")  # no source given: no check
    assert program[-2] == 7


def test_touching_minus_positions_are_line_and_column_after_the_minus() -> None:
    from hogvm.source_checks import touching_minus_positions

    assert touching_minus_positions("a-b\n x - y\n\n  p.q-r s-`t`") == {(1, 3), (4, 7), (4, 11)}
    assert touching_minus_positions("a - b -1") == frozenset()
