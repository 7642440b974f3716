"""Python's `==` and `<` on Hog values, without recursion and without exponential blow-up.

Python compares nested lists recursively: two 100,000-deep arrays raise RecursionError, and two
values built by `a := [a, a]` forty times compare 2**40 element pairs inside C code, where no
timeout can interrupt them. These functions give Python's answers with an explicit stack,
comparing each pair of containers once:

- `values_equal(a, b)` is `a == b`: numbers compare across int/float/bool, a list never equals a
  tuple, dicts compare as key sets plus values, and items that are the same object are equal
  (Python's identity shortcut, so a NaN inside an array equals itself). Where Python would
  recurse forever (a value containing itself), a pair met again is assumed equal.
- `values_ordered(a, b, op)` is `op(a, b)` for `<`, `<=`, `>`, `>=`: arrays and tuples compare
  lexicographically, and mixed kinds raise TypeError exactly where Python does. It finds the
  deciding pair of items in one walk, where Python re-compares each level (quadratic on a deep
  chain).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from functools import cmp_to_key
from typing import Any

_CONTAINERS = (list, tuple, dict)


def values_equal(a: Any, b: Any) -> bool:
    if type(a) not in _CONTAINERS or type(b) not in _CONTAINERS:
        return a == b  # scalars (a scalar never equals a container)
    seen: set[tuple[int, int]] = set()
    pending: list[tuple[Any, Any]] = [(a, b)]
    while pending:
        x, y = pending.pop()
        if x is y:
            continue
        kind = type(x)
        if kind not in _CONTAINERS or type(y) not in _CONTAINERS:
            if x != y:
                return False
            continue
        if kind is not type(y) or len(x) != len(y):
            return False
        pair = (id(x), id(y))
        if pair in seen:  # compared already, or being compared (a cycle)
            continue
        seen.add(pair)
        if kind is dict:
            for key, item in x.items():
                if key not in y:
                    return False
                pending.append((item, y[key]))
        else:
            pending.extend(zip(x, y, strict=True))
    return True


def contains(items: list | tuple, value: Any) -> bool:
    """`value in items`: each item is `value` itself or equal to it."""
    if type(value) not in _CONTAINERS:
        return value in items  # a scalar compares in one step with anything: Python's own loop
    return any(item is value or values_equal(item, value) for item in items)


def index_of(items: list | tuple, value: Any) -> int:
    """The 0-based position of the first item equal to `value`, or -1."""
    if type(value) not in _CONTAINERS:  # `in` first: a miss costs no exception
        return items.index(value) if value in items else -1
    for position, item in enumerate(items):
        if item is value or values_equal(item, value):
            return position
    return -1


Order = Callable[[Any, Any], bool]
_SEQUENCES = (list, tuple)


def _first_difference(a: list | tuple, b: list | tuple) -> tuple[Any, Any] | None:
    """Where Python's ordering of two arrays (or two tuples) is decided.

    Python finds the first pair of items that are not equal and orders by it, descending into
    it when it is a pair of arrays. Walking items in order, depth first, finds the same pair in
    one pass: returns it, or the two lengths when one value is a prefix of the other, or None
    when the values are equal. Pairs of arrays found equal (or being walked) are not walked again.
    """
    frames: list[list[Any]] = [[a, b, 0]]
    active = {(id(a), id(b))}
    proven: set[tuple[int, int]] = set()
    while frames:
        frame = frames[-1]
        x, y, index = frame
        if index < len(x) and index < len(y):
            frame[2] = index + 1
            p, q = x[index], y[index]
            if p is q:
                continue
            if type(p) in _SEQUENCES and type(p) is type(q):
                pair = (id(p), id(q))
                if pair not in proven and pair not in active:
                    active.add(pair)
                    frames.append([p, q, 0])
                continue
            if not values_equal(p, q):
                return p, q
            continue
        if len(x) != len(y):
            return len(x), len(y)
        frames.pop()
        pair = (id(x), id(y))
        active.discard(pair)
        proven.add(pair)
    return None


def values_ordered(a: Any, b: Any, op: Order) -> bool:
    """`op(a, b)` for an ordering operator; raises TypeError where Python does."""
    if type(a) not in _SEQUENCES or type(a) is not type(b):
        return op(a, b)
    difference = _first_difference(a, b)
    if difference is None:
        return op(0, 0)  # equal values
    return op(*difference)


def _compare(a: Any, b: Any) -> int:
    if values_ordered(a, b, operator.lt):
        return -1
    return 1 if values_ordered(b, a, operator.lt) else 0


_SORT_KEY = cmp_to_key(_compare)


def sorted_values(items: list, reverse: bool = False) -> list:
    """`sorted(items)`; arrays of arrays are ordered with `values_ordered`."""
    if any(type(item) in (list, tuple) for item in items):
        return sorted(items, key=_SORT_KEY, reverse=reverse)
    return sorted(items, reverse=reverse)
