"""Handlers for value operations: arithmetic, comparison, logic, `in`, `like`, regex.

Binary operators pop their first operand `a` from the top and replace the next one `b` with the
result (PostHog's order: `b a -> a op b`). Each has an inline fast path for the common number /
string case and otherwise defers to operators.py, which holds the full semantics.
"""

from __future__ import annotations

from collections.abc import Callable as PyCallable
from functools import partial
from typing import TYPE_CHECKING, Any

from hogvm import operators
from hogvm.errors import HogVMException
from hogvm.memory import VALUE_COST
from hogvm.opcodes import Op

if TYPE_CHECKING:
    from hogvm.vm import Machine

Handler = PyCallable[["Machine", None], None]

SMALL_INT = 1 << 62  # products of ints below this are cheap; bigger ones go through the size guard


# --- arithmetic -----------------------------------------------------------------------------


def op_plus(m: Machine, _: None) -> None:
    stack = m.stack
    a = stack.pop()
    b = stack[-1]
    ta = type(a)
    if (ta is int or ta is float) and (type(b) is int or type(b) is float):
        stack[-1] = a + b
    else:
        stack[-1] = _concat_or_add(m, a, b)


def _concat_or_add(m: Machine, a: Any, b: Any) -> Any:
    kind = type(a)
    if kind is type(b) and (kind is str or kind is list or kind is tuple):
        size = len(a) + len(b)
        m.meter.charge(VALUE_COST + (size if kind is str else VALUE_COST * size))
        return a + b
    return operators.add(a, b)


def op_minus(m: Machine, _: None) -> None:
    stack = m.stack
    a = stack.pop()
    b = stack[-1]
    ta = type(a)
    if (ta is int or ta is float) and (type(b) is int or type(b) is float):
        stack[-1] = a - b
    else:
        stack[-1] = operators.subtract(a, b)


def op_multiply(m: Machine, _: None) -> None:
    stack = m.stack
    a = stack.pop()
    b = stack[-1]
    ta = type(a)
    tb = type(b)
    if (ta is float and (tb is float or tb is int)) or (tb is float and ta is int) or (
        ta is int and tb is int and -SMALL_INT < a < SMALL_INT and -SMALL_INT < b < SMALL_INT
    ):
        stack[-1] = a * b
    else:
        # a string or array repeated, or a huge int: charge the result's size first
        size = operators.repetition_size(a, b)
        if size:
            m.meter.charge(VALUE_COST + (size if ta is str or tb is str else VALUE_COST * size))
        stack[-1] = operators.multiply(a, b)


def op_divide(m: Machine, _: None) -> None:
    stack = m.stack
    a = stack.pop()
    b = stack[-1]
    if type(b) is float and b and (type(a) is float or type(a) is int):
        stack[-1] = a / b
    else:
        stack[-1] = operators.divide(a, b)


def op_mod(m: Machine, _: None) -> None:
    stack = m.stack
    a = stack.pop()
    stack[-1] = operators.modulo(a, stack[-1])


# --- comparison -----------------------------------------------------------------------------
# Fast path: two scalars of one type (`==`), both numbers, or both of one type among int, float,
# str (ordering). Containers go to operators.py, which compares them without recursion.

_CONTAINERS = frozenset((list, tuple, dict))
# Type pairs Python orders exactly as Hog does, with no unification needed.
_NATIVELY_ORDERED = frozenset(
    ((int, int), (float, float), (int, float), (float, int), (str, str))
)


def op_eq(m: Machine, _: None) -> None:
    stack = m.stack
    a = stack.pop()
    b = stack[-1]
    ta = type(a)
    stack[-1] = a == b if ta is type(b) and ta not in _CONTAINERS else operators.equals(a, b)


def op_not_eq(m: Machine, _: None) -> None:
    stack = m.stack
    a = stack.pop()
    b = stack[-1]
    ta = type(a)
    stack[-1] = a != b if ta is type(b) and ta not in _CONTAINERS else operators.not_equals(a, b)


def op_lt(m: Machine, _: None) -> None:
    stack = m.stack
    a = stack.pop()
    b = stack[-1]
    if (type(a), type(b)) in _NATIVELY_ORDERED:
        stack[-1] = a < b
    else:
        stack[-1] = operators.less(a, b)


def op_lt_eq(m: Machine, _: None) -> None:
    stack = m.stack
    a = stack.pop()
    b = stack[-1]
    if (type(a), type(b)) in _NATIVELY_ORDERED:
        stack[-1] = a <= b
    else:
        stack[-1] = operators.less_or_equals(a, b)


def op_gt(m: Machine, _: None) -> None:
    stack = m.stack
    a = stack.pop()
    b = stack[-1]
    if (type(a), type(b)) in _NATIVELY_ORDERED:
        stack[-1] = a > b
    else:
        stack[-1] = operators.greater(a, b)


def op_gt_eq(m: Machine, _: None) -> None:
    stack = m.stack
    a = stack.pop()
    b = stack[-1]
    if (type(a), type(b)) in _NATIVELY_ORDERED:
        stack[-1] = a >= b
    else:
        stack[-1] = operators.greater_or_equals(a, b)


# --- logic ----------------------------------------------------------------------------------


def _pop_values(m: Machine, count: int) -> list[Any]:
    stack = m.stack
    if count > len(stack):
        raise HogVMException("Stack underflow")
    values = stack[-count:] if count else []
    if count:
        del stack[-count:]
    return values


def op_and(m: Machine, count: int) -> None:
    m.stack.append(all(_pop_values(m, count)))


def op_or(m: Machine, count: int) -> None:
    m.stack.append(any(_pop_values(m, count)))


def op_not(m: Machine, _: None) -> None:
    stack = m.stack
    stack[-1] = not stack[-1]


# --- in, like, regex ------------------------------------------------------------------------


def _negation(test: PyCallable[[Any, Any], bool]) -> PyCallable[[Any, Any], bool]:
    def negated(a: Any, b: Any) -> bool:
        return not test(a, b)

    return negated


def _regex_negation(case_insensitive: bool) -> PyCallable[[Any, Any], bool]:
    # a falsy operand (null, '') gives false, not true, as in PostHog
    def negated(a: Any, b: Any) -> bool:
        return (not operators.regex_match(a, b, case_insensitive)) if a and b else False

    return negated


# `b a -> test(a, b)`: the membership, like and regex operations as functions of their operands,
# each answering a bool (tier 2 calls them directly, without the stack).
TESTS: dict[int, PyCallable[[Any, Any], bool]] = {
    Op.IN: operators.contains,
    Op.NOT_IN: _negation(operators.contains),
    Op.LIKE: operators.like,
    Op.ILIKE: partial(operators.like, case_insensitive=True),
    Op.NOT_LIKE: _negation(operators.like),
    Op.NOT_ILIKE: _negation(partial(operators.like, case_insensitive=True)),
    Op.REGEX: operators.regex_match,
    Op.IREGEX: partial(operators.regex_match, case_insensitive=True),
    Op.NOT_REGEX: _regex_negation(False),
    Op.NOT_IREGEX: _regex_negation(True),
}


def _test(name: str, test: PyCallable[[Any, Any], bool]) -> Handler:
    """The handler of one of TESTS."""

    def handler(m: Machine, _: None) -> None:
        stack = m.stack
        a = stack.pop()
        stack[-1] = test(a, stack[-1])

    handler.__name__ = handler.__qualname__ = name
    return handler


HANDLERS = {
    Op.PLUS: op_plus,
    Op.MINUS: op_minus,
    Op.MULTIPLY: op_multiply,
    Op.DIVIDE: op_divide,
    Op.MOD: op_mod,
    Op.EQ: op_eq,
    Op.NOT_EQ: op_not_eq,
    Op.LT: op_lt,
    Op.LT_EQ: op_lt_eq,
    Op.GT: op_gt,
    Op.GT_EQ: op_gt_eq,
    Op.AND: op_and,
    Op.OR: op_or,
    Op.NOT: op_not,
    Op.IN: _test("op_in", TESTS[Op.IN]),
    Op.NOT_IN: _test("op_not_in", TESTS[Op.NOT_IN]),
    Op.LIKE: _test("op_like", TESTS[Op.LIKE]),
    Op.ILIKE: _test("op_ilike", TESTS[Op.ILIKE]),
    Op.NOT_LIKE: _test("op_not_like", TESTS[Op.NOT_LIKE]),
    Op.NOT_ILIKE: _test("op_not_ilike", TESTS[Op.NOT_ILIKE]),
    Op.REGEX: _test("op_regex", TESTS[Op.REGEX]),
    Op.IREGEX: _test("op_iregex", TESTS[Op.IREGEX]),
    Op.NOT_REGEX: _test("op_not_regex", TESTS[Op.NOT_REGEX]),
    Op.NOT_IREGEX: _test("op_not_iregex", TESTS[Op.NOT_IREGEX]),
}
