"""String builtins (hogvm/stl/strings.py): PostHog Python VM results, edge cases, clear errors."""

from __future__ import annotations

import re

import pytest

from hogvm.errors import HogVMException, HogVMMemoryExceededException
from tests.stl_call import Call, FakeContext, call_native


def call(name: str, *args: object, ctx: FakeContext | None = None) -> object:
    return call_native(Call(name, *args), ctx)


@pytest.mark.parametrize(("name", "args", "expected"), [
    ("concat", ("a", 1, None, 1.0, True, [1, "x"]), "a11.0true[1, 'x']"),
    ("concat", (None,), ""),
    ("lower", ("ÀBC",), "àbc"),
    ("lower", (None,), None),
    ("upper", ("straße",), "STRASSE"),
    ("reverse", ("spinner",), "rennips"),
    ("reverse", ([1, 2, 3],), [3, 2, 1]),
    ("length", ("héllo",), 5),
    ("length", ([1, 2],), 2),
    ("length", ({"a": 1},), 1),
    ("length", ((1, 2, 3),), 3),
    ("empty", ("",), True),
    ("empty", (None,), True),
    ("empty", (0,), False),
    ("empty", (0.0,), False),
    ("empty", (False,), False),
    ("empty", ([],), True),
    ("empty", ({},), True),
    ("empty", ((),), True),
    ("empty", ("0",), False),
    ("notEmpty", ([0],), True),
    ("notEmpty", ("",), False),
    ("trim", ("  \thi \n",), "hi"),  # no second argument: all whitespace
    ("trim", ("  hi  ", " "), "hi"),
    ("trim", ("\thi\t", " "), "\thi\t"),
    ("trim", ("xxhixx", "x"), "hi"),
    ("trim", ("xxhixx", "xy"), ""),  # a multi-character argument gives ''
    ("trim", ("  hi  ", None), "hi"),  # a non-string argument means ' '
    ("trimLeft", ("xxhixx", "x"), "hixx"),
    ("trimRight", ("xxhixx", "x"), "xxhi"),
    ("trimRight", ("hi  ",), "hi"),
    ("splitByString", (",", "a,b,,c"), ["a", "b", "", "c"]),
    ("splitByString", (",", "a,b,c", 2), ["a", "b"]),  # ClickHouse: the rest is dropped
    ("splitByString", (",", "a,b,c", 5), ["a", "b", "c"]),
    ("splitByString", (",", "a,b,c", 0), []),
    ("splitByString", (",", "a,b,c", None), ["a", "b", "c"]),
    ("splitByString", ("--", "a--b"), ["a", "b"]),
    ("replaceOne", ("hello world", "l", "L"), "heLlo world"),
    ("replaceAll", ("hello world", "l", "L"), "heLLo worLd"),
    ("replaceAll", ("abc", "", "-"), "-a-b-c-"),
    ("position", ("hello", "l"), 3),
    ("position", ("hello", "z"), 0),
    ("position", ("a1.0b", 1.0), 2),  # the needle goes through Python's str()
    ("position", ("True", True), 1),
    ("position", (None, "x"), 0),
    ("position", ("héllo", "l", 1), 3),
    ("positionCaseInsensitive", ("HeLLo", "ll"), 3),
    ("substring", ("abcdef", 2, 3), "bcd"),
    ("substring", ("abcdef", 2), "bcdef"),
    ("substring", ("abcdef", 0), ""),
    ("substring", ("abcdef", 7), ""),
    ("substring", ("abcdef", 5, 10), "ef"),
    ("substring", ("abcdef", 2, -1), ""),
    ("substring", (None, 1), ""),
    ("substring", ("héllo", 2, 1), "é"),
    ("startsWith", ("hello", "he"), True),
    ("startsWith", ("hello", "lo"), False),
    ("startsWith", (None, "he"), False),
    ("like", ("hello", "h%o"), True),
    ("like", ("hello", "H%"), False),
    ("like", ("hello", "ell"), True),  # unanchored, as both reference VMs
    ("ilike", ("hello", "H_LLO"), True),
    ("notLike", ("hello", "%z%"), True),
    ("notILike", ("hello", "%L%"), False),
    ("match", ("user@example.com", r"^[^@]+@example\.com$"), True),
    ("match", ("abc", "d"), False),
    ("match", (None, "a"), False),
    ("match", ("a", None), False),
    ("extractRegex", ("order-123-x", r"(\d+)"), "123"),
    ("extractRegex", ("order-123-x", r"\d+-"), "123-"),
    ("extractRegex", ("order", r"\d+"), ""),
    ("extractRegex", (None, "a"), ""),
    ("extractRegex", ("abc", "("), ""),  # an invalid pattern gives '' in PostHog's Python VM
    ("extractRegex", (12345, "3(4)"), "4"),
    ("multiSearchAnyCaseInsensitive", ("Hello World", ["xyz", "WORLD"]), 1),
    ("multiSearchAnyCaseInsensitive", ("Hello World", ["xyz"]), 0),
    ("multiSearchAnyCaseInsensitive", ("Hello", "ell"), 0),
    ("multiSearchAnyCaseInsensitive", (None, ["a"]), 0),
    ("multiSearchAnyCaseInsensitive", ("true", [True]), 1),
    ("base64Encode", ("tom & jerry",), "dG9tICYgamVycnk="),
    ("base64Encode", ("☃",), "4piD"),
    ("base64Decode", ("dG9tICYgamVycnk=",), "tom & jerry"),
    ("base64Decode", ("4piD",), "☃"),
    ("tryBase64Decode", ("dG9tICYgamVycnk",), "tom & jerry"),  # padding optional
    ("tryBase64Decode", ("-_8",), "\ufffd\ufffd"),  # URL-safe letters, invalid UTF-8 replaced
    ("tryBase64Decode", (None,), ""),
    ("encodeURLComponent", ("http://www.google.com",), "http%3A%2F%2Fwww.google.com"),
    ("encodeURLComponent", ("tom & jerry",), "tom%20%26%20jerry"),
    ("encodeURLComponent", ("a!*'()~_.-☃",), "a%21%2A%27%28%29~_.-%E2%98%83"),  # Python's quote()
    ("decodeURLComponent", ("tom%20%26%20jerry%E2%98%83",), "tom & jerry☃"),
    ("decodeURLComponent", ("100%",), "100%"),
    ("tryDecodeURLComponent", ("hello%20world",), "hello world"),
    ("tryDecodeURLComponent", ("%E0%A4%A",), None),
    ("tryDecodeURLComponent", ("100%",), None),
    ("tryDecodeURLComponent", ("",), ""),
    ("tryDecodeURLComponent", (None,), None),
])
def test_string_builtin(name: str, args: tuple, expected: object) -> None:
    assert call(name, *args) == expected


@pytest.mark.parametrize(("name", "args", "message"), [
    ("upper", (None,), "upper: expected argument to be a string, got null"),
    ("lower", (1,), "lower: expected argument to be a string, got integer"),
    ("length", (None,), "Can not call length on null"),
    ("length", (12,), "length: expected a string, array, tuple or object, got integer"),
    ("reverse", (None,), "reverse: expected a string or an array, got null"),
    ("trim", (None,), "trim: expected the string to be a string, got null"),
    ("splitByString", ("", "abc"), "splitByString: the separator must not be empty"),
    ("splitByString", (",", None), "splitByString: expected the string to be a string, got null"),
    ("splitByString", (",", "a", "2"), "splitByString: expected the maximum number of parts to be an integer"),
    ("replaceAll", ("abc", "b", 1), "replaceAll: expected the replacement to be a string, got integer"),
    ("substring", ("abc", "1"), "substring: expected the start position to be a number, got string"),
    ("substring", ("abc", 1, None), "substring: expected the length to be a number, got null"),
    ("match", (1, "a"), "Function match requires input to be a string, got integer"),
    ("match", ("a", ["b"]), "Function match requires pattern to be a string, got array"),
    ("match", ("a", "("), "regex"),
    ("like", (None, "a"), "LIKE requires two strings"),
    ("base64Decode", ("abcde",), "base64Decode: invalid base64 input"),
    ("base64Decode", ("//79",), "base64Decode: the decoded bytes are not valid UTF-8 text"),
    ("base64Encode", ("\ud800",), "unpaired surrogate"),
    ("encodeURLComponent", (None,), "encodeURLComponent: expected argument to be a string, got null"),
    ("tryDecodeURLComponent", (12,), "expected argument to be a string, got integer"),
])
def test_string_builtin_errors_are_specific(name: str, args: tuple, message: str) -> None:
    with pytest.raises(HogVMException, match=re.escape(message) if message != "regex" else "(?i)regex|missing"):
        call(name, *args)


def test_generated_values() -> None:
    uuid = call("generateUUIDv4")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", uuid)
    assert call("generateUUIDv4") != uuid
    number = call("randomFloat")
    assert isinstance(number, float) and 0 <= number < 1


@pytest.mark.parametrize("expr", [
    Call("replaceAll", "a" * 1000, "a", "b" * 100_000),
    Call("concat", "x" * 600_000, "y" * 600_000),
    Call("base64Encode", "z" * 1_000_000),
    Call("encodeURLComponent", "☃" * 200_000),
    Call("splitByString", ",", "," * 200_000),
])
def test_output_proportional_builtins_charge_memory_first(expr: Call) -> None:
    with pytest.raises(HogVMMemoryExceededException):
        call_native(expr, FakeContext(memory_limit=1_000_000))
