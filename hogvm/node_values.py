"""JavaScript's view of Hog values, for the VM's Node.js semantics (hogvm/node_semantics.py).

PostHog's TypeScript VM (`@posthog/hogvm`) holds Hog values as JavaScript values: every number is
a double, strings are UTF-16, arrays and tuples are Arrays, dicts read from globals or JSON are
Maps (or plain objects), and dates, datetimes and closures are plain objects. Its operations lean
on JavaScript's own conversions (`String(x)`, `Number(x)`, `<` between any two values, `===`,
truthiness). This module computes those conversions on our Python representation of the same
values, exactly as ECMAScript defines them:

    js_kind          typeof, with null apart: 'null', 'boolean', 'number', 'string', 'object'
    js_number        a number as a double (ints beyond a double's range become +/-Infinity)
    js_number_text   Number.prototype.toString: 2.0 is '2', 1e21 is '1e+21', 1e-7 is '1e-7'
    js_string        String(x): arrays joined with ',', null inside an array as '', a Map as
                     '[object Map]', dates and closures as '[object Object]'
    js_to_number     Number(x): StringToNumber's grammar ('0x1f', ' 12 ', '' is 0, 'Infinity',
                     no 'inf', no '1_000'), null is 0, booleans 0/1, arrays through String
    js_truthy        false for null, false, 0, NaN and '' only (an empty array is truthy)
    js_strict_equals `===`; js_same_value_zero (`includes`)
    js_less_than     IsLessThan: both primitives strings -> UTF-16 code units; else numbers, NaN
                     (undefined) when either is not one
    js_parse_int / js_parse_float   parseInt(String(x)) / parseFloat(String(x))
    js_trim          String.prototype.trim (JavaScript's whitespace set, not Python's)
    js_utf8_safe     a string as node's UTF-8 conversion sees it: lone surrogates become U+FFFD

Tagged dicts (`__hogDateTime__`, `__hogDate__`, closures) are what the TypeScript VM's
`convertJSToHog` turns into plain objects: a datetime when the tag is truthy, and so on.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

from hogvm.values import Closure

NAN = float("nan")
INF = float("inf")

# ECMAScript WhiteSpace and LineTerminator code points (what trim() and Number() skip).
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
            "\u2028\u2029\u202f\u205f\u3000\ufeff"
_DECIMAL = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_RADIX_PREFIXES = {"0x": 16, "0X": 16, "0o": 8, "0O": 8, "0b": 2, "0B": 2}
_RADIX_DIGITS = {16: re.compile(r"[0-9a-fA-F]+"), 8: re.compile(r"[0-7]+"), 2: re.compile(r"[01]+")}
_INT_PREFIX = re.compile(r"[+-]?[0-9]+")
_HEX_INT_PREFIX = re.compile(r"([+-]?)0[xX]([0-9a-fA-F]*)")
_SURROGATE = re.compile("[\ud800-\udfff]")
_ASTRAL_OR_SURROGATE = re.compile("[\ud800-\udfff\U00010000-\U0010ffff]")

TAGS = ("__hogDateTime__", "__hogDate__", "__hogError__", "__hogClosure__", "__hogCallable__")


def js_kind(value: Any) -> str:
    kind = type(value)
    if value is None:
        return "null"
    if kind is bool:
        return "boolean"
    if kind is int or kind is float:
        return "number"
    if kind is str:
        return "string"
    return "object"


def js_number(value: int | float | bool) -> float:
    """A number (or boolean) as the double JavaScript holds for it."""
    if type(value) is float:
        return value
    try:
        return float(value)
    except OverflowError:
        return INF if value > 0 else -INF


def js_truthy(value: Any) -> bool:
    kind = type(value)
    if kind is float:
        return value == value and value != 0.0
    if kind is list or kind is tuple or kind is dict or kind is Closure:
        return True
    return bool(value)


# --- temporal values ----------------------------------------------------------------------------


def temporal_kind(value: Any) -> str | None:
    """'datetime' or 'date' when the TypeScript VM holds `value` as one, else None."""
    if type(value) is not dict:
        return None
    if js_truthy(value.get("__hogDateTime__")):
        return "datetime"
    if js_truthy(value.get("__hogDate__")):
        return "date"
    return None


def _plain_object(value: dict) -> bool:
    """Whether a dict is a plain object in JavaScript (a date, datetime or closure) rather than a Map."""
    if value.keys().isdisjoint(TAGS):
        return False
    return temporal_kind(value) is not None or js_truthy(value.get("__hogClosure__")) or js_truthy(
        value.get("__hogCallable__"))


# --- numbers as text ------------------------------------------------------------------------------


def js_number_text(value: int | float) -> str:
    """Number::toString(10): the shortest digits that round-trip (Python's repr finds the same ones),
    laid out as ECMAScript lays them out."""
    number = js_number(value)
    if number != number:
        return "NaN"
    if number == 0:
        return "0"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    sign = "-" if number < 0 else ""
    _, digit_tuple, exponent = Decimal(repr(abs(number))).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    assert isinstance(exponent, int)
    exponent += len(digit_tuple) - len(digits)  # the trailing zeros dropped
    k = len(digits)
    n = exponent + k  # the value is 0.digits * 10**n
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    e = n - 1
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{sign}{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"


# --- String(x) and Number(x) ---------------------------------------------------------------------


def js_string(value: Any) -> str:
    """String(value)."""
    kind = type(value)
    if kind is str:
        return value
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int or kind is float:
        return js_number_text(value)
    if kind is list or kind is tuple:
        return _join(value)
    if kind is dict:
        return "[object Object]" if _plain_object(value) else "[object Map]"
    return "[object Object]"  # a closure


def _join(items: list | tuple) -> str:
    """Array.prototype.join(','): null items are empty; an array met again inside itself too (V8)."""
    active: set[int] = set()

    def join(array: list | tuple) -> str:
        if id(array) in active:
            return ""
        active.add(id(array))
        try:
            return ",".join("" if item is None else join(item) if type(item) in (list, tuple) else js_string(item)
                            for item in array)
        finally:
            active.discard(id(array))

    return join(items)


def js_trim(text: str) -> str:
    return text.strip(_JS_SPACE)


def string_to_number(text: str) -> float:
    """StringToNumber: Number('  12 ') is 12, Number('') is 0, Number('0x1F') is 31, else NaN."""
    text = js_trim(text)
    if not text:
        return 0.0
    radix = _RADIX_PREFIXES.get(text[:2])
    if radix is not None:
        digits = text[2:]
        if not _RADIX_DIGITS[radix].fullmatch(digits):
            return NAN
        return js_number(int(digits, radix))
    if not _DECIMAL.fullmatch(text):
        return NAN
    return float(text.replace("Infinity", "inf"))


def to_primitive(value: Any) -> Any:
    """ToPrimitive(value, number): objects become their String() text (valueOf gives none)."""
    if type(value) in (list, tuple, dict, Closure):
        return js_string(value)
    return value


def js_to_number(value: Any) -> float:
    """Number(value)."""
    value = to_primitive(value)
    kind = type(value)
    if kind is float or kind is int or kind is bool:
        return js_number(value)
    if value is None:
        return 0.0
    return string_to_number(value)


# --- equality and order ---------------------------------------------------------------------------


def js_strict_equals(a: Any, b: Any) -> bool:
    """a === b: same type and value; numbers as doubles (NaN is unequal to itself); objects by identity."""
    kind_a = js_kind(a)
    if kind_a != js_kind(b):
        return False
    if kind_a == "number":
        return js_number(a) == js_number(b)
    if kind_a == "object":
        return a is b
    return a == b


def js_same_value_zero(a: Any, b: Any) -> bool:
    """SameValueZero (Array.prototype.includes): `===`, except that NaN equals NaN."""
    if type(a) is float and type(b) is float and a != a and b != b:
        return True
    return js_strict_equals(a, b)


def utf16_less(a: str, b: str) -> bool:
    """a < b for JavaScript strings: by UTF-16 code units, so an astral character (a surrogate pair,
    0xD800-0xDBFF first) sorts before U+E000-U+FFFF, where Python's code points say the opposite."""
    if _ASTRAL_OR_SURROGATE.search(a) is None and _ASTRAL_OR_SURROGATE.search(b) is None:
        return a < b
    return a.encode("utf-16-be", "surrogatepass") < b.encode("utf-16-be", "surrogatepass")


def js_less_than(a: Any, b: Any) -> bool | None:
    """IsLessThan(a, b): True, False, or None (undefined: a NaN was involved)."""
    left, right = to_primitive(a), to_primitive(b)
    if type(left) is str and type(right) is str:
        return utf16_less(left, right)
    x, y = js_to_number(left), js_to_number(right)
    if x != x or y != y:
        return None
    return x < y


def js_finite_number(value: Any) -> bool:
    """Number.isFinite(value): a number (not a boolean) other than NaN and +/-Infinity."""
    kind = type(value)
    return (kind is int or kind is float) and math.isfinite(js_number(value))


# --- parseInt / parseFloat -----------------------------------------------------------------------


def _integral(number: float) -> int | float:
    """A JavaScript number as the VM holds it: an int when it is a safe integer (so Python's side
    prints and indexes it as one), else the float."""
    if number.is_integer() and abs(number) <= 2**53 and not (number == 0 and math.copysign(1, number) < 0):
        return int(number)
    return number


def js_parse_int(value: Any) -> int | float:
    """parseInt(String(value)) (radix 10, or 16 after '0x'); NaN when no digit leads."""
    text = js_string(value).lstrip(_JS_SPACE)
    hexadecimal = _HEX_INT_PREFIX.match(text)
    if hexadecimal:
        if not hexadecimal.group(2):  # '0x' and no digit after it
            return NAN
        number = js_number(int(hexadecimal.group(2), 16))
        return _integral(-number if hexadecimal.group(1) == "-" else number)
    found = _INT_PREFIX.match(text)
    if found is None:
        return NAN
    return _integral(js_number(int(found.group(0))))


def js_parse_float(value: Any) -> float:
    """parseFloat(String(value)): the longest leading decimal literal ('Infinity' included); NaN if none."""
    text = js_string(value).lstrip(_JS_SPACE)
    found = _DECIMAL.match(text)
    if found is None:
        return NAN
    return float(found.group(0).replace("Infinity", "inf"))


# --- text as node hands it to RE2 ----------------------------------------------------------------


def js_utf8_safe(text: str) -> str:
    """`text` as node's UTF-8 conversion produces it: a surrogate pair is its character, a lone
    surrogate U+FFFD (Python can hold both; UTF-8 can hold neither)."""
    if _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def js_utf16_length(text: str) -> int:
    """String.prototype.length: UTF-16 code units."""
    if _ASTRAL_OR_SURROGATE.search(text) is None:
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2
