"""The text forms of Hog values, character for character as PostHog's Python VM writes them.

Three forms exist:

- `print_hog_value`: Hog's own notation, used by `print()` and string concatenation. Strings are
  quoted with escapes, dicts are `{'k': v}`, tuples `(1, 2)` / `tuple(1)`, functions `fn<name(2)>`,
  dates `Date(2024, 1, 2)`, datetimes `DateTime(1704153600.0, 'UTC')`, errors `Error('msg')`.
  A container met again inside itself (a cycle) prints as `null`.
- `to_python_str`: what Python's `str()` gives, because PostHog's `toString()`,
  `JSONExtractString()`, `arrayStringConcat()` and `position()` call `str()` on Hog values
  (`[1, True, None]`, `{'a': 1.0}`). Cycles print as `[...]` / `{...}` like Python's `repr`.
- `to_json_string`: `json.dumps` output (`", "` and `": "` separators, ASCII escapes, `NaN`), as
  `jsonStringify()` gives it. Tuples become arrays, functions the string `"fn<name(2)>"`, cycles
  `null`.

All three walk values with an explicit stack instead of recursion, so a 100,000-deep nested array
prints instead of raising RecursionError. Given a `Budget` (the running VM's `StlContext`), they
charge memory and check the time limit as the text grows: a value whose text is far bigger than
the value itself (an array holding itself twice, nested 40 times; a huge JSON indent) stops at the
memory or time limit instead of exhausting the host.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any, Protocol

from hogvm.errors import HogVMException, HogVMRuntimeExceededException
from hogvm.values import Closure


class Budget(Protocol):
    """What printing uses of a running VM (a `StlContext` is one)."""

    def charge(self, nbytes: int) -> None: ...

    def remaining_time(self) -> float: ...


# Time is checked each time the text grows by this much, memory each time it doubles; small values
# never pay. The whole text so far is charged, as the VM's meter cannot see a text being built.
_CHECK_EVERY = 1 << 16

_STRING_ESCAPES = str.maketrans({
    "\b": "\\b", "\f": "\\f", "\r": "\\r", "\n": "\\n", "\t": "\\t",
    "\0": "\\0", "\a": "\\a", "\v": "\\v", "\\": "\\\\", "'": "\\'",
})
_IDENTIFIER_ESCAPES = str.maketrans({
    "\b": "\\b", "\f": "\\f", "\r": "\\r", "\n": "\\n", "\t": "\\t",
    "\0": "\\0", "\a": "\\a", "\v": "\\v", "\\": "\\\\",
    "`": "``",  # Hog's parsers accept only a doubled backquote inside a quoted identifier
})
_PLAIN_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


def escape_string(value: str) -> str:
    """`'text'` with ClickHouse-style backslash escapes (PostHog's `escape_string`)."""
    if value.isprintable():  # no control characters: only quotes and backslashes to escape
        if "\\" in value:
            value = value.replace("\\", "\\\\")
        if "'" in value:
            value = value.replace("'", "\\'")
        return "'" + value + "'"
    return "'" + value.translate(_STRING_ESCAPES) + "'"


def escape_identifier(identifier: str | int) -> str:
    """An identifier as Hog source spells it: bare if plain, else in backquotes."""
    if isinstance(identifier, int):
        return str(identifier)
    if _PLAIN_IDENTIFIER.fullmatch(identifier):
        return identifier
    return "`" + identifier.translate(_IDENTIFIER_ESCAPES) + "`"


# PostHog recognises tagged dicts by which keys are present, not by the tag's value.
def _is_datetime(d: dict) -> bool:
    return "__hogDateTime__" in d and "dt" in d and "zone" in d


def _is_date(d: dict) -> bool:
    return "__hogDate__" in d and "year" in d and "month" in d and "day" in d


def _is_error(d: dict) -> bool:
    return "__hogError__" in d and "type" in d and "message" in d


def _is_callable_dict(d: dict) -> bool:
    """A function in PostHog's dict encoding (e.g. from a serialized PostHog VM state)."""
    return "__hogCallable__" in d and "argCount" in d and "ip" in d and "upvalueCount" in d


def _is_closure_dict(d: dict) -> bool:
    return "__hogClosure__" in d and "callable" in d and "upvalues" in d


def type_name(value: Any) -> str:
    """The name `typeof()` gives a value; also used in error messages about wrong argument types."""
    if value is None:
        return "null"
    kind = type(value)
    if kind is dict:
        if _is_datetime(value):
            return "datetime"
        if _is_date(value):
            return "date"
        if _is_error(value):
            return "error"
        if _is_callable_dict(value) or _is_closure_dict(value):
            return "function"
        return "object"
    if kind is Closure:
        return "function"
    if kind is list:
        return "array"
    if kind is tuple:
        return "tuple"
    if kind is bool:
        return "boolean"
    if kind is int:
        return "integer"
    if kind is float:
        return "float"
    if kind is str:
        return "string"
    return "unknown"


def int_text(value: int) -> str:
    try:
        return str(value)
    except ValueError:  # Python refuses to print ints of more than 4300 digits
        raise HogVMException("Integer too large to convert to text (more than 4300 digits)") from None


def _function_text(closure: Closure) -> str:
    return f"fn<{escape_identifier(closure.callable.name)}({closure.callable.arg_count})>"


class _Text:
    """Finished output on the walk stack (a separator, or a scalar already rendered), as opposed
    to a value still to print."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class _Close:
    """The end of a container on the walk stack: its closing text; it leaves the current path."""

    __slots__ = ("key", "text")

    def __init__(self, key: int, text: str) -> None:
        self.key = key
        self.text = text


_COMMA = ", "
_COLON = _Text(": ")

Leaf = Callable[[Any], "str | None"]
Opener = Callable[[Any, set, list], str]


def _render(root: Any, leaf: Leaf, open_container: Opener, budget: Budget | None) -> str:
    """Walk `root` depth-first without recursion.

    `leaf(value)` returns the text of a scalar, or None for a container. `open_container(value,
    on_path, stack)` returns a container's opening text and pushes, in reverse order, what follows
    it: child values, `_Text` pieces and a `_Close`. `on_path` holds the ids of the containers
    being printed, to detect cycles; its size is the current depth.
    """
    text = leaf(root)
    if text is not None:
        return text
    out: list[str] = []
    append = out.append
    size = checked = 0
    charged = _CHECK_EVERY
    on_path: set[int] = set()
    stack: list[Any] = [root]
    pop = stack.pop
    while stack:
        item = pop()
        kind = type(item)
        if kind is _Text:
            text = item.text
        elif kind is _Close:
            on_path.discard(item.key)
            text = item.text
        else:
            text = leaf(item)
            if text is None:
                text = open_container(item, on_path, stack)
        append(text)
        size += len(text)
        if size - checked > _CHECK_EVERY:
            checked = size
            if budget is not None:
                if size > charged:  # charge the whole text so far, at doubling sizes
                    budget.charge(size)
                    charged = size * 2
                _check_time(budget)
    return "".join(out)


def _check_time(budget: Budget) -> None:
    if budget.remaining_time() <= 0:
        # Our VM builds its timeout error with its limit and step count; other budgets get zeros.
        timed_out = getattr(budget, "timed_out", None)
        if timed_out is None:
            raise HogVMRuntimeExceededException(0.0, 0)
        steps_now = getattr(budget, "steps_now", None)
        raise timed_out(steps_now() if steps_now is not None else None)


def _enter(container: Any, on_path: set, stack: list, closing: str) -> None:
    key = id(container)
    on_path.add(key)
    stack.append(_Close(key, closing))


def _render_scalars(values: Any, leaf: Leaf) -> list[str]:
    """The texts of the leading scalars of `values`, stopping at the first container or once the
    texts pass _CHECK_EVERY characters (so one array holding a big string many times is rendered
    piece by piece, under the walk's memory checks)."""
    texts: list[str] = []
    total = 0
    for value in values:
        text = leaf(value)
        if text is None:
            break
        total += len(text)
        if total > _CHECK_EVERY:
            break
        texts.append(text)
    return texts


def _open_items(container: Any, leaf: Leaf, on_path: set, stack: list, opening: str, closing: str,
                separator: str = _COMMA, items: Any = None) -> str:
    """Open a list/tuple (or `items` standing for it). A small container of scalars is rendered
    at once and nothing is pushed; otherwise its items are pushed to be walked."""
    items = container if items is None else items
    texts = _render_scalars(items, leaf)
    if len(texts) == len(items):
        return opening + separator.join(texts) + closing
    _enter(container, on_path, stack, closing)
    pieces = [_Text(text) for text in texts]
    pieces.extend(items[len(texts):])
    pending: list[Any] = [_Text(separator)] * (2 * len(items) - 1)
    pending[::2] = pieces[::-1]
    stack.extend(pending)
    return opening


def _open_pairs(container: dict, key_text: Leaf, leaf: Leaf, on_path: set, stack: list, opening: str,
                closing: str, separator: str = _COMMA) -> str:
    """Open a dict as `key: value` pairs, like `_open_items`. `key_text(key)` is None for a key
    that must be walked as a value (a tuple key)."""
    texts = _render_scalars(container.values(), leaf)
    if len(texts) == len(container):
        keys = [key_text(key) for key in container]
        if None not in keys and sum(map(len, keys)) <= _CHECK_EVERY:
            return opening + separator.join([key + ": " + text for key, text in zip(keys, texts, strict=True)]) + closing
    _enter(container, on_path, stack, closing)
    pending: list[Any] = []
    comma = _Text(separator)
    rendered = len(texts)
    for index, (key, item) in zip(range(len(container) - 1, -1, -1), reversed(container.items()), strict=True):
        if pending:
            pending.append(comma)
        pending.append(_Text(texts[index]) if index < rendered else item)
        key_str = key_text(key)
        pending.extend((_COLON, key) if key_str is None else (_Text(key_str + ": "),))
    stack.extend(pending)
    return opening


# ---------------------------------------------------------------------------------------------
# Hog notation


def _hog_leaf(value: Any) -> str | None:
    kind = type(value)
    if kind is str:
        return escape_string(value)
    if kind is bool:
        return "true" if value else "false"
    if value is None:
        return "null"
    if kind is int:
        return int_text(value)
    if kind is float:
        return repr(value)
    if kind is Closure:
        return _function_text(value)
    if kind is dict or kind is list or kind is tuple:
        return None
    return str(value)


_TAGS = ("__hogDateTime__", "__hogDate__", "__hogError__", "__hogClosure__", "__hogCallable__")


def _hog_open(value: Any, on_path: set, stack: list) -> str:
    kind = type(value)
    if kind is dict and not value.keys().isdisjoint(_TAGS):
        if _is_datetime(value):
            return f"DateTime({float(value['dt'])}, {escape_string(str(value['zone'] or 'UTC'))})"
        if _is_date(value):
            return f"Date({value['year']}, {value['month']}, {value['day']})"
        function = value["callable"] if _is_closure_dict(value) and type(value["callable"]) is dict else value
        if _is_callable_dict(function):
            name = function.get("name", "lambda")
            return f"fn<{escape_identifier(name)}({_hog_leaf(function['argCount']) or function['argCount']})>"
    if id(value) in on_path:
        return "null"
    if kind is list:
        return _open_items(value, _hog_leaf, on_path, stack, "[", "]")
    if kind is tuple:
        return _open_items(value, _hog_leaf, on_path, stack, "tuple(" if len(value) < 2 else "(", ")")
    if not value.keys().isdisjoint(_TAGS) and _is_error(value):
        payload = value.get("payload")
        parts = [value["message"]] if payload is None else [value["message"], payload]
        return _open_items(value, _hog_leaf, on_path, stack, f"{value['type']}(", ")", items=parts)
    return _open_pairs(value, _hog_leaf, _hog_leaf, on_path, stack, "{", "}")


def print_hog_value(value: Any, budget: Budget | None = None) -> str:
    """A value in Hog notation, strings quoted: how `print()` shows values inside containers."""
    try:
        return _render(value, _hog_leaf, _hog_open, budget)
    except (TypeError, ValueError, OverflowError) as exc:  # a malformed tagged dict (a datetime with dt='x')
        raise HogVMException(f"Can not print value: {exc}") from None


def print_hog_string_output(value: Any, budget: Budget | None = None) -> str:
    """What `print()` and string concatenation show: strings as they are, anything else in Hog notation."""
    if type(value) is str:
        return value
    if type(value) is int:  # f'{n}': what _hog_leaf answers, without the renderer
        return int_text(value)
    return print_hog_value(value, budget)


# ---------------------------------------------------------------------------------------------
# Python's str()


def _python_leaf(value: Any) -> str | None:
    kind = type(value)
    if kind is str:
        return repr(value)
    if kind is bool or value is None or kind is float:
        return repr(value)
    if kind is int:
        return int_text(value)
    if kind is Closure:
        # PostHog's Python VM would show its internal dict here; the Hog notation is the useful part.
        return _function_text(value)
    if kind is dict or kind is list or kind is tuple:
        return None
    return str(value)


def _python_open(value: Any, on_path: set, stack: list) -> str:
    kind = type(value)
    if kind is list:
        if id(value) in on_path:
            return "[...]"
        return _open_items(value, _python_leaf, on_path, stack, "[", "]")
    if kind is tuple:
        if id(value) in on_path:
            return "(...)"
        return _open_items(value, _python_leaf, on_path, stack, "(", ",)" if len(value) == 1 else ")")
    if id(value) in on_path:
        return "{...}"
    return _open_pairs(value, _python_leaf, _python_leaf, on_path, stack, "{", "}")


def to_python_str(value: Any, budget: Budget | None = None) -> str:
    """`str(value)` as PostHog's Python VM computes it for a Hog value."""
    if type(value) is str:
        return value
    return _render(value, _python_leaf, _python_open, budget)


# ---------------------------------------------------------------------------------------------
# JSON


def _json_float(value: float) -> str:
    if value != value:
        return "NaN"
    if value == float("inf"):
        return "Infinity"
    if value == float("-inf"):
        return "-Infinity"
    return repr(value)


def _json_leaf(value: Any) -> str | None:
    kind = type(value)
    if kind is str:
        return encode_basestring_ascii(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int_text(value)
    if kind is float:
        return _json_float(value)
    if kind is Closure:
        return encode_basestring_ascii(f"fn<{value.callable.name}({value.callable.arg_count})>")
    if kind is dict or kind is list or kind is tuple:
        return None
    raise HogVMException(f"jsonStringify: a value of type {type_name(value)} can not be converted to JSON")


def _json_key(key: Any) -> str:
    """Object keys as `json.dumps` coerces them: strings, numbers, booleans and null only."""
    kind = type(key)
    if kind is str:
        return encode_basestring_ascii(key)
    if kind is bool:
        return '"true"' if key else '"false"'
    if key is None:
        return '"null"'
    if kind is int:
        return '"' + int_text(key) + '"'
    if kind is float:
        return '"' + _json_float(key) + '"'
    raise HogVMException(
        f"jsonStringify: object keys must be strings, numbers, booleans or null, not {type_name(key)}"
    )


def _json_opener(indent: int | None) -> Opener:
    def open_container(value: Any, on_path: set, stack: list) -> str:
        if id(value) in on_path:
            return "null"
        kind = type(value)
        if kind is dict and not value.keys().isdisjoint(_TAGS):
            function = value["callable"] if _is_closure_dict(value) and type(value["callable"]) is dict else value
            if _is_callable_dict(function):
                return encode_basestring_ascii(f"fn<{function.get('name')}({function['argCount']})>")
        is_dict = kind is dict
        opening, closing = ("{", "}") if is_dict else ("[", "]")
        if not value:
            return opening + closing
        separator: str = _COMMA
        if indent is not None:
            depth = len(on_path)
            separator = ",\n" + " " * (indent * (depth + 1))
            opening += "\n" + " " * (indent * (depth + 1))
            closing = "\n" + " " * (indent * depth) + closing
        if is_dict:
            return _open_pairs(value, _json_key, _json_leaf, on_path, stack, opening, closing, separator)
        return _open_items(value, _json_leaf, on_path, stack, opening, closing, separator)

    return open_container


_JSON_COMPACT = _json_opener(None)


def to_json_string(value: Any, indent: int | None = None, budget: Budget | None = None) -> str:
    """`json.dumps(value)` (or with `indent`) for a Hog value; cycles become `null`."""
    opener = _JSON_COMPACT if indent is None else _json_opener(indent)
    return _render(value, _json_leaf, opener, budget)
