"""Date and time builtins: parsing, time zones, arithmetic, truncation, ClickHouse-style formatting.

Values are PostHog's tagged dicts (see `hogvm/values.py`): a date is `{__hogDate__, year, month,
day}`, a datetime is `{__hogDateTime__, dt, zone}` with `dt` in epoch seconds (a float, or whatever
number `fromUnixTimestamp` was given) and `zone` an IANA name. Time zones come from the standard
library's `zoneinfo`; `get_zone` is the one place that turns a zone name into a tzinfo.

Compatibility. These follow PostHog's Python VM, on which taggers run, also where its TypeScript
VM answers differently (pinned in tests/test_stl_dates.py, `PYTHON_NOT_TYPESCRIPT`, and the corpus
files tests/corpus/stl_dates/*.typescript.stdout):

- Wall-clock reads of a DateTime (`extract`, `toYear`, `toMonth`, `toYYYYMM`, `dateTrunc`,
  `toStartOfDay/Hour/Week/Month`, `dateAdd`, `addDays`, `dateDiff`) take its UTC wall clock and
  label it with the value's zone, at the offset that zone has at that wall time. So for a value in
  Asia/Kolkata whose instant is 07:04 UTC, `extract('hour', ...)` is 7, and `dateTrunc`,
  `toStartOf*` and `dateAdd` return the UTC wall-clock result read as Kolkata time (5:30 earlier
  than the UTC answer). The offset is fixed at the starting wall time (a truncation or addition
  across a DST change keeps it), and a wall time the zone skips or repeats takes its standard-time
  offset, as `pytz.localize(is_dst=False)` does. PostHog's TypeScript VM and ClickHouse read the
  real local time instead. Dates are midnight UTC in both VMs, and UTC values, which taggers
  normally get, read the same in both.
- Date strings are read with Python's `datetime.fromisoformat`, as PostHog's Python VM reads them
  (`toYear('2024-W05')`, `toDate('20240131')`); a string without an offset is UTC (the local time
  of PostHog's servers), and `dateDiff`/`extract` replace a string's own offset with UTC. A string
  `fromisoformat` refuses is an error, where PostHog's VM crashes.
- `now(zone)`, `toDateTime(x, zone)` and `toUnixTimestampMilli(x, zone)` ignore the zone argument
  (whatever it is, as the Python VM never looks at it), and so does `toUnixTimestamp(DateTime,
  zone)`. `toTimeZone` does not check its zone: an unknown one fails where the value is first read.
- Input PostHog's Python VM crashes on with a raw Python exception (an unknown zone where one is
  used, a `null` or a list where a date belongs, an unknown unit) raises a `HogVMException` saying
  what was expected.
- `toDate(number)` reads the timestamp in UTC, not in the host machine's zone.

Deliberate differences from PostHog's Python VM, where its time zone library (pytz) is wrong; both
are pinned in tests/test_vm_divergences.py and listed in the README:

- `toUnixTimestamp(Date, zone)`: PostHog attaches a pytz zone to the date directly, which applies
  the zone's first historical offset, its local mean time (+0:53 in Europe/Berlin, -4:56 in
  America/New_York), so its answer is off by minutes. Here it is midnight at the zone's real offset.
- Summer time after 2037: pytz's tables stop in 2037, so PostHog reads a later instant in standard
  time (`formatDateTime` of July 2040 in Europe/Berlin shows 13:00 for 11:00 UTC); zoneinfo here
  keeps applying the zone's rules (14:00).

A local wall time read in a zone (a Date given a zone, or the wall clocks above) that a DST change
skips or repeats resolves as PostHog's `pytz.localize` does, and offsets are rounded to whole
minutes as pytz rounds the local mean time of dates before a zone's first standard offset.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
import time
import zoneinfo
from collections.abc import Callable
from typing import Any

from hogvm.errors import HogVMException
from hogvm.printing import type_name as _type_name
from hogvm.stl.registry import StlContext, builtin, volatile
from hogvm.values import DATE_TAG, DATETIME_TAG, INTERVAL_TAG, is_hog_date, is_hog_datetime

UTC = _dt.UTC


# --- values -----------------------------------------------------------------------------------


def hog_date(year: int, month: int, day: int) -> dict[str, Any]:
    return {DATE_TAG: True, "year": year, "month": month, "day": day}


def hog_datetime(seconds: float, zone: str = "UTC") -> dict[str, Any]:
    return {DATETIME_TAG: True, "dt": seconds, "zone": zone}


def hog_interval(value: Any, unit: str) -> dict[str, Any]:
    return {INTERVAL_TAG: True, "value": value, "unit": unit}


def _is_number(value: Any) -> bool:
    """A number as Python's arithmetic sees one: booleans count (timedelta(days=True) is a day)."""
    return type(value) is int or type(value) is float or type(value) is bool


def _require_number(fn: str, value: Any, what: str = "a number") -> int | float:
    if not _is_number(value):
        raise HogVMException(f"{fn}: expected {what}, got {_type_name(value)}")
    return value


def _as_float(fn: str, value: int | float) -> float:
    try:
        return float(value)
    except OverflowError as e:  # an integer beyond float range (Hog integers are unbounded)
        raise HogVMException(f"{fn}: timestamp out of range") from e


# --- time zones -------------------------------------------------------------------------------

_ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*")


@functools.cache
def _zones_by_lowercase_name() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


@functools.lru_cache(maxsize=256)
def _load_zone(name: str) -> _dt.tzinfo | None:
    if name == "UTC":
        return UTC
    if not _ZONE_NAME.fullmatch(name):
        return None  # never let arbitrary text reach the file system
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        canonical = _zones_by_lowercase_name().get(name.lower())  # 'europe/berlin' works in PostHog
        return zoneinfo.ZoneInfo(canonical) if canonical else None


def get_zone(name: Any) -> _dt.tzinfo:
    """The tzinfo for an IANA zone name; `HogVMException` for anything else."""
    if type(name) is not str:
        raise HogVMException(f"Time zone must be a string, got {_type_name(name)}")
    zone = _load_zone(name) if len(name) <= 64 else None  # long text is no zone; don't cache it
    if zone is None:
        raise HogVMException(f"Unknown time zone: {name!r}")
    return zone


def _optional_zone(args: list[Any], index: int) -> str | None:
    """The zone argument at `index` if given and not null, validated."""
    if len(args) <= index or args[index] is None or args[index] == "":
        return None
    get_zone(args[index])
    return args[index]


# --- instants and wall clocks -----------------------------------------------------------------


def resolve_wall_time(naive: _dt.datetime, tz: _dt.tzinfo, is_dst: bool = True) -> _dt.datetime:
    """Attach `tz` to a local wall time as `pytz.localize(naive, is_dst=is_dst)` does in PostHog's
    Python VM. The result carries a fixed offset (later arithmetic keeps it, as with pytz), rounded
    to whole minutes as pytz rounds local mean time. A time a DST change skips takes the offset
    after the change when `is_dst` (summer time) and the one before it otherwise; a repeated time
    takes the reading whose DST flag is `is_dst`, else the earlier (`is_dst`) or later one."""
    first = naive.replace(tzinfo=tz, fold=0)  # in a gap or fold: the offset before the change
    second = naive.replace(tzinfo=tz, fold=1)  # the offset after it
    first_offset, second_offset = first.utcoffset(), second.utcoffset()
    if first_offset is None or second_offset is None or first_offset == second_offset:
        chosen = first
    elif first_offset < second_offset:  # skipped: the clock jumped forward
        chosen = second if is_dst else first
    else:  # repeated: the clock went back
        matching = [m for m in (first, second) if bool(m.dst()) == is_dst]
        chosen = matching[0] if len(matching) == 1 else (first if is_dst else second)
    return naive.replace(tzinfo=_fixed_zone(chosen.utcoffset()))


def _fixed_zone(offset: _dt.timedelta | None) -> _dt.tzinfo:
    seconds = int(offset.total_seconds()) if offset else 0
    seconds = (seconds + 30) // 60 * 60  # pytz's rounding to the nearest minute
    return UTC if seconds == 0 else _dt.timezone(_dt.timedelta(seconds=seconds))


def _from_epoch(seconds: float, tz: _dt.tzinfo) -> _dt.datetime:
    try:
        return _dt.datetime.fromtimestamp(seconds, tz)
    except (OverflowError, OSError, ValueError) as e:
        raise HogVMException(f"DateTime out of range: {seconds!r} seconds since 1970") from e


def _epoch_seconds(value: dict[str, Any], fn: str) -> int | float:
    seconds = value.get("dt")
    if not _is_number(seconds):
        raise HogVMException(f"{fn}: DateTime has a non-numeric 'dt': {_type_name(seconds)}")
    return seconds


def wall_clock(value: Any, fn: str) -> _dt.datetime:
    """An aware datetime for a Date (midnight UTC) or DateTime (the instant in its own zone)."""
    if is_hog_datetime(value):
        return _from_epoch(_epoch_seconds(value, fn), get_zone(value.get("zone") or "UTC"))
    if is_hog_date(value):
        return _date_midnight(value, UTC, fn)
    raise HogVMException(f"{fn}: expected a Date or DateTime, got {_type_name(value)}")


def python_vm_clock(value: Any, fn: str) -> _dt.datetime:
    """A Date or DateTime read as PostHog's Python VM reads it for date arithmetic and parts: a
    Date at midnight UTC; a DateTime's UTC wall clock labelled with its own zone, at the offset the
    zone has at that wall time (standard time where the zone skips or repeats it: pytz's
    `localize(is_dst=False)`). Only UTC values give the instant's real local time here."""
    if is_hog_datetime(value):
        tz = get_zone(value.get("zone") or "UTC")
        utc_clock = _from_epoch(_epoch_seconds(value, fn), UTC).replace(tzinfo=None)
        return resolve_wall_time(utc_clock, tz, is_dst=False)
    if is_hog_date(value):
        return _date_midnight(value, UTC, fn)
    raise HogVMException(f"{fn}: expected a Date or DateTime, got {_type_name(value)}")


def _zone_name(value: dict[str, Any]) -> str:
    """The zone a result derived from `value` carries: its own for a DateTime, UTC for a Date."""
    return (value.get("zone") or "UTC") if is_hog_datetime(value) else "UTC"


def _date_midnight(value: dict[str, Any], tz: _dt.tzinfo, fn: str) -> _dt.datetime:
    fields = (value.get("year"), value.get("month"), value.get("day"))
    try:
        if not all(type(field) is int for field in fields):
            raise TypeError
        naive = _dt.datetime(*fields)
    except (TypeError, ValueError, OverflowError) as e:
        shown = ", ".join(repr(field) for field in fields)
        raise HogVMException(f"{fn}: invalid Date({shown})") from e
    return resolve_wall_time(naive, tz)


def _python_vm_clock_or_string(value: Any, fn: str) -> _dt.datetime:
    """`python_vm_clock`, or for a date string its wall clock as written, read as UTC (PostHog's
    Python VM replaces a string's own offset with UTC)."""
    if type(value) is str:
        return from_iso_format(fn, value).replace(tzinfo=UTC)
    return python_vm_clock(value, fn)


def _seconds(moment: _dt.datetime) -> float:
    return moment.timestamp()


# --- parsing ----------------------------------------------------------------------------------

# The date-like strings all of PostHog's VMs accept: an extended-format date, optionally a time
# (minutes required, seconds optional, a fraction only after seconds) and an offset.
_DATE_LIKE_PATTERN = (
    r"""([0-9]{4})-([0-9]{2})-([0-9]{2})
        (?:[Tt\ ]
            ([01][0-9]|2[0-3]):([0-5][0-9])
            (?::([0-5][0-9])(?:[.,]([0-9]{1,9}))?)?
            (Z|z|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)?
        )?"""
)


@functools.cache
def _date_like() -> re.Pattern[str]:
    return re.compile(_DATE_LIKE_PATTERN, re.VERBOSE)  # compiled on first use: keeps imports fast


def parse_date_like(text: str, zone: str | None = None) -> _dt.datetime | None:
    """An aware datetime for a date-like string, else None.

    Input without an offset is read as wall time in `zone` (UTC when None). Digits beyond
    milliseconds are dropped, not rounded, as PostHog's VMs do."""
    match = _date_like().fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    millis = int(fraction[:3].ljust(3, "0")) if fraction else 0
    try:
        naive = _dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                             int(second or 0), millis * 1000)
    except ValueError:  # 2024-02-30, year 0
        return None
    if offset is None:
        return resolve_wall_time(naive, get_zone(zone) if zone else UTC)
    if offset in ("Z", "z"):
        return naive.replace(tzinfo=UTC)
    digits = offset[1:].replace(":", "")
    delta = _dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
    return naive.replace(tzinfo=_dt.timezone(-delta if offset[0] == "-" else delta))


def from_iso_format(fn: str, text: Any) -> _dt.datetime:
    """`datetime.fromisoformat`, which PostHog's Python VM reads date strings with: every ISO 8601
    form it accepts works ('2024-W05', '20240131', '2024-01-31T10', ...); anything else is an error,
    where PostHog's VM crashes."""
    if type(text) is not str:
        raise HogVMException(f"{fn}: expected a date string, got {_type_name(text)}")
    try:
        return _dt.datetime.fromisoformat(text)
    except ValueError:
        raise HogVMException(f"{fn}: could not parse date: {text!r} (expected an ISO 8601 date)") from None


def _iso_seconds(fn: str, text: Any) -> float:
    """Epoch seconds of an ISO date string; one without an offset is read as UTC (the local time of
    PostHog's servers, where the VM reads it with `datetime.timestamp()`)."""
    moment = from_iso_format(fn, text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.timestamp()
    except (OverflowError, ValueError) as e:
        raise HogVMException(f"{fn}: date out of range: {text!r}") from e


def date_string_to_seconds(text: str) -> float | None:
    """Epoch seconds of a date-like string, as `toDateTime` reads it; None if it is not one.
    (Newer PostHog VMs compare a datetime with such a string by this value.)"""
    parsed = parse_date_like(text)
    return None if parsed is None else _seconds(parsed)


# --- now --------------------------------------------------------------------------------------


def _now_seconds(ctx: StlContext) -> float:
    # A host or test may pin the clock by giving the context a `now()` returning epoch seconds.
    clock: Callable[[], float] | None = getattr(ctx, "now", None)
    return clock() if callable(clock) else volatile(ctx, time.time)


@builtin("now", 0, 1)
def now(args: list[Any], ctx: StlContext) -> dict[str, Any]:
    # The zone argument is ignored, unchecked, as in PostHog's Python VM (its TS VM uses it).
    return hog_datetime(_now_seconds(ctx))


@builtin("today", 0, 0)
def today(args: list[Any], ctx: StlContext) -> dict[str, Any]:
    moment = _from_epoch(_now_seconds(ctx), UTC)
    return hog_date(moment.year, moment.month, moment.day)


# --- conversions ------------------------------------------------------------------------------


@builtin("toDate", 1, 1)
def to_date(args: list[Any], ctx: StlContext) -> dict[str, Any]:
    """A number is a timestamp (read in UTC), a string an ISO date (its date as written); anything
    else, or a string `fromisoformat` refuses, is an error (PostHog's Python VM crashes there)."""
    value = args[0]
    if _is_number(value):
        moment = _from_epoch(value, UTC)
    elif type(value) is str:
        moment = from_iso_format("toDate", value)
    else:
        raise HogVMException(f"toDate: expected a timestamp or a date string, got {_type_name(value)}")
    return hog_date(moment.year, moment.month, moment.day)


@builtin("toDateTime", 1, 2)
def to_datetime(args: list[Any], ctx: StlContext) -> dict[str, Any]:
    # The zone argument is ignored, unchecked, as in PostHog's Python VM (its TS VM reads naive
    # strings in it and labels the result with it): naive strings are UTC, the result is UTC.
    value = args[0]
    if _is_number(value):
        return hog_datetime(_as_float("toDateTime", value))
    if type(value) is str:
        return hog_datetime(_iso_seconds("toDateTime", value))
    raise HogVMException(f"toDateTime: expected a timestamp or a date string, got {_type_name(value)}")


@builtin("toTimeZone", 2, 2)
def to_time_zone(args: list[Any], ctx: StlContext) -> dict[str, Any]:
    # The zone is not checked here, as in PostHog: an unknown one fails where it is first used.
    value, zone = args
    if not is_hog_datetime(value):
        raise HogVMException(f"toTimeZone: expected a DateTime, got {_type_name(value)}")
    return {**value, "zone": zone}


def _unix_seconds(fn: str, value: Any, zone: Any) -> Any:
    if is_hog_datetime(value):
        if "dt" not in value:  # PostHog crashes with a KeyError here
            raise HogVMException(f"{fn}: DateTime has no 'dt'")
        return value["dt"]  # as stored, unchecked (and the zone unused), as in PostHog
    if is_hog_date(value):
        # Deliberate difference: PostHog attaches pytz's zone object directly, which applies the
        # zone's first (local mean time) offset, e.g. +0:53 for Europe/Berlin; this is midnight at
        # the zone's real offset that day.
        return _seconds(_date_midnight(value, get_zone(zone or "UTC"), fn))
    if type(value) is str:
        if zone:
            get_zone(zone)  # PostHog converts to the zone (an unknown one fails); the instant stays
        return _iso_seconds(fn, value)
    raise HogVMException(f"{fn}: expected a Date, DateTime or date string, got {_type_name(value)}")


@builtin("toUnixTimestamp", 1, 2)
def to_unix_timestamp(args: list[Any], ctx: StlContext) -> Any:
    return _unix_seconds("toUnixTimestamp", args[0], args[1] if len(args) > 1 else None)


@builtin("toUnixTimestampMilli", 1, 2)
def to_unix_timestamp_milli(args: list[Any], ctx: StlContext) -> int:
    # The zone argument is ignored, unchecked, as in PostHog's Python VM (its TS VM uses it).
    seconds = _unix_seconds("toUnixTimestampMilli", args[0], None)
    if not _is_number(seconds):
        raise HogVMException(f"toUnixTimestampMilli: DateTime has a non-numeric 'dt': {_type_name(seconds)}")
    try:
        return int(seconds * 1000)
    except (OverflowError, ValueError) as e:
        raise HogVMException(f"toUnixTimestampMilli: DateTime out of range: {seconds!r}") from e


@builtin("fromUnixTimestamp", 1, 1)
def from_unix_timestamp(args: list[Any], ctx: StlContext) -> dict[str, Any]:
    """The value is kept as given, unchecked, as in PostHog's Python VM: an int stays an int, and a
    boolean or a numeric string prints like a timestamp (`DateTime(1.0, 'UTC')`). Anything else
    fails where the DateTime is read."""
    return hog_datetime(args[0])


@builtin("fromUnixTimestampMilli", 1, 1)
def from_unix_timestamp_milli(args: list[Any], ctx: StlContext) -> dict[str, Any]:
    """`float(value) / 1000` as PostHog computes it: numbers, booleans and numeric strings."""
    value = args[0]
    if type(value) is str:
        try:
            value = float(value)
        except ValueError:
            raise HogVMException(f"fromUnixTimestampMilli: not a number: {args[0]!r}") from None
    elif not _is_number(value):
        raise HogVMException(f"fromUnixTimestampMilli: expected a number, got {_type_name(value)}")
    return hog_datetime(_as_float("fromUnixTimestampMilli", value) / 1000.0)


# --- formatDateTime ---------------------------------------------------------------------------

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def _hour12(m: _dt.datetime) -> str:
    return f"{(m.hour % 12) or 12:02d}"


def _am_pm(m: _dt.datetime) -> str:
    return "AM" if m.hour < 12 else "PM"


def _offset(m: _dt.datetime) -> str:
    delta = m.utcoffset() or _dt.timedelta(0)
    sign = "-" if delta < _dt.timedelta(0) else "+"
    total = abs(int(delta.total_seconds()))
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{seconds:02d}" if seconds else "")


# The ClickHouse `%` codes PostHog's Python VM supports, each rendered as that VM renders it
# (through C `strftime`, so e.g. `%e` is zero-padded and `%C` is the two-digit year). Codes not
# listed here (`%Q`, `%x`, ...) print nothing, as there.
_FORMAT_CODES: dict[str, Callable[[_dt.datetime], str]] = {
    "a": lambda m: _WEEKDAYS[m.weekday()][:3],
    "b": lambda m: _MONTHS[m.month - 1][:3],
    "c": lambda m: f"{m.month:02d}",
    "C": lambda m: f"{m.year % 100:02d}",
    "d": lambda m: f"{m.day:02d}",
    "D": lambda m: f"{m.month:02d}/{m.day:02d}/{m.year % 100:02d}",
    "e": lambda m: f"{m.day:02d}",
    "f": lambda m: f"{m.microsecond:06d}",
    "F": lambda m: f"{m.year}-{m.month:02d}-{m.day:02d}",
    "g": lambda m: f"{m.year % 100:02d}",
    "G": lambda m: str(m.year),
    "h": _hour12,
    "H": lambda m: f"{m.hour:02d}",
    "i": lambda m: f"{m.minute:02d}",
    "I": _hour12,
    "j": lambda m: f"{m.timetuple().tm_yday:03d}",
    "k": lambda m: f"{m.hour:02d}",
    "l": _hour12,
    "m": lambda m: f"{m.month:02d}",
    "M": lambda m: _MONTHS[m.month - 1],
    "n": lambda m: "\n",
    "p": _am_pm,
    "r": lambda m: f"{_hour12(m)}:{m.minute:02d} {_am_pm(m)}",
    "R": lambda m: f"{m.hour:02d}:{m.minute:02d}",
    "s": lambda m: f"{m.second:02d}",
    "S": lambda m: f"{m.second:02d}",
    "t": lambda m: "\t",
    "T": lambda m: f"{m.hour:02d}:{m.minute:02d}:{m.second:02d}",
    "u": lambda m: str(m.isoweekday()),
    "V": lambda m: f"{m.isocalendar()[1]:02d}",
    "w": lambda m: str(m.isoweekday() % 7),
    "W": lambda m: _WEEKDAYS[m.weekday()],
    "y": lambda m: f"{m.year % 100:02d}",
    "Y": lambda m: str(m.year),
    "z": _offset,
    "%": lambda m: "%",
}

MAX_FORMAT_LENGTH = 10_000


def format_datetime(moment: _dt.datetime, pattern: str) -> str:
    parts: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        percent = pattern.find("%", i)
        if percent < 0:
            parts.append(pattern[i:])
            break
        parts.append(pattern[i:percent])
        if percent + 1 < n:
            render = _FORMAT_CODES.get(pattern[percent + 1])
            if render is not None:
                parts.append(render(moment))
        i = percent + 2
    return "".join(parts)


@builtin("formatDateTime", 2, 3)
def format_date_time(args: list[Any], ctx: StlContext) -> str:
    value, pattern = args[0], args[1]
    if not is_hog_datetime(value):
        raise HogVMException(f"formatDateTime: expected a DateTime, got {_type_name(value)}")
    if type(pattern) is not str:
        raise HogVMException(f"formatDateTime: format must be a string, got {_type_name(pattern)}")
    # Every code expands to at most 11 characters, so the output is bounded by the input.
    ctx.charge(len(pattern) * 11)
    zone = _optional_zone(args, 2) or value.get("zone") or "UTC"
    return format_datetime(_from_epoch(_epoch_seconds(value, "formatDateTime"), get_zone(zone)), pattern)


# --- arithmetic -------------------------------------------------------------------------------

# dateAdd units, as (unit applied, multiplier). Every unit moves the value as read by
# `python_vm_clock` (a wall clock with a fixed offset), so a day is always 24 hours and a month
# keeps the wall-clock time at the starting offset, as in PostHog's Python VM.
_ADD_UNITS = {
    "second": ("seconds", 1),
    "minute": ("minutes", 1),
    "hour": ("hours", 1),
    "day": ("days", 1),
    "week": ("days", 7),
    "month": ("months", 1),
    "year": ("months", 12),
}


def _add_months(moment: _dt.datetime, months: int) -> _dt.datetime:
    index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    if not 1 <= year <= 9999:
        raise HogVMException(f"dateAdd: result year {year} is out of range")
    day = moment.day
    while True:  # clamp Jan 31 + 1 month to the end of February, as ClickHouse does
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            day -= 1


def _apply_interval(fn: str, value: Any, amount: Any, unit: Any) -> dict[str, Any]:
    if type(unit) is not str or unit not in _ADD_UNITS:
        raise HogVMException(
            f"{fn}: unsupported interval unit {unit!r}; use one of {', '.join(_ADD_UNITS)}"
        )
    unit, multiplier = _ADD_UNITS[unit]
    amount = _require_number(fn, amount, "a numeric amount") * multiplier
    start = python_vm_clock(value, fn)
    try:
        if unit == "months":
            if type(amount) is not int:
                raise HogVMException(f"{fn}: months and years must be whole numbers, got {amount!r}")
            moment = _add_months(start, amount)
        else:
            moment = start + _dt.timedelta(**{unit: amount})
    except (OverflowError, ValueError) as e:  # beyond year 9999, or a NaN/infinite amount
        raise HogVMException(f"{fn}: result is out of range") from e
    if is_hog_date(value):
        return hog_date(moment.year, moment.month, moment.day)
    return hog_datetime(_seconds(moment), _zone_name(value))


@builtin("dateAdd", 3, 3)
def date_add(args: list[Any], ctx: StlContext) -> dict[str, Any]:
    unit, amount, value = args
    return _apply_interval("dateAdd", value, amount, unit)


@builtin("addDays", 2, 2)
def add_days(args: list[Any], ctx: StlContext) -> dict[str, Any]:
    value, days = args
    return _apply_interval("addDays", value, days, "day")


@builtin("dateDiff", 3, 3)
def date_diff(args: list[Any], ctx: StlContext) -> int:
    unit, start_value, end_value = args
    start = _python_vm_clock_or_string(start_value, "dateDiff")
    end = _python_vm_clock_or_string(end_value, "dateDiff")
    elapsed = end - start  # between the instants the two readings name (their offsets may differ)
    if unit == "second":
        return int(elapsed.total_seconds())
    if unit == "minute":
        return int(elapsed.total_seconds() // 60)
    if unit == "hour":
        return int(elapsed.total_seconds() // 3600)
    if unit == "day":
        return elapsed.days
    if unit == "week":
        return elapsed.days // 7
    if unit == "month":
        return (end.year - start.year) * 12 + (end.month - start.month)
    if unit == "year":
        return end.year - start.year
    raise HogVMException(
        f"dateDiff: unsupported unit {unit!r}; use one of second, minute, hour, day, week, month, year"
    )


# --- truncation and parts ---------------------------------------------------------------------

_TRUNCATE_FIELDS = {"year": 1, "month": 2, "day": 3, "hour": 4, "minute": 5}


def _truncate(fn: str, unit: Any, value: dict[str, Any]) -> dict[str, Any]:
    keep = _TRUNCATE_FIELDS.get(unit) if type(unit) is str else None
    if keep is None:
        raise HogVMException(f"{fn}: unsupported unit {unit!r}; use one of {', '.join(_TRUNCATE_FIELDS)}")
    moment = python_vm_clock(value, fn)
    fields = [moment.year, moment.month, moment.day, moment.hour, moment.minute][:keep]
    fields += [1] * max(0, 3 - keep)  # month and day start at 1
    # the offset of the value's own wall time, even if the start of the unit has another one
    start = _dt.datetime(*fields, tzinfo=moment.tzinfo)
    return hog_datetime(_seconds(start), _zone_name(value))


@builtin("dateTrunc", 2, 3)
def date_trunc(args: list[Any], ctx: StlContext) -> dict[str, Any]:
    # The optional third argument (ClickHouse's zone) is ignored, as in both PostHog VMs.
    unit, value = args[0], args[1]
    if not is_hog_datetime(value):
        raise HogVMException(f"dateTrunc: expected a DateTime, got {_type_name(value)}")
    return _truncate("dateTrunc", unit, value)


def _start_of(fn: str, unit: str, value: Any) -> dict[str, Any]:
    if not (is_hog_datetime(value) or is_hog_date(value)):
        raise HogVMException(f"{fn}: expected a Date or DateTime, got {_type_name(value)}")
    return _truncate(fn, unit, value)


@builtin("toStartOfDay", 1, 2)
def to_start_of_day(args: list[Any], ctx: StlContext) -> dict[str, Any]:
    # The optional second argument (ClickHouse's zone) is ignored, as in both PostHog VMs.
    return _start_of("toStartOfDay", "day", args[0])


@builtin("toStartOfHour", 1, 1)
def to_start_of_hour(args: list[Any], ctx: StlContext) -> dict[str, Any]:
    return _start_of("toStartOfHour", "hour", args[0])


@builtin("toStartOfMonth", 1, 1)
def to_start_of_month(args: list[Any], ctx: StlContext) -> dict[str, Any]:
    return _start_of("toStartOfMonth", "month", args[0])


@builtin("toStartOfWeek", 1, 2)
def to_start_of_week(args: list[Any], ctx: StlContext) -> dict[str, Any]:
    # Weeks start on Monday; the optional ClickHouse week mode is ignored, as in both PostHog VMs.
    value = args[0]
    if not (is_hog_datetime(value) or is_hog_date(value)):
        raise HogVMException(f"toStartOfWeek: expected a Date or DateTime, got {_type_name(value)}")
    moment = python_vm_clock(value, "toStartOfWeek")
    monday = moment - _dt.timedelta(days=moment.weekday())  # never before year 1: 0001-01-01 is a Monday
    start = monday.replace(hour=0, minute=0, second=0, microsecond=0)
    return hog_datetime(_seconds(start), _zone_name(value))


_PARTS: dict[str, Callable[[_dt.datetime], int]] = {
    "year": lambda m: m.year,
    "month": lambda m: m.month,
    "day": lambda m: m.day,
    "hour": lambda m: m.hour,
    "minute": lambda m: m.minute,
    "second": lambda m: m.second,
}


def _extract(fn: str, part: Any, value: Any) -> int:
    read = _PARTS.get(part) if type(part) is str else None
    if read is None:
        raise HogVMException(f"{fn}: unknown part {part!r}; use one of {', '.join(_PARTS)}")
    return read(_python_vm_clock_or_string(value, fn))


@builtin("extract", 2, 2)
def extract(args: list[Any], ctx: StlContext) -> int:
    return _extract("extract", args[0], args[1])


@builtin("toYear", 1, 1)
def to_year(args: list[Any], ctx: StlContext) -> int:
    return _extract("toYear", "year", args[0])


@builtin("toMonth", 1, 1)
def to_month(args: list[Any], ctx: StlContext) -> int:
    return _extract("toMonth", "month", args[0])


@builtin("toYYYYMM", 1, 1)
def to_yyyymm(args: list[Any], ctx: StlContext) -> int:
    moment = _python_vm_clock_or_string(args[0], "toYYYYMM")
    return moment.year * 100 + moment.month


# --- intervals --------------------------------------------------------------------------------


def _interval_builtin(name: str, unit: str) -> None:
    def make(args: list[Any], ctx: StlContext) -> dict[str, Any]:
        # Any value, unchecked, as in PostHog: the interval is only data until something uses it.
        return hog_interval(args[0], unit)

    make.__name__ = name
    builtin(name, 1, 1)(make)


for _name, _unit in (("toIntervalDay", "day"), ("toIntervalHour", "hour"),
                     ("toIntervalMinute", "minute"), ("toIntervalMonth", "month")):
    _interval_builtin(_name, _unit)
