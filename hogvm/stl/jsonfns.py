"""JSON builtins: jsonParse, jsonStringify, isValidJSON and ClickHouse's JSONHas/JSONLength/JSONExtract*.

The JSONExtract family takes a JSON string or an already parsed value, then a path of keys and
1-based (negative: from the end) array indexes. Unparseable input or a missing path gives the
function's empty answer (null, 0 or false) as in PostHog. A path that indexes into a number or
looks up a key in an array is an error, where PostHog's Python VM crashes.
"""

from __future__ import annotations

import json
from typing import Any

from hogvm.errors import HogVMException
from hogvm.printing import to_json_string, to_python_str, type_name
from hogvm.stl.argcheck import VALUE_COST, expect_str, fail
from hogvm.stl.registry import StlContext, builtin


class _Unparseable(Exception):
    pass


def _charge_parse(ctx: StlContext, text: str) -> None:
    # An upper bound of the parsed value's cost: its text, plus VALUE_COST per value. Every value
    # but the first follows a ',' or ':' or opens a container, so counting those bounds the values
    # (quoted text may add some: an overestimate) without parsing.
    values = 1 + text.count(",") + text.count(":") + text.count("[") + text.count("{")
    ctx.charge(len(text) + VALUE_COST * values)


# JSON nested deeper than this is refused. Without an explicit bound the answer depended on how
# much of Python's recursion limit the caller had left (the host's stack, the VM's tier).
MAX_JSON_NESTING = 512


def _too_deep(text: str, parsed: Any) -> bool:
    """Whether `parsed` (from `text`) nests more than MAX_JSON_NESTING arrays and objects. Only text
    with that many brackets can, so most text is never walked."""
    if text.count("[") + text.count("{") <= MAX_JSON_NESTING:
        return False
    pending = [(parsed, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_JSON_NESTING:
            return True
        items = value.values() if type(value) is dict else value
        pending.extend((item, depth + 1) for item in items if type(item) is list or type(item) is dict)
    return False


def _loads(function: str, text: str) -> Any:
    """json.loads with every failure turned into a HogVMException that says where and why."""
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(function, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")
    except RecursionError:
        fail(function, "the JSON is nested too deeply")
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        fail(function, f"invalid JSON: {exc}")
    if (type(parsed) is list or type(parsed) is dict) and _too_deep(text, parsed):
        fail(function, "the JSON is nested too deeply")
    return parsed


def _parsed(value: Any, ctx: StlContext) -> Any:
    """A JSON string parsed, anything else as it is; _Unparseable for invalid JSON."""
    if type(value) is not str:
        return value
    _charge_parse(ctx, value)
    try:
        return _loads("JSON", value)
    except HogVMException:
        raise _Unparseable from None


def get_path(value: Any, path: list[Any] | tuple[Any, ...]) -> Any:
    """Follow keys and 1-based (negative: from the end) indexes through `value`, as PostHog's
    `get_nested_value(..., nullish=True)` does: null where the path runs out or reaches null; an
    index into a value without a length, a key into a value that is not an object, or an index
    that is not a key of an object, is an error (PostHog's VM crashes there)."""
    for key in path:
        if value is None:
            return None
        if isinstance(key, int):  # booleans too, as in Python
            if key == 0:
                raise HogVMException("Hog arrays start from index 1")
            if type(value) not in (list, tuple, str, dict):
                raise HogVMException(f"Can not index a {type_name(value)} with {key} in a JSON path")
            if key > len(value) or -key > len(value):
                return None
            try:
                value = value[key - 1] if key > 0 else value[key]
            except KeyError:
                raise HogVMException(f"Can not index an object with {key} in a JSON path") from None
        elif type(value) is dict:
            try:
                value = value.get(key)
            except TypeError:
                raise HogVMException(f"Can not use a {type_name(key)} as a key in a JSON path") from None
        else:
            raise HogVMException(f"Can not look up {key!r} in a {type_name(value)} in a JSON path")
    return value


@builtin("jsonParse", 1, 1)
def json_parse(args: list[Any], ctx: StlContext) -> Any:
    text = expect_str("jsonParse", args[0], "a JSON string")
    _charge_parse(ctx, text)
    return _loads("jsonParse", text)


@builtin("jsonStringify", 1, 2)
def json_stringify(args: list[Any], ctx: StlContext) -> str:
    indent = args[1] if len(args) > 1 else None
    # Only a positive integer indents (booleans are integers to Python: true indents by one).
    if not (isinstance(indent, int) and indent > 0):
        indent = None
    elif isinstance(args[0], list | tuple | dict) and args[0]:
        # Only a non-empty container is indented: charge the indent string it needs before building
        # anything, so a huge indent fails on the memory limit instead of allocating it. A scalar or
        # an empty container never uses it (PostHog's Python VM answers 'null' for null and 10**8).
        ctx.charge(int(indent))
    return to_json_string(args[0], int(indent) if indent else None, ctx)


@builtin("isValidJSON", 1, 1)
def is_valid_json(args: list[Any], ctx: StlContext) -> bool:
    text = expect_str("isValidJSON", args[0])
    _charge_parse(ctx, text)
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return False
    return not ((type(parsed) is list or type(parsed) is dict) and _too_deep(text, parsed))


@builtin("JSONHas", 1, None)
def json_has(args: list[Any], ctx: StlContext) -> bool:
    current = args[0]
    for key in args[1:]:
        try:
            current = _parsed(current, ctx)
        except _Unparseable:
            return False
        if type(current) is dict:
            try:
                if key not in current:
                    return False
            except TypeError:  # an unhashable key: PostHog's VM crashes
                raise HogVMException(f"JSONHas: can not use a {type_name(key)} as a key") from None
            current = current[key]
        elif type(current) is list and isinstance(key, int):
            if key == 0 or key > len(current) or key < -len(current):
                return False
            current = current[key - 1] if key > 0 else current[key]
        else:
            return False
    return True


@builtin("JSONLength", 1, None)
def json_length(args: list[Any], ctx: StlContext) -> int:
    try:
        value = _parsed(args[0], ctx)
    except _Unparseable:
        return 0
    if type(value) not in (dict, list):
        return 0
    value = get_path(value, args[1:])
    return len(value) if type(value) in (dict, list) else 0


@builtin("JSONExtractBool", 1, None)
def json_extract_bool(args: list[Any], ctx: StlContext) -> bool:
    try:
        value = get_path(_parsed(args[0], ctx), args[1:])
    except _Unparseable:
        return False
    return value if type(value) is bool else False


@builtin("JSONExtract", 2, None)
def json_extract(args: list[Any], ctx: StlContext) -> Any:
    # The last argument is ClickHouse's return type name; PostHog ignores it.
    try:
        return get_path(_parsed(args[0], ctx), args[1:-1])
    except _Unparseable:
        return None


def _extract_at_path(args: list[Any], ctx: StlContext) -> Any:
    """The value at the path `args[1:]` inside `args[0]`; null if the document is not JSON."""
    try:
        return get_path(_parsed(args[0], ctx), args[1:])
    except _Unparseable:
        return None


def _as_number(value: Any, convert: type[int] | type[float]) -> int | float | None:
    if type(value) not in (str, int, float, bool):
        return None
    try:
        return convert(value)  # int('1.5') fails: null; int(1.5) truncates to 1
    except ValueError:
        return None
    except OverflowError:  # int(inf): PostHog's Python VM crashes here; say what is wrong instead
        raise HogVMException(f"JSONExtractInt: can not make an integer of {value}") from None


@builtin("JSONExtractArrayRaw", 1, None)
def json_extract_array_raw(args: list[Any], ctx: StlContext) -> list | None:
    value = _extract_at_path(args, ctx)
    return value if type(value) is list else None


@builtin("JSONExtractFloat", 1, None)
def json_extract_float(args: list[Any], ctx: StlContext) -> float | None:
    return _as_number(_extract_at_path(args, ctx), float)


@builtin("JSONExtractInt", 1, None)
def json_extract_int(args: list[Any], ctx: StlContext) -> int | None:
    return _as_number(_extract_at_path(args, ctx), int)


@builtin("JSONExtractString", 1, None)
def json_extract_string(args: list[Any], ctx: StlContext) -> str | None:
    value = _extract_at_path(args, ctx)
    # Python's str(): a nested object comes back as "{'a': 1}", true as 'True' (PostHog's output).
    return None if value is None else to_python_str(value, ctx)

