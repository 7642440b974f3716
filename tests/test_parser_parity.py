"""Our parser against PostHog's (`hogql-parser`, its C++ ANTLR parser) as an oracle.

For every corpus program and snippet both parsers accept, the ASTs must be equal node for node
(`grammar.posthog_json` maps our AST onto PostHog's JSON shape), and node positions must agree
wherever PostHog records one. Sources PostHog rejects, we reject too. The few places where we
deliberately differ are listed in tests/test_parser.py (`DELIBERATE_DIVERGENCES`).
"""

from __future__ import annotations

import itertools
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from grammar import ast
from grammar.errors import HogSyntaxError
from grammar.parser import parse_program
from grammar.posthog_json import comparable, to_posthog_json
from tests.oracles.hogql_parser_oracle import parse_program as posthog_parse

pytestmark = pytest.mark.oracle

CORPUS = sorted((Path(__file__).parent / "corpus" / "parse").glob("*.hog"))

# Snippets one construct at a time (the corpus files combine them into programs).
SNIPPETS = [
    # declarations, assignments, statements
    "let x", "let x := 1", "LET Y := TRUE", "let `a b` := 1", 'let "q" := 2', "let $x := 3",
    "x := 1", "a.b.c := 1", "a[1] := 2", "a.1 := 3", "a[1].b := 4", "(a).b := 1", "f() := 3",
    "return", "return 1", "return;", "return(1)", "RETURN null", "throw Error('x')",
    "throw HogError('T', 'm', {})", "if (a) b", "if (a) b else c", "if (a) { b } else if (c) { d } else { e }",
    "if (a) ;", "if (a) b; else c", "if (a) if (b) c else d", "while (a) b", "while (a) ;",
    "while (a) { b }", "for (;;) {}", "for (let i := 0; i < 3; i := i + 1) {}",
    "for (i := 0; i < 1; i := i + 1) x", "for (f(); ; g()) x", "for (let i := 0; ; ) ;",
    "for (let x in y) {}", "for (let k, v in y) {}", "for (let x in [1, 2]) print(x)",
    "fn f() {}", "fun f(a) { return a }", "fn f(a, b,) {}", "fn `q`(a) {}",
    "try {} catch {}", "try {} catch (e) {}", "try {} catch (e: RetryError) {}",
    "try {} catch (e: A) {} catch (e: B) {} catch {}", "try {} catch (e) {} finally {}",
    "try {}", "try {} finally {}", "{}", "{ a }", "{ a; b }", "{ let x := 1 }", ";", ";;", "{;}",
    "{'a': 1}", "{a: 1}", "fn f() { {a: 1} }", "let x := {}\n{a}", "{'a' 1}",
    # literals
    "1", "-1", "- 1", "+1", "1.5", "-1.5", "+2.5", ".5", "1.", "1e10", "1E-3", "1.5e+3", ".5e3",
    "017", "0x1F", "0X10", "0x1e5", "0b101", "0x1.8p1", "inf", "INF", "Infinity", "-inf", "nan",
    "NaN", "null", "NULL", "true", "false", "TRUE", "False", "'s'", "''", "'it''s'", "'\\''",
    "'\\\\'", "'\\n\\t\\r'", "'\\0'", "'\\a\\b\\f\\v'", "'\\x41'", "'a\nb'", "`a``b`", '"a""b"',
    '"a\\"b"', "[]", "[1]", "[1, 2,]", "array[1, 2]", "array[]", "(1, 2)", "(1,)", "(1, 2, 3,)",
    "{}", "{'a': 1, 'b': 2,}", "{1: 2}", "{a.b: c}", "tuple(1)",
    # names and members
    "x", "$x", "a.b", "a.b.c", "`a`.b", '"a".b', "a.`b c`", "event.event", "inputs.from",
    "x.date", "x.if", "x.return", "x.and", "x.true", "true.x", "null.x", "day", "day + 1",
    "from", "leading", "distinct", "array", "cohort", "a.1", "a.1.2", "a.1.b", "a.b.1",
    "a[1]", "a['k']", "a[1][2]", "a?.b", "a?.[1]", "a?.1", "a?.b.c", "a.b?.c", "a?.[1][2]",
    "f()?.x", "[1][1]", "{'a': 1}.a", "(a).b", "a[1:2]", "a[1:]", "a[:2]", "a[:]",
    # calls
    "f()", "f(1)", "f(1, 2)", "f(1, 2,)", "f(1)(2)", "f()()", "f(1)(2)(3)", "(f)(1)",
    "(x -> x)(1)", "a.b(1)", "a.b.c(1)", "arr[1](2)", "f(distinct x)", "if(a, b, c)",
    "not(x)", "not (a) = b", "not (1, 2)", "not ()", "not not (1, 2)", "and(a, b)", "or(a, b)", "in(1, [1])", "like(a, b)", "array(1, 2)",
    "trim(leading 'x' from y)", "trim(trailing 'x' from y)", "trim(both 'x' from y)", "trim(y)",
    "cast(x as Int)", "x::Int", "x::String",
    # lambdas
    "x -> x", "x -> x + 1", "(x) -> x", "(a, b) -> a + b", "() -> 1", "() -> {}", "() -> {a}",
    "() -> {'a': 1}", "() -> {'a': 1}.b", "() -> { return 1 }", "() -> { let a := 1 return a }",
    "() -> { {} }", "() -> { {a} }", "() -> { { null; } }", "() -> { { { null; } } }",
    "() -> { {} + 1 }", "() -> { x -> { return 1 } }", "() -> { f(() -> { return 1 }) }",
    "x -> y -> x + y", "a, b -> a", "f(x::Int, y -> y)", "f(a.b, c -> c)", "f(1, b, c -> c)",
    "f(x -> a ? x::Int : x::Int, x -> 1)", "f(a, b -> b)", "f(x -> x, 1)", "lambda x: x + 1",
    "lambda x, y: x * y", "x -> a ? b : c", "x -> a and b",
    # f-strings
    "f'a {b} c'", "f'{x}'", "f''", "f'abc'", "f'\\{x}'", "f'a}b'", "f'it''s {x}'", "f'{'a'}'",
    "f'{f'{x}'}'", "f'a\\nb {x} \\x41'", "f'{a['k']}'", "f'{f(f'{x}')}'", "f'{x}{y}'",
    "f'{ {'a': 1}['a'] }'",
    # operators
    "-x", "-(1)", "- - 1", "-x * y", "-x.y", "5 - 1", "5 -1", "5 - -1", "a ?? b", "a ?? b ?? c",
    "a ?? b == c", "x ?? 0 + 1", "not a = b", "not a ?? b", "not not a", "a or b and c",
    "a and b and c", "(a and b) and c", "a or (b or c)", "1 + 2 || 3", "1 + 2 || 3 || 4",
    "concat(a, b) || c", "a || (b || c)", "a ? b : c", "a ? b : c ? d : e", "a ? b ? c : d : e",
    "a = b = c", "a <> b", "a ~ b", "a =~* b", "a ~* b", "a !~ b", "a !~* b", "a not like b",
    "a NOT ILIKE b", "not a like b", "a in (1, 2)", "a not in b", "'a' in 'abc'",
    "a in cohort 5", "a not in cohort 5", "a is null", "a is not null", "a IS NOT NULL",
    "a is null is null", "a between 1 and 2", "a not between 1 and 2",
    "x between 1 and 2 and 3", "not a between b and c", "a between not b and c",
    "a = b between c and d", "a is null + b", "a + not b = c", "a + not b and c",
    "a between b and c between d and e", "1 + not x", "a between b between c and d and e",
    "a between not b between c and d and e", "a between b ?? c between d and e and f",
    "if (a) let v := a", "if (a)\nlet x := 1", "let x := if(a)", "if (a) (b)",
    # case and interval
    "case when a then b else c end", "case when a then b end", "case when a then 1 when b then 2 end",
    "case when a then 1 when b then 2 else 3 end", "case x when 1 then 2 else 3 end",
    "case x when 1 then 2 when 3 then 4 end", "interval 5 day", "interval 1 week",
    "interval x + 1 hour", "interval 1 second", "interval 2 month", "interval 3 year",
    "interval '5 days'", "interval '1 hour'", "now() - interval 1 day",
    # HogQLX
    "<A/>", "<A />", "<A></A>", "<A b='s'/>", "<A b={1}/>", "<A flag/>", "<A b='s' c={x} d/>",
    "<A>text</A>", "<A>{x}</A>", "<A><B/></A>", "<a>text <b/> more</a>", "<a>{x} and {y}</a>",
    "<a> <b/> </a>", "<my-tag data-x='1'/>", "<A b={1 + 2}>x</A>",
    # placeholders, comments, whitespace, case-insensitive keywords
    "{a}", "let x := {a}", "x -- c", "x // c", "x # c", "x /* c */ + 1", "a--b", "/* a */ x",
    "let\ta\t:=\t1", "let\u00a0a := 1", "\ufefflet a := 1", "If (a) b Else c", "WHILE (a) b",
    "For (Let i In x) b", "TRY {} CATCH {}", "FN F() { RETURN NULL }", "fUn f() {}",
]

SNIPPETS += [  # quotes and escapes next to each other
    "f'a''{x}''b'",
    "f'' + 'x'",
    "f'''x'",
    "f'{x}'''",
    "f'a''' + 1",
    "'a\\\\''b'",
    "'\\''''",
    "''''",
    "'''\\''",
]

SNIPPETS += [  # an assignment statement takes its `;`, so an `else` can follow it
    "if (null) a := null;\nelse {\n}\n", "if (a) b := 1; else c", "if (a) b := 1; else c := 2;",
    "if (a) b.c[1] := 1; else d", "if (a) if (b) c := 1; else d", "if (a) if (b) c := 1; else d; else e",
    "if (a) b := 1; else if (c) d := 2; else e := 3;", "if (a) b; else c", "if (a) return 1; else c",
    "if (a) throw x; else c", "if (a) ; else c", "if (a) while (b) c := 1; else d",
    "if (a) for (let x in y) c := 1; else d", "if (a) for (;;) c := 1; else d", "if (a) x -> 1; else d",
    "while (a) b := 1;", "a := 1;", "a := 1;;", "{ a := 1; b := 2; }", "for (a := 1; a; a := 2) {}",
]

SNIPPETS += [  # digits after `?.` are a tuple index, not the start of a float
    "x?.3.0", "x?.1.2", "x?.0.0", "x?.1.2.3", "x?.1.2.3.4", "x.1.2?.3", "x.1?.2.3", "x?.1?.2",
    "x?.1.2?.3.4", "x?. 1.2", "x?.1. 2", "x ?. 1.5", "x?.1.b", "x?.1.e", "x?.1.if", "x?.1.5.a",
    "x?.1.2e", "f()?.1.2", "x?.[1].2.3", "x?.a.1.2", "x?.1.2(3)", "x?.1.2[0]", "x?.1.2::Int",
    "x?.1.2 + 1.5", "x?.3.0 := 1", "f(x?.1.2, y?.3.4)",
]

SNIPPETS += [  # `{}` and `{a}` after a `;` of a `for` head are a dict or placeholder, not a block
    "for (; {}; ) {}", "for (; ; {}) {}", "for (; a; {}) {}", "for (;{};) {}", "for (; {}; {}) {}",
    "for ({}; {}; {}) {}", "for (; {a}; ) {}", "for (; a; {a}) {}", "for (let i := 0; {}; i := {}) {}",
    "for (; {}.a; ) {}", "for (; {}[1]; ) {}", "for (; {} ?? 1; ) x", "for (; {} ; {}) ;",
    "for (; a; {} ) { {} }", "for (; a; {} ) {}; {}", "for (; (() -> { a; {} })(); ) {}",
]

# Every pair of binary operators, and prefix/postfix operators next to them: precedence and
# associativity must come out exactly as PostHog's.
_OPERATORS = ["*", "/", "%", "+", "-", "||", "=", "==", "!=", "<", "<=", ">", ">=", "like", "ilike",
              "not like", "in", "not in", "=~", "!~*", "??", "and", "or"]
OPERATOR_SNIPPETS = [f"x := a {op1} b {op2} c" for op1, op2 in itertools.product(_OPERATORS, repeat=2)]
for _op in _OPERATORS:
    OPERATOR_SNIPPETS += [
        f"x := -a {_op} b", f"x := a {_op} -b", f"x := not a {_op} b", f"x := a {_op} not b",
        f"x := a {_op} b is null", f"x := a is not null {_op} b", f"x := a {_op} b ? c : d",
        f"x := a ? b : c {_op} d", f"x := a {_op} b between c and d",
        f"x := a between b and c {_op} d", f"x := y -> y {_op} 1", f"x := a {_op} b.c[1]",
        f"x := a {_op} f(b)(c)", f"x := (a {_op} b) {_op} c",
    ]

# PostHog rejects these; so must we.
REJECTED = [
    "let", "let x = 1", "let x : = 1", "a : = 1", "throw", "catch", "a.let", "x.fn", "+x",
    "'\\q'", "'unterminated", "f'unterminated {x}", "/* unterminated", "0o17", "a && b", "!a",
    "@", "a[1:2:3]", "()", "lambda : 1", "F'abc'", "x::Array(Int)", "let f := fn", "fn () {}",
    "fn f(1) {}", "for (let 1 in x) {}", "while {}", "f(a b)", "[1 2]",
    "a ? b", "a ?", "1 +", "(1", "[1", "{'a': 1", "f(", "a.", "<A></B", "try {} catch (",
    "let x := }", "x := := 1", "date '2020-01-01'",
    "timestamp '2020-01-01'", "substring(a from 1 for 2)",
]


REJECTED += [
    '"a\\""b"',
    '`a\\`b`',
    "f'''",
]

REJECTED += [  # neighbours of the `?.` tuple index, `{}` in a `for` head and assignment `;` fixes
    "x?.1e3", "x?.1.2e3", "x?.1.5e2", "x?.1.", "x?.1..2", "x?.1.5.", "x?.0x1.8p1",
    "for (; { let x := 1 }; ) {}", "for (; {a; b}; ) {}", "for (a := 1; a; a := 2;) {}",
]


def _assert_same_ast(source: str) -> None:
    theirs = posthog_parse(source)
    assert not theirs.get("error"), f"PostHog rejects {source!r}: {theirs.get('message')}"
    program = parse_program(source)
    assert comparable(to_posthog_json(program.declarations)) == comparable(theirs["declarations"])
    _assert_same_positions(program.declarations, theirs["declarations"], source)


def _assert_same_positions(ours: Any, theirs: Any, source: str) -> None:
    """Where PostHog records a start position (0-based column), ours must be the same place."""
    if isinstance(ours, ast.CatchClause):
        _assert_same_positions(ours.body, theirs[2], source)
    elif isinstance(ours, ast.Node) and isinstance(theirs, dict):
        start = theirs.get("start")
        if start is not None:
            assert (ours.line, ours.column) == (start["line"], start["column"] + 1), (
                f"{type(ours).__name__} in {source!r}"
            )
        for f in fields(ours):
            key = {"key_var": "keyVar", "value_var": "valueVar"}.get(f.name, f.name)
            if key in theirs and f.name not in ("line", "column"):
                _assert_same_positions(getattr(ours, f.name), theirs[key], source)
    elif isinstance(ours, (list, tuple)) and isinstance(theirs, list):
        for a, b in zip(ours, theirs, strict=False):
            _assert_same_positions(a, b, source)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_corpus_program_matches_posthog(path: Path) -> None:
    _assert_same_ast(path.read_text())


def test_corpus_is_substantial() -> None:
    assert len(CORPUS) >= 30
    assert len(SNIPPETS) + len(OPERATOR_SNIPPETS) >= 300


@pytest.mark.parametrize("source", SNIPPETS)
def test_snippet_matches_posthog(source: str) -> None:
    _assert_same_ast(source)


@pytest.mark.parametrize("source", OPERATOR_SNIPPETS)
def test_operator_precedence_matches_posthog(source: str) -> None:
    _assert_same_ast(source)


def _posthog_rejects(source: str) -> bool:
    try:
        return bool(posthog_parse(source).get("error"))
    except Exception:  # some errors escape hogql-parser's JSON entry point as exceptions
        return True


@pytest.mark.parametrize("source", REJECTED)
def test_source_posthog_rejects_is_rejected(source: str) -> None:
    assert _posthog_rejects(source), f"PostHog accepts {source!r}; move it to SNIPPETS"
    with pytest.raises(HogSyntaxError):
        parse_program(source)


# ---------------------------------------------------------------- differential fuzzing

_ATOMS = st.sampled_from(["a", "b", "x.y", "$p", "1", "2.5", "'s'", "true", "null", "`q`", "f()",
                          "[1]", "{}", "(1, 2)", "f'{a}b'", "arr[1]", "a?.b", "t.1"])
_BINARY = st.sampled_from([*_OPERATORS, "<>", "ilike", "not ilike", "!~", "=~*", "~"])


def _compose(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, _BINARY, children).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        children.map(lambda e: f"not {e}"),
        children.map(lambda e: f"- {e}"),  # not `-{e}`: `--` starts a comment
        children.map(lambda e: f"({e})"),
        children.map(lambda e: f"{e} is null"),
        children.map(lambda e: f"{e} is not null"),
        st.tuples(children, children, children).map(lambda t: f"{t[0]} ? {t[1]} : {t[2]}"),
        st.tuples(children, children, children).map(lambda t: f"{t[0]} between {t[1]} and {t[2]}"),
        st.tuples(children, children).map(lambda t: f"f({t[0]}, {t[1]})"),
        st.tuples(children, children).map(lambda t: f"[{t[0]}, {t[1]}]"),
        st.tuples(children, children).map(lambda t: f"{{'k': {t[0]}, {t[1]}: 1}}"),
        children.map(lambda e: f"x -> {e}"),
        children.map(lambda e: f"f'<{{{e}}}>'"),
        children.map(lambda e: f"({e}).k"),
        children.map(lambda e: f"({e})[1]"),
    )


_EXPRESSIONS = st.recursive(_ATOMS, _compose, max_leaves=8)


@settings(max_examples=40)
@given(_EXPRESSIONS)
def test_random_expressions_match_posthog(source: str) -> None:
    program = f"let r := {source}"
    if _posthog_rejects(program):
        with pytest.raises(HogSyntaxError):
            parse_program(program)
        return
    # Where ANTLR's error recovery splits the text into several statements (`a between b ? c : d`
    # becomes `a; between; if(b, c, d)`), PostHog's reading is an accident, not a spec.
    assume(len(posthog_parse(program)["declarations"]) == 1)
    _assert_same_ast(program)


_SIMPLE_STATEMENTS = st.one_of(
    _EXPRESSIONS.map(lambda e: f"v := {e}"), _EXPRESSIONS.map(lambda e: f"return {e}"),
    _EXPRESSIONS.map(lambda e: f"print({e})"), _EXPRESSIONS.map(lambda e: f"throw Error({e})"),
    # `return;`, not a bare `return`: PostHog reads `if (a) return else b` as returning a Field
    # named `else` (see tests/test_parser.py, known structural differences).
    _EXPRESSIONS.map(lambda e: f"v.k[1] := {e}"), st.just("return;"), st.just(";"),
)


def _nest(body: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    declaration = st.one_of(body, _EXPRESSIONS.map(lambda e: f"let v := {e}"))
    return st.one_of(
        st.tuples(_EXPRESSIONS, body).map(lambda t: f"if ({t[0]}) {t[1]}"),
        st.tuples(_EXPRESSIONS, body, body).map(lambda t: f"if ({t[0]}) {t[1]} else {t[2]}"),
        st.tuples(_EXPRESSIONS, body).map(lambda t: f"while ({t[0]}) {t[1]}"),
        st.tuples(_EXPRESSIONS, body).map(lambda t: f"for (let k, i in {t[0]}) {t[1]}"),
        st.tuples(_EXPRESSIONS, body).map(lambda t: f"for (let i := 0; i < {t[0]}; i := i + 1) {t[1]}"),
        st.lists(declaration, max_size=3).map(lambda xs: "{ " + "\n".join(xs) + " }"),
        st.tuples(body, body).map(lambda t: f"try {{ {t[0]} }} catch (e: Error) {{ {t[1]} }}"),
        body.map(lambda b: f"fn g(a, b) {{ {b} }}"),
    )


_PROGRAMS = st.recursive(_SIMPLE_STATEMENTS, _nest, max_leaves=5)


@settings(max_examples=30)
@given(_PROGRAMS)
def test_random_programs_match_posthog(program: str) -> None:
    if _posthog_rejects(program):
        with pytest.raises(HogSyntaxError):
            parse_program(program)
        return
    _assert_same_ast(program)
