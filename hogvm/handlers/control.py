"""Handlers that move `ip`: jumps, RETURN, running off the end of a chunk, TRY / POP_TRY / THROW.

Every handler that continues elsewhere first closes the running straight-line run of steps
(`m.executed += m.ip - m.seg`, or `m.checkpoint()` which also checks the limits) and then sets
`m.ip = m.seg = target`. Forward jumps need no limit check: only backward jumps, calls and throws
can keep a program going.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hogvm.errors import HogVMException, UncaughtHogVMException
from hogvm.loader import END, TRAP
from hogvm.opcodes import Op

if TYPE_CHECKING:
    from hogvm.vm import Machine


def _jump(m: Machine, target: int) -> None:
    ip = m.ip
    m.executed += ip - m.seg
    if target < ip and m.executed > m.budget:
        m.check_limits()
    m.ip = m.seg = target


def op_jump(m: Machine, target: int) -> None:
    _jump(m, target)


def op_jump_if_false(m: Machine, target: int) -> None:
    if not m.stack.pop():
        _jump(m, target)


def op_jump_if_stack_not_null(m: Machine, target: int) -> None:
    stack = m.stack
    if stack and stack[-1] is not None:
        _jump(m, target)


def op_return(m: Machine, _: None) -> None:
    result = m.stack.pop()
    m.executed += m.ip - m.seg
    if not m.frames:
        m.halt(result)
    m.leave(result)


def op_end(m: Machine, _: None) -> None:
    """Ran off the end of a chunk: return null (PostHog does not count this as an op)."""
    m.executed += m.ip - 1 - m.seg
    stack = m.stack
    if not m.frames:
        if len(stack) > 1:
            raise HogVMException("Invalid bytecode. More than one value left on stack")
        m.halt(stack.pop() if stack else None)
    m.leave(None)


def op_try(m: Machine, catch_index: int) -> None:
    m.throw_stack.append((len(m.frames), len(m.stack), catch_index))


def op_pop_try(m: Machine, _: None) -> None:
    if not m.throw_stack:
        raise HogVMException("Invalid operation POP_TRY: no try block to pop")
    m.throw_stack.pop()


def op_throw(m: Machine, _: None) -> None:
    """Unwind to the innermost TRY: its frame, its stack height; push the error; go to catch."""
    stack = m.stack
    error = stack.pop()
    if not is_error_value(error):
        raise HogVMException("Can not throw: value is not of type Error")
    if not m.throw_stack:
        raise UncaughtHogVMException(error.get("type"), error.get("message"), error.get("payload"))
    depth, height, catch_index = m.throw_stack.pop()
    m.checkpoint()
    if height > len(stack):
        raise HogVMException("Stack underflow")
    if m.open_upvalues:
        m.close_upvalues(height)
    del stack[height:]
    frames = m.frames
    if depth < len(frames):
        chunk, _, m.base, m.closure = frames[depth]
        del frames[depth:]
        m.switch(chunk)
    stack.append(error)
    m.ip = m.seg = catch_index


def is_error_value(value: Any) -> bool:
    # PostHog's test: a dict carrying the tag, a type and a message.
    return type(value) is dict and "__hogError__" in value and "type" in value and "message" in value


def op_trap(m: Machine, message: str) -> None:
    """A jump landed inside an instruction (see loader.TRAP): the program cannot go on."""
    raise HogVMException(message)


def op_unexpected(m: Machine, _: Any) -> None:
    """IN_COHORT / NOT_IN_COHORT: valid opcodes that no VM executes."""
    op = m.chunk.code[m.ip - 1][0]
    raise HogVMException(f'Unexpected node while running bytecode in chunk "{m.chunk.name}": {op}')


HANDLERS = {
    Op.JUMP: op_jump,
    Op.JUMP_IF_FALSE: op_jump_if_false,
    Op.JUMP_IF_STACK_NOT_NULL: op_jump_if_stack_not_null,
    Op.RETURN: op_return,
    END: op_end,
    TRAP: op_trap,
    Op.TRY: op_try,
    Op.POP_TRY: op_pop_try,
    Op.THROW: op_throw,
}
