"""Where PostHog's Python VM is lenient, taggers rely on it: one test per behaviour named in its
source (common/hogvm/python/stl/), run through the whole VM."""

from __future__ import annotations

from typing import Any

import pytest

from hogvm import HogVMException, compile_hog, execute_bytecode


def run(source: str) -> Any:
    return execute_bytecode(compile_hog(source)).result


@pytest.mark.parametrize(("source", "expected"), [
    # trim family: a non-string second argument means ' ', a longer one answers '' at once
    ("trim(null, 'ab')", ""),
    ("trimLeft(5, 'xy')", ""),
    ("trimRight('xx a xx', 'x')", "xx a "),
    ("trim(' \\t a \\t ', 5)", "\t a \t"),
    ("trim(' \\t a \\t ')", "a"),
    # substring: every early exit comes before a check that would fail
    ("substring(null, 'x')", ""),
    ("substring('abc', 0)", ""),
    ("substring('abc', 10.5)", ""),
    ("substring('abc', 0.5, 2)", ""),
    ("substring('abc', 2, -1.5)", ""),
    ("substring('abc', true)", "abc"),
    ("substring('abc', 2)", "bc"),
    # splitByString: a null separator splits at runs of whitespace (Python's str.split())
    ("splitByString(null, ' a  b\\tc ')", ["a", "b", "c"]),
    ("splitByString(null, 'a b c', 2)", ["a", "b"]),
    ("splitByString(',', 'a,b,c', 0)", []),
    # hashes
    ("md5('a', 'HEX')", None),
    ("sha256('a', null)", None),
    ("md5(null, 'whatever')", None),
    ("sha256HmacChainHex('kd') == sha256HmacChainHex(['k', 'd'])", True),
    ("sha256HmacChain(['k', 'd'], 'nope')", None),
    # intervals and zones are data until used
    ("toIntervalDay('5')", {"__hogInterval__": True, "value": "5", "unit": "day"}),
    ("toIntervalMinute(null)", {"__hogInterval__": True, "value": None, "unit": "minute"}),
    ("toTimeZone(toDateTime(0), 'Nowhere/Else').zone", "Nowhere/Else"),
    ("toUnixTimestamp(toTimeZone(toDateTime(5), 'Nowhere/Else'), 'Not/AZone')", 5.0),
    ("toUnixTimestampMilli(toDateTime(1), 'Not/AZone')", 1000),
    ("now('Not/AZone').zone", "UTC"),
    # timestamps from booleans and numeric strings
    ("fromUnixTimestampMilli('1500')", {"__hogDateTime__": True, "dt": 1.5, "zone": "UTC"}),
    ("fromUnixTimestamp('1500')", {"__hogDateTime__": True, "dt": "1500", "zone": "UTC"}),
    ("toDateTime(true)", {"__hogDateTime__": True, "dt": 1.0, "zone": "UTC"}),
    ("toDate(false)", {"__hogDate__": True, "year": 1970, "month": 1, "day": 1}),
    ("dateAdd('week', true, toDate('2024-05-03'))", {"__hogDate__": True, "year": 2024, "month": 5, "day": 10}),
    # date strings datetime.fromisoformat accepts
    ("toYear('2024-W05')", 2024),
    ("toMonth('2024-W05-7')", 2),
    ("toDate('20240131')", {"__hogDate__": True, "year": 2024, "month": 1, "day": 31}),
    ("toYYYYMM('2024-01-31T10')", 202401),
    ("extract('hour', '2024-01-31T10:30:00+05:00')", 10),
    ("dateDiff('day', '2024-01-01', '2024-W02')", 7),
    ("toUnixTimestamp('2024-01-01T00:00:00+01:00')", 1704063600.0),
    # others
    ("run('select 1')", []),
    ("isIPAddressInRange(167772161, '10.0.0.0/8')", True),
    ("JSONExtractString('\"abc\"', 2)", "b"),
    ("length(toDate('2024-01-01'))", 4),  # a date is a dict of four keys to Python
    ("position('None of it', null)", 1),  # str(None)
    ("(m -> m(true, 1, 2, 3))(multiIf)", 1),  # the odd pair is never reached
])
def test_lenient_as_posthog(source: str, expected: Any) -> None:
    assert run(f"return {source}") == expected


@pytest.mark.parametrize(("source", "message"), [
    # PostHog's Python VM raises a Python exception on these; here a HogError says what is wrong
    ("toDate('yesterday')", "could not parse date"),
    ("toDateTime(null)", "expected a timestamp or a date string"),
    ("toYear('2024-5-3')", "could not parse date"),
    ("toUnixTimestamp('2024-01-01', 'Not/AZone')", "Unknown time zone"),
    ("toString(toTimeZone(toDateTime(0), 'Not/AZone'))", "unknown time zone"),
    ("splitByString('', 'abc')", "separator must not be empty"),
    ("substring('abc', 1.5)", "must be integers"),
    ("sha256HmacChainHex('k')", "at least two elements"),
    ("JSONExtractString('{\"a\": [1]}', 'a', 'b')", "Can not look up 'b'"),
    ("(m -> m(false, 1, 2, 3))(multiIf)", "multiIf"),  # a direct call compiles to jumps
    ("fromUnixTimestampMilli('soon')", "not a number"),
])
def test_where_posthog_crashes_a_clear_error(source: str, message: str) -> None:
    with pytest.raises(HogVMException, match=message):
        run(f"return {source}")
