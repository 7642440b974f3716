"""hogvm/comparison.py: Python's == and ordering on Hog values, without recursion or blow-up."""

from __future__ import annotations

import operator
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hogvm.comparison import contains, index_of, sorted_values, values_equal, values_ordered

scalars = st.sampled_from([0, 1, 2, 1.0, 2.5, -1, True, False, None, "", "a", "b", float("nan")])
values = st.recursive(
    scalars,
    lambda inner: (st.lists(inner, max_size=3) | st.lists(inner, max_size=3).map(tuple)
                   | st.dictionaries(st.sampled_from(["a", "b", 1, True]), inner, max_size=3)),
    max_leaves=12,
)
ORDERINGS = [operator.lt, operator.le, operator.gt, operator.ge]


def outcome(compute: object) -> object:
    try:
        return compute()  # type: ignore[operator]
    except TypeError:
        return TypeError


@given(values, values)
def test_equality_is_pythons(a: object, b: object) -> None:
    assert values_equal(a, b) == (a == b)
    assert values_equal(a, a) == (a == a)  # identity inside containers: [nan] == [nan] for one nan


@given(values, values, st.sampled_from(ORDERINGS))
def test_ordering_is_pythons(a: object, b: object, op: operator) -> None:
    assert outcome(lambda: values_ordered(a, b, op)) == outcome(lambda: op(a, b))


@given(st.lists(st.lists(st.integers(0, 3), max_size=3), max_size=6))
def test_sorting_arrays_is_pythons(items: list) -> None:
    assert sorted_values(items) == sorted(items)
    assert sorted_values(items, reverse=True) == sorted(items, reverse=True)


@given(st.lists(values, max_size=4), values)
def test_membership_is_pythons(items: list, value: object) -> None:
    assert contains(items, value) == (value in items)
    expected = items.index(value) if value in items else -1
    assert index_of(items, value) == expected


def shared(depth: int, leaf: int) -> list:
    value: list = [leaf]
    for _ in range(depth):
        value = [value, value]
    return value


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def test_shared_values_compare_each_pair_once() -> None:
    started = time.monotonic()
    assert values_equal(shared(200, 1), shared(200, 1))  # 2**200 pairs for Python
    assert not values_equal(shared(200, 1), shared(200, 2))
    assert values_ordered(shared(200, 1), shared(200, 2), operator.lt)
    low, high = shared(100, 1), shared(100, 3)
    assert sorted_values([high, low])[0] is low
    assert time.monotonic() - started < 5


def test_deep_values_compare_without_recursion() -> None:
    assert values_equal(nested(100_000), nested(100_000))
    assert not values_equal(nested(100_000), nested(99_999))
    assert values_ordered(nested(99_999), nested(100_000), operator.lt)


def test_self_containing_values_are_equal_where_python_recurses_forever() -> None:
    a: list = [1]
    a.append(a)
    b: list = [1]
    b.append(b)
    assert values_equal(a, b)
    c: list = [2]
    c.append(c)
    assert not values_equal(a, c)
    d: dict = {"k": 1}
    d["self"] = d
    e: dict = {"k": 1}
    e["self"] = e
    assert values_equal(d, e)


@pytest.mark.parametrize(("a", "b"), [([1], (1,)), ({"a": 1}, {"a": 1}), ([1, "a"], [1, 2]), (None, 1)])
def test_unorderable_kinds_raise_type_error_like_python(a: object, b: object) -> None:
    with pytest.raises(TypeError):
        values_ordered(a, b, operator.lt)
