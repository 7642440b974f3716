"""PostHog's TypeScript VM semantics for what property-filter bytecode reaches: `NODE`.

PostHog evaluates tagger conditions (compiled property filters) on its Node.js side, with
`@posthog/hogvm` and RE2 for regexes (`nodejs/src/cdp/utils/hog-exec.ts`), while taggers run on its
Python VM. Where the two VMs differ (ordering null, strings against numbers, regex on empty text,
`toString(2.0)`...), a condition must decide as Node does. `execute_bytecode(...,
semantics="node")` runs with this table; everything not listed here is the same in both VMs, or
unreachable from filter bytecode (arithmetic, `print`, string builtins other than these).

Opcodes (`compareValues`, `like`, `regexMatch`, `includes` in the TS VM's execute.ts):
    EQ NOT_EQ LT LT_EQ GT GT_EQ  unifyComparisonTypes, then arrays of finite numbers compare
                                 element-wise, anything else with JavaScript's `===` / `<` ...
    LIKE ILIKE NOT_LIKE NOT_ILIKE  String(pattern) to a regex, RE2 on String(text)
    REGEX IREGEX NOT_REGEX NOT_IREGEX  false (negated: true) unless pattern and text are truthy,
                                 then RE2 on String() of both
    IN NOT_IN                    Array.prototype.includes (SameValueZero, no coercion);
                                 String.prototype.includes on a string; an error on anything else
    NOT AND OR JUMP_IF_FALSE     JavaScript truthiness (an empty array is true, NaN false)
Builtins (the TS VM's stl.ts; hogvm/node_stl.py, hogvm/node_dates.py, hogvm/node_regex.py):
    toString toUUID  printHogStringOutput, numbers as JavaScript writes them ('2', not '2.0')
    toInt toFloat    parseInt / parseFloat of String(x): '12abc' is 12, true is null
    toDate toDateTime  the shared date-like grammar; anything else an invalid date (NaN seconds,
                     never equal to anything) instead of an error
    match extractRegex like ilike notLike notILike  RE2 through node-re2's pattern translation
    multiSearchAnyCaseInsensitive JSONExtract values length  (JSONExtract parses as JSON.parse;
                     scalars give null; values/length are what arrayExists and sortableSemver,
                     the bytecode-STL functions filters call, run on)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from hogvm import node_dates
from hogvm import node_values as js
from hogvm.errors import HogVMException
from hogvm.handlers import HANDLERS
from hogvm.handlers.arith import _pop_values
from hogvm.handlers.control import _jump
from hogvm.node_regex import like, re2_test
from hogvm.node_stl import BUILTINS
from hogvm.opcodes import Op
from hogvm.semantics import Semantics

if TYPE_CHECKING:
    from hogvm.vm import Machine

__all__ = ["NODE", "compare", "includes", "unify"]


_SEQUENCES = (list, tuple)


# --- comparison (compareValues / unifyComparisonTypes) ---------------------------------------------


def unify(left: Any, right: Any) -> tuple[Any, Any]:
    """unifyComparisonTypes, rule for rule."""
    left_seconds = node_dates.temporal_seconds(left)
    right_seconds = node_dates.temporal_seconds(right)
    if left_seconds is not None and right_seconds is not None:
        return left_seconds, right_seconds
    if left_seconds is not None and type(right) is str:
        parsed = node_dates.date_string_seconds(right)
        if parsed is not None:
            return left_seconds, parsed
    if right_seconds is not None and type(left) is str:
        parsed = node_dates.date_string_seconds(left)
        if parsed is not None:
            return parsed, right_seconds
    left_kind, right_kind = js.js_kind(left), js.js_kind(right)
    if left_kind == "number" and right_kind == "string":
        return left, js.string_to_number(right)
    if left_kind == "string" and right_kind == "number":
        return js.string_to_number(left), right
    if left_kind == "boolean" and right_kind == "string":
        return left, right == "true"
    if left_kind == "string" and right_kind == "boolean":
        return left == "true", right
    if left_kind == "boolean" and right_kind == "number":
        return (1 if left else 0), right
    if left_kind == "number" and right_kind == "boolean":
        return left, (1 if right else 0)
    return left, right


def _array_ordering(left: list | tuple, right: list | tuple) -> int | None:
    """compareValues' array rule: -1/0/1 when both hold only finite numbers, else None."""
    if not all(map(js.js_finite_number, left)) or not all(map(js.js_finite_number, right)):
        return None
    for x, y in zip(left, right, strict=False):
        x, y = js.js_number(x), js.js_number(y)
        if x != y:
            return -1 if x < y else 1
    return (len(left) > len(right)) - (len(left) < len(right))


_ORDERINGS: dict[str, Callable[[int], bool]] = {
    "==": lambda o: o == 0, "!=": lambda o: o != 0, "<": lambda o: o < 0,
    "<=": lambda o: o <= 0, ">": lambda o: o > 0, ">=": lambda o: o >= 0,
}


def compare(left: Any, right: Any, op: str) -> bool:
    """`left op right` as the TS VM's compareValues answers it (op: == != < <= > >=)."""
    if type(left) is str and type(right) is str and op == "==":
        return left == right  # the common case of a filter: no coercion applies
    left, right = unify(left, right)
    if type(left) in _SEQUENCES and type(right) in _SEQUENCES:
        ordering = _array_ordering(left, right)
        if ordering is not None:
            return _ORDERINGS[op](ordering)
    if op == "==":
        return js.js_strict_equals(left, right)
    if op == "!=":
        return not js.js_strict_equals(left, right)
    if op == "<":
        return js.js_less_than(left, right) is True
    if op == ">":
        return js.js_less_than(right, left) is True
    if op == "<=":
        return js.js_less_than(right, left) is False
    return js.js_less_than(left, right) is False  # >=


def _comparison(name: str, op: str) -> Callable[[Machine, None], None]:
    def handler(m: Machine, _: None) -> None:
        stack = m.stack
        a = stack.pop()
        stack[-1] = compare(a, stack[-1], op)

    handler.__name__ = handler.__qualname__ = name
    return handler


# --- membership (Array.prototype.includes) ------------------------------------------------------


def includes(container: Any, item: Any) -> bool:
    """`container.includes(item)`."""
    kind = type(container)
    if kind is list or kind is tuple:
        return any(js.js_same_value_zero(element, item) for element in container)
    if kind is str:
        return js.js_string(item) in container
    if container is None:
        raise HogVMException("Cannot read properties of null (reading 'includes')")
    raise HogVMException(f"{js.js_string(container)}.includes is not a function")


# --- regex and LIKE opcodes (RE2: hogvm/node_regex.py) ------------------------------------------


def _regex_handler(name: str, *, case_insensitive: bool, negated: bool) -> Callable[[Machine, None], None]:
    """The REGEX family: `regex && value ? match(regex, value) : false`, negated after that."""

    def handler(m: Machine, _: None) -> None:
        stack = m.stack
        text = stack.pop()
        pattern = stack[-1]
        if case_insensitive:
            pattern = "(?i)" + js.js_string(pattern)
        matched = re2_test(pattern, text) if js.js_truthy(pattern) and js.js_truthy(text) else False
        stack[-1] = matched is not negated

    handler.__name__ = handler.__qualname__ = name
    return handler


def _binary_test(name: str, test: Callable[[Any, Any], bool], negated: bool = False) -> Callable[[Machine, None], None]:
    """A handler for `b a -> test(a, b)` (a on top), negated or not."""

    def handler(m: Machine, _: None) -> None:
        stack = m.stack
        a = stack.pop()
        stack[-1] = test(a, stack[-1]) is not negated

    handler.__name__ = handler.__qualname__ = name
    return handler


# --- truthiness ------------------------------------------------------------------------------------


def op_not(m: Machine, _: None) -> None:
    stack = m.stack
    stack[-1] = not js.js_truthy(stack[-1])


def op_and(m: Machine, count: int) -> None:
    m.stack.append(all(map(js.js_truthy, _pop_values(m, count))))


def op_or(m: Machine, count: int) -> None:
    m.stack.append(any(map(js.js_truthy, _pop_values(m, count))))


def op_jump_if_false(m: Machine, target: int) -> None:
    if not js.js_truthy(m.stack.pop()):
        _jump(m, target)


# --- the table ------------------------------------------------------------------------------------


def _build() -> Semantics:
    handlers = list(HANDLERS)
    overrides = {
        Op.EQ: _comparison("op_eq", "=="),
        Op.NOT_EQ: _comparison("op_not_eq", "!="),
        Op.LT: _comparison("op_lt", "<"),
        Op.LT_EQ: _comparison("op_lt_eq", "<="),
        Op.GT: _comparison("op_gt", ">"),
        Op.GT_EQ: _comparison("op_gt_eq", ">="),
        Op.LIKE: _binary_test("op_like", partial(like, case_insensitive=False)),
        Op.ILIKE: _binary_test("op_ilike", partial(like, case_insensitive=True)),
        Op.NOT_LIKE: _binary_test("op_not_like", partial(like, case_insensitive=False), negated=True),
        Op.NOT_ILIKE: _binary_test("op_not_ilike", partial(like, case_insensitive=True), negated=True),
        Op.IN: _binary_test("op_in", lambda item, container: includes(container, item)),
        Op.NOT_IN: _binary_test("op_not_in", lambda item, container: includes(container, item), negated=True),
        Op.REGEX: _regex_handler("op_regex", case_insensitive=False, negated=False),
        Op.NOT_REGEX: _regex_handler("op_not_regex", case_insensitive=False, negated=True),
        Op.IREGEX: _regex_handler("op_iregex", case_insensitive=True, negated=False),
        Op.NOT_IREGEX: _regex_handler("op_not_iregex", case_insensitive=True, negated=True),
        Op.NOT: op_not,
        Op.AND: op_and,
        Op.OR: op_or,
        Op.JUMP_IF_FALSE: op_jump_if_false,
    }
    for op, handler in overrides.items():
        handlers[int(op)] = handler
    builtins = BUILTINS
    return Semantics("node", handlers, builtins)


NODE = _build()
