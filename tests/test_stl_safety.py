"""Part-1 builtins on hostile values, through the whole pipeline (compile_hog + execute_bytecode):
deeply nested and self-containing values, exponential text, huge allocations. Each must give its
answer or a clear HogError, never a Python RecursionError/TypeError or unbounded memory."""

from __future__ import annotations

import pytest

from hogvm import (
    HogError,
    HogVMException,
    HogVMMemoryExceededException,
    HogVMRuntimeExceededException,
    compile_hog,
    execute_bytecode,
)

DEPTH = 5_000  # five times Python's recursion limit
DEEP = f"let a := []; for (let i := 0; i < {DEPTH}; i := i + 1) {{ a := [a] }} "
LOOPED = "let a := [1, 2]; a[2] := a; let d := {'k': 1}; d.self := d; "
EXPONENTIAL = "let a := [1]; for (let i := 0; i < 40; i := i + 1) { a := [a, a] } "


def run(source: str, **options: object) -> list[str]:
    return execute_bytecode(compile_hog(source), **options).stdout


@pytest.mark.parametrize(("expression", "expected"), [
    ("print(a)", "[" * (DEPTH + 1) + "]" * (DEPTH + 1)),
    ("print(jsonStringify(a))", "[" * (DEPTH + 1) + "]" * (DEPTH + 1)),
    ("print(toString(a))", "[" * (DEPTH + 1) + "]" * (DEPTH + 1)),
    ("print(concat('x', a) == concat('x', toString(a)))", "true"),
    ("print(typeof(a), length(a), empty(a))", "array 1 false"),
    ("print(has([a], a), indexOf([1, a], a), equals(a, a))", "true 2 true"),
    ("print(length(arrayStringConcat([a, a], ',')))", str(4 * (DEPTH + 1) + 1)),
    ("print(length(JSONExtractString(a, 1)))", str(2 * DEPTH)),
    ("print(JSONHas(a, 1, 1, 1), JSONLength(a, 1, 1))", "true 1"),
])
def test_deeply_nested_values(expression: str, expected: str) -> None:
    assert run(DEEP + expression, timeout=60) == [expected]


def test_distinct_deep_values_compare_without_recursion() -> None:
    other = "let b := []; for (let i := 0; i < 5000; i := i + 1) { b := [b] } "
    assert run(DEEP + other + "print(equals(a, b), less(b, a), has([1, b], a), length(arraySort([a, b])))") == [
        "true false true 2"
    ]


def test_shared_values_compare_in_polynomial_time() -> None:
    shared = "let c := [2]; for (let i := 0; i < 40; i := i + 1) { c := [c, c] } "
    assert run(EXPONENTIAL + shared + "print(equals(a, c), notEquals(a, c), less(a, c), indexOf([c], a), has([c], a))",
               timeout=10) == ["false true true 0 false"]


@pytest.mark.parametrize(("expression", "message"), [
    ("print(jsonParse(jsonStringify(a)))", "jsonParse: the JSON is nested too deeply"),
])
def test_deeply_nested_values_that_python_cannot_compare_or_parse(expression: str, message: str) -> None:
    with pytest.raises(HogVMException, match=message):
        run(DEEP + expression, timeout=60)


@pytest.mark.parametrize(("expression", "expected"), [
    ("print(a)", "[1, null]"),
    ("print(d)", "{'k': 1, 'self': null}"),
    ("print(jsonStringify(a), jsonStringify(d))", '[1, null] {"k": 1, "self": null}'),
    ("print(toString(a))", "[1, [...]]"),
    ("print(concat(a, d))", "[1, null]{'k': 1, 'self': null}"),
    ("print(JSONLength(d), JSONHas(d, 'self', 'self', 'k'), JSONExtractInt(d, 'self', 'self', 'k'))", "2 true 1"),
])
def test_self_containing_values(expression: str, expected: str) -> None:
    assert run(LOOPED + expression) == [expected]


@pytest.mark.parametrize("expression", [
    "print(a)", "print(jsonStringify(a))", "print(toString(a))", "print(concat(a))",
    "print(arrayStringConcat([a], ''))", "print(jsonStringify(a, 4))",
])
def test_exponential_text_hits_the_memory_limit(expression: str) -> None:
    # 40 doublings share one array: cheap in memory, 2**40 elements as text.
    with pytest.raises(HogVMMemoryExceededException):
        run(EXPONENTIAL + expression, memory_limit=1_000_000, timeout=60)


@pytest.mark.parametrize("expression", ["print(a)", "print(jsonStringify(a))", "print(toString(a))"])
def test_exponential_text_stops_at_the_time_limit(expression: str) -> None:
    # Under the default 64 MiB limit the text would take a minute to build; the timeout stops it.
    with pytest.raises(HogVMRuntimeExceededException):
        run(EXPONENTIAL + expression, timeout=0.5)


def text_of(length_log2: int, char: str = "a") -> str:
    return f"let s := '{char}'; for (let i := 0; i < {length_log2}; i := i + 1) {{ s := concat(s, s) }} "


@pytest.mark.parametrize("source", [
    "let r := range(100000000)",
    text_of(12) + "let r := replaceAll(s, 'a', s)",  # 4096 * 4096 characters
    text_of(17, ",") + "let r := splitByString(',', s)",  # 131073 empty strings
    "let r := arrayStringConcat(range(20000), '------------------------------------------------------------')",
    text_of(18) + "let r := base64Encode(concat(s, s, s))",
    "let r := jsonStringify(range(20000), 100)",
])
def test_output_proportional_builtins_are_refused_before_allocating(source: str) -> None:
    with pytest.raises(HogVMMemoryExceededException):
        run(source, memory_limit=1_000_000, timeout=60)


@pytest.mark.parametrize("expression", [
    "arraySort([1, 'a'])", "greater(1, 'a')", "plus({}, 1)", "floor('x')", "toInt([1])", "upper(1)",
    "length(1)", "jsonParse('{')", "substring('abc', 1.5)",
    "assumeNotNull(null)", "splitByString('', 'abc')", "base64Decode('a')",
])
def test_bad_arguments_are_hog_errors(expression: str) -> None:
    with pytest.raises(HogError) as caught:
        run(f"print({expression})")
    assert type(caught.value) is HogVMException
    name = expression.split("(")[0]
    assert name in str(caught.value) or "null" in str(caught.value)
