"""Hog's value operations, with the semantics of PostHog's Python VM.

The VM's dispatch loop inlines the common cases (two ints, two floats) and calls these functions
for everything else; the STL calls them too (`equals`, `like`, ...). Every function either returns
a Hog value or raises `HogVMException`: Python's own exceptions (TypeError for `1 + 'a'`,
ZeroDivisionError, ...) never escape, but their texts, which PostHog's Python VM shows, are kept.

Arithmetic is Python's, because that is what PostHog's Python VM does (taggers run on it):
`'a' + 'b'` and `[1] + [2]` concatenate, `'ab' * 2` repeats, `/` is true division and `%` takes
the sign of the divisor (`-7 % 3 == 2`; the TypeScript VM says -1). Two deliberate limits keep the
sandbox safe: repetition and integer multiplication refuse results that would be huge, and
`str % x` (Python's printf formatting, which can pad to any width) is not an operation.
"""

from __future__ import annotations

import datetime as _dt
import operator as _operator
from typing import Any

from hogvm.comparison import contains as contains_item
from hogvm.comparison import values_equal, values_ordered
from hogvm.errors import HogVMException, HogVMMemoryExceededException
from hogvm.regex import evict_oldest, like_regex_cached, regex_search
from hogvm.values import Closure

# Multiplying integers doubles their size each time; PostHog's VM would happily compute a
# gigabyte-long integer. 2**65536 is far beyond any value a tagger needs.
MAX_INT_BITS = 65536
# A `'x' * n` or `[x] * n` result may not exceed this many characters / items on its own; the VM
# additionally charges the result against the run's memory limit before it is built.
MAX_REPEAT_LENGTH = 64 << 20

_NUMBER = (int, float)
_CONTAINERS = frozenset((list, tuple, dict))
_SEQUENCES = frozenset((list, tuple))


def _fail(error: Exception) -> HogVMException:
    return HogVMException(str(error) or type(error).__name__)


def add(a: Any, b: Any) -> Any:
    try:
        return a + b
    except (TypeError, OverflowError) as error:
        raise _fail(error) from None


def subtract(a: Any, b: Any) -> Any:
    try:
        return a - b
    except (TypeError, OverflowError) as error:
        raise _fail(error) from None


def repetition_size(a: Any, b: Any) -> int:
    """If `a * b` repeats a string/array/tuple, the length of the result; else 0."""
    if type(a) in (str, list, tuple) and isinstance(b, int):
        return len(a) * max(b, 0)
    if type(b) in (str, list, tuple) and isinstance(a, int):
        return len(b) * max(a, 0)
    return 0


def multiply(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int and a.bit_length() + b.bit_length() > MAX_INT_BITS:
        raise HogVMException(f"Integer overflow: the product would have more than {MAX_INT_BITS} bits")
    size = repetition_size(a, b)
    if size > MAX_REPEAT_LENGTH:
        raise HogVMMemoryExceededException(MAX_REPEAT_LENGTH, size)
    try:
        return a * b
    except (TypeError, OverflowError) as error:
        raise _fail(error) from None


def divide(a: Any, b: Any) -> Any:
    try:
        return a / b
    except (TypeError, ZeroDivisionError, OverflowError) as error:
        raise _fail(error) from None


def modulo(a: Any, b: Any) -> Any:
    if isinstance(a, str):
        raise HogVMException(f"unsupported operand type(s) for %: 'str' and '{type(b).__name__}'")
    try:
        return a % b
    except (TypeError, ZeroDivisionError, OverflowError) as error:
        raise _fail(error) from None


def unify_comparison_types(left: Any, right: Any) -> tuple[Any, Any]:
    """Bring a pair of values to comparable types, exactly as PostHog's Python VM does.

    Dates and datetimes compare by epoch seconds, with each other and with a date-like string
    (`timestamp > toDateTime('2026-06-01')`); bool vs string: 'true'/'false' (any case) become
    booleans, other strings their truthiness; bool vs number: the bool becomes 0/1; number vs
    string: the string is parsed as a float when it can be (`'1' = 1`), otherwise both stay."""
    left_type = type(left)
    right_type = type(right)
    if left_type is dict or right_type is dict:
        temporal = _unify_temporal(left, right)
        if temporal is not None:
            return temporal
    if left_type is bool and right_type is str:
        return left, _string_as_bool(right)
    if left_type is str and right_type is bool:
        return _string_as_bool(left), right
    if left_type is bool and right_type in (int, float):
        return int(left), right
    if left_type in (int, float) and right_type is bool:
        return left, int(right)
    if left_type in (int, float, bool) and right_type is str:
        return left, _string_as_number(right)
    if left_type is str and right_type in (int, float, bool):
        return _string_as_number(left), right
    return left, right


def _temporal_seconds(value: Any) -> float | None:
    """Epoch seconds of a Hog datetime, or of a Hog date at midnight UTC; else None."""
    if type(value) is not dict:
        return None
    if value.get("__hogDateTime__") is not None and "dt" in value:
        seconds = value["dt"]
        return seconds if type(seconds) in (int, float) else None
    if value.get("__hogDate__") is not None:
        fields = (value.get("year"), value.get("month"), value.get("day"))
        if all(type(field) is int for field in fields):
            try:
                return _dt.datetime(*fields, tzinfo=_dt.UTC).timestamp()  # type: ignore[misc]
            except (ValueError, OverflowError):
                return None
    return None


def _unify_temporal(left: Any, right: Any) -> tuple[Any, Any] | None:
    left_seconds = _temporal_seconds(left)
    right_seconds = _temporal_seconds(right)
    if left_seconds is not None and right_seconds is not None:
        return left_seconds, right_seconds
    if left_seconds is None and right_seconds is None:
        return None
    from hogvm.stl.dates import date_string_to_seconds  # the dates library parses like toDateTime

    if left_seconds is not None and type(right) is str:
        parsed = date_string_to_seconds(right)
        if parsed is not None:
            return left_seconds, parsed
    if right_seconds is not None and type(left) is str:
        parsed = date_string_to_seconds(left)
        if parsed is not None:
            return parsed, right_seconds
    return None


def _string_as_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    return bool(text)


def _string_as_number(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text


# Comparisons: PostHog's type unification, then Python's `==` / `<` / `in`. Two containers are
# compared by hogvm.comparison instead of by Python, which recurses (RecursionError on a deep
# array) and compares shared parts again and again (two `a := [a, a]` values take 2**depth steps
# inside C, where the VM's timeout can not stop them); it gives the same answers. Scalars never
# reach it: one type test, then Python's operator, as before.


def equals(a: Any, b: Any) -> bool:
    a, b = unify_comparison_types(a, b)
    if type(a) in _CONTAINERS and type(b) in _CONTAINERS:
        return values_equal(a, b)
    return a == b  # a scalar against anything: one step


def not_equals(a: Any, b: Any) -> bool:
    a, b = unify_comparison_types(a, b)
    if type(a) in _CONTAINERS and type(b) in _CONTAINERS:
        return not values_equal(a, b)
    return a != b


def greater(a: Any, b: Any) -> bool:
    a, b = unify_comparison_types(a, b)
    try:
        if type(a) in _SEQUENCES:
            return values_ordered(a, b, _operator.gt)
        return a > b
    except TypeError as error:
        raise _fail(error) from None


def greater_or_equals(a: Any, b: Any) -> bool:
    a, b = unify_comparison_types(a, b)
    try:
        if type(a) in _SEQUENCES:
            return values_ordered(a, b, _operator.ge)
        return a >= b
    except TypeError as error:
        raise _fail(error) from None


def less(a: Any, b: Any) -> bool:
    a, b = unify_comparison_types(a, b)
    try:
        if type(a) in _SEQUENCES:
            return values_ordered(a, b, _operator.lt)
        return a < b
    except TypeError as error:
        raise _fail(error) from None


def less_or_equals(a: Any, b: Any) -> bool:
    a, b = unify_comparison_types(a, b)
    try:
        if type(a) in _SEQUENCES:
            return values_ordered(a, b, _operator.le)
        return a <= b
    except TypeError as error:
        raise _fail(error) from None


def contains(a: Any, b: Any) -> bool:
    """`a in b`: an element of an array/tuple, a key of a dict, a substring of a string."""
    if type(a) in _CONTAINERS and type(b) in _SEQUENCES:
        return contains_item(b, a)  # a container among the items: compared without recursion
    if type(b) is Closure:
        raise HogVMException("argument of type 'function' is not iterable")
    try:
        return a in b  # a scalar is compared with each item in one step
    except TypeError as error:
        raise _fail(error) from None


def truthy(value: Any) -> bool:
    return bool(value)


def like(text: Any, pattern: Any, case_insensitive: bool = False) -> bool:
    """SQL LIKE, searched anywhere in `text` (as both reference VMs do)."""
    if type(text) is not str or type(pattern) is not str:
        bad = text if type(text) is not str else pattern
        raise HogVMException(
            f"LIKE requires two strings, got {type_label(bad)} "
            f"(wrap possibly-null values in ifNull(x, ''))"
        )
    literal = _containments.get(pattern, False)
    if literal is False:
        literal = _containment(pattern)
    if literal is not None and text.isascii():
        # '%literal%' (or 'literal', '%literal', 'literal%': LIKE is unanchored here) is a substring
        # test: RE2 answers the same, slower. ASCII only: RE2 refuses text it cannot encode, and its
        # case folding matches ASCII letters to non-ASCII ones (k to the Kelvin sign), which ASCII
        # text does not hold.
        return literal[1] in text.lower() if case_insensitive else literal[0] in text
    return regex_search(like_regex_cached(pattern), text, case_insensitive)


# LIKE patterns (almost always literals in a loop) -> (literal, lower-cased) when the pattern is a
# containment test, else None; bounded as the regex caches are.
_containments: dict[str, tuple[str, str] | None] = {}
_CONTAINMENTS_SIZE = 512


def _containment(pattern: str) -> tuple[str, str] | None:
    """The literal of a LIKE pattern whose only wildcards are %s at its ends, around an ASCII
    literal (with its lower-cased form), or None."""
    literal = pattern.strip("%")
    found = (literal, literal.lower()) if "%" not in literal and "_" not in literal and literal.isascii() else None
    if len(_containments) >= _CONTAINMENTS_SIZE:
        evict_oldest(_containments)
    _containments[pattern] = found
    return found


def regex_match(text: Any, pattern: Any, case_insensitive: bool = False) -> bool:
    """`text =~ pattern`: false when either side is null or empty, as PostHog's VMs."""
    if not text or not pattern:
        return False
    if type(text) is not str:
        raise HogVMException(f"Function match requires input to be a string, got {type_label(text)}")
    if type(pattern) is not str:
        raise HogVMException(f"Function match requires pattern to be a string, got {type_label(pattern)}")
    return regex_search(pattern, text, case_insensitive)


def get_property(obj: Any, key: Any, nullish: bool = False) -> Any:
    """`obj[key]` / `obj.key`: 1-based indexes, negative ones from the end, null when missing.

    Only Hog data is reachable: dict entries and array/tuple/string positions. Anything else
    (a function, a number, a string's methods) reads as null, never as a Python attribute.
    `nullish` (`?.`) reads the same for a single step: access on null is null either way."""
    kind = type(obj)
    if kind is dict:
        try:
            return obj.get(key)
        except TypeError:  # unhashable key (a list or dict): no such entry
            return None
    if obj is None:
        return None
    if kind is list or kind is tuple or kind is str:
        if type(key) is float and key.is_integer():
            key = int(key)
        if isinstance(key, int):
            if key > 0:
                return obj[key - 1] if key <= len(obj) else None
            if key < 0:
                return obj[key] if -key <= len(obj) else None
            raise HogVMException("Hog arrays start from index 1")
    return None


def set_property(obj: Any, key: Any, value: Any) -> None:
    """`obj[key] := value` on a dict or an array (1-based); a no-op on null, as PostHog."""
    kind = type(obj)
    if kind is dict:
        try:
            obj[key] = value
        except TypeError as error:
            raise _fail(error) from None
        return
    if kind is list:
        if not isinstance(key, int):
            raise HogVMException(f"Invalid index: {key}")
        if key <= 0:
            raise HogVMException("Hog arrays start from index 1")
        if key > len(obj):
            raise HogVMException(f"Index {key} out of range for array of length {len(obj)}")
        obj[key - 1] = value
        return
    if obj is None:
        return
    raise HogVMException(f'Can not set property "{key}" on object of type "{type_label(obj)}"')


def type_label(value: Any) -> str:
    """The type named in error messages: Python's names, as PostHog's Python VM shows them."""
    if value is None:
        return "null"
    if type(value) is Closure:
        return "function"
    return type(value).__name__
