"""Type conversion and null handling: toString, toInt, toFloat, typeof, tuple, isNull, coalesce...

`toString` of a container is Python's `str()` of it (`[1, True]`), as in PostHog's Python VM;
the TypeScript VM prints Hog notation (`[1, true]`) instead.
"""

from __future__ import annotations

import datetime
from typing import Any

from hogvm.errors import HogVMException
from hogvm.printing import Budget, int_text, print_hog_value, to_python_str, type_name
from hogvm.stl.argcheck import fail
from hogvm.stl.dates import get_zone
from hogvm.stl.registry import StlContext, builtin

_EPOCH = datetime.date(1970, 1, 1)


def _zone(function: str, name: Any) -> datetime.tzinfo:
    # the dates module's zone lookup: case-insensitive like pytz, and no path reaches the disk
    try:
        return get_zone(name)
    except HogVMException:
        fail(function, f"unknown time zone {name!r}")


def datetime_iso(value: dict) -> str:
    """A datetime as ISO 8601 with milliseconds, in its zone; UTC ends in 'Z'."""
    zone = value["zone"]
    try:
        moment = datetime.datetime.fromtimestamp(value["dt"], _zone("toString", zone or "UTC"))
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        fail("toString", f"invalid datetime {value['dt']!r}: {exc}")
    text = moment.isoformat("T", "milliseconds")
    if zone == "UTC":
        return text.replace("+00:00", "") + "Z"
    return text


def _days_since_epoch(function: str, value: dict) -> int | None:
    try:
        return (datetime.date(value["year"], value["month"], value["day"]) - _EPOCH).days
    except ValueError:  # no such day: PostHog's toInt/toFloat answer null
        return None
    except TypeError:
        fail(function, f"invalid date {print_hog_value(value)}")


def to_string(value: Any, budget: Budget | None = None) -> str:
    if type(value) is str:  # the common cases: what to_python_str answers below, without the walk
        return value
    if type(value) is int:
        return int_text(value)
    kind = type_name(value)
    if kind == "datetime":
        return datetime_iso(value)
    if kind == "date":
        try:
            return f"{value['year']}-{value['month']:02d}-{value['day']:02d}"
        except (TypeError, ValueError):
            fail("toString", f"invalid date {print_hog_value(value)}")
    if kind == "error":
        return print_hog_value(value, budget)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    return to_python_str(value, budget)


@builtin("toString", 1, 2)
def to_string_fn(args: list[Any], ctx: StlContext) -> str:
    return to_string(args[0], ctx)


@builtin("toUUID", 1, 1)
def to_uuid(args: list[Any], ctx: StlContext) -> str:
    return to_string(args[0], ctx)


_NUMBER_SOURCES = (str, int, float, bool)


@builtin("toInt", 1, 1)
def to_int(args: list[Any], ctx: StlContext) -> int | None:
    """An integer, or null if the text is not one ('1.5' too). Dates give days, datetimes seconds."""
    value = args[0]
    kind = type_name(value)
    if kind == "datetime":
        value = value["dt"]
    elif kind == "date":
        return _days_since_epoch("toInt", value)
    if type(value) not in _NUMBER_SOURCES:
        fail("toInt", f"can not convert {kind} to an integer")
    try:
        return int(value)
    except ValueError:
        return None
    except OverflowError:
        fail("toInt", f"can not convert {value!r} to an integer")


@builtin("toFloat", 1, 1)
def to_float(args: list[Any], ctx: StlContext) -> float | None:
    value = args[0]
    kind = type_name(value)
    if kind == "datetime":
        value = value["dt"]
    elif kind == "date":
        days = _days_since_epoch("toFloat", value)
        return None if days is None else float(days)
    if type(value) not in _NUMBER_SOURCES:
        fail("toFloat", f"can not convert {kind} to a float")
    try:
        return float(value)
    except ValueError:
        return None
    except OverflowError:
        fail("toFloat", "the integer is too large to convert to a float")


@builtin("typeof", 1, 1)
def typeof(args: list[Any], ctx: StlContext) -> str:
    return type_name(args[0])


@builtin("tuple", 0, None)
def tuple_fn(args: list[Any], ctx: StlContext) -> tuple:
    return tuple(args)


@builtin("isNull", 1, 1)
def is_null(args: list[Any], ctx: StlContext) -> bool:
    return args[0] is None


@builtin("isNotNull", 1, 1)
def is_not_null(args: list[Any], ctx: StlContext) -> bool:
    return args[0] is not None


@builtin("ifNull", 2, 2)
def if_null(args: list[Any], ctx: StlContext) -> Any:
    # The compiler turns `ifNull(a, b)` and `a ?? b` into jumps; this serves `let f := ifNull`.
    return args[1] if args[0] is None else args[0]


@builtin("coalesce", 1, None)
def coalesce(args: list[Any], ctx: StlContext) -> Any:
    return next((arg for arg in args if arg is not None), None)


@builtin("assumeNotNull", 1, 1)
def assume_not_null(args: list[Any], ctx: StlContext) -> Any:
    if args[0] is None:
        raise HogVMException("Value is null in assumeNotNull")
    return args[0]
