"""Every way source can be bad yields a `HogSyntaxError` at the right place, with a message that
names what was found and what was expected; never another exception, a hang or a blow-up."""

from __future__ import annotations

import pytest

from grammar import HogError, HogSyntaxError, parse_program
from grammar.lexer import MAX_NESTING
from grammar.parser import MAX_SOURCE_LENGTH

# (source, line, column, a fragment of the message)
ERRORS = [
    # lexical
    ("let x := 'abc", 1, 10, "Unterminated string literal"),
    ("let x := 'a\\qb'", 1, 10, "Invalid escape sequence '\\q' in string literal"),
    ("let x := '\\x4'", 1, 10, "Invalid escape sequence '\\x'"),
    ("print(\n  f'abc {x}", 2, 3, "Unterminated f-string"),
    ("let x := f'abc {x", 1, 10, "Unterminated f-string"),
    ("f'a \\q'", 1, 5, "Invalid escape sequence '\\q' in f-string"),
    ('let x := "name', 1, 10, "Unterminated quoted identifier"),
    ("let x := `name", 1, 10, "Unterminated quoted identifier"),
    ("let a := 1\n/* never closed", 2, 1, "Unterminated comment"),
    ("let a := 1\nlet b := \x00", 2, 10, "NUL byte"),
    ("let s := 'ok \x00 no'", 1, 14, "NUL byte"),
    ("let s := '\ud800'", 1, 11, "lone surrogate U+D800"),
    ("x := \udfff", 1, 6, "lone surrogate U+DFFF"),
    ("let x := 1 && 2", 1, 12, "Unexpected character '&'"),
    ("if (!a) {}", 1, 5, "Unexpected character '!'"),
    ("a @ b", 1, 3, "Unexpected character '@'"),
    ("x := 1 ^ 2", 1, 8, "Unexpected character '^'"),
    ("let x := 0o17", 1, 10, "'0o' prefix"),
    ("let x := 0b102", 1, 10, "Invalid binary literal"),
    ("x := " + "9" * 5000, 1, 6, "Number literal too long (5000 digits"),
    ("F'text {x}'", 1, 1, "full-text templates"),
    ("let d := date '2024-01-01'", 1, 10, "date '...' literals are not supported"),
    ("<div class=\"x\"/>", 1, 12, "Unexpected character '\"' (U+0022) in a HogQLX tag"),
    ("<div>text", 1, 1, "Unterminated HogQLX tag"),
    # grammar
    ("let x := (1", 1, 12, "Unexpected end of input — expected ')' or ','"),
    ("f(1,", 1, 5, "Unexpected end of input — expected an expression or ')'"),
    ("let := 1", 1, 5, "Unexpected ':=' — expected a name"),
    ("let x = 1", 1, 7, "Unexpected '='"),
    ("let", 1, 4, "Unexpected end of input — expected a name"),
    ("if (x) {", 1, 9, "Unexpected end of input"),
    ("let x := 1)", 1, 11, "Unexpected ')'"),
    ("fn (a) {}", 1, 4, "Unexpected '(' — expected a name"),
    ("x.let", 1, 3, "Unexpected 'let' — expected a name"),
    ("f(a b)", 1, 5, "Unexpected name 'b' — expected ')' or ','"),
    ("[1, 2", 1, 6, "expected ',' or ']'"),
    ("let x := {'a': 1", 1, 17, "expected ',' or '}'"),
    ("let x := {'a': }", 1, 16, "Unexpected '}' — expected an expression"),
    ("print('a' 'b')", 1, 11, "Unexpected string 'b'"),
    ("x := (1 2)", 1, 9, "Unexpected number 2"),
    ("a ? b", 1, 6, "expected ':'"),
    ("try {} catch", 1, 13, "Unexpected end of input"),
    ("while x {}", 1, 7, "Unexpected name 'x' — expected '('"),
    ("for (let x in ) {}", 1, 15, "Unexpected ')' — expected an expression"),
    ("let x := 1 +\n\n", 1, 13, "Unexpected end of input — expected an expression"),
    ("throw", 1, 6, "Unexpected end of input — expected an expression"),
    ("catch (e) {}", 1, 1, "Unexpected 'catch'"),
    ("<A></B>", 1, 6, "Closing tag </B> does not match opening tag <A>"),
    ("interval 'soon'", 1, 10, "Unsupported interval 'soon'"),
    # SQL
    ("select 1", 1, 1, "SQL queries (select ...) are not supported"),
    ("let x := (select event from events)", 1, 11, "SQL queries (select ...) are not supported"),
    ("let x := sql(1)", 1, 10, "SQL queries (sql(...)) are not supported"),
]


@pytest.mark.parametrize(("source", "line", "column", "message"), ERRORS)
def test_error_has_position_and_message(source: str, line: int, column: int, message: str) -> None:
    with pytest.raises(HogSyntaxError) as info:
        parse_program(source)
    error = info.value
    assert (error.line, error.column) == (line, column), error.message
    assert message in error.message
    assert error.source is not None
    assert "^" in str(error)  # the offending line with a caret


def test_str_shows_the_line_with_a_caret_under_the_column() -> None:
    with pytest.raises(HogSyntaxError) as info:
        parse_program("let a := 1\nlet b := (2 +\nlet c := 3")
    text = str(info.value)
    assert "(line 3, column 1)" in text
    assert text.endswith("  let c := 3\n  ^")


@pytest.mark.parametrize("source", [b"let x := 1", None, 42, ["let x := 1"]])
def test_non_str_input_is_a_syntax_error(source: object) -> None:
    with pytest.raises(HogSyntaxError, match="must be a str"):
        parse_program(source)  # type: ignore[arg-type]


def test_source_over_the_size_cap_is_rejected_before_lexing() -> None:
    with pytest.raises(HogSyntaxError, match=r"Source too long \(1048577 characters; at most 1048576\)"):
        parse_program(" " * (MAX_SOURCE_LENGTH + 1))


def test_source_at_the_size_cap_parses() -> None:
    source = "let x := 1\n"
    program = parse_program(source * (MAX_SOURCE_LENGTH // len(source)))
    assert len(program.declarations) == MAX_SOURCE_LENGTH // len(source)


# Deep nesting of every kind: brackets are rejected by the lexer at the first bracket past the
# limit; nesting without brackets (prefix operators, lambdas, long operator chains, else-if
# chains) by the AST depth check. 5,000 levels each.
DEEP = 5000
NESTING = {
    "parentheses": "(" * DEEP + "1" + ")" * DEEP,
    "brackets": "[" * DEEP + "]" * DEEP,
    "blocks": "{" * DEEP + "}" * DEEP,
    "dicts": "let x := " + "{'a': " * DEEP + "1" + "}" * DEEP,
    "calls": "f(" * DEEP + ")" * DEEP,
    "f-strings": "f'{" * DEEP + "x" + "}'" * DEEP,
    "unary minus": "let x := " + "- " * DEEP + "x",
    "not": "let x := " + "not " * DEEP + "x",
    "lambdas": "let f := " + "x -> " * DEEP + "x",
    "additions": "let x := " + " + ".join(["1"] * DEEP),
    "ternaries": "let x := " + "a ? b : " * DEEP + "c",
    "member calls": "let x := f" + "()" * DEEP,
    "index chains": "let x := a" + "[1]" * DEEP,
    "if statements": "if (a) " * DEEP + "b",
    "else-if chains": "if (a) b " + "else if (a) b " * DEEP,
    "while loops": "while (a) " * DEEP + "b",
}


@pytest.mark.parametrize("source", NESTING.values(), ids=NESTING.keys())
def test_deep_nesting_is_a_clear_error(source: str) -> None:
    with pytest.raises(HogSyntaxError, match=rf"Nesting too deep \(more than {MAX_NESTING} levels\)") as info:
        parse_program(source)
    assert info.value.line == 1
    assert info.value.column is not None and info.value.column > 1


def test_nesting_just_under_the_limit_parses() -> None:
    depth = MAX_NESTING - 10
    program = parse_program("let x := " + "[" * depth + "]" * depth)
    node = program.declarations[0].expr
    for _ in range(depth - 1):
        node = node.exprs[0]
    assert node.exprs == []


def test_long_flat_programs_are_not_nesting() -> None:
    # Many statements, a long dotted chain and a long flat `and` are wide, not deep.
    parse_program("let x := 1\n" * 5000)
    parse_program("let x := a" + ".b" * 5000)
    parse_program("let x := " + " and ".join(["a"] * 5000))


def test_syntax_error_is_a_hog_error() -> None:
    assert issubclass(HogSyntaxError, HogError)


# Inputs that once were, or could plausibly be, crashes in a hand-written lexer.
ODD_INPUTS = [
    "", " ", "\n\n", "//", "--", "#", "/**/", "'", "f'", "f'{", "f'{'", "`", '"', "<", "<a", "</a>",
    "<a>", "<a>{", "{", "}", ")", "]", ".", "?.", "->", "::", ":=", "$", "0x", "0b", "1e", "1.e",
    "..", "a..b", "\\", "\t\x0b\x0c", "\u2028", "let x := \u00a0 1", "🙂", "x := '🙂'", "a.🙂",
    "\ufeff", "\ufeff\ufeff", "f'\\", "'\\", "<a b='", "<a b={", "lambda", "lambda x", "case",
    "case when", "interval", "interval 1", "not", "-", "+", "x is", "x is not", "x not",
    "x between", "x between 1", "x between 1 and", "a in cohort", "trim(leading", "cast(x as",
]


@pytest.mark.parametrize("source", ODD_INPUTS)
def test_odd_input_parses_or_raises_a_syntax_error(source: str) -> None:
    try:
        parse_program(source)
    except HogSyntaxError as error:
        assert error.line is not None and error.line >= 1
        assert error.column is not None and error.column >= 1
