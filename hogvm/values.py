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
    ip: int = 0  # offset of the body in the chunk's bytecode list, as PostHog numbers it
    # VM-private: the loaded chunk and the index of the body's first decoded instruction, and
    # the body compiled by tier 2 (a Python function), once it has been.
    code: Any = field(default=None, repr=False, compare=False)
    entry: int = field(default=0, repr=False, compare=False)
    compiled: Any = field(default=None, repr=False, compare=False)


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


# --- crossing the host boundary -------------------------------------------------------------

MAX_NESTING = 400  # deeper host data or results are refused rather than overflowing Python's stack


class ValueConversionError(ValueError):
    """Host data cannot become a Hog value (too deep, over the size budget, or of a type Hog does not
    have). `path` holds the keys and indexes leading to the offending part."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.path: list[Any] = []

    def __str__(self) -> str:
        text = super().__str__()
        if not self.path:
            return text
        shown = "".join(f"[{key!r}]" for key in self.path[:_PATH_SHOWN])
        return f"{text} (at {shown}{'...' if len(self.path) > _PATH_SHOWN else ''})"


_PATH_SHOWN = 12  # keys of a conversion error's path worth printing (a too-deep value has hundreds)


def to_hog(value: Any, max_cost: int | None = None) -> tuple[Any, int]:
    """A private Hog copy of host data (globals, host-function results) and its cost.

    Containers are copied, so Hog code can never mutate the host's objects; shared and cyclic
    structure is preserved (each object copied once). Data of a neighbouring type becomes its Hog
    counterpart: mappings -> dict, sets -> list, bytes -> str (UTF-8), int/float/str subclasses ->
    the base type. Raises ValueConversionError for anything else (a Decimal, a datetime, an
    object: no guess at what the program should see), when nesting passes MAX_NESTING, or when the
    copy's cost (PostHog units: 8 per value + string length) passes `max_cost`."""
    memo: dict[int, Any] = {}
    cost = 0

    def copy(item: Any, depth: int) -> Any:
        nonlocal cost
        kind = type(item)
        if item is None or kind is bool or kind is int or kind is float:
            cost += 8
            return item
        if kind is str:
            cost += 8 + len(item)
            if max_cost is not None and cost > max_cost:
                raise ValueConversionError(f"value costs more than {max_cost} bytes")
            return item
        if kind is Closure:
            cost += 8
            return item
        done = memo.get(id(item))
        if done is not None:
            cost += 8
            return done
        if depth >= MAX_NESTING:
            raise ValueConversionError(f"value is nested more than {MAX_NESTING} levels deep")
        cost += 8
        if max_cost is not None and cost > max_cost:
            raise ValueConversionError(f"value costs more than {max_cost} bytes")
        if isinstance(item, dict) or (hasattr(item, "keys") and hasattr(item, "__getitem__")):
            result: dict[Any, Any] = {}
            memo[id(item)] = result
            for key in list(item.keys()):
                try:
                    result[copy(key, depth + 1) if type(key) is not str else _charged(key)] = copy(
                        item[key], depth + 1
                    )
                except ValueConversionError as error:
                    error.path.insert(0, key)
                    raise
            return result
        if isinstance(item, list):
            items: list[Any] = []
            memo[id(item)] = items
            for index, element in enumerate(item):  # a loop, not a generator: one frame per level
                try:
                    items.append(copy(element, depth + 1))
                except ValueConversionError as error:
                    error.path.insert(0, index)
                    raise
            return items
        if isinstance(item, tuple):
            elements = []
            for index, element in enumerate(item):
                try:
                    elements.append(copy(element, depth + 1))
                except ValueConversionError as error:
                    error.path.insert(0, index)
                    raise
            return tuple(elements)
        if isinstance(item, (set, frozenset)):
            return [copy(element, depth + 1) for element in item]
        if isinstance(item, bool):
            return bool(item)
        if isinstance(item, int):
            return int(item)
        if isinstance(item, float):
            return float(item)
        if isinstance(item, str):
            return copy(str.__str__(item), depth)
        if isinstance(item, (bytes, bytearray)):
            return copy(bytes(item).decode("utf-8", errors="replace"), depth)
        raise ValueConversionError(
            f"a {type(item).__name__} is not a Hog value (Hog has null, booleans, numbers, strings, "
            "arrays, tuples and dicts: convert it first)"
        )

    def _charged(key: str) -> str:
        nonlocal cost
        cost += 8 + len(key)
        return key

    return copy(value, 0), cost


def closure_as_dict(closure: Closure, upvalue_ids: dict[int, int] | None = None) -> dict[str, Any]:
    """A Closure in the shape PostHog's VMs return it: `{'__hogClosure__', 'callable', 'upvalues'}`.

    Upvalues are listed by id (numbered from 1 in order of first appearance in one conversion)."""
    ids = upvalue_ids if upvalue_ids is not None else {}
    upvalues = []
    for upvalue in closure.upvalues:
        upvalues.append(ids.setdefault(id(upvalue), len(ids) + 1))
    fn = closure.callable
    return {
        "__hogClosure__": True,
        "callable": {
            "__hogCallable__": "stl" if fn.kind == "bytecode_stl" else fn.kind,
            "name": fn.name,
            "chunk": fn.chunk,
            "argCount": fn.arg_count,
            "upvalueCount": fn.upvalue_count,
            "ip": fn.ip,
        },
        "upvalues": upvalues,
    }


def to_host(value: Any) -> Any:
    """A Hog value as plain Python data for the host: closures become PostHog's closure dicts.

    Containers without closures inside are returned as they are (no copy); the result of a run
    is no longer touched by the VM, so sharing is safe. Cycles are preserved."""
    if not _has_closure(value):  # the common case: nothing to convert, nothing to set up
        return value
    upvalue_ids: dict[int, int] = {}
    memo: dict[int, Any] = {}

    def convert(item: Any, depth: int) -> Any:
        kind = type(item)
        if kind is Closure:
            return closure_as_dict(item, upvalue_ids)
        if kind is Callable:  # a function body not yet made a closure (hand-written bytecode)
            return closure_as_dict(Closure(item), upvalue_ids)["callable"]
        if kind is dict or kind is list or kind is tuple:
            done = memo.get(id(item))
            if done is not None:
                return done
            if depth >= MAX_NESTING:
                raise ValueConversionError(f"result is nested more than {MAX_NESTING} levels deep")
            if kind is dict:
                result: dict[Any, Any] = {}
                memo[id(item)] = result
                for key, element in item.items():
                    result[key] = convert(element, depth + 1)
                return result
            items: list[Any] = []
            if kind is list:
                memo[id(item)] = items
            for element in item:
                items.append(convert(element, depth + 1))
            return items if kind is list else tuple(items)
        return item

    return convert(value, 0)


def _has_closure(root: Any) -> bool:
    kind = type(root)
    if kind is not dict and kind is not list and kind is not tuple:
        return kind is Closure or kind is Callable
    seen: set[int] = set()
    pending = [root]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is Closure or kind is Callable:
            return True
        if (kind is dict or kind is list or kind is tuple) and id(item) not in seen:
            seen.add(id(item))
            pending.extend(item.values() if kind is dict else item)
    return False
