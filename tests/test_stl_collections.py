"""Array and dict builtins (hogvm/stl/collections.py)."""

from __future__ import annotations

import re

import pytest

from hogvm.errors import HogVMException, HogVMMemoryExceededException
from tests.stl_call import Call, FakeContext, call_native


def call(name: str, *args: object) -> object:
    return call_native(Call(name, *args))


@pytest.mark.parametrize(("name", "args", "expected"), [
    ("keys", ({"a": 1, "b": 2},), ["a", "b"]),
    ("keys", ([5, 6, 7],), [0, 1, 2]),  # 0-based, unlike indexing
    ("keys", ((5, 6),), [0, 1]),
    ("keys", ("abc",), []),
    ("keys", (None,), []),
    ("values", ({"a": 1, "b": [2]},), [1, [2]]),
    ("values", ((5, 6),), [5, 6]),
    ("values", (3,), []),
    ("indexOf", ([1, 2, 3], 2), 2),
    ("indexOf", ([1, 2, 3], 4), 0),
    ("indexOf", ([1, 2, 3], 2.0), 2),  # Python equality: 2 == 2.0
    ("indexOf", ([1, 2, 3], "2"), 0),
    ("indexOf", ("abc", "b"), 0),
    ("has", ([1, 2, 3], 2), True),
    ("has", ([[1], [2]], [2]), True),
    ("has", ([], 1), False),
    ("has", ((1, 2), 1), False),  # arrays only
    ("has", (None, 1), False),
    ("in", ("a", ["a", "b"]), True),
    ("in", ("a", ("a", "b")), True),
    ("in", ("z", ["a", "b"]), False),
    ("in", ("a", "abc"), False),
    ("in", ("a", {"a": 1}), False),
    ("arrayPushBack", ([1, 2], 3), [1, 2, 3]),
    ("arrayPushBack", (None, 3), [3]),
    ("arrayPushFront", ([1, 2], 0), [0, 1, 2]),
    ("arrayPushFront", ("x", 0), [0]),
    ("arrayPopBack", ([1, 2, 3],), [1, 2]),
    ("arrayPopBack", ([],), []),
    ("arrayPopBack", ((1, 2),), []),
    ("arrayPopFront", ([1, 2, 3],), [2, 3]),
    ("arraySort", ([3, 1, 2.5],), [1, 2.5, 3]),
    ("arraySort", (["b", "a", "C"],), ["C", "a", "b"]),
    ("arraySort", ([[2], [1, 5], [1]],), [[1], [1, 5], [2]]),
    ("arraySort", ([True, 0, 2],), [0, True, 2]),
    ("arraySort", ([3, 1], "ignored"), [1, 3]),
    ("arraySort", ("text",), []),
    ("arrayReverseSort", ([3, 1, 2],), [3, 2, 1]),
    ("arrayReverse", ([1, 2, 3],), [3, 2, 1]),
    ("arrayReverse", (None,), []),
    ("arrayStringConcat", (["a", "b"],), "ab"),
    ("arrayStringConcat", (["a", 1, None, True, 1.0], ", "), "a, 1, None, True, 1.0"),  # Python str()
    ("arrayStringConcat", ("ab", ","), ""),
    ("range", (5,), [0, 1, 2, 3, 4]),
    ("range", (3, 6), [3, 4, 5]),
    ("range", (6, 3), []),
    ("range", (-2,), []),
])
def test_collection_builtin(name: str, args: tuple, expected: object) -> None:
    assert call(name, *args) == expected


def test_array_functions_never_modify_their_argument() -> None:
    array = [3, 1, 2]
    for name, extra in [("arrayPushBack", (4,)), ("arrayPushFront", (0,)), ("arrayPopBack", ()),
                        ("arrayPopFront", ()), ("arraySort", ()), ("arrayReverse", ()),
                        ("arrayReverseSort", ())]:
        result = call(name, array, *extra)
        assert result is not array
    assert array == [3, 1, 2]


@pytest.mark.parametrize(("name", "args", "message"), [
    ("arraySort", ([3, "a", None],), "arraySort: can not order an array that mixes integer, null and string values"),
    ("arrayReverseSort", ([{"a": 1}, {"b": 2}],), "arrayReverseSort: can not order object values"),
    ("arrayStringConcat", (["a"], 1), "arrayStringConcat: expected the separator to be a string, got integer"),
    ("range", (1.5,), "range: expected the end to be an integer, got float"),
    ("range", ("1", 3), "range: expected the start to be an integer, got string"),
])
def test_collection_errors(name: str, args: tuple, message: str) -> None:
    with pytest.raises(HogVMException, match=re.escape(message)):
        call(name, *args)


def test_self_containing_and_shared_values_compare_safely() -> None:
    looped: list = []
    looped.append(looped)
    other: list = []
    other.append(other)
    assert call("has", [looped], other) is True  # Python would recurse forever
    a: list = [1]
    b: list = [1]
    for _ in range(50):  # 2**50 element pairs for Python's ==; each pair once here
        a, b = [a, a], [b, b]
    assert call("indexOf", [0, b], a) == 2
    c: list = [0]
    for _ in range(50):
        c = [c, c]
    assert call("arraySort", [a, c, b])[0] is c  # [..[0]..] < [..[1]..], found down one path


@pytest.mark.parametrize("expr", [
    Call("range", 10**12),
    Call("range", -(10**9), 10**9),
    Call("arrayPushBack", list(range(200_000)), 1),
    Call("arrayStringConcat", ["x" * 1000] * 2000, ""),
    Call("arrayStringConcat", [["y" * 30_000]] * 2000, ","),  # 2000 small texts, 60 MB joined
])
def test_size_proportional_builtins_charge_first(expr: Call) -> None:
    with pytest.raises(HogVMMemoryExceededException):
        call_native(expr, FakeContext(memory_limit=1_000_000))
