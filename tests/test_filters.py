"""`sampler.filters.compile_filters`: PostHog's condition bytecode, element for element, and a
clear `bytecode_error` (never an exception) for what cannot be compiled.

Expected bytecode marked "PostHog" is copied from PostHog's own tests of `compile_filters_bytecode`
(`posthog/cdp/test/test_filters.py`); the rest is derived from `property_to_expr` by hand.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hogvm import HogError, execute_bytecode
from sampler.filters import PropertyFilter, PropertyOperator, compile_condition, compile_filters

NOW = datetime(2026, 3, 15, 13, 45, 30, tzinfo=UTC)

GET, CALL, AND, OR, NOT, EQ, NOT_EQ, GT, GT_EQ, LT, LT_EQ = 1, 2, 3, 4, 5, 11, 12, 13, 14, 15, 16
ILIKE, NOT_ILIKE, IN, NOT_IN, TRUE, NULL, STR, INT, POP, ARRAY, TUPLE, IFNULL_JUMP = (
    18, 20, 21, 22, 29, 31, 32, 33, 35, 43, 44, 47)


def prop(key: str, *chain: str) -> list[Any]:
    """The code reading `<chain>.<key>` (e.g. `properties.$ai_model`)."""
    code: list[Any] = [STR, key]
    for part in reversed(chain):
        code += [STR, part]
    return [*code, GET, len(chain) + 1]


def bytecode(filters: list[dict[str, Any]], **options: Any) -> list[Any]:
    compiled = compile_filters(filters, now=NOW, **options)
    assert compiled["bytecode_error"] is None, compiled["bytecode_error"]
    return compiled["bytecode"]


def error(filters: Any) -> str:
    compiled = compile_filters(filters, now=NOW)
    assert compiled["bytecode"] is None
    assert compiled["bytecode_error"]
    return compiled["bytecode_error"]


# -- PostHog's expectations --------------------------------------------------------------------


def test_no_filters_is_true() -> None:  # PostHog: test_filters_empty
    assert bytecode([]) == ["_H", 1, TRUE]
    assert compile_filters(None)["bytecode"] == ["_H", 1, TRUE]


def test_person_properties_are_anded() -> None:  # PostHog: test_filters_properties
    filters = [
        {"key": "email", "value": "@posthog.com", "operator": "icontains", "type": "person"},
        {"key": "name", "value": "ben", "operator": "exact", "type": "person"},
    ]
    assert bytecode(filters) == [
        "_H", 1, 32, "%@posthog.com%", 32, "email", 32, "properties", 32, "person", 1, 3, 2, "toString", 1, 18,
        32, "ben", 32, "name", 32, "properties", 32, "person", 1, 3, 11, 3, 2,
    ]


def test_event_icontains() -> None:  # PostHog: the property half of test_filters_events
    filters = [{"key": "url", "value": "docs", "operator": "icontains", "type": "event"}]
    assert bytecode(filters) == ["_H", 1, 32, "%docs%", 32, "url", 32, "properties", 1, 2, 2, "toString", 1, 18]


def test_is_set() -> None:  # PostHog: test_build_behavioral_event_expr_supported_with_event_filters
    filters = [{"type": "event", "key": "$browser", "operator": "is_set", "value": "is_set"}]
    assert bytecode(filters) == ["_H", 1, 31, 32, "$browser", 32, "properties", 1, 2, 12]


# -- property_to_expr, operator by operator ----------------------------------------------------


@pytest.mark.parametrize(("operator", "code"), [
    ("exact", [STR, "gpt-4o", *prop("$ai_model", "properties"), EQ]),
    ("is_not", [STR, "gpt-4o", *prop("$ai_model", "properties"), NOT_EQ]),
    ("not_icontains", [STR, "%gpt-4o%", *prop("$ai_model", "properties"), CALL, "toString", 1, NOT_ILIKE]),
    ("gt", [STR, "gpt-4o", *prop("$ai_model", "properties"), GT]),
    ("gte", [STR, "gpt-4o", *prop("$ai_model", "properties"), GT_EQ]),
    ("lt", [STR, "gpt-4o", *prop("$ai_model", "properties"), LT]),
    ("lte", [STR, "gpt-4o", *prop("$ai_model", "properties"), LT_EQ]),
    ("is_not_set", [NULL, *prop("$ai_model", "properties"), EQ]),
    ("regex", [*prop("$ai_model", "properties"), CALL, "toString", 1, STR, "gpt-4o", CALL, "match", 2,
               IFNULL_JUMP, 3, POP, INT, 0]),
    ("not_regex", [*prop("$ai_model", "properties"), CALL, "toString", 1, STR, "gpt-4o", CALL, "match", 2, NOT,
                   IFNULL_JUMP, 3, POP, INT, 1]),
])
def test_operators(operator: str, code: list[Any]) -> None:
    assert bytecode([{"key": "$ai_model", "value": "gpt-4o", "operator": operator}]) == ["_H", 1, *code]


def test_numbers_keep_their_json_type() -> None:
    assert bytecode([{"key": "$ai_latency", "value": 2, "operator": "gt"}])[2:4] == [INT, 2]
    assert bytecode([{"key": "$ai_latency", "value": 2.5, "operator": "lt"}])[2:4] == [34, 2.5]
    assert bytecode([{"key": "$ai_latency", "value": "2", "operator": "lt"}])[2:4] == [STR, "2"]


def test_defaults_are_exact_and_event() -> None:
    assert bytecode([{"key": "a", "value": "x"}]) == bytecode([{"key": "a", "value": "x", "operator": None,
                                                                  "type": None}])
    assert bytecode([{"key": "a", "value": "x"}]) == ["_H", 1, STR, "x", *prop("a", "properties"), EQ]


def test_list_values_of_exact_and_is_not_become_in_tuples() -> None:
    assert bytecode([{"key": "a", "value": ["x", 1, None], "operator": "exact"}]) == [
        "_H", 1, STR, "x", INT, 1, NULL, TUPLE, 3, *prop("a", "properties"), IN]
    assert bytecode([{"key": "a", "value": ["x", "y"], "operator": "is_not"}]) == [
        "_H", 1, STR, "x", STR, "y", TUPLE, 2, *prop("a", "properties"), NOT_IN]


def test_one_element_lists_are_unwrapped_and_empty_lists_match_everything() -> None:
    assert bytecode([{"key": "a", "value": ["x"]}]) == bytecode([{"key": "a", "value": "x"}])
    assert bytecode([{"key": "a", "value": [], "operator": "is_not"}]) == ["_H", 1, INT, 1]


def test_list_values_of_other_operators_are_ored_or_anded_per_value() -> None:
    ored = bytecode([{"key": "a", "value": ["^x", "^y"], "operator": "regex"}])
    assert ored[-2:] == [OR, 2]
    assert ored[2:-2] == bytecode([{"key": "a", "value": "^x", "operator": "regex"}])[2:] + bytecode(
        [{"key": "a", "value": "^y", "operator": "regex"}])[2:]
    assert bytecode([{"key": "a", "value": ["x", "y"], "operator": "not_regex"}])[-2:] == [AND, 2]
    assert bytecode([{"key": "a", "value": [1, 5], "operator": "gt"}])[-2:] == [OR, 2]


def test_icontains_lists() -> None:
    assert bytecode([{"key": "a", "value": ["x", 2], "operator": "icontains"}]) == [
        "_H", 1, INT, 0, *prop("a", "properties"), CALL, "toString", 1, STR, "x", STR, "2", ARRAY, 2,
        CALL, "multiSearchAnyCaseInsensitive", 2, GT]
    assert bytecode([{"key": "a", "value": ["x", "y"], "operator": "not_icontains"}])[-1] == EQ
    assert bytecode([{"key": "a", "value": ["x"], "operator": "icontains"}])[2:4] == [STR, "%x%"]
    # PostHog formats the value with an f-string, whatever it is.
    assert bytecode([{"key": "a", "value": [], "operator": "icontains"}])[2:4] == [STR, "%[]%"]
    assert bytecode([{"key": "a", "value": True, "operator": "icontains"}])[2:4] == [STR, "%True%"]


def test_booleans_are_strings_unless_the_property_is_boolean() -> None:
    assert bytecode([{"key": "ok", "value": True}])[2:4] == [STR, "true"]
    assert bytecode([{"key": "ok", "value": "false"}], boolean_properties=[("event", "ok")])[2] == 30
    assert bytecode([{"key": "ok", "value": True, "type": "person"}], boolean_properties=[("event", "ok")])[2:4] == [
        STR, "true"]


def test_special_keys() -> None:
    assert bytecode([{"key": "$elements_chain", "value": "a"}])[4:] == [STR, "elements_chain", GET, 1, EQ]
    assert bytecode([{"key": "$virt_revenue", "value": 1, "operator": "gt"}])[4:] == [STR, "$virt_revenue", GET, 1, GT]
    assert bytecode([{"key": "distinct_id", "value": "u1", "type": "person"}])[4:] == [
        *prop("distinct_id", "person", "pdi"), EQ]
    assert bytecode([{"key": "", "value": "x"}])[4:] == [STR, "properties", GET, 1, EQ]


def test_dates_absolute_and_relative() -> None:
    before = bytecode([{"key": "at", "value": "2024-05-01", "operator": "is_date_before"}])
    assert before == ["_H", 1, STR, "2024-05-01", CALL, "toDateTime", 1, *prop("at", "properties"),
                      CALL, "toString", 1, CALL, "toDateTime", 1, LT]
    relative = {"key": "at", "value": "-7d", "operator": "is_date_after"}
    assert bytecode([relative])[2:4] == [STR, "2026-03-08 13:45:30"]
    assert bytecode([relative], timezone="America/New_York")[2:4] == [STR, "2026-03-08 09:45:30"]
    assert bytecode([{**relative, "value": "-1mStart"}])[3] == "2026-02-01 13:45:30"
    assert bytecode([{**relative, "value": "-2dStart"}])[3] == "2026-03-13 00:00:00"
    assert bytecode([{**relative, "value": "-3h"}])[3] == "2026-03-15 10:45:30"
    assert bytecode([{**relative, "value": "-1q"}])[3] == "2025-12-14 13:45:30"
    assert bytecode([{**relative, "value": "2024W02"}])[3] == "2024-01-08 00:00:00"  # an ISO week date
    assert bytecode([{"key": "at", "value": "2024-05-01", "operator": "is_date_exact"}])[-1] == EQ


def test_other_posthog_operators() -> None:
    between = bytecode([{"key": "n", "value": [1, 5], "operator": "between"}])
    assert between == ["_H", 1, INT, 1, *prop("n", "properties"), GT_EQ, INT, 5, *prop("n", "properties"), LT_EQ,
                       AND, 2]
    assert bytecode([{"key": "n", "value": [1, 5], "operator": "not_between"}])[-2:] == [OR, 2]
    assert bytecode([{"key": "n", "value": 3, "operator": "min"}]) == bytecode([{"key": "n", "value": 3,
                                                                                  "operator": "gte"}])
    assert bytecode([{"key": "n", "value": ["a", "b"], "operator": "in"}])[-1] == IN
    assert bytecode([{"key": "v", "value": "1.2.3", "operator": "semver_gt"}]) == [
        "_H", 1, STR, "1.2.3", CALL, "sortableSemver", 1, *prop("v", "properties"), CALL, "sortableSemver", 1, GT]
    caret = bytecode([{"key": "v", "value": "0.2.3", "operator": "semver_caret"}])
    assert [caret[i + 1] for i, x in enumerate(caret[:-1]) if x == STR and caret[i + 1][0].isdigit()] == [
        "0.2.3", "0.3.0"]


def test_exception_array_properties_match_element_by_element() -> None:
    code = bytecode([{"key": "$exception_types", "value": "ValueError"}])
    assert code[-3:] == [CALL, "arrayExists", 2]
    assert execute_bytecode(code, {"properties": {"$exception_types": '["KeyError", "ValueError"]'}}).result is True
    assert execute_bytecode(code, {"properties": {"$exception_types": '["KeyError"]'}}).result is False


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("filters", "message"), [
    ("x", "properties must be a list of property filters, got str"),
    ([1], "properties[0]: a property filter must be an object, got int"),
    ([{"value": "x"}], "properties[0].key: is required"),
    ([{"key": 5, "value": "x"}], "properties[0].key: Input should be a valid string"),
    ([{"key": "a"}], "properties[0]: a value is required for operator 'exact'"),
    ([{"key": "a", "value": "x", "operator": "contains"}], "properties[0].operator: unsupported operator 'contains'"),
    ([{"key": "a", "value": "x", "operator": ["exact"]}], "properties[0].operator: unsupported operator ['exact']"),
    ([{"key": "a", "value": 1, "type": "cohort"}], "properties[0].type: 'cohort' filters are not supported"),
    ([{"key": "a", "value": {"b": 1}}], "properties[0].value: must be a string, number or boolean"),
    ([{"key": "a", "value": [[1]]}], "properties[0].value: must be a string, number or boolean"),
    ([{"key": "a", "value": float("nan")}], "properties[0].value: numbers must be finite"),
    ([{"key": "a", "value": 5, "operator": "is_date_before"}], "is_date_before needs a date string as value, got int"),
    ([{"key": "a", "value": [1], "operator": "between"}], "between operator requires a two-element array [min, max]"),
    ([{"key": "a", "value": [5, 1], "operator": "between"}], "between operator requires min value to be less"),
    ([{"key": "a", "value": ["x", 1], "operator": "not_between"}], "not_between operator requires numeric values"),
    ([{"key": "a", "value": ["x"], "operator": "in"}], "IN and NOT IN operators require a list of values"),
    ([{"key": "a", "value": ["x", None], "operator": "gt"}], "Value must be set for property type event & operator gt"),
    ([{"key": "a", "value": "one", "operator": "semver_tilde"}], "Tilde operator requires a valid semver string"),
    ([{"key": "a", "value": 1, "operator": "semver_caret"}], "Caret operator requires a semver string value"),
    ([{"key": "a", "value": "x"}, {"key": "b"}], "properties[1]: a value is required"),
])
def test_errors_name_the_filter_and_the_problem(filters: Any, message: str) -> None:
    assert error(filters).startswith(message)


def test_every_operator_compiles_something_or_says_why() -> None:
    for operator in PropertyOperator:
        compiled = compile_filters([{"key": "a", "value": ["1.2.3", "2.0.0"], "operator": operator.value}], now=NOW)
        assert compiled["bytecode"] or compiled["bytecode_error"], operator


def test_unknown_time_zone() -> None:
    assert compile_filters([{"key": "a", "value": "-1d", "operator": "is_date_after"}],
                           timezone="Mars/Olympus")["bytecode_error"] == "unknown time zone 'Mars/Olympus'"


def test_is_set_needs_no_value_and_lists_of_set_operators_are_ored() -> None:
    assert PropertyFilter.model_validate({"key": "a", "operator": "is_set"}).value == "is_set"
    assert bytecode([{"key": "a", "value": [None, "x"], "operator": "is_set"}])[-2:] == [OR, 2]


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                    max_leaves=12)
FILTERISH = st.fixed_dictionaries({}, optional={
    "key": st.sampled_from(["a", "", "$ai_model"]) | JSON,
    "value": JSON,
    "operator": st.sampled_from([str(op) for op in PropertyOperator]) | JSON,
    "type": st.sampled_from(["event", "person", "group", None]) | JSON,
})


@settings(max_examples=300)
@given(st.lists(FILTERISH, max_size=3) | JSON)
def test_never_raises_and_gives_exactly_one_of_bytecode_or_error(filters: Any) -> None:
    compiled = compile_filters(filters, now=NOW)
    assert (compiled["bytecode"] is None) != (compiled["bytecode_error"] is None)
    assert not (compiled["bytecode_error"] or "").startswith("Unexpected error"), compiled["bytecode_error"]
    if compiled["bytecode"] is not None:  # what compiles is JSON and runs to a result or a HogError
        json.dumps(compiled["bytecode"], allow_nan=False)
        with contextlib.suppress(HogError):
            execute_bytecode(compiled["bytecode"], {"properties": {"a": 1}, "person": {"properties": {}}})


# -- conditions --------------------------------------------------------------------------------


def test_compile_condition_keeps_every_other_key() -> None:
    condition = {"id": "c1", "rollout_percentage": 40, "properties": [{"key": "a", "value": "x"}], "extra": 1,
                 "bytecode": ["stale"], "bytecode_error": "stale"}
    compiled = compile_condition(condition, now=NOW)
    assert compiled == {**condition, "bytecode": ["_H", 1, STR, "x", *prop("a", "properties"), EQ],
                        "bytecode_error": None}
    assert compile_condition({"id": "c2"})["bytecode"] == ["_H", 1, TRUE]
    broken = compile_condition({"id": "c3", "properties": [{"key": "a"}]})
    assert broken["bytecode"] is None and broken["id"] == "c3"
    assert compile_condition("nope")["bytecode_error"] == "a condition must be an object, got str"
