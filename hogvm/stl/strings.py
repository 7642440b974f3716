"""String builtins: case, trimming, searching, splitting, replacing, LIKE/regex, encodings.

Semantics follow PostHog's Python VM, including its quirks (positions count code points, `trim`
with a multi-character argument gives '', `extractRegex` gives '' when nothing matches). Where
PostHog's version would crash with a raw Python exception, these raise a `HogVMException` naming
the function and the bad argument.
"""

from __future__ import annotations

import base64
import binascii
import random
import re
import urllib.parse
import uuid
from typing import Any

from hogvm import python_regex
from hogvm.errors import HogVMException
from hogvm.operators import like
from hogvm.printing import print_hog_string_output, to_python_str, type_name
from hogvm.stl.argcheck import TEXT_CHARGE_FROM, VALUE_COST, TextMeter, expect_int, expect_str, fail
from hogvm.stl.registry import StlContext, builtin, note_divergence, volatile


def _charge_text(ctx: StlContext, length: int) -> None:
    ctx.charge(VALUE_COST + length)


@builtin("concat", 1, None)
def concat(args: list[Any], ctx: StlContext) -> str:
    # f-strings compile to concat: keep the all-strings case to one join.
    parts = args
    for arg in args:
        if type(arg) is not str:
            parts = [arg if type(arg) is str else "" if arg is None else print_hog_string_output(arg, ctx)
                     for arg in args]
            break
    size = sum(map(len, parts))
    if size > TEXT_CHARGE_FROM:  # what TextMeter(ctx).add(size) charges, without building one
        TextMeter(ctx).add(size)
    return "".join(parts)


@builtin("lower", 1, 1)
def lower(args: list[Any], ctx: StlContext) -> str | None:
    text = args[0]
    if type(text) is str:  # the common case first: taggers lower-case every word they look for
        return text.lower()
    if text is None:
        return None
    return expect_str("lower", text).lower()


@builtin("upper", 1, 1)
def upper(args: list[Any], ctx: StlContext) -> str:
    return expect_str("upper", args[0]).upper()


@builtin("reverse", 1, 1)
def reverse(args: list[Any], ctx: StlContext) -> Any:
    value = args[0]
    if type(value) not in (str, list, tuple):
        fail("reverse", f"expected a string or an array, got {type_name(value)}")
    return value[::-1]


@builtin("length", 1, 1)
def length(args: list[Any], ctx: StlContext) -> int:
    value = args[0]
    if value is None:
        raise HogVMException("Can not call length on null")
    if type(value) not in (str, list, tuple, dict):
        fail("length", f"expected a string, array, tuple or object, got {type_name(value)}")
    return len(value)


def is_empty(value: Any) -> bool:
    kind = type(value)
    if kind is str or kind is list or kind is dict or kind is tuple:  # the common case, no isinstance
        return not value
    # Numbers and booleans are never empty, not even 0 and false.
    if isinstance(value, int | float):
        return False
    return not value


@builtin("empty", 1, 1)
def empty(args: list[Any], ctx: StlContext) -> bool:
    return is_empty(args[0])


@builtin("notEmpty", 1, 1)
def not_empty(args: list[Any], ctx: StlContext) -> bool:
    return not is_empty(args[0])


def _trim(function: str, args: list[Any], strip: str) -> str:
    # PostHog's order: a second argument that is not a string means ' ', and a multi-character one
    # answers '' before the string is even looked at (trim(null, 'ab') is '').
    chars = None  # no argument: strip all whitespace
    if len(args) > 1:
        chars = args[1] if type(args[1]) is str else " "
        if len(chars) > 1:
            return ""
    text = expect_str(function, args[0], "the string")
    return getattr(text, strip)(chars)


@builtin("trim", 1, 2)
def trim(args: list[Any], ctx: StlContext) -> str:
    return _trim("trim", args, "strip")


@builtin("trimLeft", 1, 2)
def trim_left(args: list[Any], ctx: StlContext) -> str:
    return _trim("trimLeft", args, "lstrip")


@builtin("trimRight", 1, 2)
def trim_right(args: list[Any], ctx: StlContext) -> str:
    return _trim("trimRight", args, "rstrip")


@builtin("splitByString", 2, 3)
def split_by_string(args: list[Any], ctx: StlContext) -> list[str]:
    """ClickHouse's splitByString, as PostHog's Python VM computes it with str.split: a null
    separator splits at runs of whitespace (Python's split(None))."""
    separator = args[0]
    if separator is not None:
        separator = expect_str("splitByString", separator, "the separator")
        if separator == "":
            fail("splitByString", "the separator must not be empty")
    text = expect_str("splitByString", args[1], "the string")
    limit = args[2] if len(args) > 2 else None
    if limit is not None:
        limit = expect_int("splitByString", limit, "the maximum number of parts")
    pieces = text.count(separator) if separator is not None else len(text)
    ctx.charge(VALUE_COST * (pieces + 2) + len(text))
    if limit is None:
        return text.split(separator)
    # At most `limit` parts, the rest dropped (not joined into the last).
    parts = text.split(separator, limit)
    return parts[:limit] if len(parts) > limit else parts


@builtin("replaceOne", 3, 3)
def replace_one(args: list[Any], ctx: StlContext) -> str:
    text = expect_str("replaceOne", args[0], "the string")
    old = expect_str("replaceOne", args[1], "the search string")
    new = expect_str("replaceOne", args[2], "the replacement")
    _charge_text(ctx, len(text) + len(new))
    return text.replace(old, new, 1)


@builtin("replaceAll", 3, 3)
def replace_all(args: list[Any], ctx: StlContext) -> str:
    text = expect_str("replaceAll", args[0], "the string")
    old = expect_str("replaceAll", args[1], "the search string")
    new = expect_str("replaceAll", args[2], "the replacement")
    if len(new) > len(old):
        _charge_text(ctx, len(text) + text.count(old) * (len(new) - len(old)))
    return text.replace(old, new)


@builtin("position", 2, 3)
def position(args: list[Any], ctx: StlContext) -> int:
    # 1-based, 0 when absent; the needle is converted with Python's str() as PostHog does.
    haystack, needle = args[0], args[1]
    if type(haystack) is not str:
        return 0
    return haystack.find(needle if type(needle) is str else to_python_str(needle, ctx)) + 1


@builtin("positionCaseInsensitive", 2, 3)
def position_case_insensitive(args: list[Any], ctx: StlContext) -> int:
    haystack = args[0]
    if type(haystack) is not str:
        return 0
    return haystack.lower().find(to_python_str(args[1], ctx).lower()) + 1


def _number(function: str, value: Any, what: str) -> int | float:
    if not isinstance(value, int | float):
        fail(function, f"expected {what} to be a number, got {type_name(value)}")
    return value


@builtin("substring", 2, 3)
def substring(args: list[Any], ctx: StlContext) -> str:
    """1-based start, optional length. As in PostHog's Python VM, each early exit comes before any
    check that would fail: a non-string gives '', and so does a start before 1 or beyond the end,
    or a negative length, whatever their number types."""
    text = args[0]
    if type(text) is not str:
        return ""
    start = _number("substring", args[1], "the start position") - 1
    count = _number("substring", args[2], "the length") if len(args) > 2 else len(text) - start
    if start < 0 or count < 0 or not start < len(text):
        return ""
    if type(start) is float or type(count) is float:
        fail("substring", "the start position and length must be integers")
    return text[start:start + count]


@builtin("startsWith", 2, 2)
def starts_with(args: list[Any], ctx: StlContext) -> bool:
    text, prefix = args[0], args[1]
    return type(text) is str and type(prefix) is str and text.startswith(prefix)


def _like(args: list[Any], case_insensitive: bool) -> bool:
    return like(args[0], args[1], case_insensitive)


@builtin("like", 2, 2)
def like_fn(args: list[Any], ctx: StlContext) -> bool:
    return _like(args, False)


@builtin("ilike", 2, 2)
def ilike_fn(args: list[Any], ctx: StlContext) -> bool:
    return _like(args, True)


@builtin("notLike", 2, 2)
def not_like_fn(args: list[Any], ctx: StlContext) -> bool:
    return not _like(args, False)


@builtin("notILike", 2, 2)
def not_ilike_fn(args: list[Any], ctx: StlContext) -> bool:
    return not _like(args, True)


def _time_left(ctx: StlContext) -> float | None:
    left = ctx.remaining_time()
    return None if left == float("inf") else max(left, 0.001)


@builtin("match", 2, 2)
def match(args: list[Any], ctx: StlContext) -> bool:
    """Python `re` semantics, as PostHog's Python VM (see hogvm/python_regex.py); an invalid
    pattern is an error, a match that outlasts the run's time limit a timeout."""
    if args[0] is None or args[1] is None:
        return False
    for value, what in ((args[0], "input"), (args[1], "pattern")):
        if type(value) is not str:
            raise HogVMException(f"Function match requires {what} to be a string, got {type_name(value)}")
    try:
        return python_regex.matches(args[1], args[0], _time_left(ctx))
    except python_regex.RegexTimeout:
        raise ctx.timed_out() from None


@builtin("extractRegex", 2, 2)
def extract_regex(args: list[Any], ctx: StlContext) -> str:
    """The first capture group (or the whole match) of the pattern, in Python `re` semantics; ''
    if nothing matches or the pattern is invalid."""
    if args[0] is None or args[1] is None:
        return ""
    text = to_python_str(args[0], ctx)
    pattern = to_python_str(args[1], ctx)
    try:
        return python_regex.extract(pattern, text, _time_left(ctx)) or ""
    except python_regex.RegexTimeout:
        raise ctx.timed_out() from None
    except HogVMException:  # PostHog answers an invalid pattern with '' too
        return ""


@builtin("multiSearchAnyCaseInsensitive", 2, 2)
def multi_search_any_case_insensitive(args: list[Any], ctx: StlContext) -> int:
    haystack, needles = args[0], args[1]
    if haystack is None or needles is None:
        return 0
    text = to_python_str(haystack, ctx).lower()
    if type(needles) is not list:
        return 0
    return int(any(to_python_str(needle, ctx).lower() in text for needle in needles))


def _utf8(function: str, text: str) -> bytes:
    try:
        return text.encode()
    except UnicodeEncodeError:
        fail(function, "the string contains an unpaired surrogate and can not be encoded as UTF-8")


@builtin("base64Encode", 1, 1)
def base64_encode(args: list[Any], ctx: StlContext) -> str:
    data = _utf8("base64Encode", expect_str("base64Encode", args[0]))
    _charge_text(ctx, (len(data) + 2) // 3 * 4)
    return base64.b64encode(data).decode()


@builtin("base64Decode", 1, 1)
def base64_decode(args: list[Any], ctx: StlContext) -> str:
    text = expect_str("base64Decode", args[0])
    try:
        data = base64.b64decode(_utf8("base64Decode", text))
    except binascii.Error as exc:
        fail("base64Decode", f"invalid base64 input: {exc}")
    try:
        return data.decode()
    except UnicodeDecodeError:
        fail("base64Decode", "the decoded bytes are not valid UTF-8 text")


_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/]")


@builtin("tryBase64Decode", 1, 1)
def try_base64_decode(args: list[Any], ctx: StlContext) -> str:
    """Lenient decoding as Node's Buffer does it: URL-safe letters accepted, padding optional,
    other characters skipped, invalid UTF-8 replaced by U+FFFD. '' for a non-string."""
    note_divergence(ctx, "unsupported_in_posthog",
                    "PostHog's Python VM has no tryBase64Decode (only its TypeScript VM does): this "
                    "tagger fails there with 'Unsupported function call: tryBase64Decode'")
    text = args[0]
    if type(text) is not str:
        return ""
    data = _NOT_BASE64.sub("", text.split("=", 1)[0].replace("-", "+").replace("_", "/"))
    if len(data) % 4 == 1:  # a lone trailing character carries no whole byte
        data = data[:-1]
    return base64.b64decode(data + "=" * (-len(data) % 4)).decode(errors="replace")


@builtin("encodeURLComponent", 1, 1)
def encode_url_component(args: list[Any], ctx: StlContext) -> str:
    text = expect_str("encodeURLComponent", args[0])
    data = _utf8("encodeURLComponent", text)
    _charge_text(ctx, 3 * len(data))
    # Python's quote(safe=""): unlike JavaScript it also escapes !'()* (PostHog's Python VM output).
    return urllib.parse.quote(data, safe="")


@builtin("decodeURLComponent", 1, 1)
def decode_url_component(args: list[Any], ctx: StlContext) -> str:
    return urllib.parse.unquote(expect_str("decodeURLComponent", args[0]))


_BAD_PERCENT_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


@builtin("tryDecodeURLComponent", 1, 1)
def try_decode_url_component(args: list[Any], ctx: StlContext) -> Any:
    """Like decodeURLComponent, but null for a malformed `%` escape; empty input comes back as is."""
    text = args[0]
    if not text:
        return text
    text = expect_str("tryDecodeURLComponent", text)
    if _BAD_PERCENT_ESCAPE.search(text):
        return None
    return urllib.parse.unquote(text)


@builtin("generateUUIDv4", 0, 0)
def generate_uuid_v4(args: list[Any], ctx: StlContext) -> str:
    return volatile(ctx, lambda: str(uuid.uuid4()))


@builtin("randomFloat", 0, 0)
def random_float(args: list[Any], ctx: StlContext) -> float:
    return volatile(ctx, random.random)
