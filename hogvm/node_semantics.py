"""PostHog's TypeScript VM semantics for what property-filter bytecode reaches: `NODE`.

PostHog evaluates tagger conditions (compiled property filters) on its Node.js side, with
`@posthog/hogvm` and RE2 for regexes (`nodejs/src/cdp/utils/hog-exec.ts`), while taggers run on its
Python VM. Where the two VMs differ (ordering null, strings against numbers, regex on empty text,
`toString(2.0)`...), a condition must decide as Node does. `execute_bytecode(...,
semantics="node")` runs with this table; everything not listed here is the same in both VMs, or
unreachable from filter bytecode (arithmetic, `print`, string builtins other than these).

Opcodes (`compareValues`, `like`, `regexMatch`, `includes` in the TS VM's execute.ts):
    EQ NOT_EQ LT LT_EQ GT GT_EQ  unifyComparisonTypes, then arrays of finite numbers compare
                                 element-wise, anything else with JavaScript's `===` / `<` ...
    LIKE ILIKE NOT_LIKE NOT_ILIKE  String(pattern) to a regex, RE2 on String(text)
    REGEX IREGEX NOT_REGEX NOT_IREGEX  false (negated: true) unless pattern and text are truthy,
                                 then RE2 on String() of both
    IN NOT_IN                    Array.prototype.includes (SameValueZero, no coercion);
                                 String.prototype.includes on a string; an error on anything else
    NOT AND OR JUMP_IF_FALSE     JavaScript truthiness (an empty array is true, NaN false)
Builtins (the TS VM's stl.ts):
    toString toUUID  printHogStringOutput, numbers as JavaScript writes them ('2', not '2.0')
    toInt toFloat    parseInt / parseFloat of String(x): '12abc' is 12, true is null
    toDate toDateTime  the shared date-like grammar; anything else an invalid date (NaN seconds,
                     never equal to anything) instead of an error
    match extractRegex like ilike notLike notILike  RE2 through node-re2's pattern translation
    multiSearchAnyCaseInsensitive JSONExtract values length  (JSONExtract parses as JSON.parse;
                     scalars give null; values/length are what arrayExists and sortableSemver,
                     the bytecode-STL functions filters call, run on)
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from hogvm import node_values as js
from hogvm.errors import HogVMException
from hogvm.handlers import HANDLERS
from hogvm.handlers.control import _jump
from hogvm.opcodes import Op
from hogvm.operators import like as like_strings
from hogvm.printing import _function_text, _open_items, _open_pairs, _render
from hogvm.regex import compile_pattern, regex_search
from hogvm.semantics import Semantics
from hogvm.stl import STL
from hogvm.stl.dates import get_zone, parse_date_like
from hogvm.stl.jsonfns import MAX_JSON_NESTING, _charge_parse
from hogvm.stl.registry import Builtin, StlContext
from hogvm.values import Closure

if TYPE_CHECKING:
    from hogvm.vm import Machine

__all__ = ["NODE", "compare", "node_re2_pattern", "to_string"]

_SEQUENCES = (list, tuple)


# --- comparison (compareValues / unifyComparisonTypes) ---------------------------------------------


def _temporal_seconds(value: Any) -> Any:
    """temporalSeconds: a datetime's `dt` (whatever it holds), a date's UTC midnight, else None."""
    kind = js.temporal_kind(value)
    if kind == "datetime":
        return value.get("dt", js.NAN)  # a missing dt is `undefined`: unequal and unordered
    if kind == "date":
        return _date_seconds(value)
    return None


def _date_seconds(value: dict) -> float:
    """Luxon's `DateTime.fromObject({year, month, day}, {zone: 'UTC'}).toSeconds()`: a field that is
    not a number (NaN, as an invalid toDate gives, a boolean, '') throws; a day that does not exist,
    or a fraction, is an invalid DateTime, NaN seconds."""
    numbers = []
    for part in (value.get("year"), value.get("month"), value.get("day")):
        number = js.NAN if part is None or type(part) is bool or part == "" else js.js_to_number(part)
        if number != number:
            raise HogVMException(f"Invalid unit value {js.js_string(part)}")
        numbers.append(number)
    if not all(math.isfinite(number) and number.is_integer() for number in numbers):
        return js.NAN
    year, month, day = map(int, numbers)
    if not 1 <= month <= 12 or not 1 <= day <= _month_days(year, month):
        return js.NAN
    return float(_days_from_civil(year, month, day) * 86_400)


def _date_string_seconds(text: str) -> float | None:
    """dateStringToSeconds: JavaScript's trim, then the date-like grammar; None if it is not one."""
    trimmed = js.js_trim(text)
    if trimmed != trimmed.strip():  # whitespace to Python but not to JavaScript: the grammar fails
        return None
    parsed = parse_date_like(trimmed)
    return None if parsed is None else parsed.timestamp()


def unify(left: Any, right: Any) -> tuple[Any, Any]:
    """unifyComparisonTypes, rule for rule."""
    left_seconds = _temporal_seconds(left)
    right_seconds = _temporal_seconds(right)
    if left_seconds is not None and right_seconds is not None:
        return left_seconds, right_seconds
    if left_seconds is not None and type(right) is str:
        parsed = _date_string_seconds(right)
        if parsed is not None:
            return left_seconds, parsed
    if right_seconds is not None and type(left) is str:
        parsed = _date_string_seconds(left)
        if parsed is not None:
            return parsed, right_seconds
    left_kind, right_kind = js.js_kind(left), js.js_kind(right)
    if left_kind == "number" and right_kind == "string":
        return left, js.string_to_number(right)
    if left_kind == "string" and right_kind == "number":
        return js.string_to_number(left), right
    if left_kind == "boolean" and right_kind == "string":
        return left, right == "true"
    if left_kind == "string" and right_kind == "boolean":
        return left == "true", right
    if left_kind == "boolean" and right_kind == "number":
        return (1 if left else 0), right
    if left_kind == "number" and right_kind == "boolean":
        return left, (1 if right else 0)
    return left, right


def _array_ordering(left: list | tuple, right: list | tuple) -> int | None:
    """compareValues' array rule: -1/0/1 when both hold only finite numbers, else None."""
    if not all(map(js.js_finite_number, left)) or not all(map(js.js_finite_number, right)):
        return None
    for x, y in zip(left, right, strict=False):
        x, y = js.js_number(x), js.js_number(y)
        if x != y:
            return -1 if x < y else 1
    return (len(left) > len(right)) - (len(left) < len(right))


_ORDERINGS: dict[str, Callable[[int], bool]] = {
    "==": lambda o: o == 0, "!=": lambda o: o != 0, "<": lambda o: o < 0,
    "<=": lambda o: o <= 0, ">": lambda o: o > 0, ">=": lambda o: o >= 0,
}


def compare(left: Any, right: Any, op: str) -> bool:
    """`left op right` as the TS VM's compareValues answers it (op: == != < <= > >=)."""
    if type(left) is str and type(right) is str and op == "==":
        return left == right  # the common case of a filter: no coercion applies
    left, right = unify(left, right)
    if type(left) in _SEQUENCES and type(right) in _SEQUENCES:
        ordering = _array_ordering(left, right)
        if ordering is not None:
            return _ORDERINGS[op](ordering)
    if op == "==":
        return js.js_strict_equals(left, right)
    if op == "!=":
        return not js.js_strict_equals(left, right)
    if op == "<":
        return js.js_less_than(left, right) is True
    if op == ">":
        return js.js_less_than(right, left) is True
    if op == "<=":
        return js.js_less_than(right, left) is False
    return js.js_less_than(left, right) is False  # >=


def _comparison(name: str, op: str) -> Callable[[Machine, None], None]:
    def handler(m: Machine, _: None) -> None:
        stack = m.stack
        a = stack.pop()
        stack[-1] = compare(a, stack[-1], op)

    handler.__name__ = handler.__qualname__ = name
    return handler


# --- membership (Array.prototype.includes) ------------------------------------------------------


def includes(container: Any, item: Any) -> bool:
    """`container.includes(item)`."""
    kind = type(container)
    if kind is list or kind is tuple:
        return any(js.js_same_value_zero(element, item) for element in container)
    if kind is str:
        return js.js_string(item) in container
    if container is None:
        raise HogVMException("Cannot read properties of null (reading 'includes')")
    raise HogVMException(f"{js.js_string(container)}.includes is not a function")


# --- regexes: RE2 as node-re2 hands patterns to it ----------------------------------------------

_UNICODE_CLASSES = {
    "Uppercase_Letter": "Lu", "Lowercase_Letter": "Ll", "Titlecase_Letter": "Lt", "Cased_Letter": "LC",
    "Modifier_Letter": "Lm", "Other_Letter": "Lo", "Letter": "L", "Nonspacing_Mark": "Mn",
    "Spacing_Mark": "Mc", "Enclosing_Mark": "Me", "Mark": "M", "Decimal_Number": "Nd",
    "Letter_Number": "Nl", "Other_Number": "No", "Number": "N", "Connector_Punctuation": "Pc",
    "Dash_Punctuation": "Pd", "Open_Punctuation": "Ps", "Close_Punctuation": "Pe",
    "Initial_Punctuation": "Pi", "Final_Punctuation": "Pf", "Other_Punctuation": "Po",
    "Punctuation": "P", "Math_Symbol": "Sm", "Currency_Symbol": "Sc", "Modifier_Symbol": "Sk",
    "Other_Symbol": "So", "Symbol": "S", "Space_Separator": "Zs", "Line_Separator": "Zl",
    "Paragraph_Separator": "Zp", "Separator": "Z", "Control": "Cc", "Format": "Cf", "Surrogate": "Cs",
    "Private_Use": "Co", "Unassigned": "Cn", "Other": "C",
}
_HEX = re.compile(r"[0-9A-Fa-f]{1,4}")


def node_re2_pattern(pattern: str) -> str:
    """The pattern RE2 compiles for `new RE2(pattern)` in node-re2: JavaScript spellings become
    RE2's (`\\uXXXX` and `\\u{...}` to `\\x{...}`, `\\cX` to a control code, `\\p{Letter}` to
    `\\pL`, `(?<name>` to `(?P<name>`), `/` is escaped and an empty pattern is `(?:)`."""
    if not pattern:
        return "(?:)"
    out: list[str] = []
    i, size = 0, len(pattern)
    while i < size:
        char = pattern[i]
        if char == "\\" and i + 1 < size:
            following = pattern[i + 1]
            if following == "c" and i + 2 < size and "A" <= pattern[i + 2] <= "Z":
                out.append(f"\\x{ord(pattern[i + 2]) - 64:02X}")
                i += 3
            elif following == "u" and i + 2 < size and (_HEX.match(pattern, i + 2) or pattern[i + 2] == "{"):
                if pattern[i + 2] == "{":
                    out.append("\\x")
                    i += 2
                else:
                    digits = _HEX.match(pattern, i + 2).group(0)  # type: ignore[union-attr]
                    out.append("\\x{" + digits + "}")
                    i += 2 + len(digits)
            elif following in "pP" and i + 2 < size and pattern[i + 2] == "{" and "}" in pattern[i + 3:]:
                end = pattern.index("}", i + 3)
                name = pattern[i + 3:end]
                name = _UNICODE_CLASSES.get(name, name)
                if name.startswith("Script=") and len(name) > 7:
                    name = name[7:]
                elif name.startswith("sc=") and len(name) > 3:
                    name = name[3:]
                out.append("\\" + following + (name if len(name) == 1 else "{" + name + "}"))
                i = end + 1
            else:
                out.append(char + following)
                i += 2
        elif char == "/":
            out.append("\\/")
            i += 1
        elif pattern.startswith("(?<", i) and not pattern.startswith(("(?<=", "(?<!"), i):
            out.append("(?P<")
            i += 3
        else:
            out.append(char)
            i += 1
    return "".join(out)


def re2_test(pattern: Any, text: Any) -> bool:
    """`new RE2(pattern).test(text)`: String() of both, surrogates as node's UTF-8 carries them."""
    return regex_search(node_re2_pattern(js.js_utf8_safe(js.js_string(pattern))), js.js_utf8_safe(js.js_string(text)))


def _regex_handler(name: str, *, case_insensitive: bool, negated: bool) -> Callable[[Machine, None], None]:
    """The REGEX family: `regex && value ? match(regex, value) : false`, negated after that."""

    def handler(m: Machine, _: None) -> None:
        stack = m.stack
        text = stack.pop()
        pattern = stack[-1]
        if case_insensitive:
            pattern = "(?i)" + js.js_string(pattern)
        matched = re2_test(pattern, text) if js.js_truthy(pattern) and js.js_truthy(text) else False
        stack[-1] = matched is not negated

    handler.__name__ = handler.__qualname__ = name
    return handler


def like(text: Any, pattern: Any, case_insensitive: bool) -> bool:
    """The TS VM's `like`: String(pattern) with `%` and `_` as wildcards, searched by RE2 in
    String(text) (null is the text 'null'); no special case for empty text or pattern."""
    return like_strings(js.js_utf8_safe(js.js_string(text)), js.js_utf8_safe(js.js_string(pattern)), case_insensitive)


def _binary_test(name: str, test: Callable[[Any, Any], bool], negated: bool = False) -> Callable[[Machine, None], None]:
    """A handler for `b a -> test(a, b)` (a on top), negated or not."""

    def handler(m: Machine, _: None) -> None:
        stack = m.stack
        a = stack.pop()
        stack[-1] = test(a, stack[-1]) is not negated

    handler.__name__ = handler.__qualname__ = name
    return handler


# --- truthiness ------------------------------------------------------------------------------------


def op_not(m: Machine, _: None) -> None:
    stack = m.stack
    stack[-1] = not js.js_truthy(stack[-1])


def op_and(m: Machine, count: int) -> None:
    stack = m.stack
    if count > len(stack):
        raise HogVMException("Stack underflow")
    values = stack[len(stack) - count:]
    del stack[len(stack) - count:]
    stack.append(all(map(js.js_truthy, values)))


def op_or(m: Machine, count: int) -> None:
    stack = m.stack
    if count > len(stack):
        raise HogVMException("Stack underflow")
    values = stack[len(stack) - count:]
    del stack[len(stack) - count:]
    stack.append(any(map(js.js_truthy, values)))


def op_jump_if_false(m: Machine, target: int) -> None:
    if not js.js_truthy(m.stack.pop()):
        _jump(m, target)


# --- toString ----------------------------------------------------------------------------------

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


# JavaScript's Date range, which Luxon keeps to: +/-100,000,000 days around the epoch
_MAX_MILLIS = 8.64e15


def _millis(seconds: Any) -> float | None:
    """Luxon's instant for `DateTime.fromSeconds(seconds)` in milliseconds; None for an invalid
    DateTime (NaN, out of range). Luxon adds the zone's offset to it and lets a JavaScript Date cut
    the sum toward zero, so fractions stay until then."""
    number = js.js_number(seconds)
    if not math.isfinite(number) or abs(number * 1000) > _MAX_MILLIS:
        return None
    return number * 1000


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date, any year (0 and before too, as Luxon)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


def _month_days(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _civil(millis: int) -> tuple[int, int, int, int, int, int, int]:
    """(year, month, day, hour, minute, second, millisecond) in UTC, for any year (proleptic Gregorian)."""
    days, rest = divmod(millis, 86_400_000)
    days += 719_468
    era = days // 146_097
    day_of_era = days - era * 146_097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted_month = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * shifted_month + 2) // 5 + 1
    month = shifted_month + 3 if shifted_month < 10 else shifted_month - 9
    year = year_of_era + era * 400 + (month <= 2)
    return year, month, day, rest // 3_600_000, rest // 60_000 % 60, rest // 1000 % 60, rest % 1000


def _iso(value: dict) -> str | None:
    """Luxon's `DateTime.fromSeconds(dt, {zone}).toISO()`: None (toISO of an invalid DateTime) for
    NaN, a moment out of range or an unknown zone; not a number is an error."""
    seconds, zone = value.get("dt"), value.get("zone") or "UTC"
    if js.js_kind(seconds) != "number":
        raise HogVMException("fromSeconds requires a numerical input")
    millis = _millis(seconds)
    if millis is None or type(zone) is not str:
        return None
    utc = zone.lower() in ("utc", "gmt")
    offset_seconds = 0
    if not utc:
        try:
            moment = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC) + _dt.timedelta(milliseconds=math.trunc(millis))
            offset = moment.astimezone(get_zone(zone)).utcoffset() or _dt.timedelta(0)
            offset_seconds = int(offset.total_seconds())
        except HogVMException:
            return None
        except OverflowError:  # beyond Python's years: the zone's offset is not known there
            offset_seconds = 0
    year, month, day, hour, minute, second, milli = _civil(math.trunc(millis + offset_seconds * 1000))
    year_text = f"{year:04d}" if 0 <= year <= 9999 else f"{'-' if year < 0 else '+'}{abs(year):06d}"
    text = f"{year_text}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}.{milli:03d}"
    if utc:
        return text + "Z"
    # the wall time uses the exact offset (old local mean times have seconds); the text shows whole minutes
    sign, minutes = "-" if offset_seconds < 0 else "+", abs(offset_seconds) // 60
    return text + f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def to_string(value: Any, budget: Any = None) -> str | None:
    """STLToString: a date as YYYY-MM-DD, a datetime in Luxon's ISO form, a string as it is,
    anything else as printHogValue writes it."""
    kind = js.temporal_kind(value)
    if kind == "date":
        year, month, day = (js.js_string(value.get(part)) for part in ("year", "month", "day"))
        return f"{year}-{month.zfill(2) if len(month) == 1 else month}-{day.zfill(2) if len(day) == 1 else day}"
    if kind == "datetime":
        return _iso(value)
    if type(value) is str:
        return value
    return print_value(value, budget)


# --- conversions ------------------------------------------------------------------------------------


def _nan_to_null(number: float | int) -> float | int | None:
    return None if type(number) is float and number != number else number


def to_int(args: list[Any], ctx: StlContext) -> Any:
    value = args[0]
    kind = js.temporal_kind(value)
    if kind == "datetime":  # Math.floor(dt)
        seconds = js.js_to_number(value.get("dt"))
        return math.floor(seconds) if math.isfinite(seconds) else seconds
    if kind == "date":
        return _days_since_epoch(value)
    return _nan_to_null(js.js_parse_int(value))


def to_float(args: list[Any], ctx: StlContext) -> Any:
    value = args[0]
    kind = js.temporal_kind(value)
    if kind == "datetime":
        return value.get("dt")
    if kind == "date":
        return _days_since_epoch(value)
    return _nan_to_null(js.js_parse_float(value))


def _days_since_epoch(value: dict) -> float | int:
    seconds = _date_seconds(value)
    return seconds if seconds != seconds else int(seconds // 86400)


def _invalid_date() -> dict[str, Any]:
    return {"__hogDate__": True, "year": js.NAN, "month": js.NAN, "day": js.NAN}


def to_date(args: list[Any], ctx: StlContext) -> dict[str, Any]:
    """toDate: a number is epoch seconds, a date-like string its day, anything else an invalid date."""
    value = args[0]
    if js.js_kind(value) == "number":  # in the server's zone: UTC on PostHog's servers
        millis = _millis(value)
        if millis is None:
            return _invalid_date()
        year, month, day = _civil(math.trunc(millis))[:3]
        return {"__hogDate__": True, "year": year, "month": month, "day": day}
    parsed = _parse_date_like(value, None)
    if parsed is None:
        return _invalid_date()
    parsed = parsed.astimezone(_dt.UTC)  # Luxon reads it into its zone, UTC: an offset can move the day
    return {"__hogDate__": True, "year": parsed.year, "month": parsed.month, "day": parsed.day}


def to_datetime(args: list[Any], ctx: StlContext) -> dict[str, Any]:
    """toDateTime: a number is the epoch seconds as they are; a date-like string is parsed (wall time in
    `zone`); anything else gives NaN seconds."""
    value = args[0]
    zone = args[1] if len(args) > 1 else None
    if js.js_kind(value) == "number":
        seconds: Any = value
    else:
        parsed = _parse_date_like(value, zone)
        seconds = js.NAN if parsed is None else parsed.timestamp()
    return {"__hogDateTime__": True, "dt": seconds, "zone": zone if js.js_truthy(zone) else "UTC"}


def _parse_date_like(value: Any, zone: Any) -> _dt.datetime | None:
    if type(value) is not str:
        return None
    trimmed = js.js_trim(value)
    if trimmed != trimmed.strip():
        return None
    try:
        if js.js_truthy(zone):
            get_zone(zone)  # Luxon refuses an unknown zone even for text that carries an offset
        return parse_date_like(trimmed, zone if js.js_truthy(zone) else None)
    except (HogVMException, TypeError, ValueError, OverflowError):  # an unknown zone: Luxon's invalid DateTime
        return None


# --- regex and search builtins --------------------------------------------------------------------


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


# --- JSON and collections -----------------------------------------------------------------------


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


# --- the table ------------------------------------------------------------------------------------


def _like_builtin(case_insensitive: bool, negated: bool) -> Callable[[list[Any], StlContext], bool]:
    return lambda args, ctx: like(args[0], args[1], case_insensitive) is not negated


def _build() -> Semantics:
    handlers = list(HANDLERS)
    overrides = {
        Op.EQ: _comparison("op_eq", "=="),
        Op.NOT_EQ: _comparison("op_not_eq", "!="),
        Op.LT: _comparison("op_lt", "<"),
        Op.LT_EQ: _comparison("op_lt_eq", "<="),
        Op.GT: _comparison("op_gt", ">"),
        Op.GT_EQ: _comparison("op_gt_eq", ">="),
        Op.LIKE: _binary_test("op_like", partial(like, case_insensitive=False)),
        Op.ILIKE: _binary_test("op_ilike", partial(like, case_insensitive=True)),
        Op.NOT_LIKE: _binary_test("op_not_like", partial(like, case_insensitive=False), negated=True),
        Op.NOT_ILIKE: _binary_test("op_not_ilike", partial(like, case_insensitive=True), negated=True),
        Op.IN: _binary_test("op_in", lambda item, container: includes(container, item)),
        Op.NOT_IN: _binary_test("op_not_in", lambda item, container: includes(container, item), negated=True),
        Op.REGEX: _regex_handler("op_regex", case_insensitive=False, negated=False),
        Op.NOT_REGEX: _regex_handler("op_not_regex", case_insensitive=False, negated=True),
        Op.IREGEX: _regex_handler("op_iregex", case_insensitive=True, negated=False),
        Op.NOT_IREGEX: _regex_handler("op_not_iregex", case_insensitive=True, negated=True),
        Op.NOT: op_not,
        Op.AND: op_and,
        Op.OR: op_or,
        Op.JUMP_IF_FALSE: op_jump_if_false,
    }
    for op, handler in overrides.items():
        handlers[int(op)] = handler
    functions: dict[str, Callable[[list[Any], StlContext], Any]] = {
        "toString": lambda args, ctx: to_string(args[0], ctx),
        "toUUID": lambda args, ctx: to_string(args[0], ctx),
        "toInt": to_int,
        "toFloat": to_float,
        "toDate": to_date,
        "toDateTime": to_datetime,
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
    builtins = {name: Builtin(name, fn, STL[name].min_args, STL[name].max_args) for name, fn in functions.items()}
    return Semantics("node", handlers, builtins)


NODE = _build()
