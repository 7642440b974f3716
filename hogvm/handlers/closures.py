"""Handlers for functions as values: CALLABLE, CLOSURE and upvalues.

An upvalue is open while the captured stack slot lives (it reads and writes `stack[location]`)
and closed once that slot is popped (it owns `value`). `m.open_upvalues` maps stack index ->
open upvalue, so closures capturing one variable share it; a closed upvalue is never reused.
New captures go through `posthog_model.capture`, which also notes when PostHog's VMs (which do
reuse closed upvalues) could answer the run differently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hogvm import operators, posthog_model
from hogvm.errors import HogVMException
from hogvm.memory import VALUE_COST
from hogvm.opcodes import Op
from hogvm.values import Callable, Closure, UpValue

if TYPE_CHECKING:
    from hogvm.vm import Machine


def op_callable(m: Machine, arg: tuple[Callable, int]) -> None:
    """Push the function (decoded once by the loader) and skip its body."""
    fn, after = arg
    m.stack.append(fn)
    m.executed += m.ip - m.seg
    m.ip = m.seg = after


def op_closure(m: Machine, captures: tuple[tuple[bool, int], ...]) -> None:
    """callable -> closure: capture locals of this frame (as upvalues) or this closure's upvalues."""
    stack = m.stack
    fn = stack.pop()
    stack.append(make_closure(m, fn, captures, m.base, len(stack), m.closure.upvalues))


def make_closure(m: Machine, fn: Any, captures: tuple[tuple[bool, int], ...], base: int, height: int,
                 enclosing: list[UpValue]) -> Closure:
    """A closure of `fn` (shared by both tiers): local `index` is stack location `base + index` of a
    stack `height` high, whose open upvalue closures share; otherwise upvalue `index` of the
    enclosing closure's `enclosing` upvalues."""
    if type(fn) is not Callable:
        raise HogVMException(f"Invalid callable: {operators.type_label(fn)}")
    if len(captures) != fn.upvalue_count:
        raise HogVMException(f"Invalid upvalue count. Expected {fn.upvalue_count}, got {len(captures)}")
    open_upvalues = m.open_upvalues
    captured = []
    for is_local, index in captures:
        if is_local:
            location = base + index
            if location > height:
                raise HogVMException(f"Invalid bytecode: captured local {index} does not exist")
            upvalue = open_upvalues.get(location)
            if upvalue is None:
                upvalue = posthog_model.capture(m, location)
            captured.append(upvalue)
        else:
            if index >= len(enclosing):
                raise HogVMException(f"Invalid upvalue index: {index}")
            captured.append(enclosing[index])
    m.meter.used += VALUE_COST * (2 + len(captured))
    return Closure(fn, captured)


def close_upvalue(m: Machine, location: int, value: Any) -> None:
    """The variable at stack `location` goes away: its open upvalue keeps `value` from now on."""
    upvalue = m.open_upvalues.pop(location)
    upvalue.value = value
    upvalue.closed = True


def op_get_upvalue(m: Machine, index: int) -> None:
    upvalue = m.closure.upvalues[index]
    stack = m.stack
    stack.append(upvalue.value if upvalue.closed else stack[upvalue.location])


def op_set_upvalue(m: Machine, index: int) -> None:
    upvalue = m.closure.upvalues[index]
    stack = m.stack
    if upvalue.closed:
        upvalue.value = stack.pop()
    else:
        stack[upvalue.location] = stack.pop()


def op_close_upvalue(m: Machine, _: Any) -> None:
    """Pop the top slot, closing the upvalue that points at it, if any."""
    stack = m.stack
    top = len(stack) - 1
    if top in m.open_upvalues:
        m.close_upvalues(top)
    stack.pop()


HANDLERS = {
    Op.CALLABLE: op_callable,
    Op.CLOSURE: op_closure,
    Op.GET_UPVALUE: op_get_upvalue,
    Op.SET_UPVALUE: op_set_upvalue,
    Op.CLOSE_UPVALUE: op_close_upvalue,
}
