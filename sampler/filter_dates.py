"""Relative dates in property filters (`-7d`, `-1mStart`, `-2h`), resolved as PostHog resolves them.

PostHog's `is_date_exact` / `is_date_before` / `is_date_after` filters accept a relative value. When
the filter is compiled (that is, when the tagger is saved), the value is turned into a wall-clock
`YYYY-MM-DD HH:MM:SS` in the team's time zone and that text is frozen into the bytecode: a
condition saved with `-7d` keeps comparing against the moment seven days before it was saved.

Rules (PostHog's `_resolve_date_value` and `relative_date_parse` in `posthog/hogql/property.py` and
`posthog/utils.py`): only a value starting with `-?<digits><unit>` is relative; it is first tried
as an ISO date (so `2024W01` is ISO week 1 of 2024), else the first `-?<n><unit>[Start|End]` in it
moves `now` back by n units, `Start`/`End` setting the finer fields first.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from dateutil import parser as date_parser
from dateutil.relativedelta import relativedelta

_RELATIVE_VALUE = re.compile(r"^-?[0-9]+[hdwmqysHDWMQY]")
_RELATIVE_PARTS = re.compile(r"\-?(?P<number>[0-9]+)?(?P<kind>[hdwmqysHDWMQY])(?P<position>Start|End)?")

_START_END: dict[str, dict[str, dict[str, int]]] = {
    "h": {"Start": {"minute": 0, "second": 0, "microsecond": 0},
          "End": {"minute": 59, "second": 59, "microsecond": 999999}},
    "d": {"Start": {"hour": 0, "minute": 0, "second": 0, "microsecond": 0},
          "End": {"hour": 23, "minute": 59, "second": 59, "microsecond": 999999}},
    "m": {"Start": {"day": 1}, "End": {"day": 31}},
    "y": {"Start": {"month": 1, "day": 1}, "End": {"day": 31}},
}
_UNITS = {"h": "hours", "d": "days", "w": "weeks", "m": "months", "M": "minutes", "s": "seconds", "y": "years"}


def is_relative_date(value: str) -> bool:
    return _RELATIVE_VALUE.match(value) is not None


def resolve_date_value(value: object, now: datetime, zone: tzinfo) -> object:
    """The value a date filter compares with: relative values resolved, anything else unchanged."""
    if not isinstance(value, str) or not is_relative_date(value):
        return value
    return relative_date_parse(value, now, zone).strftime("%Y-%m-%d %H:%M:%S")


def relative_date_parse(value: str, now: datetime, zone: tzinfo) -> datetime:
    """`value` as a moment in `zone`: an ISO date, else `now` moved back by the relative amount."""
    parsed = _absolute_date(value)
    if parsed is not None:
        return parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed.astimezone(zone)
    moment = now.astimezone(zone)
    match = _RELATIVE_PARTS.search(value)
    if match is None:
        return moment
    return moment - relativedelta(**_delta(match["kind"], match["number"], match["position"]))  # type: ignore[arg-type]


def _absolute_date(value: str) -> datetime | None:
    try:
        return date_parser.isoparse(value)
    except (ValueError, OverflowError):
        pass
    try:  # also dates without zero padding, e.g. 2024-1-5
        return datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        return None


def _delta(kind: str, number: str | None, position: str | None) -> dict[str, int]:
    delta: dict[str, int] = {}
    if number:
        if kind == "q":  # a quarter is 13 weeks
            delta["weeks"] = 13 * int(number)
        elif kind in _UNITS:  # upper-case units other than M (minutes) match but move nothing
            delta[_UNITS[kind]] = int(number)
    if position:
        delta.update(_START_END.get(kind, {}).get(position, {}))
    return delta
