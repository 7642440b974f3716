"""Dates and datetimes as PostHog's TypeScript VM makes and reads them (Luxon, in UTC).

`toDate` / `toDateTime` parse the date-like grammar all of PostHog's VMs share (hogvm/stl/dates.py
implements it), with JavaScript's `trim()`; anything else is an invalid DateTime, whose seconds and
fields are NaN (never equal to anything) instead of an error. A date compares as its UTC midnight,
computed for any year as Luxon does; `toString` of a datetime is Luxon's `toISO()`.
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

from hogvm import node_values as js
from hogvm.errors import HogVMException
from hogvm.stl.dates import get_zone, parse_date_like
from hogvm.stl.registry import StlContext


def temporal_seconds(value: Any) -> Any:
    """temporalSeconds: a datetime's `dt` (whatever it holds), a date's UTC midnight, else None."""
    kind = js.temporal_kind(value)
    if kind == "datetime":
        return value.get("dt", js.NAN)  # a missing dt is `undefined`: unequal and unordered
    if kind == "date":
        return date_seconds(value)
    return None


def date_seconds(value: dict) -> float:
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


def date_string_seconds(text: str) -> float | None:
    """dateStringToSeconds: JavaScript's trim, then the date-like grammar; None if it is not one."""
    trimmed = js.js_trim(text)
    if trimmed != trimmed.strip():  # whitespace to Python but not to JavaScript: the grammar fails
        return None
    parsed = parse_date_like(trimmed)
    return None if parsed is None else parsed.timestamp()


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


def iso_text(value: dict) -> str | None:
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


def days_since_epoch(value: dict) -> float | int:
    seconds = date_seconds(value)
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
