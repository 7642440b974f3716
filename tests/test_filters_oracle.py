"""Compiled conditions decide the same on our VM as on PostHog's TypeScript VM, which is where
PostHog evaluates them (its Node.js scheduler, `execHog` from `@posthog/hogvm`).

A condition matches when its bytecode returns exactly `true`; an error is no match (PostHog's
`checkConditionMatch`). Values are drawn per operator from the JSON types events really carry for
it. Outside those, PostHog's two VMs disagree with each other in a few places and ours follows its
Python VM; `test_known_divergences` pins each one (both sides' answers), and the README lists them.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import strategies as st

from hogvm import HogError, execute_bytecode
from sampler.filters import compile_filters
from tests.fuzz.seeds import fuzz_tests

pytestmark = [pytest.mark.oracle, pytest.mark.fuzz]

NOW = datetime(2026, 3, 15, 13, 45, 30, tzinfo=UTC)

# Short texts from a small alphabet collide often, so equal, containing and LIKE-wildcard cases
# (% and _) all come up. No spaces: JavaScript's `' ' == 0` makes PostHog's VMs disagree.
TEXT = st.text(alphabet="aAbB1é%_-", max_size=4)
WORD = st.text(alphabet="aAbB1é%_-", min_size=1, max_size=4)
SMALL_FLOAT = st.floats(-1e6, 1e6, allow_nan=False).filter(lambda x: not x.is_integer())
NUMBER = st.integers(-1000, 1000) | SMALL_FLOAT
PATTERNS = st.sampled_from(["a", "^a", "b$", "[0-9]+", "a|B", "(?i)A", "é", r"\d", ".", "a.b", "-"])
MOMENTS = st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1)).map(lambda d: d.replace(microsecond=0))
SEMVER = st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3)).map(lambda v: ".".join(map(str, v)))


def date_text(moment: datetime, style: int) -> str:
    return [moment.strftime("%Y-%m-%d"), moment.strftime("%Y-%m-%d %H:%M:%S"),
            moment.strftime("%Y-%m-%dT%H:%M:%SZ")][style]


DATE_TEXT = st.builds(date_text, MOMENTS, st.integers(0, 2))
RELATIVE = st.builds(lambda n, unit: f"-{n}{unit}", st.integers(1, 30), st.sampled_from("hdwmy"))
NEAR_NOW = st.integers(-40 * 24, 24).map(lambda hours: date_text(NOW.replace(tzinfo=None) + timedelta(hours=hours), 1))

# operator -> (filter values, property values)
DOMAINS: dict[str, tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]] = {}
for _op in ("exact", "is_not"):
    DOMAINS[_op] = (WORD | st.lists(WORD, max_size=3), st.none() | TEXT | st.lists(TEXT, max_size=2))
for _op in ("icontains", "not_icontains", "icontains_multi", "not_icontains_multi"):
    DOMAINS[_op] = (WORD | st.lists(WORD, max_size=3), st.none() | TEXT | NUMBER | st.booleans())
for _op in ("regex", "not_regex"):
    DOMAINS[_op] = (PATTERNS | st.lists(PATTERNS, min_size=2, max_size=3), st.none() | TEXT | st.integers(-99, 99))
for _op in ("gt", "gte", "lt", "lte", "min", "max"):
    DOMAINS[_op] = (NUMBER | st.lists(NUMBER, min_size=2, max_size=3), NUMBER | st.integers(-1000, 1000).map(str))
for _op in ("between", "not_between"):
    DOMAINS[_op] = (st.lists(NUMBER, min_size=2, max_size=2).map(sorted), NUMBER | st.integers(-1000, 1000).map(str))
for _op in ("is_set", "is_not_set"):
    DOMAINS[_op] = (st.just(_op), st.none() | TEXT | NUMBER | st.booleans() | st.lists(TEXT, max_size=2))
for _op in ("is_date_exact", "is_date_before", "is_date_after"):
    DOMAINS[_op] = (DATE_TEXT | RELATIVE, st.none() | DATE_TEXT | NEAR_NOW)
for _op in ("semver_eq", "semver_neq", "semver_gt", "semver_gte", "semver_lt", "semver_lte", "semver_tilde",
            "semver_caret", "semver_wildcard"):
    DOMAINS[_op] = (SEMVER, SEMVER)


@st.composite
def filter_and_value(draw: Any) -> tuple[dict[str, Any], Any]:
    operator = draw(st.sampled_from(sorted(DOMAINS)))
    values, properties = DOMAINS[operator]
    kind = draw(st.sampled_from(["event", "person"]))
    key = draw(st.sampled_from(["p", "$ai_model", "q"]))
    return {"key": key, "value": draw(values), "operator": operator, "type": kind}, draw(properties)


def filter_globals(kind: str, key: str, value: Any) -> dict[str, Any]:
    """The globals PostHog's scheduler builds (checkConditionMatch), holding one property."""
    properties: dict[str, Any] = {"$ai_provider": "openai"}
    person: dict[str, Any] = {"email": "a@b.c"}
    if value is not None:
        (properties if kind == "event" else person)[key] = value
    return {"event": "$ai_generation", "elements_chain": "", "distinct_id": "user_1",
            "person": {"properties": person}, "properties": properties}


def ours_matches(bytecode: list[Any], globals_: dict[str, Any]) -> bool:
    try:
        return execute_bytecode(bytecode, globals_, timeout=5).result is True
    except HogError:
        return False


def node_matches(node_vm: Any, bytecode: list[Any], globals_: dict[str, Any]) -> bool:
    reply = node_vm.run(bytecode, globals_)
    return bool(reply["ok"] and reply["result"] is True)


def check_one_filter(node_vm: Any, case: tuple[dict[str, Any], Any]) -> None:
    prop, value = case
    compiled = compile_filters([prop], now=NOW)
    if compiled["bytecode"] is None:  # e.g. `in` with one value: PostHog rejects those too
        return
    globals_ = filter_globals(prop["type"], prop["key"], value)
    assert ours_matches(compiled["bytecode"], globals_) == node_matches(node_vm, compiled["bytecode"], globals_), (
        prop, value, compiled["bytecode"])


def check_conditions(node_vm: Any, cases: list[tuple[dict[str, Any], Any]]) -> None:
    """Several filters AND-ed, each reading its own property of one event."""
    filters, properties, person = [], {}, {}
    for index, (prop, value) in enumerate(cases):
        key = f"k{index}"
        filters.append({**prop, "key": key})
        if value is not None:
            (properties if prop["type"] == "event" else person)[key] = value
    compiled = compile_filters(filters, now=NOW)
    if compiled["bytecode"] is None:
        return
    globals_ = {"event": "$ai_generation", "elements_chain": "", "distinct_id": "u",
                "person": {"properties": person}, "properties": properties}
    assert ours_matches(compiled["bytecode"], globals_) == node_matches(node_vm, compiled["bytecode"], globals_), (
        filters, globals_)


test_one_filter_fixed_seed, test_one_filter_random_seed = fuzz_tests(check_one_filter, case=filter_and_value())
test_anded_filters_fixed_seed, test_anded_filters_random_seed = fuzz_tests(
    check_conditions, cases=st.lists(filter_and_value(), min_size=2, max_size=4))


def test_every_operator_is_fuzzed() -> None:
    from sampler.filters import PropertyOperator

    untested = {op.value for op in PropertyOperator} - set(DOMAINS)
    # `in`/`not_in` compile exactly as `exact`/`is_not` with lists; path cleaning needs a PostHog team.
    assert untested == {"in", "not_in", "is_cleaned_path_exact"}


# Where PostHog's VMs disagree with each other, ours answers as PostHog's Python VM (see README).
# Each row: filter, property value, (our match, PostHog's Node match).
KNOWN_DIVERGENCES = [
    # JavaScript orders null as 0: a missing property is "less than 5" in Node.
    ({"key": "p", "value": 5, "operator": "lt"}, None, (False, True)),
    ({"key": "p", "value": 0, "operator": "gte"}, None, (False, True)),
    # Ordering a string against a number: Python's VM raises, JavaScript compares as numbers.
    ({"key": "p", "value": "10", "operator": "lt"}, False, (True, False)),
    # Equality of a boolean and another string: Python's VM compares truthiness.
    ({"key": "p", "value": "abc", "operator": "exact"}, True, (True, False)),
    ({"key": "p", "value": "", "operator": "exact"}, 0, (False, True)),
    # An empty pattern matches everything in RE2 and Python; PostHog's TypeScript `match` says false.
    ({"key": "p", "value": "", "operator": "regex"}, "abc", (True, False)),
    # ... and so is matching an empty text, even with a pattern that matches it.
    ({"key": "p", "value": "^$", "operator": "regex"}, "", (True, False)),
    # A number as pattern: Python's VM rejects it, JavaScript turns it into text.
    ({"key": "p", "value": 5, "operator": "regex"}, "5", (False, True)),
    # toString of a whole float: '2.0' in Python, '2' in JavaScript.
    ({"key": "p", "value": "2.0", "operator": "icontains"}, 2.0, (True, False)),
]


def test_unreadable_dates_match_nothing_in_either_vm(node_vm: Any) -> None:
    # PostHog's Python VM fails on a date string `fromisoformat` refuses (so the condition does not
    # match); Node reads an invalid date, never equal to anything.
    bytecode = compile_filters([{"key": "p", "value": "soon", "operator": "is_date_exact"}], now=NOW)["bytecode"]
    globals_ = filter_globals("event", "p", "later")
    assert (ours_matches(bytecode, globals_), node_matches(node_vm, bytecode, globals_)) == (False, False)


@pytest.mark.parametrize(("prop", "value", "answers"), KNOWN_DIVERGENCES)
def test_known_divergences(node_vm: Any, prop: dict[str, Any], value: Any, answers: tuple[bool, bool]) -> None:
    bytecode = compile_filters([prop], now=NOW)["bytecode"]
    globals_ = filter_globals("event", "p", value)
    assert (ours_matches(bytecode, globals_), node_matches(node_vm, bytecode, globals_)) == answers


def test_alphabet_has_no_space() -> None:
    assert " " not in "aAbB1é%_-" and set("aAbB1é%_-") <= set(string.printable) | {"é"}
