"""Conversion and null-handling builtins (hogvm/stl/conversion.py)."""

from __future__ import annotations

import re

import pytest

from hogvm.errors import HogVMException
from hogvm.values import Callable, Closure
from tests.stl_call import Call, call_native

DATE = {"__hogDate__": True, "year": 2024, "month": 3, "day": 5}
DATETIME = {"__hogDateTime__": True, "dt": 1734480000.5, "zone": "UTC"}


def call(name: str, *args: object) -> object:
    return call_native(Call(name, *args))


@pytest.mark.parametrize(("value", "text"), [
    ("text", "text"),
    (None, "null"),
    (True, "true"),
    (False, "false"),
    (12, "12"),
    (1.0, "1.0"),
    # containers: Python's str(), as PostHog's Python VM (the TS VM prints Hog notation)
    ([1, True, None, "a"], "[1, True, None, 'a']"),
    ({"a": 1.5}, "{'a': 1.5}"),
    ((1,), "(1,)"),
    (DATE, "2024-03-05"),
    ({"__hogDate__": True, "year": 999, "month": 1, "day": 2}, "999-01-02"),
    (DATETIME, "2024-12-18T00:00:00.500Z"),
    ({**DATETIME, "zone": "America/New_York"}, "2024-12-17T19:00:00.500-05:00"),
    ({"__hogError__": True, "type": "Error", "message": "boom", "payload": None}, "Error('boom')"),
    (Closure(Callable("local", "f", 2)), "fn<f(2)>"),
])
def test_to_string(value: object, text: str) -> None:
    assert call("toString", value) == text
    assert call("toUUID", value) == text


def test_to_string_of_a_bad_zone_is_a_clear_error() -> None:
    with pytest.raises(HogVMException, match="unknown time zone 'Mars/Base'"):
        call("toString", {**DATETIME, "zone": "Mars/Base"})


@pytest.mark.parametrize(("value", "expected"), [
    ("42", 42), (" 42 ", 42), ("1_000", 1000), ("-7", -7), ("1.5", None), ("abc", None), ("", None),
    ("0x1A", None), (3.99, 3), (-3.99, -3), (True, 1), (float("nan"), None), ("9" * 5000, None),
    (DATETIME, 1734480000), (DATE, 19787), ({"__hogDate__": True, "year": 2023, "month": 2, "day": 30}, None),
])
def test_to_int(value: object, expected: object) -> None:
    assert call("toInt", value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("1.5", 1.5), ("1e3", 1000.0), (" 2 ", 2.0), ("abc", None), (3, 3.0), (False, 0.0),
    (DATETIME, 1734480000.5), (DATE, 19787.0),
])
def test_to_float(value: object, expected: object) -> None:
    assert call("toFloat", value) == expected


def test_to_float_keeps_python_specials() -> None:
    assert call("toFloat", "inf") == float("inf")
    result = call("toFloat", "nan")
    assert result != result


@pytest.mark.parametrize(("name", "value", "message"), [
    ("toInt", None, "toInt: can not convert null to an integer"),
    ("toInt", [1], "toInt: can not convert array to an integer"),
    ("toInt", float("inf"), "toInt: can not convert inf to an integer"),
    ("toFloat", {"a": 1}, "toFloat: can not convert object to a float"),
    ("toFloat", 10**400, "toFloat: the integer is too large"),
])
def test_conversion_errors(name: str, value: object, message: str) -> None:
    with pytest.raises(HogVMException, match=re.escape(message)):
        call(name, value)


@pytest.mark.parametrize(("value", "name"), [
    (None, "null"), (True, "boolean"), (1, "integer"), (1.5, "float"), ("s", "string"), ([1], "array"),
    ((1, 2), "tuple"), ({"a": 1}, "object"), (DATE, "date"), (DATETIME, "datetime"),
    ({"__hogError__": True, "type": "Error", "message": "m", "payload": None}, "error"),
    (Closure(Callable("stl", "upper", 1)), "function"),
])
def test_typeof(value: object, name: str) -> None:
    assert call("typeof", value) == name


def test_null_handling() -> None:
    assert call("tuple") == ()
    assert call("tuple", 1, "a") == (1, "a")
    assert call("isNull", None) is True
    assert call("isNull", 0) is False
    assert call("isNotNull", False) is True
    assert call("ifNull", None, 2) == 2
    assert call("ifNull", 0, 2) == 0
    assert call("coalesce", None, None, "x", "y") == "x"
    assert call("coalesce", None) is None
    assert call("coalesce", None, False) is False
    assert call("assumeNotNull", "ok") == "ok"
    with pytest.raises(HogVMException, match="Value is null in assumeNotNull"):
        call("assumeNotNull", None)
