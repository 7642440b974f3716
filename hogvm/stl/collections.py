"""Array and dict builtins: keys, values, indexOf, has, in, range, and the arrayXxx family.

The arrayXxx functions never modify their argument: they return a new array (and `[]` or
`[item]` when the argument is not an array), as PostHog's VMs do. Membership and sorting compare
values as Python does, via hogvm.comparison (no recursion, no exponential time on shared values).
"""

from __future__ import annotations

from typing import Any

from hogvm import comparison
from hogvm.printing import to_python_str, type_name
from hogvm.stl.argcheck import VALUE_COST, TextMeter, expect_int, expect_str, fail
from hogvm.stl.registry import StlContext, builtin


def _charge_array(ctx: StlContext, length: int) -> None:
    ctx.charge(VALUE_COST * (length + 1))


@builtin("keys", 1, 1)
def keys(args: list[Any], ctx: StlContext) -> list:
    value = args[0]
    if type(value) is dict:
        _charge_array(ctx, len(value))
        return list(value)
    if type(value) in (list, tuple):
        # Array keys are 0-based, unlike indexing: for (let k, v in arr) gives 0, 1, 2...
        _charge_array(ctx, len(value))
        return list(range(len(value)))
    return []


@builtin("values", 1, 1)
def values(args: list[Any], ctx: StlContext) -> list:
    value = args[0]
    if type(value) is dict:
        _charge_array(ctx, len(value))
        return list(value.values())
    if type(value) in (list, tuple):
        _charge_array(ctx, len(value))
        return list(value)
    return []


@builtin("indexOf", 2, 2)
def index_of(args: list[Any], ctx: StlContext) -> int:
    array, item = args[0], args[1]
    if type(array) is not list:
        return 0
    if type(item) is str:  # the common case, answered as comparison.index_of does: Python's own scan
        return array.index(item) + 1 if item in array else 0
    return comparison.index_of(array, item) + 1


@builtin("has", 2, 2)
def has(args: list[Any], ctx: StlContext) -> bool:
    array, item = args[0], args[1]
    if type(array) is not list:
        return False
    return comparison.contains(array, item)


@builtin("in", 2, 2)
def in_fn(args: list[Any], ctx: StlContext) -> bool:
    item, collection = args[0], args[1]
    if type(collection) not in (list, tuple):
        return False
    return comparison.contains(collection, item)


@builtin("arrayPushBack", 2, 2)
def array_push_back(args: list[Any], ctx: StlContext) -> list:
    array, item = args[0], args[1]
    if type(array) is not list:
        return [item]
    _charge_array(ctx, len(array) + 1)
    return [*array, item]


@builtin("arrayPushFront", 2, 2)
def array_push_front(args: list[Any], ctx: StlContext) -> list:
    array, item = args[0], args[1]
    if type(array) is not list:
        return [item]
    _charge_array(ctx, len(array) + 1)
    return [item, *array]


@builtin("arrayPopBack", 1, 1)
def array_pop_back(args: list[Any], ctx: StlContext) -> list:
    array = args[0]
    if type(array) is not list:
        return []
    _charge_array(ctx, len(array))
    return array[:-1]


@builtin("arrayPopFront", 1, 1)
def array_pop_front(args: list[Any], ctx: StlContext) -> list:
    array = args[0]
    if type(array) is not list:
        return []
    _charge_array(ctx, len(array))
    return array[1:]


def _sorted(function: str, array: list, reverse: bool) -> list:
    try:
        return comparison.sorted_values(array, reverse=reverse)
    except TypeError:
        kinds = sorted({type_name(item) for item in array})
        if len(kinds) == 1:
            fail(function, f"can not order {kinds[0]} values")
        listed = ", ".join(kinds[:-1]) + " and " + kinds[-1]
        fail(function, f"can not order an array that mixes {listed} values")


@builtin("arraySort", 1, None)
def array_sort(args: list[Any], ctx: StlContext) -> list:
    array = args[0]
    if type(array) is not list:
        return []
    _charge_array(ctx, len(array))
    return _sorted("arraySort", array, reverse=False)


@builtin("arrayReverseSort", 1, None)
def array_reverse_sort(args: list[Any], ctx: StlContext) -> list:
    array = args[0]
    if type(array) is not list:
        return []
    _charge_array(ctx, len(array))
    return _sorted("arrayReverseSort", array, reverse=True)


@builtin("arrayReverse", 1, 1)
def array_reverse(args: list[Any], ctx: StlContext) -> list:
    array = args[0]
    if type(array) is not list:
        return []
    _charge_array(ctx, len(array))
    return array[::-1]


@builtin("arrayStringConcat", 1, 2)
def array_string_concat(args: list[Any], ctx: StlContext) -> str:
    array = args[0]
    if type(array) is not list:
        return ""
    separator = expect_str("arrayStringConcat", args[1], "the separator") if len(args) > 1 else ""
    # Python's str() of each item, as PostHog does: null joins as 'None', true as 'True'.
    meter = TextMeter(ctx)
    parts = []
    for item in array:
        text = to_python_str(item, ctx)
        meter.add(len(text) + len(separator))
        parts.append(text)
    return separator.join(parts)


@builtin("range", 1, 2)
def range_fn(args: list[Any], ctx: StlContext) -> list[int]:
    """range(end) is 0..end-1; range(start, end) is start..end-1."""
    if len(args) == 1:
        start, end = 0, expect_int("range", args[0], "the end")
    else:
        start = expect_int("range", args[0], "the start")
        end = expect_int("range", args[1], "the end")
    _charge_array(ctx, max(end - start, 0))
    return list(range(start, end))
