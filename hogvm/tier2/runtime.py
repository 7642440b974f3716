"""Tier 2, step 3: what compiled code calls at run time, and the machine it runs on.

Generated functions (codegen.py) run Hog code as Python code, but every operation beyond the
inline fast paths is tier 1's own: a handler from `handlers.HANDLERS` run on the machine's stack
(`op2`, `op_n`, `call`) or the function a handler wraps, called with its operands
(`arith.TESTS`, `stack.store_property`), the call paths of handlers/calls.py, `make_closure` and
`close_upvalue` of handlers/closures.py. The machine's `stack` is empty while compiled code runs;
it only carries a handler's operands (and pushes its result) for the duration of that handler,
exactly as tier 1's stack would hold them.

`Tier2Machine` is tier 1's `Machine` with the parts that depend on where frames live replaced:
frames are Python frames, so the call depth is a number the code passes along, a Hog call from a
handler (`Machine.call`) runs the compiled callee at once, the step count is kept up to date by
the code (`executed`), and the memory meter measures live values by reading the running frames'
locals, guided by the line table each compiled chunk carries (`codegen.Line`). The same table turns
a Python traceback into the failing instruction, for errors and their positions.
"""

from __future__ import annotations

import sys
import threading
from time import monotonic
from types import TracebackType
from typing import Any

from hogvm import posthog_model
from hogvm.errors import (
    HogError,
    HogVMCallDepthExceededException,
    HogVMException,
    HogVMStepLimitExceededException,
    UncaughtHogVMException,
)
from hogvm.handlers.calls import (
    after_builtin,
    builtin_failure,
    enter_bytecode_stl,
    op_get_global,
)
from hogvm.handlers.closures import close_upvalue, make_closure
from hogvm.handlers.control import is_error_value
from hogvm.handlers.stack import store_property
from hogvm.loader import Chunk
from hogvm.memory import VALUE_COST, live_cost
from hogvm.values import Closure
from hogvm.vm import Machine

LINES = "__tier2_lines__"  # namespace key of a compiled chunk's (chunk, line table)

# Python frames one Hog call may take (a call through a handler: call, the handler, Machine.call,
# the function), and what builtins get on top of the deepest call: tier 1's whole default limit.
FRAMES_PER_CALL = 4
BUILTIN_HEADROOM = 1200
_limit_lock = threading.Lock()


class Throw(Exception):
    """A Hog `throw` on its way to the frame whose `try` catches it (`depth`, catch `catch`)."""

    def __init__(self, error: Any, depth: int, height: int, catch: int) -> None:
        self.error = error
        self.depth = depth
        self.height = height
        self.catch = catch


# --- helpers called by compiled code ------------------------------------------------------------


def op2(m: Machine, handler: Any, below: Any, top: Any) -> Any:
    """Run tier 1's handler of a binary operation on `below top`; its result."""
    stack = m.stack
    stack.append(below)
    stack.append(top)
    handler(m, None)
    return stack.pop()


def op_n(m: Machine, handler: Any, operand: Any, *values: Any) -> Any:
    """Run tier 1's handler with `values` on the stack and its decoded operand; its result."""
    stack = m.stack
    stack.extend(values)
    handler(m, operand)
    return stack.pop()


def call(m: Tier2Machine, handler: Any, operand: Any, height: int, depth: int, *values: Any) -> Any:
    """A call through tier 1's handler (CALL_GLOBAL, CALL_LOCAL) with `values` (arguments, then the
    callee for CALL_LOCAL) at absolute stack index `height`, from call depth `depth`. A Hog callee
    runs from `Tier2Machine.call`; its result is the handler's."""
    m.height = height
    m.depth = depth
    stack = m.stack
    stack.extend(values)
    handler(m, operand)
    return stack.pop()




# (name, argument count) -> (the Callable its closure runs as, its compiled body), for a
# bytecode-STL function `enter_bytecode_stl` accepted before (arrayReduce, which notes a divergence
# on every call, and runs under PostHog's model, which swap the functions, always go through it).
_stl_bodies: dict[tuple[str, int], tuple[Any, Any]] = {}


def call_bytecode_stl(m: Tier2Machine, name: str, base: int, depth: int, *args: Any) -> Any:
    """CALL_GLOBAL of a bytecode-STL function (`arrayMap`, ...) with `args` from absolute stack index
    `base`, from call depth `depth`: tier 1's checks, then its compiled body, called directly."""
    argc = len(args)
    m.depth = depth
    # The arguments sit on the stack while the limits are checked, as on tier 1: the height counts
    # them and a memory measurement made there sees them.
    m.height = base
    stack = m.stack
    found = _stl_bodies.get((name, argc)) if m.posthog_cells is None else None
    if found is None:
        chunk, closure = _with_arguments(stack, args, enter_bytecode_stl, m, name, argc)
        body = _function(chunk, 0, argc)
        if m.posthog_cells is None and name != "arrayReduce":
            _stl_bodies[(name, argc)] = (closure.callable, body)
        return body(m, base, depth + 1, closure, *args)
    # what enter_bytecode_stl checks once the function and its arity are known good
    if depth >= m.max_call_depth:
        raise HogVMCallDepthExceededException(m.max_call_depth)
    if m.executed > m.budget:
        _with_arguments(stack, args, lambda: m.check_limits(base + len(stack)))
    fn, body = found
    return body(m, base, depth + 1, Closure(fn, []), *args)


def _with_arguments(stack: list[Any], args: tuple[Any, ...], check: Any, *check_args: Any) -> Any:
    """`check(*check_args)` with `args` pushed on `stack` for its duration."""
    stack.extend(args)
    try:
        return check(*check_args)
    finally:
        del stack[len(stack) - len(args):]


def get_global(m: Machine, count: int, *names: Any) -> Any:
    stack = m.stack
    stack.extend(names)
    op_get_global(m, count)
    return stack.pop()


def get_global_of(m: Machine, chunk_globals: dict[str, Any], count: int, *names: Any) -> Any:
    """GET_GLOBAL in a chunk with its own globals (an imported module, a bytecode-STL function)."""
    saved = m.chunk_globals
    m.chunk_globals = chunk_globals
    try:
        return get_global(m, count, *names)
    finally:
        m.chunk_globals = saved


def close(m: Machine, upvalue: Any) -> None:
    """A captured position goes away: its upvalue (which holds the value) is closed."""
    close_upvalue(m, upvalue.location, upvalue.value)


def throw(m: Machine, error: Any, height: int) -> None:
    """THROW with the stack `height` high after popping `error` (steps already counted)."""
    if not is_error_value(error):
        raise HogVMException("Can not throw: value is not of type Error")
    if not m.throw_stack:
        raise UncaughtHogVMException(error.get("type"), error.get("message"), error.get("payload"))
    depth, try_height, catch = m.throw_stack.pop()
    if m.executed > m.budget:
        m.check_limits(height)
    if try_height > height:
        raise HogVMException("Stack underflow")
    open_upvalues = m.open_upvalues
    if open_upvalues:  # every variable above the handler's height goes away
        for location in [location for location in open_upvalues if location >= try_height]:
            close_upvalue(m, location, open_upvalues[location].value)
    raise Throw(error, depth, try_height, catch)


def drop_handlers(m: Machine, depth: int) -> None:
    """A function at call depth `depth` returns: catch handlers it left behind go with it."""
    throw_stack = m.throw_stack
    while throw_stack and throw_stack[-1][0] >= depth:
        throw_stack.pop()


def depth_exceeded(m: Machine) -> None:
    raise HogVMCallDepthExceededException(m.max_call_depth)


def fail(m: Machine, message: str) -> None:
    raise HogVMException(message)


def finish(m: Machine, index: int) -> None:
    """The root program ends at instruction `index`: a run over the step budget still fails."""
    m.finished_at = index
    if m.max_steps is not None and m.executed > m.max_steps:
        raise HogVMStepLimitExceededException(m.max_steps)


def rebinds(m: Machine) -> bool:
    """A loop variable's write starts a new binding: closures keep the previous one (and PostHog's
    model, which keeps one, may answer otherwise: see posthog_model.rebinds)."""
    return posthog_model.rebinds(m)


HELPERS = {
    "op2": op2, "op_n": op_n, "call": call,
    "builtin_failure": builtin_failure, "after_builtin": after_builtin,
    "monotonic": monotonic, "HogError": HogError, "Exception": Exception,
    "call_bytecode_stl": call_bytecode_stl, "store_property": store_property, "get_global": get_global, "get_global_of": get_global_of, "make_closure": make_closure,
    "close": close, "throw": throw, "drop_handlers": drop_handlers, "depth_exceeded": depth_exceeded,
    "fail": fail, "finish": finish, "rebinds": rebinds, "Throw": Throw, "Closure": Closure, "type": type, "len": len,
    # the types fast paths test for (the namespace has no Python builtins)
    "int": int, "float": float, "str": str, "bool": bool, "list": list, "dict": dict, "tuple": tuple,
}


# --- the machine --------------------------------------------------------------------------------


def frames_of(machine: Machine, traceback: TracebackType | None) -> list[tuple[Chunk, int]]:
    """(chunk, instruction) of the compiled frames of `machine` a traceback went through, innermost
    first: the failing instruction, then each caller's call (tier 1's `active_frames`)."""
    frames = []
    while traceback is not None:
        frame = traceback.tb_frame
        info = frame.f_globals.get(LINES)
        if info is not None and frame.f_locals.get("m") is machine:
            chunk, lines = info
            frames.append((chunk, lines[traceback.tb_lineno].index))
        traceback = traceback.tb_next
    frames.reverse()
    return frames


class Tier2Machine(Machine):
    """A run of compiled code (see the module docstring)."""

    __slots__ = ("depth", "error_frames", "finished_at", "height")
    TIER = 2

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.height = 0  # absolute stack index of `stack[0]` during a call through a handler
        self.depth = 0  # call depth of the code making that call
        self.error_frames: list[tuple[Chunk, int]] = []  # active frames where a failure happened
        self.finished_at = 0  # the root instruction that ended the run (RETURN or END)

    def _run(self) -> Any:
        root = self.program.root.tier2.function(0, 0)
        _ensure_recursion_limit(self.max_call_depth)
        try:
            result = root(self, 0, 0, self.closure)
        except HogError as error:
            self.steps = self.executed
            self.error_frames = frames_of(self, error.__traceback__)
            self.annotate(error)
            raise
        except Exception as error:
            self.steps = self.executed
            frames = self.error_frames = frames_of(self, error.__traceback__)
            chunk, index = frames[0] if frames else (self.program.root, 0)
            raise self.annotate(self.failure(error, chunk, index)) from None
        self.steps = self.executed
        return result

    def active_frames(self) -> list[tuple[Chunk, int]]:
        return self.error_frames or [(self.program.root, self.finished_at)]

    @property
    def error_site(self) -> tuple[Chunk, int] | None:
        """(chunk, instruction) a failure happened at (what error positions are looked up by)."""
        return self.error_frames[0] if self.error_frames else None

    def failure(self, error: Exception, chunk: Chunk, index: int) -> HogError:
        if isinstance(error, Throw):  # cannot happen: a Throw is raised only towards a live catch
            return HogVMException("Internal error: a thrown value found no catch")
        return super().failure(error, chunk, index)

    # the parts of Machine that depend on where frames live

    def call_depth(self) -> int:
        return self.depth

    def steps_now(self) -> int:
        return self.executed

    def checkpoint(self) -> None:
        if self.executed > self.budget:
            self.check_limits(self.height + len(self.stack))

    def call(self, chunk: Chunk, entry: int, base: int, closure: Closure) -> None:
        """A handler starts a Hog function: run its compiled form now, push its result."""
        stack = self.stack
        args = stack[base:]
        del stack[base:]
        function = _function(chunk, entry, len(args))
        stack.append(function(self, self.height + base, self.depth + 1, closure, *args))

    def _measure_live(self) -> int:
        """Tier 1's measurement: printed output, the stack, the running closures. The stack is
        every running compiled frame's live positions (from its line table) plus `stack`."""
        printed = sum(len(line) + VALUE_COST for line in self.stdout)
        values = list(self.stack)
        closures = []
        frame = sys._getframe(1)
        while frame is not None:
            info = frame.f_globals.get(LINES)
            if info is not None:
                local = frame.f_locals
                if local.get("m") is self:
                    closures.append(local["cl"])
                    for item in info[1][frame.f_lineno].stack:
                        values.append(_value(item, local))
            frame = frame.f_back
        return printed + live_cost(values) + live_cost(closures)


def _value(item: Any, local: dict[str, Any]) -> Any:
    """A stack value as a line table describes it (see codegen.Line)."""
    if type(item) is str:
        return local[item]
    kind, what = item
    if kind == "k":
        return what
    upvalue = local.get(f"u{what}")
    return local[f"s{what}"] if upvalue is None else upvalue.value


def _function(chunk: Chunk, entry: int, nargs: int) -> Any:
    """The compiled function at `entry` of `chunk`, compiling it if this run is its first caller (a
    bytecode-STL function). Our own compiler's code always compiles (a test runs them all)."""
    code = chunk.tier2
    found = code.functions.get((entry, nargs)) if code is not None else None
    if found is not None:
        return found
    from hogvm.tier2.analysis import Unsupported
    from hogvm.tier2.program import compile_function

    try:
        return compile_function(chunk, entry, nargs, root=False)
    except Unsupported as refusal:
        raise HogVMException(f"Internal error: {chunk.name} cannot run on tier 2 ({refusal})") from None


def _ensure_recursion_limit(max_call_depth: int) -> None:
    """Compiled Hog calls are Python calls: make room for `max_call_depth` of them, plus what tier 1
    leaves builtins. Only ever raised, never lowered (other threads may be deep in a run)."""
    needed = FRAMES_PER_CALL * max_call_depth + BUILTIN_HEADROOM
    if sys.getrecursionlimit() >= needed:
        return
    with _limit_lock:
        here, frame = 0, sys._getframe()
        while frame is not None:
            here, frame = here + 1, frame.f_back
        if sys.getrecursionlimit() < here + needed:
            sys.setrecursionlimit(here + needed)
