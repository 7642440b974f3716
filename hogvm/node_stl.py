"""The builtins property filters reach, as PostHog's TypeScript VM's stl.ts defines them.

`BUILTINS` maps each name to its Node version (same arity as ours): toString and toUUID
(printHogStringOutput, numbers as JavaScript writes them), toInt and toFloat (parseInt /
parseFloat of String(x)), toDate and toDateTime (hogvm/node_dates.py), match, extractRegex and the
LIKE family (RE2, hogvm/node_regex.py), multiSearchAnyCaseInsensitive, JSONExtract (JSON.parse; a
scalar is null), and values and length, which arrayExists and sortableSemver (the bytecode-STL
functions filters call) run on.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from hogvm import node_dates
from hogvm import node_values as js
from hogvm.errors import HogVMException
from hogvm.node_regex import like, node_re2_pattern, re2_test
from hogvm.printing import _function_text, _open_items, _open_pairs, _render
from hogvm.regex import compile_pattern
from hogvm.stl import STL
from hogvm.stl.jsonfns import MAX_JSON_NESTING, _charge_parse
from hogvm.stl.registry import Builtin, StlContext
from hogvm.values import Closure

_SEQUENCES = (list, tuple)


_ESCAPES = str.maketrans({
    "\b": "\\b", "\f": "\\f", "\r": "\\r", "\n": "\\n", "\t": "\\t", "\0": "\\0", "\v": "\\v",
    "\\": "\\\\", "'": "\\'",
})


_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")


def _escape_string(text: str) -> str:
    return "'" + text.translate(_ESCAPES) + "'"


def js_key_order(keys: Any) -> list[Any]:
    """An object's own keys in JavaScript's order: array indexes ascending, then the rest as
    inserted. Dicts here come from JSON (globals, JSONExtract), which JavaScript keeps as objects."""
    indexes, others = [], []
    for key in keys:
        if type(key) is str and _ARRAY_INDEX.fullmatch(key) and int(key) < 2**32 - 1:
            indexes.append(key)
        else:
            others.append(key)
    if not indexes:
        return others
    return sorted(indexes, key=int) + others


def _leaf(value: Any) -> str | None:
    kind = type(value)
    if kind is str:
        return _escape_string(value)
    if kind is bool:
        return "true" if value else "false"
    if value is None:
        return "null"
    if kind is int or kind is float:
        return js.js_number_text(value)
    if kind is Closure:
        return _function_text(value)
    return None


def _open(value: Any, on_path: set, stack: list) -> str:
    kind = type(value)
    temporal = js.temporal_kind(value)
    if temporal == "datetime":
        text = js.js_string(value.get("dt"))
        return f"DateTime({text}{'' if '.' in text else '.0'}, {_escape_string(js.js_string(value.get('zone') or 'UTC'))})"
    if temporal == "date":
        return f"Date({js.js_string(value.get('year'))}, {js.js_string(value.get('month'))}, {js.js_string(value.get('day'))})"
    if id(value) in on_path:
        return "null"
    if kind is list:
        return _open_items(value, _leaf, on_path, stack, "[", "]")
    if kind is tuple:
        return _open_items(value, _leaf, on_path, stack, "tuple(" if len(value) < 2 else "(", ")")
    keys = js_key_order(value)
    ordered = value if keys == list(value) else {key: value[key] for key in keys}
    return _open_pairs(ordered, _leaf, _leaf, on_path, stack, "{", "}")


def print_value(value: Any, budget: Any = None) -> str:
    """printHogValue with JavaScript's numbers and key order."""
    return _render(value, _leaf, _open, budget)


def to_string(value: Any, budget: Any = None) -> str | None:
    """STLToString: a date as YYYY-MM-DD, a datetime in Luxon's ISO form, a string as it is,
    anything else as printHogValue writes it."""
    kind = js.temporal_kind(value)
    if kind == "date":
        year, month, day = (js.js_string(value.get(part)) for part in ("year", "month", "day"))
        return f"{year}-{month.zfill(2) if len(month) == 1 else month}-{day.zfill(2) if len(day) == 1 else day}"
    if kind == "datetime":
        return node_dates.iso_text(value)
    if type(value) is str:
        return value
    return print_value(value, budget)


def _nan_to_null(number: float | int) -> float | int | None:
    return None if type(number) is float and number != number else number


def to_int(args: list[Any], ctx: StlContext) -> Any:
    value = args[0]
    kind = js.temporal_kind(value)
    if kind == "datetime":  # Math.floor(dt)
        seconds = js.js_to_number(value.get("dt"))
        return math.floor(seconds) if math.isfinite(seconds) else seconds
    if kind == "date":
        return node_dates.days_since_epoch(value)
    return _nan_to_null(js.js_parse_int(value))


def to_float(args: list[Any], ctx: StlContext) -> Any:
    value = args[0]
    kind = js.temporal_kind(value)
    if kind == "datetime":
        return value.get("dt")
    if kind == "date":
        return node_dates.days_since_epoch(value)
    return _nan_to_null(js.js_parse_float(value))


def match(args: list[Any], ctx: StlContext) -> bool:
    if not js.js_truthy(args[0]) or not js.js_truthy(args[1]):
        return False
    return re2_test(args[1], args[0])


def extract_regex(args: list[Any], ctx: StlContext) -> str:
    """External regex.extract of String(pattern) in String(text): group 1, or the whole match; ''."""
    if args[0] is None or args[1] is None:
        return ""
    pattern = node_re2_pattern(js.js_utf8_safe(js.js_string(args[1])))
    text = js.js_utf8_safe(js.js_string(args[0]))
    compiled = compile_pattern(pattern)
    found = compiled.search(text)
    if found is None:
        return ""
    return (found.group(1) or "") if compiled.groups >= 1 else found.group(0)


def multi_search_any_case_insensitive(args: list[Any], ctx: StlContext) -> int:
    haystack, needles = args[0], args[1]
    if haystack is None or needles is None or type(needles) not in _SEQUENCES:
        return 0
    text = js.js_string(haystack).lower()
    return int(any(js.js_string(needle).lower() in text for needle in needles))


class _NotJson(Exception):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NotJson(name)  # NaN, Infinity: not JSON to JSON.parse


def _js_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    built: dict[str, Any] = {}
    for key, value in pairs:
        built[key] = value
    return {key: built[key] for key in js_key_order(built)}


def json_parse(text: str) -> Any:
    """JSON.parse: strict JSON (no NaN or Infinity), objects in JavaScript's key order. Raises
    ValueError for anything JSON.parse refuses."""
    try:
        parsed = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_js_object)
    except (_NotJson, RecursionError) as exc:
        raise ValueError(str(exc)) from None
    if text.count("[") + text.count("{") > MAX_JSON_NESTING and _nesting(parsed) > MAX_JSON_NESTING:
        raise ValueError("nested too deeply")
    return parsed


def _nesting(value: Any) -> int:
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if type(item) in (list, dict):
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in (item.values() if type(item) is dict else item))
    return deepest


def nested_value(value: Any, path: list[Any], *, parsed: bool = False) -> Any:
    """getNestedValue(value, path, nullish=true): only an object or array is followed; null on the way
    ends the walk. Dicts are Maps (read with `get`), or plain objects when `parsed` by JSON.parse,
    where a number `n` reads the property String(n - 1) and other keys their String()."""
    if type(value) not in (list, tuple, dict, Closure):
        return None
    for key in path:
        if value is None:
            return None
        kind = type(value)
        if kind is dict and not parsed:
            value = value.get(key) if type(key) is str else None
        elif js.js_kind(key) == "number":
            if key == 0:
                raise HogVMException("Hog arrays start from index 1")
            if kind is dict:
                value = value.get(js.js_string(js.js_number(key) - 1)) if key > 0 else None
            else:
                value = _item(value, key) if kind in (list, tuple, str) else None
        elif kind is dict:
            value = value.get(js.js_string(key))
        elif kind in (list, tuple, str):
            name = js.js_string(key)
            if name == "length":
                value = js.js_utf16_length(value) if kind is str else len(value)
            elif _ARRAY_INDEX.fullmatch(name) and int(name) < len(value):
                value = value[int(name)]
            else:
                value = None
        else:
            value = None
    return value


def _item(sequence: list | tuple | str, key: int | float) -> Any:
    """`sequence[key - 1]` (from the end when negative) as JavaScript indexes it: a fraction or a
    position outside is undefined (null)."""
    number = js.js_number(key)
    if not number.is_integer():
        return None
    index = int(number) - 1 if number > 0 else len(sequence) + int(number)
    return sequence[index] if 0 <= index < len(sequence) else None


def json_extract(args: list[Any], ctx: StlContext) -> Any:
    """JSONExtract(x, ...path, type): a string is JSON.parse'd (null if it is not JSON); the type is
    ignored; a scalar, parsed or given, is null."""
    document = args[0]
    parsed = type(document) is str
    if parsed:
        _charge_parse(ctx, document)
        try:
            document = json_parse(document)
        except ValueError:
            return None
    return nested_value(document, args[1:-1], parsed=parsed)


def values(args: list[Any], ctx: StlContext) -> list[Any]:
    value = args[0]
    kind = type(value)
    if kind is list or kind is tuple:
        return list(value)
    if kind is dict:
        return [value[key] for key in js_key_order(value)]
    if value is None:
        raise HogVMException("Cannot convert undefined or null to object")
    return []


def length(args: list[Any], ctx: StlContext) -> Any:
    """`x.length`: UTF-16 code units of a string, items of an array; null (undefined) otherwise."""
    value = args[0]
    kind = type(value)
    if kind is str:
        return js.js_utf16_length(value)
    if kind is list or kind is tuple:
        return len(value)
    if value is None:
        raise HogVMException("Cannot read properties of null (reading 'length')")
    return None


def _like_builtin(case_insensitive: bool, negated: bool) -> Callable[[list[Any], StlContext], bool]:
    return lambda args, ctx: like(args[0], args[1], case_insensitive) is not negated


FUNCTIONS: dict[str, Callable[[list[Any], StlContext], Any]] = {
    "toString": lambda args, ctx: to_string(args[0], ctx),
    "toUUID": lambda args, ctx: to_string(args[0], ctx),
    "toInt": to_int,
    "toFloat": to_float,
    "toDate": node_dates.to_date,
    "toDateTime": node_dates.to_datetime,
    "match": match,
    "extractRegex": extract_regex,
    "like": _like_builtin(False, False),
    "ilike": _like_builtin(True, False),
    "notLike": _like_builtin(False, True),
    "notILike": _like_builtin(True, True),
    "multiSearchAnyCaseInsensitive": multi_search_any_case_insensitive,
    "JSONExtract": json_extract,
    "values": values,
    "length": length,
}
BUILTINS: dict[str, Builtin] = {name: Builtin(name, fn, STL[name].min_args, STL[name].max_args) for name, fn in FUNCTIONS.items()}
