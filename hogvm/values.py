"""The Hog value model.

Hog values are plain Python data, as in PostHog's Python VM, so that results, globals and host
functions need no conversion:

    null -> None     boolean -> bool    integer -> int     float -> float    string -> str
    array -> list    tuple -> tuple     object (dict) -> dict

Dates, datetimes, intervals and errors are dicts tagged the way PostHog tags them
(`{"__hogDate__": True, "year", "month", "day"}`, `{"__hogDateTime__": True, "dt", "zone"}`,
`{"__hogInterval__": True, "value", "unit"}`, `{"__hogError__": True, "type", "message", "payload"}`),
because Hog code and hosts can build and inspect them as dicts.

Functions are the one exception: a `Closure` is an opaque Python object, never a dict, so Hog code
can neither forge one from a dict nor reach the VM's internals through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DATE_TAG = "__hogDate__"
DATETIME_TAG = "__hogDateTime__"
INTERVAL_TAG = "__hogInterval__"
ERROR_TAG = "__hogError__"


@dataclass(slots=True, eq=False)
class Callable:
    """A function's code: a Hog function in a chunk, or a native builtin (`kind == 'stl'`)."""

    kind: str  # 'local' (Hog code), 'stl' (native builtin or host function), 'bytecode_stl'
    name: str
    arg_count: int
    upvalue_count: int = 0
    chunk: str = "root"
    ip: int = 0


@dataclass(slots=True, eq=False)
class UpValue:
    """A captured variable: open while its stack slot lives, closed (owning `value`) after."""

    location: int  # absolute stack index while open
    closed: bool = False
    value: Any = None


@dataclass(slots=True, eq=False)
class Closure:
    callable: Callable
    upvalues: list[UpValue] = field(default_factory=list)


def is_hog_date(value: Any) -> bool:
    return type(value) is dict and value.get(DATE_TAG) is True


def is_hog_datetime(value: Any) -> bool:
    return type(value) is dict and value.get(DATETIME_TAG) is True


def is_hog_interval(value: Any) -> bool:
    return type(value) is dict and value.get(INTERVAL_TAG) is True


def is_hog_error(value: Any) -> bool:
    return type(value) is dict and value.get(ERROR_TAG) is True


def is_hog_callable(value: Any) -> bool:
    return type(value) is Closure


def new_hog_error(type: str, message: Any, payload: Any = None) -> dict[str, Any]:
    return {ERROR_TAG: True, "type": type or "Error", "message": message, "payload": payload}
