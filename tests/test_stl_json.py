"""JSON builtins (hogvm/stl/jsonfns.py)."""

from __future__ import annotations

import re

import pytest

from hogvm.errors import HogVMException, HogVMMemoryExceededException
from hogvm.values import Callable, Closure
from tests.stl_call import Call, FakeContext, call_native

DOC = '{"a": {"b": [10, 20, {"c": true}], "s": "x"}, "n": 1.5, "i": "42", "f": false, "z": null}'


def call(name: str, *args: object) -> object:
    return call_native(Call(name, *args))


def test_json_parse() -> None:
    assert call("jsonParse", DOC) == {"a": {"b": [10, 20, {"c": True}], "s": "x"}, "n": 1.5, "i": "42",
                                      "f": False, "z": None}
    assert call("jsonParse", "[1, 2.0]") == [1, 2.0]
    assert call("jsonParse", '"\\u00e9"') == "é"
    nan = call("jsonParse", "NaN")  # Python's json module accepts NaN and Infinity
    assert nan != nan


@pytest.mark.parametrize(("text", "message"), [
    ('{"a": }', "jsonParse: invalid JSON at line 1 column 7: Expecting value"),
    ("", "jsonParse: invalid JSON at line 1 column 1: Expecting value"),
    ('{"a": 1}\n}', "jsonParse: invalid JSON at line 2 column 1: Extra data"),
    ("[" * 100_000 + "]" * 100_000, "jsonParse: the JSON is nested too deeply"),
    ("1" * 5000, "jsonParse: invalid JSON"),
])
def test_json_parse_errors_say_where_and_why(text: str, message: str) -> None:
    with pytest.raises(HogVMException, match=re.escape(message)):
        call("jsonParse", text)


def test_json_parse_refuses_non_strings_and_charges_memory() -> None:
    with pytest.raises(HogVMException, match="jsonParse: expected a JSON string to be a string, got null"):
        call("jsonParse", None)
    with pytest.raises(HogVMMemoryExceededException):
        call_native(Call("jsonParse", "[" + "0," * 200_000 + "0]"), FakeContext(memory_limit=1_000_000))
    # text-heavy JSON costs about its length: 900 KB of it fits a 1 MB limit
    parsed = call_native(Call("jsonParse", '{"text": "' + "x" * 900_000 + '"}'), FakeContext(memory_limit=1_000_000))
    assert len(parsed["text"]) == 900_000


@pytest.mark.parametrize(("args", "text"), [
    (({"a": [1, 2.0, None, True], "b": "é"},), '{"a": [1, 2.0, null, true], "b": "\\u00e9"}'),
    (({"a": [1, {}]}, 2), '{\n  "a": [\n    1,\n    {}\n  ]\n}'),
    (({"a": 1}, 0), '{"a": 1}'),
    (({"a": 1}, -2), '{"a": 1}'),
    (({"a": 1}, "2"), '{"a": 1}'),
    (({"a": 1}, True), '{\n "a": 1\n}'),  # true is the integer 1 to Python
    (((1, "t"),), '[1, "t"]'),
    (({"f": Closure(Callable("local", "add", 2))},), '{"f": "fn<add(2)>"}'),
    ((None,), "null"),
    (("s",), '"s"'),
])
def test_json_stringify(args: tuple, text: str) -> None:
    assert call("jsonStringify", *args) == text


def test_json_stringify_cycles_and_indent_memory() -> None:
    looped: dict = {"a": 1}
    looped["me"] = looped
    assert call("jsonStringify", looped) == '{"a": 1, "me": null}'
    deep: list = []
    current = deep
    for _ in range(2000):
        current.append([])
        current = current[0]
    with pytest.raises(HogVMMemoryExceededException):  # indentation grows quadratically
        call_native(Call("jsonStringify", deep, 1000), FakeContext(memory_limit=1_000_000))


def test_json_stringify_charges_its_indent_first() -> None:
    # A container is indented: the indent string is charged before anything is built (an indent of
    # 10**9 used to allocate its gigabyte outside the memory limit).
    for indent in (25_363_881_984, 10**9):
        with pytest.raises(HogVMMemoryExceededException):
            call_native(Call("jsonStringify", [1], indent), FakeContext(memory_limit=1_000_000))
    assert call_native(Call("jsonStringify", [1], 1000), FakeContext(memory_limit=1_000_000)) == \
        "[\n" + " " * 1000 + "1\n]"


def test_json_stringify_of_a_scalar_ignores_a_huge_indent() -> None:
    # Nothing to indent: PostHog's Python VM answers 'null' for an indent it can allocate (64 MiB and
    # one); here the answer is the same whatever the indent (where PostHog would run out of memory
    # building 25 GB of spaces, this is the better answer).
    for value, text in ((None, "null"), ([], "[]"), ({}, "{}"), ("a", '"a"')):
        for indent in (67_108_865, 25_363_881_984):
            assert call_native(Call("jsonStringify", value, indent), FakeContext(memory_limit=1_000_000)) == text


def test_is_valid_json() -> None:
    assert call("isValidJSON", DOC) is True
    assert call("isValidJSON", "{") is False
    assert call("isValidJSON", "") is False
    assert call("isValidJSON", "[" * 100_000) is False
    with pytest.raises(HogVMException, match="isValidJSON: expected argument to be a string, got integer"):
        call("isValidJSON", 1)


@pytest.mark.parametrize(("path", "expected"), [
    ((), True),
    (("a",), True),
    (("a", "b", 1), True),
    (("a", "b", 3, "c"), True),
    (("a", "b", -1), True),
    (("a", "b", 4), False),
    (("a", "b", -4), False),
    (("a", "b", 0), False),
    (("a", "missing"), False),
    (("a", "s", "x"), False),
    (("z",), True),
    (("a", "b", "1"), False),
])
def test_json_has(path: tuple, expected: bool) -> None:
    assert call("JSONHas", DOC, *path) is expected
    assert call("JSONHas", call("jsonParse", DOC), *path) is expected


def test_json_has_on_invalid_json() -> None:
    assert call("JSONHas", "{nope", "a") is False


@pytest.mark.parametrize(("args", "expected"), [
    ((DOC,), 5),
    ((DOC, "a"), 2),
    ((DOC, "a", "b"), 3),
    ((DOC, "n"), 0),
    ((DOC, "missing"), 0),
    (("not json",), 0),
    (("[1, 2]",), 2),
    ((7,), 0),
])
def test_json_length(args: tuple, expected: int) -> None:
    assert call("JSONLength", *args) == expected


@pytest.mark.parametrize(("name", "args", "expected"), [
    ("JSONExtractBool", (DOC, "a", "b", 3, "c"), True),
    ("JSONExtractBool", (DOC, "f"), False),
    ("JSONExtractBool", (DOC, "n"), False),
    ("JSONExtractBool", ("true",), True),
    ("JSONExtractBool", ("{bad",), False),
    ("JSONExtract", (DOC, "a", "b", "Array(Int64)"), [10, 20, {"c": True}]),
    ("JSONExtract", (DOC, "String"), {"a": {"b": [10, 20, {"c": True}], "s": "x"}, "n": 1.5, "i": "42",
                                      "f": False, "z": None}),
    ("JSONExtract", ("{bad", "a", "String"), None),
    ("JSONExtractArrayRaw", (DOC, "a", "b"), [10, 20, {"c": True}]),
    ("JSONExtractArrayRaw", (DOC, "a"), None),
    ("JSONExtractArrayRaw", ('{"a":[]}', "a"), []),
    ("JSONExtractFloat", (DOC, "n"), 1.5),
    ("JSONExtractFloat", (DOC, "i"), 42.0),
    ("JSONExtractFloat", (DOC, "a", "s"), None),
    ("JSONExtractFloat", (DOC, "a"), None),
    ("JSONExtractFloat", ('{"a":"hello"}', "a"), None),
    ("JSONExtractInt", ('{"a":123.1}', "a"), 123),
    ("JSONExtractInt", (DOC, "i"), 42),
    ("JSONExtractInt", ('{"a":"1.5"}', "a"), None),
    ("JSONExtractInt", ('{"a":"hello"}', "a"), None),
    ("JSONExtractInt", (DOC, "z"), None),
    ("JSONExtractString", ('{"a":123.1}', "a"), "123.1"),
    ("JSONExtractString", ('{"a":"hello"}', "a"), "hello"),
    ("JSONExtractString", (DOC, "f"), "False"),  # Python's str(), as PostHog's Python VM
    ("JSONExtractString", (DOC, "a", "b"), "[10, 20, {'c': True}]"),
    ("JSONExtractString", (DOC, "z"), None),
    ("JSONExtractString", (DOC, "a", "b", -1, "c"), "True"),
    ("JSONExtractString", (DOC, "a", "b", 99), None),
    ("JSONExtractString", ('"abc"', 2), "b"),  # an index into a string is a character, as in Python
])
def test_json_extract(name: str, args: tuple, expected: object) -> None:
    assert call(name, *args) == expected


@pytest.mark.parametrize(("args", "message"), [
    # PostHog's Python VM crashes on these (KeyError, AttributeError, TypeError): a clear error here
    ((DOC, "a", 1), "Can not index an object with 1"),
    ((DOC, "a", "b", "k"), "Can not look up 'k' in a array"),
    ((DOC, "n", 1), "Can not index a float with 1"),
])
def test_a_path_posthog_crashes_on_is_an_error(args: tuple, message: str) -> None:
    for name in ("JSONExtractString", "JSONExtractInt", "JSONExtractArrayRaw", "JSONLength"):
        with pytest.raises(HogVMException, match=message):
            call(name, *args)


def test_json_extract_index_zero_is_an_error() -> None:
    with pytest.raises(HogVMException, match="Hog arrays start from index 1"):
        call("JSONExtractString", DOC, "a", "b", 0)


def test_json_extract_int_of_an_infinity_is_an_error_as_in_posthog() -> None:
    # PostHog's Python VM crashes (OverflowError); here a HogError that says what is wrong.
    for value in (float("inf"), float("-inf")):
        with pytest.raises(HogVMException, match="can not make an integer of"):
            call_native(Call("JSONExtractInt", value), FakeContext())
    assert call_native(Call("JSONExtractFloat", float("inf")), FakeContext()) == float("inf")
