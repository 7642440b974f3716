"""The three text forms of values (hogvm/printing.py), checked against PostHog's Python VM outputs."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hogvm.errors import HogVMException, HogVMMemoryExceededException, HogVMRuntimeExceededException
from hogvm.printing import (
    escape_identifier,
    escape_string,
    print_hog_string_output,
    print_hog_value,
    to_json_string,
    to_python_str,
    type_name,
)
from hogvm.values import Callable, Closure
from tests.stl_call import FakeContext


def closure(name: str, argc: int) -> Closure:
    return Closure(Callable("local", name, argc))


def nested(depth: int) -> list:
    root: list = []
    current = root
    for _ in range(depth):
        inner: list = []
        current.append(inner)
        current = inner
    return root


@pytest.mark.parametrize(("value", "text"), [
    (None, "null"),
    (True, "true"),
    (False, "false"),
    (0, "0"),
    (-12, "-12"),
    (1.0, "1.0"),  # the Python VM keeps '.0' (the TS VM prints 1)
    (1.5, "1.5"),
    (1e16, "1e+16"),
    (float("inf"), "inf"),
    (float("nan"), "nan"),
    ("it's", "'it\\'s'"),
    ("a\nb\tc\\d\0\a\b\f\r\v", "'a\\nb\\tc\\\\d\\0\\a\\b\\f\\r\\v'"),
    ("héllo ☃", "'héllo ☃'"),
    ([], "[]"),
    ([1, "a", None], "[1, 'a', null]"),
    ({}, "{}"),
    ({"k": 1, "n": [True]}, "{'k': 1, 'n': [true]}"),
    ({1: "one"}, "{1: 'one'}"),
    ((), "tuple()"),
    ((1,), "tuple(1)"),
    ((1, "b"), "(1, 'b')"),
    ({"__hogDate__": True, "year": 2024, "month": 1, "day": 2}, "Date(2024, 1, 2)"),
    ({"__hogDateTime__": True, "dt": 1704153600, "zone": "UTC"}, "DateTime(1704153600.0, 'UTC')"),
    ({"__hogDateTime__": True, "dt": 1.5, "zone": None}, "DateTime(1.5, 'UTC')"),
    ({"__hogError__": True, "type": "Error", "message": "boom", "payload": None}, "Error('boom')"),
    ({"__hogError__": True, "type": "RetryError", "message": "x", "payload": {"a": 1}},
     "RetryError('x', {'a': 1})"),
    ({"__hogInterval__": True, "value": 5, "unit": "day"}, "{'__hogInterval__': true, 'value': 5, 'unit': 'day'}"),
    # a date tag without its fields is an ordinary dict to PostHog
    ({"__hogDate__": True}, "{'__hogDate__': true}"),
])
def test_print_hog_value(value: object, text: str) -> None:
    assert print_hog_value(value) == text


def test_functions_print_with_name_and_arity() -> None:
    assert print_hog_value(closure("add", 2)) == "fn<add(2)>"
    assert print_hog_value([closure("lambda", 1)]) == "[fn<lambda(1)>]"
    assert print_hog_value(closure("my fn", 0)) == "fn<`my fn`(0)>"
    # PostHog's own dict encoding of a function prints the same way
    posthog_callable = {"__hogCallable__": "local", "name": "f", "argCount": 3, "upvalueCount": 0, "ip": 1}
    assert print_hog_value({"__hogClosure__": True, "callable": posthog_callable, "upvalues": []}) == "fn<f(3)>"


def test_string_output_prints_top_level_strings_raw() -> None:
    assert print_hog_string_output("it's\n") == "it's\n"
    assert print_hog_string_output(["it's"]) == "['it\\'s']"
    assert print_hog_string_output(None) == "null"


def test_escape_identifier() -> None:
    assert escape_identifier("$ai_model") == "$ai_model"
    assert escape_identifier("a b") == "`a b`"
    assert escape_identifier("x`y\n") == "`x``y\\n`"  # a doubled backquote, as PostHog's newest escaper
    assert escape_identifier(3) == "3"
    assert escape_string("") == "''"


def test_cycles_print_null_and_shared_values_print_twice() -> None:
    looped: list = [1]
    looped.append(looped)
    assert print_hog_value(looped) == "[1, null]"
    assert to_json_string(looped) == "[1, null]"
    assert to_python_str(looped) == "[1, [...]]"
    obj: dict = {"a": 1}
    obj["self"] = obj
    assert print_hog_value(obj) == "{'a': 1, 'self': null}"
    shared = [1]
    assert print_hog_value([shared, shared]) == "[[1], [1]]"
    # an error whose payload holds the error itself terminates too
    error = {"__hogError__": True, "type": "Error", "message": "m", "payload": None}
    error["payload"] = [error]
    assert print_hog_value(error) == "Error('m', [null])"


def test_deep_nesting_prints_without_recursion() -> None:
    deep = nested(100_000)
    text = print_hog_value(deep)
    assert text == "[" * 100_001 + "]" * 100_001
    assert to_json_string(deep) == text
    assert to_python_str(deep) == text


def test_exponential_text_hits_the_memory_limit() -> None:
    # 40 levels of [x, x] is 2**40 leaves: the text must be refused, not built.
    value: list = [1]
    for _ in range(40):
        value = [value, value]
    with pytest.raises(HogVMMemoryExceededException):
        print_hog_value(value, FakeContext(memory_limit=1_000_000))
    with pytest.raises(HogVMMemoryExceededException):
        to_json_string(value, 2, FakeContext(memory_limit=1_000_000))
    with pytest.raises(HogVMMemoryExceededException):
        to_python_str(value, FakeContext(memory_limit=1_000_000))


@pytest.mark.parametrize("render", [print_hog_value, to_python_str, lambda v, b: to_json_string(v, None, b)])
def test_one_big_string_many_times_is_refused_piece_by_piece(render: object) -> None:
    # 1000 references to one 1 MB string: cheap as a value, 1 GB as text. Rendering stops at the
    # limit instead of building the 1000 escaped copies first.
    value = ["x" * 1_000_000] * 1000
    with pytest.raises(HogVMMemoryExceededException):
        render(value, FakeContext(memory_limit=10_000_000))  # type: ignore[operator]
    with pytest.raises(HogVMMemoryExceededException):
        render({str(i): value[0] for i in range(1000)}, FakeContext(memory_limit=10_000_000))  # type: ignore[operator]


def test_exponential_text_stops_at_the_time_limit() -> None:
    value: list = [1]
    for _ in range(40):
        value = [value, value]
    ctx = FakeContext()
    ctx.remaining_time = lambda: 0.0  # type: ignore[method-assign]
    with pytest.raises(HogVMRuntimeExceededException):
        print_hog_value(value, ctx)


def test_huge_integers_give_a_clear_error() -> None:
    with pytest.raises(HogVMException, match="4300 digits"):
        print_hog_value(10**5000)


@pytest.mark.parametrize("value", [
    None, True, 0, -3, 1.0, 2.5, float("nan"), float("inf"), -float("inf"), "", "é\u2028\"\\\n",
    [], {}, [1, [2, [3, {}]]], {"a": [1, {"b": None}], "c": "ü", "": []},
    {3: "int key", 2.5: "float key", True: "bool key", None: "null key"},
])
@pytest.mark.parametrize("indent", [None, 1, 4])
def test_json_matches_json_dumps(value: object, indent: int | None) -> None:
    assert to_json_string(value, indent) == json.dumps(value, indent=indent)


def test_json_converts_tuples_functions_and_refuses_tuple_keys() -> None:
    assert to_json_string((1, "a")) == '[1, "a"]'
    assert to_json_string({"f": closure("g", 2)}) == '{"f": "fn<g(2)>"}'
    with pytest.raises(HogVMException, match="object keys"):
        to_json_string({(1, 2): 3})


@pytest.mark.parametrize("value", [
    None, True, 3, 1.25, "it's", 'say "hi"', [1, "a", None, True], (1,), (), (1, 2),
    {"a": 1, 2: [None]}, [(1, {"x": ()})], math.inf,
])
def test_python_str_matches_str(value: object) -> None:
    assert to_python_str(value) == str(value)


def test_python_str_of_a_function_uses_hog_notation() -> None:
    assert to_python_str([closure("f", 1)]) == "[fn<f(1)>]"


@pytest.mark.parametrize(("value", "name"), [
    (None, "null"), (True, "boolean"), (1, "integer"), (1.0, "float"), ("", "string"), ([], "array"),
    ((), "tuple"), ({}, "object"), (closure("f", 0), "function"),
    ({"__hogDate__": True, "year": 1, "month": 1, "day": 1}, "date"),
    ({"__hogDateTime__": True, "dt": 0, "zone": "UTC"}, "datetime"),
    ({"__hogError__": True, "type": "Error", "message": "m"}, "error"),
])
def test_type_name(value: object, name: str) -> None:
    assert type_name(value) == name


# --- properties over random values --------------------------------------------------------------

_ESCAPES = {"\b": "\\b", "\f": "\\f", "\r": "\\r", "\n": "\\n", "\t": "\\t", "\0": "\\0", "\a": "\\a",
            "\v": "\\v", "\\": "\\\\", "'": "\\'"}

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=30,
)
hog_values = st.recursive(
    scalars,
    lambda inner: (st.lists(inner, max_size=4) | st.lists(inner, max_size=3).map(tuple)
                   | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=4)),
    max_leaves=30,
)


def reference_hog(value: object) -> str:
    """Hog notation by plain recursion: an independent statement of the format."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + "".join(_ESCAPES.get(c, c) for c in value) + "'"
    if isinstance(value, list):
        return "[" + ", ".join(reference_hog(v) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(reference_hog(v) for v in value)
        return f"tuple({inner})" if len(value) < 2 else f"({inner})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{reference_hog(k)}: {reference_hog(v)}" for k, v in value.items()) + "}"
    return str(value)


@given(st.text())
def test_escape_string_escapes_exactly_the_clickhouse_characters(text: str) -> None:
    assert escape_string(text) == "'" + "".join(_ESCAPES.get(c, c) for c in text) + "'"


@given(hog_values)
def test_print_hog_value_matches_the_recursive_definition(value: object) -> None:
    assert print_hog_value(value) == reference_hog(value)


@given(json_values, st.sampled_from([None, 1, 3]))
def test_to_json_string_is_json_dumps(value: object, indent: int | None) -> None:
    assert to_json_string(value, indent) == json.dumps(value, indent=indent)


@given(hog_values)
def test_to_python_str_is_str(value: object) -> None:
    assert to_python_str(value) == str(value)
