"""Handlers that move values: constants, locals, POP, building containers, property access."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hogvm import operators, posthog_model
from hogvm.errors import HogVMException
from hogvm.handlers.closures import close_upvalue
from hogvm.loader import CONST, SET_LOCAL_REBIND, SET_LOCAL_REBIND_TOP
from hogvm.memory import VALUE_COST
from hogvm.opcodes import Op

if TYPE_CHECKING:
    from hogvm.vm import Machine

get_property = operators.get_property


def op_const(m: Machine, value: Any) -> None:
    """STRING / INTEGER / FLOAT / TRUE / FALSE / NULL, decoded into one instruction."""
    m.stack.append(value)


def op_pop(m: Machine, _: None) -> None:
    m.stack.pop()


def op_get_local(m: Machine, slot: int) -> None:
    stack = m.stack
    stack.append(stack[m.base + slot])


def op_set_local(m: Machine, slot: int) -> None:
    stack = m.stack
    stack[m.base + slot] = stack.pop()


def _close_at(m: Machine, location: int) -> None:
    close_upvalue(m, location, m.stack[location])


def op_set_local_rebind(m: Machine, slot: int) -> None:
    """A for-in loop variable's per-iteration write: closures of the last iteration keep their
    value (see loader._mark_rebinding_writes)."""
    location = m.base + slot
    if location in m.open_upvalues and posthog_model.rebinds(m):
        _close_at(m, location)
    stack = m.stack
    stack[location] = stack.pop()


def op_set_local_rebind_top(m: Machine, slot: int) -> None:
    """The write ending a C-style for step: a new binding if it is the loop's (topmost) variable."""
    location = m.base + slot
    stack = m.stack
    if location in m.open_upvalues and location == len(stack) - 2 and posthog_model.rebinds(m):
        _close_at(m, location)
    stack[location] = stack.pop()


def _take(m: Machine, count: int) -> list[Any]:
    """Pop the top `count` values, in stack order."""
    stack = m.stack
    if not count:
        return []
    items = stack[-count:]
    del stack[-count:]
    return items


def charge_container(m: Machine, values: int) -> None:
    """Charge a container of `values` items about to be built (its items still on the stack). Tier 2
    writes the same charge inline before building arrays and tuples itself."""
    meter = m.meter
    meter.used += VALUE_COST * (values + 1)
    if meter.used > meter.limit:
        meter.collect()


def op_array(m: Machine, count: int) -> None:
    if count > len(m.stack):
        raise HogVMException("Stack underflow")
    charge_container(m, count)
    m.stack.append(_take(m, count))


def op_tuple(m: Machine, count: int) -> None:
    if count > len(m.stack):
        raise HogVMException("Stack underflow")
    charge_container(m, count)
    m.stack.append(tuple(_take(m, count)))


def op_dict(m: Machine, count: int) -> None:
    if 2 * count > len(m.stack):
        raise HogVMException("Stack underflow")
    charge_container(m, 2 * count)
    items = _take(m, 2 * count)
    try:
        m.stack.append(dict(zip(items[::2], items[1::2], strict=True)))
    except TypeError as error:
        raise HogVMException(f"Invalid dict key: {error}") from None


def op_get_property(m: Machine, _: None) -> None:
    stack = m.stack
    key = stack.pop()
    obj = stack[-1]
    if type(obj) is dict and type(key) is str:
        stack[-1] = obj.get(key)
    elif type(obj) is list and type(key) is int and 0 < key <= len(obj):
        stack[-1] = obj[key - 1]
    else:
        stack[-1] = get_property(obj, key)


def op_get_property_nullish(m: Machine, _: None) -> None:
    stack = m.stack
    key = stack.pop()
    stack[-1] = get_property(stack[-1], key, True)


def op_set_property(m: Machine, _: None) -> None:
    stack = m.stack
    value = stack.pop()
    key = stack.pop()
    store_property(m, stack.pop(), key, value)


def store_property(m: Machine, obj: Any, key: Any, value: Any) -> None:
    """`obj[key] := value`, its operands off the stack (tier 2 calls it with them directly)."""
    operators.set_property(obj, key, value)
    # At most one new entry; strings are charged as PostHog's cost model counts them.
    meter = m.meter
    meter.used += 2 * VALUE_COST + (len(key) if type(key) is str else 0) + (
        len(value) if type(value) is str else 0
    )
    if meter.used > meter.limit:
        meter.collect()


HANDLERS = {
    CONST: op_const,
    Op.POP: op_pop,
    Op.GET_LOCAL: op_get_local,
    Op.SET_LOCAL: op_set_local,
    SET_LOCAL_REBIND: op_set_local_rebind,
    SET_LOCAL_REBIND_TOP: op_set_local_rebind_top,
    Op.ARRAY: op_array,
    Op.TUPLE: op_tuple,
    Op.DICT: op_dict,
    Op.GET_PROPERTY: op_get_property,
    Op.GET_PROPERTY_NULLISH: op_get_property_nullish,
    Op.SET_PROPERTY: op_set_property,
}
