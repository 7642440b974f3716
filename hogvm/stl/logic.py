"""HogQL-compatible function forms of operators: plus, minus, floor, round, min2, max2, equals,
greater..., and, or, not, if, multiIf.

These are PostHog's Python builtins, which apply Python's operators directly: unlike the `=` and
`<` operators they do not unify types, so `equals(1, '1')` is false. Ordering values of
different kinds (a number and a string, or null) is an error, as in PostHog, but a HogVMException
that names the kinds instead of a Python TypeError. Arrays compare as Python compares lists, via
hogvm.comparison (no recursion, no exponential time on shared values).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

from hogvm.comparison import values_equal, values_ordered
from hogvm.printing import type_name
from hogvm.stl.argcheck import VALUE_COST, fail
from hogvm.stl.registry import StlContext, builtin


def _apply(function: str, op: Callable[[Any, Any], Any], a: Any, b: Any, verb: str) -> Any:
    try:
        return op(a, b)
    except TypeError:
        fail(function, f"can not {verb} {type_name(a)} and {type_name(b)}")


def _ordering(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    return lambda a, b: values_ordered(a, b, op)


_LT = _ordering(operator.lt)
_GT = _ordering(operator.gt)


def _comparison(name: str, op: Callable[[Any, Any], Any], verb: str) -> None:
    @builtin(name, 2, 2)
    def compare(args: list[Any], ctx: StlContext) -> bool:
        return _apply(name, op, args[0], args[1], verb)

    compare.__name__ = name


_comparison("equals", values_equal, "compare")
_comparison("notEquals", lambda a, b: not values_equal(a, b), "compare")
_comparison("greater", _GT, "compare")
_comparison("greaterOrEquals", _ordering(operator.ge), "compare")
_comparison("less", _LT, "compare")
_comparison("lessOrEquals", _ordering(operator.le), "compare")


@builtin("plus", 2, 2)
def plus(args: list[Any], ctx: StlContext) -> Any:
    a, b = args[0], args[1]
    # Python's + also joins strings, arrays and tuples: charge for the joined value first.
    if type(a) is type(b) and type(a) in (str, list, tuple):
        ctx.charge(VALUE_COST * (1 if type(a) is str else len(a) + len(b) + 1) + len(a) + len(b))
    return _apply("plus", operator.add, a, b, "add")


@builtin("minus", 2, 2)
def minus(args: list[Any], ctx: StlContext) -> Any:
    return _apply("minus", operator.sub, args[0], args[1], "subtract")


def _to_integer(function: str, convert: Callable[[Any], int], value: Any) -> int:
    if not isinstance(value, int | float):
        fail(function, f"expected a number, got {type_name(value)}")
    try:
        return convert(value)
    except (ValueError, OverflowError):  # nan, inf
        fail(function, f"can not convert {value!r} to an integer")


@builtin("floor", 1, 2)
def floor(args: list[Any], ctx: StlContext) -> int:
    return _to_integer("floor", math.floor, args[0])


@builtin("round", 1, 2)
def round_fn(args: list[Any], ctx: StlContext) -> int:
    # Python's round(): halves go to the even neighbour (round(2.5) is 2), and PostHog's
    # Python VM ignores the second (precision) argument.
    return _to_integer("round", round, args[0])


@builtin("min2", 2, 2)
def min2(args: list[Any], ctx: StlContext) -> Any:
    a, b = args[0], args[1]
    return a if _apply("min2", _LT, a, b, "compare") else b


@builtin("max2", 2, 2)
def max2(args: list[Any], ctx: StlContext) -> Any:
    a, b = args[0], args[1]
    return a if _apply("max2", _GT, a, b, "compare") else b


@builtin("and", 1, None)
def and_fn(args: list[Any], ctx: StlContext) -> bool:
    return all(args)


@builtin("or", 1, None)
def or_fn(args: list[Any], ctx: StlContext) -> bool:
    return any(args)


@builtin("not", 1, 1)
def not_fn(args: list[Any], ctx: StlContext) -> bool:
    return not args[0]


@builtin("if", 3, 3)
def if_fn(args: list[Any], ctx: StlContext) -> Any:
    # The compiler inlines if() as jumps; this serves calls through a variable.
    return args[1] if args[0] else args[2]


@builtin("multiIf", 3, None)
def multi_if(args: list[Any], ctx: StlContext) -> Any:
    """multiIf(cond1, value1, cond2, value2, ..., default)."""
    for index in range(0, len(args) - 1, 2):
        if index + 1 >= len(args) - 1:
            fail("multiIf", "expected condition/value pairs followed by a default (an odd number of arguments)")
        if args[index]:
            return args[index + 1]
    return args[-1]
