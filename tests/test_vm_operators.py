"""Value operations (hogvm/operators.py), regex helpers and the memory cost model, called directly."""

from __future__ import annotations

import operator
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hogvm import operators
from hogvm.errors import HogVMException, HogVMMemoryExceededException
from hogvm.memory import MemoryMeter, live_cost, value_cost
from hogvm.regex import like_to_regex, regex_extract, regex_search
from hogvm.values import Callable, Closure, UpValue

# PostHog's own unit tests of unify_comparison_types (common/hogvm/python/test/test_comparison_utils.py)
UNIFY_CASES = [
    (False, "true", (False, True)), (True, "true", (True, True)), (False, "false", (False, False)),
    ("true", False, (True, False)), ("false", True, (False, True)),
    (False, "TRUE", (False, True)), ("FALSE", True, (False, True)), (True, "False", (True, False)),
    (True, 5, (1, 5)), (5, False, (5, 0)), (True, 5.5, (1, 5.5)),
    (5, "10", (5, 10.0)), (5, "hello", (5, "hello")), ("hello", 5, ("hello", 5)),
    ("hello", True, (True, True)), ("", False, (False, False)), (False, "hello", (False, True)),
    ("hello", "world", ("hello", "world")), (5, 10, (5, 10)), (True, False, (True, False)),
    (5, "true", (5, "true")), ("false", 10, ("false", 10)),
]


@pytest.mark.parametrize(("left", "right", "expected"), UNIFY_CASES)
def test_unify_comparison_types_matches_posthogs_tests(left: Any, right: Any, expected: tuple) -> None:
    unified = operators.unify_comparison_types(left, right)
    assert unified == expected
    assert [type(value) for value in unified] == [type(value) for value in expected]


def test_arithmetic_is_pythons_with_hog_errors() -> None:
    assert operators.add("a", "b") == "ab"
    assert operators.modulo(-7, 3) == 2
    assert operators.divide(6, 2) == 3.0
    for fn in (operators.divide, operators.modulo):
        with pytest.raises(HogVMException, match="by zero"):
            fn(1, 0)
    with pytest.raises(HogVMException, match="unsupported operand"):
        operators.subtract("a", 1)
    with pytest.raises(HogVMMemoryExceededException):
        operators.multiply("x", 10**12)
    assert operators.repetition_size([1, 2], 3) == 6 and operators.repetition_size(2, 3) == 0


def test_get_property_is_one_based_with_negative_indexes() -> None:
    items = [10, 20, 30]
    assert [operators.get_property(items, key) for key in (1, 3, 4, -1, -3, -4, 2.0)] == [10, 30, None, 30, 10, None, 20]
    assert operators.get_property((1, 2), -1) == 2 and operators.get_property("abc", 2) == "b"
    assert operators.get_property({"a": 1}, "a") == 1 and operators.get_property({"a": 1}, [1]) is None
    assert operators.get_property(None, "x") is None and operators.get_property(None, "x", True) is None
    with pytest.raises(HogVMException, match="start from index 1"):
        operators.get_property(items, 0)


def test_get_property_never_reaches_python_attributes() -> None:
    fn = Closure(Callable("local", "f", 0))
    for obj in ("abc", [1], {"a": 1}, fn, 5, 1.5, True):
        for key in ("__class__", "__dict__", "append", "keys", "callable", "upper"):
            assert operators.get_property(obj, key) is None


def test_set_property_errors_name_the_problem() -> None:
    items = [1, 2]
    operators.set_property(items, 2, "b")
    assert items == [1, "b"]
    operators.set_property(None, "x", 1)  # a no-op, as PostHog
    for obj, key, message in [
        (items, "x", "Invalid index: x"), (items, 0, "start from index 1"), (items, 3, "out of range"),
        ((1,), 1, 'type "tuple"'), ("s", 1, 'type "str"'), ({}, [1], "unhashable"),
    ]:
        with pytest.raises(HogVMException, match=message):
            operators.set_property(obj, key, 1)


def test_like_matches_anywhere_with_sql_wildcards() -> None:
    assert like_to_regex("a%b_c.d") == r"a.*b.c\.d"
    assert operators.like("xxabcxx", "a_c") and operators.like("ABC", "%b%", True)
    assert not operators.like("ac", "a_c") and operators.like("a.c", "a.c") and not operators.like("abc", "a.c")
    with pytest.raises(HogVMException, match="LIKE requires two strings, got null"):
        operators.like(None, "%")


def test_regex_helpers() -> None:
    assert regex_search("b+", "abbbc") and not regex_search("^b", "abc") and regex_search("B", "abc", True)
    assert regex_extract(r"(\d+)-(\d+)", "x 12-34") == "12"
    assert regex_extract(r"\d+", "x 12") == "12" and regex_extract("z", "abc") is None
    assert operators.regex_match(None, "a") is False and operators.regex_match("a", "") is False
    with pytest.raises(HogVMException, match="requires input to be a string"):
        operators.regex_match(5, "a")


def test_regex_cache_is_bounded() -> None:
    from hogvm import regex

    for index in range(2000):
        regex_search(f"x{index}", "x1")
    assert len(regex._cache) <= 512


def test_live_cost_counts_each_object_once_and_survives_cycles_and_depth() -> None:
    assert value_cost(None) == 8 and value_cost("abcd") == 12 and value_cost([1, "ab"]) == 8 + 8 + 10
    assert value_cost({"k": 1}) == 8 + 9 + 8
    cyclic: list[Any] = [1]
    cyclic.append(cyclic)
    assert value_cost(cyclic) == 16
    shared: list[Any] = ["x" * 100]
    for _ in range(200):  # a DAG whose tree form has 2**200 leaves
        shared = [shared, shared]
    start = time.perf_counter()
    assert value_cost(shared) < 200 * 30 + 200
    assert time.perf_counter() - start < 1
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    assert value_cost(deep) == 8 * 100_001


def test_live_cost_follows_closures_into_closed_upvalues() -> None:
    captured = UpValue(0, closed=True, value="y" * 1000)
    closure = Closure(Callable("local", "f", 0, 1), [captured])
    assert live_cost([closure]) >= 1000


def test_memory_meter_measures_before_failing() -> None:
    alive: list[Any] = []
    meter = MemoryMeter(1000, lambda: live_cost(alive))
    for _ in range(100):  # 5000 bytes charged, none of it kept: never over the limit
        meter.charge(50)
    alive.append("z" * 2000)
    with pytest.raises(HogVMMemoryExceededException) as caught:
        meter.charge(950)
    assert caught.value.memory_limit == 1000 and caught.value.attempted_memory > 1000


# --- comparisons of containers: Python's answers, without Python's recursion ------------------

_scalars = st.sampled_from([0, 1, 2, 1.0, 2.5, -1, True, False, None, "", "a", "1", "true", float("nan")])
_values = st.recursive(
    _scalars,
    lambda inner: (st.lists(inner, max_size=3) | st.lists(inner, max_size=3).map(tuple)
                   | st.dictionaries(st.sampled_from(["a", "b", 1, True]), inner, max_size=3)),
    max_leaves=10,
)
_ORDERINGS = [
    (operators.less, operator.lt), (operators.less_or_equals, operator.le),
    (operators.greater, operator.gt), (operators.greater_or_equals, operator.ge),
]


def _outcome(compute: Any) -> Any:
    try:
        return compute()
    except (TypeError, HogVMException) as error:
        return ("error", str(error))


@given(_values, _values)
def test_equality_operators_are_pythons_after_unification(a: Any, b: Any) -> None:
    left, right = operators.unify_comparison_types(a, b)
    assert operators.equals(a, b) == (left == right)
    assert operators.not_equals(a, b) == (left != right)
    assert operators.equals(a, a) == (a == a)  # one NaN inside an array equals itself, as in Python


@given(_values, _values, st.sampled_from(_ORDERINGS))
def test_ordering_operators_are_pythons_after_unification(a: Any, b: Any, ops: tuple) -> None:
    ours, python = ops
    left, right = operators.unify_comparison_types(a, b)
    assert _outcome(lambda: ours(a, b)) == _outcome(lambda: python(left, right))


@given(_values, st.lists(_values, max_size=4) | st.lists(_values, max_size=4).map(tuple) | _values)
def test_in_operator_is_pythons(item: Any, collection: Any) -> None:
    assert _outcome(lambda: operators.contains(item, collection)) == _outcome(lambda: item in collection)


def _chain(depth: int, leaf: Any) -> list:
    value: list = [leaf]
    for _ in range(depth):
        value = [value]
    return value


def test_deep_arrays_compare_without_recursion() -> None:
    one, other, two = _chain(100_000, 1), _chain(100_000, 1), _chain(100_000, 2)
    assert operators.equals(one, other) and not operators.not_equals(one, other)
    assert not operators.equals(one, two) and operators.not_equals(one, two)
    assert operators.less(one, two) and operators.less_or_equals(one, other)
    assert not operators.greater(one, two) and operators.greater_or_equals(two, one)
    assert operators.contains(one, [two, other]) and not operators.contains(one, (two,))
    with pytest.raises(HogVMException, match="'<' not supported between instances of 'int' and 'str'"):
        operators.less(one, _chain(100_000, "x"))

