"""Compile-time warnings (hogvm/lint.py) and the syntax-error hints for JavaScript habits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hogvm import HogCompileError, HogError, HogSyntaxError, compile_hog
from hogvm.compiler import compile_hog_with_warnings
from hogvm.lint import HogWarning

TAGGER_GLOBALS = ("input", "output", "properties", "event", "tags")
STL_JSON = Path(__file__).resolve().parent / "data" / "reference" / "stl.json"


def warnings(source: str, globals: tuple[str, ...] | None = TAGGER_GLOBALS, **options: object) -> list[tuple]:
    compiled = compile_hog_with_warnings(source, globals=globals, **options)  # type: ignore[arg-type]
    assert compiled.bytecode == compile_hog(source)  # warnings never change the bytecode
    return [(w.code, w.line, w.column, w.message) for w in compiled.warnings]


@pytest.mark.parametrize(("source", "expected"), [
    # PostHog's editor warning for `=` as a statement, word for word
    ("let x := 0\nx = 1", [("assignment", 2, 1, "You must use ':=' for assignment instead of '='.")]),
    ("let x := 0\nx == 1", [("assignment", 2, 1,
                              "The result of this comparison is not used; to assign, write `name := value`")]),
    ("break", [("javascript", 1, 1,
                "Hog has no `break`: end the loop through its condition, or `return` from a function")]),
    ("for (let i := 0; i < 3; i := i + 1) {\n  if (i == 1) { continue }\n}",
     [("javascript", 2, 17, "Hog has no `continue`: put the rest of the loop body inside an `if`")]),
    ("const x = 1", [("javascript", 1, 1, "`const` is not a Hog keyword: declare variables with `let name := value`"),
                     ("assignment", 1, 7, "You must use ':=' for assignment instead of '='."),
                     ("unknown-global", 1, 7, "Unknown global variable: x")]),
    ("return x == undefined", [("unknown-global", 1, 8, "Unknown global variable: x"),
                               ("javascript", 1, 13, "Hog has no `undefined`: use `null`")]),
    ('print("hello")', [("double-quotes", 1, 7,
                         "\"hello\" is a name, not a string: Hog quotes names with double quotes. "
                         "For a string, write 'hello'")]),
    ("return lenght(input)", [("unknown-function", 1, 8, "Hog function `lenght` is not implemented; "
                                                         "did you mean `length`?")]),
    ("return fooBar(1)", [("unknown-function", 1, 8, "Hog function `fooBar` is not implemented")]),
    ("return length(input, output)", [("arguments", 1, 8, "Function `length` takes 1 argument, got 2")]),
    ("return substring(input)", [("arguments", 1, 8, "Function `substring` takes 2 to 3 arguments, got 1")]),
    ("return concat()", [("arguments", 1, 8, "Function `concat` takes at least 1 argument, got 0")]),
    ("return arrayMap(x -> x)", [("arguments", 1, 8, "Function `arrayMap` takes 2 arguments, got 1")]),
    ("return inptu", [("unknown-global", 1, 8, "Unknown global variable: inptu; did you mean `input`?")]),
])
def test_classic_mistakes(source: str, expected: list[tuple]) -> None:
    assert warnings(source) == expected


@pytest.mark.parametrize("source", [
    "let x := 1\nx := 2\nreturn x = 2",  # `=` inside an expression is equality, fine
    "fn f(a) { return a }\nreturn f(1, 2)",  # a local function: arity is not a builtin's
    "let print2 := print\nprint2('a')",  # a builtin as a value
    "return event.properties.$ai_model ?? input",
    "let \"quoted name\" := 1\nreturn `quoted name`",  # a double-quoted local is a name, on purpose
    "return if(input = 'a', 1, 2)",
    "print(tags, properties, output)",
])
def test_correct_code_has_no_warnings(source: str) -> None:
    assert warnings(source) == []


# Calls the compiler lowers to jumps when their argument count fits (`if(c, a)` is fine): their
# arity is the compiler's, not the native builtin's.
INLINED = {"if", "multiIf", "ifNull", "not", "and", "or"}


def test_every_builtin_arity_comes_from_posthogs_contract() -> None:
    # Too few, too many and just enough arguments for every builtin of tests/data/reference/stl.json.
    contract = json.loads(STL_JSON.read_text())["functions"]
    assert len(contract) > 100
    for name, spec in contract.items():
        if name in INLINED:
            continue
        low, high = spec["minArgs"], spec["maxArgs"]
        if low > 0:
            args = ", ".join(["1"] * (low - 1))
            found = warnings(f"return {name}({args})", globals=None)
            assert found and found[0][0] == "arguments", name
        if high is not None:
            args = ", ".join(["1"] * (high + 1))
            found = warnings(f"return {name}({args})", globals=None)
            assert found and found[0][0] == "arguments", name
        if high is None or low <= high:
            found = warnings(f"return {name}({', '.join(['1'] * low)})", globals=None)
            assert found == [], name


def test_unknown_globals_are_checked_only_when_the_globals_are_known() -> None:
    assert warnings("return foo", globals=None) == []
    assert warnings("return foo", globals=("foo",)) == []
    assert warnings("return foo", globals=()) == [("unknown-global", 1, 8, "Unknown global variable: foo")]


def test_host_functions_are_known() -> None:
    assert warnings("return fetchScore(input, 1, 2)", functions=("fetchScore",)) == []


def test_warnings_carry_positions_and_print_as_one_line() -> None:
    compiled = compile_hog_with_warnings("let a := 1\n  a = 2", globals=TAGGER_GLOBALS)
    assert compiled.warnings == [
        HogWarning("assignment", "You must use ':=' for assignment instead of '='.", 2, 3)
    ]
    assert str(compiled.warnings[0]) == "line 2, column 3: You must use ':=' for assignment instead of '='."


def test_strict_makes_the_first_warning_an_error() -> None:
    with pytest.raises(HogCompileError) as caught:
        compile_hog_with_warnings("let a := 1\nbreak\nreturn lenght(a)", globals=TAGGER_GLOBALS, strict=True)
    assert (caught.value.line, caught.value.column) == (2, 1)
    assert "Hog has no `break`" in caught.value.message
    assert len(caught.value.warnings) == 2
    assert compile_hog_with_warnings("return 1", strict=True).warnings == []


def test_a_compile_error_keeps_the_warnings_found_before_it() -> None:
    # `var y := 2` reads a global `var`, then assigns to an undeclared `y`: the warning explains it.
    with pytest.raises(HogCompileError) as caught:
        compile_hog_with_warnings("var y := 2", globals=TAGGER_GLOBALS)
    assert caught.value.message.startswith('Variable "y" not declared')
    assert [w.code for w in caught.value.warnings] == ["javascript"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("source", "hint"), [
    ("let i := 1\nreturn i === 1", "(Hog has no '===': compare with '==')"),
    ("let i := 1\nreturn i !== 1", "(Hog has no '!==': compare with '!=')"),
    ("let i := 1\ni += 1", "(Hog has no '+=': write `x := x + value`)"),
    ("let i := 1\ni *= 2", "(Hog has no '*=': write `x := x * value`)"),
    ("let count = 0", "(Hog assigns with ':=': let count := ...)"),
    ("return arrayMap(x => x * 2, [1])", "(Hog's lambdas use '->': x -> x * 2)"),
    ("let i := 1\ni++", "(Hog has no '++': write `i := i + 1`)"),
])
def test_javascript_syntax_gets_a_hint(source: str, hint: str) -> None:
    with pytest.raises(HogSyntaxError) as caught:
        compile_hog(source)
    assert caught.value.message.endswith(hint)


def test_no_hint_where_the_habit_does_not_apply() -> None:
    with pytest.raises(HogError) as caught:
        compile_hog("let i := 1\nreturn i == = 1")  # '= =' with a space is not '==='
    assert "Hog has no" not in caught.value.message
