"""The HogVM: runs PostHog's Hog bytecode with the semantics of PostHog's Python VM, sandboxed.

    execute_bytecode(bytecode, globals=None, *, timeout=5.0, max_steps=None,
                     memory_limit=64 MiB, max_call_depth=1000, functions=None) -> ExecutionResult

`bytecode` is `["_H", 1, ...]`, legacy `["_h", ...]`, a chunk dict `{"root": {"bytecode": ...},
"<module>": {...}}` (for `import('<module>')`), or a `loader.Program`. The loader validates and
decodes it once (see loader.py); this module is only the dispatch loop, the call frames and the
sandbox limits. Value operations live in operators.py, memory accounting in memory.py.

Machine model (as PostHog's): one value stack; a call frame is (chunk, ip, stack_start, closure);
locals are stack slots addressed from the frame's `stack_start`; closures capture variables as
upvalues that point at a live stack slot until it is popped (CLOSE_UPVALUE, RETURN, THROW), then
own a copy. Throw frames record the call depth and stack height to unwind to.

Results: `.result` is plain Python data. A function value (Hog closure) is returned in the dict
shape PostHog's VMs return (`{"__hogClosure__": True, "callable": {...}, "upvalues": [ids]}`).

Where this VM deliberately differs from PostHog's:
- Loop variables get one binding per iteration, as in JavaScript and Lua: closures made in
  different iterations of `for (let i ...)`, `for (let x in xs)`, or capturing a `let` inside a
  loop body, each see their own value. PostHog's VMs reuse one upvalue per stack slot (even a
  closed one), so all such closures see one shared value. The bytecode is PostHog's unchanged:
  the loader marks the loop-variable writes (see `loader._mark_rebinding_writes`), and an upvalue
  is never reused once closed.
- Limits are explicit options with their own exceptions: `timeout`, `max_steps`, `memory_limit`
  (see memory.py) and `max_call_depth`. Steps are counted exactly, per straight-line run of
  instructions; the step budget and the clock are checked where a program can keep going (backward
  jumps, calls, throws: at least every 1024 instructions) and the clock after every builtin, so a
  run stops within milliseconds of its deadline, and a run over `max_steps` always fails.
  PostHog's Python VM has no call-depth limit and its memory check is O(n) per push.
- A closed upvalue is never reused for a new variable that later occupies the same stack slot
  (PostHog's VMs do, so `make(1)` and `make(2)` called at the same stack height share `v`).
- A `return` from inside `try` drops the handler with its frame, as PostHog's current VMs do
  (their `catchAfterReturn` test); `@posthog/hogvm` 1.0.71 keeps it, and a later throw there
  jumps into the finished function's catch block.
- Builtin and host-function failures, stack underflow, bad operands: always a `HogError`
  subclass with a clear message, never a Python exception.
- `try`/`catch` catches only values thrown with `throw`, as in PostHog; an error raised by a
  builtin (e.g. `jsonParse('{')`) ends the program in both VMs.
"""

from __future__ import annotations

import time
from collections.abc import Callable as PyCallable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from hogvm import operators
from hogvm.errors import (
    HogError,
    HogVMCallDepthExceededException,
    HogVMException,
    HogVMMemoryExceededException,
    HogVMRuntimeExceededException,
    HogVMStepLimitExceededException,
    UncaughtHogVMException,
)
from hogvm.loader import (
    CONST,
    END,
    SET_LOCAL_REBIND,
    SET_LOCAL_REBIND_TOP,
    Chunk,
    Program,
    bytecode_stl_chunk,
    load_program,
)
from hogvm.memory import VALUE_COST, MemoryMeter, live_cost, shallow_cost
from hogvm.opcodes import Op
from hogvm.values import Callable, Closure, UpValue, ValueConversionError, to_hog, to_host

DEFAULT_MEMORY_LIMIT = 64 * 1024 * 1024
DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_CALL_DEPTH = 1000
MAX_FUNCTION_ARGS = 300  # PostHog's MAX_FUNCTION_ARGS_LENGTH
CHECK_INTERVAL = 1024  # instructions between two clock / stack-size checks
SMALL_INT = 1 << 62  # products of ints below this are cheap; bigger ones go through the size guard

HostFunction = PyCallable[..., Any]


@dataclass(slots=True)
class ExecutionResult:
    """What a run returns (PostHog's Python VM returns `result` and `stdout` likewise)."""

    result: Any  # plain Python data; closures as PostHog's closure dicts
    stdout: list[str]  # one entry per print() call
    steps: int  # instructions executed (PostHog's op count)
    peak_memory: int = 0  # largest live cost measured (0 if the meter never needed to measure)


def execute_bytecode(
    bytecode: Any,
    globals: dict[str, Any] | None = None,
    *,
    timeout: float | timedelta | None = DEFAULT_TIMEOUT,
    max_steps: int | None = None,
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
    max_call_depth: int = DEFAULT_MAX_CALL_DEPTH,
    functions: dict[str, HostFunction] | None = None,
) -> ExecutionResult:
    """Run Hog bytecode and return its result, printed lines and step count.

    `globals` are read-only for the program (every read is a private copy). `functions` are host
    functions callable from Hog by name; they take precedence over builtins of the same name,
    receive Hog values as positional arguments and may return any JSON-like data. `timeout` is
    in seconds (or a timedelta; None disables it)."""
    program = load_program(bytecode)
    if isinstance(timeout, timedelta):
        timeout = timeout.total_seconds()
    if globals is not None and not isinstance(globals, dict):
        raise HogVMException(f"globals must be a dict, got {type(globals).__name__}")
    run = _Run(program, globals or {}, functions or {}, timeout, max_steps, memory_limit, max_call_depth)
    return run.execute()


# --- the standard library, imported on first use ------------------------------------------

_stl_tables: tuple[dict[str, Any], dict[str, Any]] | None = None


def _stl() -> tuple[dict[str, Any], dict[str, Any]]:
    """(native builtins by name, bytecode-STL functions by name)."""
    global _stl_tables
    if _stl_tables is None:
        try:
            from hogvm.stl import BYTECODE_STL, STL

            _stl_tables = (STL, BYTECODE_STL)
        except ModuleNotFoundError as error:
            # While the library is being assembled, run with whatever builtins did register.
            if not (error.name or "").startswith("hogvm.stl"):
                raise
            from hogvm.stl.registry import REGISTRY

            _stl_tables = (REGISTRY, {})
    return _stl_tables


_native_callables: dict[str, Callable] = {}


def _native_callable(name: str, arg_count: int, kind: str = "stl", chunk: str = "stl") -> Callable:
    """The shared Callable describing a builtin, host or bytecode-STL function `name`."""
    key = f"{kind}:{name}"
    fn = _native_callables.get(key)
    if fn is None:
        fn = Callable(kind, name, arg_count, 0, chunk, -1 if kind == "stl" else 0)
        _native_callables[key] = fn
    return fn


_ROOT_CALLABLE = Callable("local", "", 0, 0, "root", 0)


def _is_error_value(value: Any) -> bool:
    # PostHog's test: a dict carrying the tag, a type and a message.
    return type(value) is dict and "__hogError__" in value and "type" in value and "message" in value


# --- one execution --------------------------------------------------------------------------


class _Run:
    """The state of one execution; also the `StlContext` handed to builtins."""

    def __init__(self, program: Program, globals: dict[str, Any], functions: dict[str, HostFunction],
                 timeout: float | None, max_steps: int | None, memory_limit: int, max_call_depth: int) -> None:
        if max_steps is not None and max_steps < 0:
            raise HogVMException("max_steps must be non-negative")
        self.program = program
        self.globals = globals
        self.functions = functions
        self.timeout = timeout
        self.max_steps = max_steps
        self.max_call_depth = max_call_depth
        self.stdout: list[str] = []
        self.stack: list[Any] = []
        self.frames: list[tuple[Chunk, int, int, Closure]] = []  # callers of the running frame
        self.closure = Closure(_ROOT_CALLABLE, [])  # the running frame's closure
        self.meter = MemoryMeter(memory_limit, self._measure_live)
        self.charge = self.meter.charge  # StlContext.charge
        self.steps = 0
        self.deadline = float("inf")
        self._stdout_charged = 0
        self._declared: dict[str, tuple[int, int]] = {}  # legacy DECLARE_FN table

    # StlContext -------------------------------------------------------------------------

    def remaining_time(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    # memory -----------------------------------------------------------------------------

    def _measure_live(self) -> int:
        printed = sum(len(line) + VALUE_COST for line in self.stdout)
        closures = [frame[3] for frame in self.frames]
        closures.append(self.closure)
        return printed + live_cost(self.stack) + live_cost(closures)

    def _charge_output(self) -> None:
        """Printed lines stay alive until the end: charge each once."""
        stdout = self.stdout
        for line in stdout[self._stdout_charged:]:
            self.meter.charge(VALUE_COST + (len(line) if type(line) is str else 0))
        self._stdout_charged = len(stdout)

    # limits -----------------------------------------------------------------------------

    def _timed_out(self, steps: int | None = None) -> HogVMRuntimeExceededException:
        return HogVMRuntimeExceededException(self.timeout or 0.0, self.steps if steps is None else steps)

    def execute(self) -> ExecutionResult:
        if self.timeout is not None:
            self.deadline = time.monotonic() + self.timeout
        try:
            result = self._loop()
        except HogError:
            raise
        except RecursionError:
            raise HogVMException("Value nested too deeply to process (recursion limit reached)") from None
        except MemoryError:
            raise HogVMMemoryExceededException(self.meter.limit, self.meter.used) from None
        try:
            converted = to_host(result)
        except ValueConversionError as error:
            raise HogVMException(f"Can not return this value: {error}") from None
        return ExecutionResult(converted, list(self.stdout), self.steps, self.meter.peak)

    # the dispatch loop ------------------------------------------------------------------

    def _loop(self) -> Any:  # one long loop on purpose: locals and inline cases are the fast path
        stack = self.stack
        push = stack.append
        pop = stack.pop
        frames = self.frames
        throw_stack: list[tuple[int, int, int]] = []  # (call depth, stack height, catch index)
        open_upvalues: dict[int, UpValue] = {}  # stack index -> open upvalue
        meter = self.meter
        limit = meter.limit
        functions = self.functions
        max_depth = self.max_call_depth
        stl, bytecode_stl = _stl()
        stl_get = stl.get
        declared = self._declared
        stdout = self.stdout
        monotonic = time.monotonic
        deadline = self.deadline

        get_property = operators.get_property

        # Opcode numbers as locals (LOAD_FAST beats a global or attribute lookup per compare);
        # the dispatch chain below tests them in order of measured frequency (bench/vm.py).
        o_get_local = int(Op.GET_LOCAL)
        o_set_local = int(Op.SET_LOCAL)
        o_jump_if_false = int(Op.JUMP_IF_FALSE)
        o_jump = int(Op.JUMP)
        o_plus = int(Op.PLUS)
        o_minus = int(Op.MINUS)
        o_multiply = int(Op.MULTIPLY)
        o_divide = int(Op.DIVIDE)
        o_mod = int(Op.MOD)
        o_lt = int(Op.LT)
        o_lt_eq = int(Op.LT_EQ)
        o_gt = int(Op.GT)
        o_gt_eq = int(Op.GT_EQ)
        o_eq = int(Op.EQ)
        o_not_eq = int(Op.NOT_EQ)
        o_get_property = int(Op.GET_PROPERTY)
        o_get_property_nullish = int(Op.GET_PROPERTY_NULLISH)
        o_get_upvalue = int(Op.GET_UPVALUE)
        o_set_upvalue = int(Op.SET_UPVALUE)
        o_call_local = int(Op.CALL_LOCAL)
        o_call_global = int(Op.CALL_GLOBAL)
        o_return = int(Op.RETURN)
        o_pop = int(Op.POP)
        o_and = int(Op.AND)
        o_or = int(Op.OR)
        o_not = int(Op.NOT)
        o_get_global = int(Op.GET_GLOBAL)
        o_array = int(Op.ARRAY)
        o_dict = int(Op.DICT)
        o_tuple = int(Op.TUPLE)
        o_set_property = int(Op.SET_PROPERTY)
        o_jump_if_stack_not_null = int(Op.JUMP_IF_STACK_NOT_NULL)
        o_close_upvalue = int(Op.CLOSE_UPVALUE)
        o_callable = int(Op.CALLABLE)
        o_closure = int(Op.CLOSURE)
        o_like = int(Op.LIKE)
        o_ilike = int(Op.ILIKE)
        o_not_like = int(Op.NOT_LIKE)
        o_not_ilike = int(Op.NOT_ILIKE)
        o_in = int(Op.IN)
        o_not_in = int(Op.NOT_IN)
        o_regex = int(Op.REGEX)
        o_not_regex = int(Op.NOT_REGEX)
        o_iregex = int(Op.IREGEX)
        o_not_iregex = int(Op.NOT_IREGEX)
        o_try = int(Op.TRY)
        o_pop_try = int(Op.POP_TRY)
        o_throw = int(Op.THROW)
        o_declare_fn = int(Op.DECLARE_FN)
        o_const = CONST
        o_rebind = SET_LOCAL_REBIND
        o_rebind_top = SET_LOCAL_REBIND_TOP
        o_end = END
        t_int = int
        t_float = float
        t_str = str
        t_closure = Closure

        chunk = self.program.root
        code = chunk.code
        version = chunk.version
        chunk_globals: dict[str, Any] | None = self.globals
        closure = self.closure
        ip = 0
        base = 0

        # Steps are counted per straight-line run of instructions, not per instruction: `executed`
        # holds the finished runs, the current one started at index `seg`, so the exact count
        # is always `executed + ip - seg`. Limits are checked where a program can go on for long:
        # backward jumps, calls and throws (`budget` is the count that triggers the next check).
        executed = 0
        seg = 0
        budget = self._next_budget(0)
        op = o_end
        arg: Any = None

        def close_upvalues(height: int) -> None:
            """Close every open upvalue at stack index >= height (before the stack shrinks)."""
            for location in [location for location in open_upvalues if location >= height]:
                upvalue = open_upvalues.pop(location)
                upvalue.value = stack[location]
                upvalue.closed = True

        try:
            while True:
                op, arg = code[ip]
                ip += 1

                if op == o_get_local:
                    push(stack[base + arg])
                elif op == o_const:
                    push(arg)
                elif op == o_jump_if_false:
                    if not pop():
                        executed += ip - seg
                        if arg < ip and executed > budget:
                            budget = self._check_limits(executed)
                        ip = seg = arg
                elif op == o_plus:
                    a = pop()
                    b = stack[-1]
                    ta = type(a)
                    if (ta is t_int or ta is t_float) and (type(b) is t_int or type(b) is t_float):
                        stack[-1] = a + b
                    else:
                        stack[-1] = self._concat_or_add(a, b)
                elif op == o_multiply:
                    a = pop()
                    b = stack[-1]
                    ta = type(a)
                    tb = type(b)
                    if (ta is t_float and (tb is t_float or tb is t_int)) or (tb is t_float and ta is t_int) or (
                        ta is t_int and tb is t_int and -SMALL_INT < a < SMALL_INT and -SMALL_INT < b < SMALL_INT
                    ):
                        stack[-1] = a * b
                    else:
                        size = operators.repetition_size(a, b)
                        if size:
                            meter.charge(VALUE_COST + (size if ta is t_str or tb is t_str else VALUE_COST * size))
                        stack[-1] = operators.multiply(a, b)
                elif op == o_set_local:
                    stack[base + arg] = pop()
                elif op == o_lt:
                    a = pop()
                    b = stack[-1]
                    ta = type(a)
                    if (ta is type(b) and (ta is t_int or ta is t_float or ta is t_str)) or (
                        (ta is t_int or ta is t_float) and (type(b) is t_int or type(b) is t_float)
                    ):
                        stack[-1] = a < b
                    else:
                        stack[-1] = operators.less(a, b)
                elif op == o_call_global:
                    name, argc = arg
                    if argc > len(stack):
                        raise HogVMException("Not enough arguments on the stack")
                    builtin = stl_get(name)
                    if builtin is not None and version and name not in functions and name not in declared:
                        # The common case, inline: a native builtin called by name.
                        if argc < builtin.min_args or (builtin.max_args is not None and argc > builtin.max_args):
                            builtin.check_arity(argc)
                        if argc:
                            args = stack[-argc:]
                            del stack[-argc:]
                        else:
                            args = []
                        try:
                            result = builtin.fn(args, self)
                        except HogError:
                            raise
                        except Exception as error:
                            raise self._builtin_failure(name, error) from None
                        push(result)
                        kind = type(result)
                        if kind is t_str:
                            meter.used += VALUE_COST + len(result)
                        elif kind is list or kind is dict or kind is tuple:
                            meter.used += shallow_cost(result)
                        if meter.used > limit:
                            meter.collect()
                        if len(stdout) != self._stdout_charged:
                            self._charge_output()
                        if monotonic() > deadline:
                            raise self._timed_out(executed + ip - seg)
                    elif declared and name in declared:
                        entry, wanted = declared[name]
                        if argc < wanted:
                            stack.extend([None] * (wanted - argc))
                        if len(frames) >= max_depth:
                            raise HogVMCallDepthExceededException(max_depth)
                        executed += ip - seg
                        if executed > budget:
                            budget = self._check_limits(executed)
                        frames.append((chunk, ip, base, closure))
                        ip = seg = entry
                        base = len(stack) - wanted
                        closure = self.closure = Closure(Callable("local", name, wanted, 0, chunk.name, 0, chunk, entry), [])
                    elif name == "import":
                        if argc != 1:
                            raise HogVMException("Function import requires exactly 1 argument")
                        module = pop()
                        target = self.program.chunks.get(module) if type(module) is str else None
                        if target is None:
                            raise HogVMException(f"Unknown chunk: {module}")
                        if len(frames) >= max_depth:
                            raise HogVMCallDepthExceededException(max_depth)
                        executed += ip - seg
                        frames.append((chunk, ip, base, closure))
                        chunk = target
                        code = chunk.code
                        version = chunk.version
                        chunk_globals = chunk.globals
                        ip = seg = 0
                        base = len(stack)
                        closure = self.closure = Closure(Callable("local", module, 0, 0, module, 0, chunk, 0), [])
                    elif name in functions or name in stl:
                        push(self._call_native(name, argc, version, stl, call_local=False))
                        if self.stdout and len(self.stdout) != self._stdout_charged:
                            self._charge_output()
                        if time.monotonic() > self.deadline:
                            raise self._timed_out(executed + ip - seg)
                    elif name in bytecode_stl:
                        if len(frames) >= max_depth:
                            raise HogVMCallDepthExceededException(max_depth)
                        target = self._bytecode_stl_entry(name, argc, bytecode_stl)
                        executed += ip - seg
                        if executed > budget:
                            budget = self._check_limits(executed)
                        frames.append((chunk, ip, base, closure))
                        chunk = target
                        code = chunk.code
                        version = chunk.version
                        chunk_globals = chunk.globals
                        ip = seg = 0
                        base = len(stack) - argc
                        closure = self.closure = Closure(_native_callable(name, argc, "bytecode_stl", chunk.name), [])
                    else:
                        raise HogVMException(f"Unsupported function call: {name}")
                elif op == o_get_property:
                    key = pop()
                    obj = stack[-1]
                    if type(obj) is dict and type(key) is t_str:
                        stack[-1] = obj.get(key)
                    elif type(obj) is list and type(key) is t_int and 0 < key <= len(obj):
                        stack[-1] = obj[key - 1]
                    else:
                        stack[-1] = get_property(obj, key)
                elif op == o_jump:
                    executed += ip - seg
                    if arg < ip and executed > budget:
                        budget = self._check_limits(executed)
                    ip = seg = arg
                elif op == o_minus:
                    a = pop()
                    b = stack[-1]
                    ta = type(a)
                    if (ta is t_int or ta is t_float) and (type(b) is t_int or type(b) is t_float):
                        stack[-1] = a - b
                    else:
                        stack[-1] = operators.subtract(a, b)
                elif op == o_get_upvalue:
                    upvalue = closure.upvalues[arg]
                    push(upvalue.value if upvalue.closed else stack[upvalue.location])
                elif op == o_call_local:
                    callee = pop()
                    if type(callee) is not t_closure:
                        raise HogVMException(f"Invalid closure: {operators.type_label(callee)} is not a function")
                    fn = callee.callable
                    if arg > MAX_FUNCTION_ARGS:
                        raise HogVMException("Too many arguments")
                    if arg > len(stack):
                        raise HogVMException("Not enough arguments on the stack")
                    if fn.kind == "local":
                        wanted = fn.arg_count
                        if arg < wanted:
                            stack.extend([None] * (wanted - arg))
                        elif arg > wanted:
                            raise HogVMException(f"Too many arguments. Passed {arg}, expected {wanted}")
                        if len(frames) >= max_depth:
                            raise HogVMCallDepthExceededException(max_depth)
                        executed += ip - seg
                        if executed > budget:
                            budget = self._check_limits(executed)
                        frames.append((chunk, ip, base, closure))
                        if fn.code is not chunk:  # usually the same chunk: skip the reloads
                            chunk = fn.code
                            code = chunk.code
                            version = chunk.version
                            chunk_globals = chunk.globals if chunk.globals is not None else self.globals
                        ip = seg = fn.entry
                        base = len(stack) - wanted
                        closure = self.closure = callee
                    elif fn.kind == "bytecode_stl":
                        if len(frames) >= max_depth:
                            raise HogVMCallDepthExceededException(max_depth)
                        target = self._bytecode_stl_entry(fn.name, arg, bytecode_stl)
                        executed += ip - seg
                        if executed > budget:
                            budget = self._check_limits(executed)
                        frames.append((chunk, ip, base, closure))
                        chunk = target
                        code = chunk.code
                        version = chunk.version
                        chunk_globals = chunk.globals
                        ip = seg = 0
                        base = len(stack) - arg
                        closure = self.closure = callee
                    else:
                        push(self._call_native(fn.name, arg, version, stl, call_local=True))
                        if self.stdout and len(self.stdout) != self._stdout_charged:
                            self._charge_output()
                        if time.monotonic() > self.deadline:
                            raise self._timed_out(executed + ip - seg)
                elif op == o_return:
                    result = pop()
                    executed += ip - seg
                    if not frames:
                        self._finish(executed)
                        return result
                    if open_upvalues:
                        close_upvalues(base)
                    del stack[base:]
                    push(result)
                    caller, ip, base, closure = frames.pop()
                    seg = ip
                    self.closure = closure
                    if caller is not chunk:
                        chunk = caller
                        code = chunk.code
                        version = chunk.version
                        chunk_globals = chunk.globals if chunk.globals is not None else self.globals
                    while throw_stack and throw_stack[-1][0] > len(frames):
                        throw_stack.pop()  # a `return` inside `try` leaves its handler behind
                elif op == o_lt_eq:
                    a = pop()
                    b = stack[-1]
                    ta = type(a)
                    if (ta is type(b) and (ta is t_int or ta is t_float or ta is t_str)) or (
                        (ta is t_int or ta is t_float) and (type(b) is t_int or type(b) is t_float)
                    ):
                        stack[-1] = a <= b
                    else:
                        stack[-1] = operators.less_or_equals(a, b)
                elif op == o_gt:
                    a = pop()
                    b = stack[-1]
                    ta = type(a)
                    if (ta is type(b) and (ta is t_int or ta is t_float or ta is t_str)) or (
                        (ta is t_int or ta is t_float) and (type(b) is t_int or type(b) is t_float)
                    ):
                        stack[-1] = a > b
                    else:
                        stack[-1] = operators.greater(a, b)
                elif op == o_pop:
                    pop()
                elif op in (o_rebind, o_rebind_top):
                    # A loop variable's per-iteration write: closures of the last iteration keep
                    # their value (see loader._mark_rebinding_writes).
                    location = base + arg
                    if location in open_upvalues and (op == o_rebind or location == len(stack) - 2):
                        upvalue = open_upvalues.pop(location)
                        upvalue.value = stack[location]
                        upvalue.closed = True
                    stack[location] = pop()
                elif op == o_eq:
                    a = pop()
                    b = stack[-1]
                    stack[-1] = a == b if type(a) is type(b) and type(a) is not dict else operators.equals(a, b)
                elif op == o_not_eq:
                    a = pop()
                    b = stack[-1]
                    stack[-1] = a != b if type(a) is type(b) and type(a) is not dict else operators.not_equals(a, b)
                elif op == o_gt_eq:
                    a = pop()
                    b = stack[-1]
                    ta = type(a)
                    if (ta is type(b) and (ta is t_int or ta is t_float or ta is t_str)) or (
                        (ta is t_int or ta is t_float) and (type(b) is t_int or type(b) is t_float)
                    ):
                        stack[-1] = a >= b
                    else:
                        stack[-1] = operators.greater_or_equals(a, b)
                elif op == o_and:
                    if arg > len(stack):
                        raise HogVMException("Stack underflow")
                    if arg:
                        values = stack[-arg:]
                        del stack[-arg:]
                        push(all(values))
                    else:
                        push(True)
                elif op == o_or:
                    if arg > len(stack):
                        raise HogVMException("Stack underflow")
                    if arg:
                        values = stack[-arg:]
                        del stack[-arg:]
                        push(any(values))
                    else:
                        push(False)
                elif op == o_not:
                    stack[-1] = not stack[-1]
                elif op == o_get_global:
                    push(self._get_global(arg, chunk_globals, stl, bytecode_stl))
                elif op == o_divide:
                    a = pop()
                    b = stack[-1]
                    if type(b) is t_float and b and (type(a) is t_float or type(a) is t_int):
                        stack[-1] = a / b
                    else:
                        stack[-1] = operators.divide(a, b)
                elif op == o_mod:
                    a = pop()
                    stack[-1] = operators.modulo(a, stack[-1])
                elif op == o_array:
                    if arg > len(stack):
                        raise HogVMException("Stack underflow")
                    meter.used += VALUE_COST * (arg + 1)
                    if meter.used > limit:
                        meter.collect()
                    if arg:
                        items = stack[-arg:]
                        del stack[-arg:]
                        push(items)
                    else:
                        push([])
                elif op == o_dict:
                    if 2 * arg > len(stack):
                        raise HogVMException("Stack underflow")
                    meter.used += VALUE_COST * (2 * arg + 1)
                    if meter.used > limit:
                        meter.collect()
                    if arg:
                        items = stack[-2 * arg:]
                        del stack[-2 * arg:]
                        try:
                            push(dict(zip(items[::2], items[1::2], strict=True)))
                        except TypeError as error:
                            raise HogVMException(f"Invalid dict key: {error}") from None
                    else:
                        push({})
                elif op == o_tuple:
                    if arg > len(stack):
                        raise HogVMException("Stack underflow")
                    meter.used += VALUE_COST * (arg + 1)
                    if meter.used > limit:
                        meter.collect()
                    if arg:
                        items = stack[-arg:]
                        del stack[-arg:]
                        push(tuple(items))
                    else:
                        push(())
                elif op == o_set_property:
                    value = pop()
                    key = pop()
                    operators.set_property(pop(), key, value)
                    # At most one new entry; strings are charged as PostHog's cost model counts them.
                    meter.used += 2 * VALUE_COST + (len(key) if type(key) is t_str else 0) + (
                        len(value) if type(value) is t_str else 0
                    )
                    if meter.used > limit:
                        meter.collect()
                elif op == o_get_property_nullish:
                    key = pop()
                    stack[-1] = get_property(stack[-1], key, True)
                elif op == o_jump_if_stack_not_null:
                    if stack and stack[-1] is not None:
                        executed += ip - seg
                        if arg < ip and executed > budget:
                            budget = self._check_limits(executed)
                        ip = seg = arg
                elif op == o_set_upvalue:
                    upvalue = closure.upvalues[arg]
                    if upvalue.closed:
                        upvalue.value = pop()
                    else:
                        stack[upvalue.location] = pop()
                elif op == o_close_upvalue:
                    top = len(stack) - 1
                    if top in open_upvalues:
                        close_upvalues(top)
                    pop()
                elif op == o_callable:
                    push(arg[0])
                    executed += ip - seg
                    ip = seg = arg[1]
                elif op == o_closure:
                    fn = pop()
                    if type(fn) is not Callable:
                        raise HogVMException(f"Invalid callable: {operators.type_label(fn)}")
                    if len(arg) != fn.upvalue_count:
                        raise HogVMException(
                            f"Invalid upvalue count. Expected {fn.upvalue_count}, got {len(arg)}"
                        )
                    captured = []
                    for is_local, index in arg:
                        if is_local:
                            location = base + index
                            if location > len(stack):
                                raise HogVMException(f"Invalid bytecode: captured local {index} does not exist")
                            upvalue = open_upvalues.get(location)
                            if upvalue is None:
                                upvalue = open_upvalues[location] = UpValue(location)
                            captured.append(upvalue)
                        else:
                            if index >= len(closure.upvalues):
                                raise HogVMException(f"Invalid upvalue index: {index}")
                            captured.append(closure.upvalues[index])
                    meter.used += VALUE_COST * (2 + len(captured))
                    push(Closure(fn, captured))
                elif op in (o_in, o_not_in):
                    a = pop()
                    found = operators.contains(a, stack[-1])
                    stack[-1] = found if op == o_in else not found
                elif op in (o_like, o_ilike, o_not_like, o_not_ilike):
                    a = pop()
                    matched = operators.like(a, stack[-1], op in (o_ilike, o_not_ilike))
                    stack[-1] = matched if op in (o_like, o_ilike) else not matched
                elif op in (o_regex, o_iregex):
                    a = pop()
                    stack[-1] = operators.regex_match(a, stack[-1], op == o_iregex)
                elif op in (o_not_regex, o_not_iregex):
                    a = pop()
                    b = stack[-1]
                    stack[-1] = (not operators.regex_match(a, b, op == o_not_iregex)) if a and b else False
                elif op == o_try:
                    throw_stack.append((len(frames), len(stack), arg))
                elif op == o_pop_try:
                    if not throw_stack:
                        raise HogVMException("Invalid operation POP_TRY: no try block to pop")
                    throw_stack.pop()
                elif op == o_throw:
                    error = pop()
                    if not _is_error_value(error):
                        raise HogVMException("Can not throw: value is not of type Error")
                    if not throw_stack:
                        raise UncaughtHogVMException(error.get("type"), error.get("message"), error.get("payload"))
                    depth, height, catch_ip = throw_stack.pop()
                    executed += ip - seg
                    if executed > budget:
                        budget = self._check_limits(executed)
                    if height > len(stack):
                        raise HogVMException("Stack underflow")
                    if open_upvalues:
                        close_upvalues(height)
                    del stack[height:]
                    if depth < len(frames):
                        chunk, _, base, closure = frames[depth]
                        self.closure = closure
                        del frames[depth:]
                        code = chunk.code
                        version = chunk.version
                        chunk_globals = chunk.globals if chunk.globals is not None else self.globals
                    push(error)
                    ip = seg = catch_ip
                elif op == o_end:
                    # Ran off the end of a chunk: return null (PostHog does not count this as an op).
                    executed += ip - 1 - seg
                    if not frames:
                        if len(stack) > 1:
                            raise HogVMException("Invalid bytecode. More than one value left on stack")
                        self._finish(executed)
                        return pop() if stack else None
                    if open_upvalues:
                        close_upvalues(base)
                    del stack[base:]
                    push(None)
                    chunk, ip, base, closure = frames.pop()
                    seg = ip
                    self.closure = closure
                    while throw_stack and throw_stack[-1][0] > len(frames):
                        throw_stack.pop()  # handlers of the frame that just ended
                    code = chunk.code
                    version = chunk.version
                    chunk_globals = chunk.globals if chunk.globals is not None else self.globals
                elif op == o_declare_fn:
                    fn_name, arg_count, entry, after = arg
                    declared[fn_name] = (entry, arg_count)
                    executed += ip - seg
                    ip = seg = after
                else:
                    # IN_COHORT / NOT_IN_COHORT: valid opcodes that no VM executes.
                    raise HogVMException(
                        f'Unexpected node while running bytecode in chunk "{chunk.name}": {op}'
                    )
        except HogError:
            self.steps = executed + ip - seg
            raise
        except IndexError as error:
            self.steps = executed + ip - seg
            raise self._crash(op, arg, chunk, ip - 1, error) from None
        except RecursionError:
            self.steps = executed + ip - seg
            raise HogVMException("Value nested too deeply to process (recursion limit reached)") from None
        except MemoryError:
            self.steps = executed + ip - seg
            raise HogVMMemoryExceededException(meter.limit, meter.used) from None
        except Exception as error:  # a Python error is never what a Hog program sees
            self.steps = executed + ip - seg
            raise HogVMException(str(error) or type(error).__name__) from None

    def _next_budget(self, executed: int) -> int:
        """The step count at which `_check_limits` must run next."""
        checkpoint = executed + CHECK_INTERVAL
        return checkpoint if self.max_steps is None else min(checkpoint, self.max_steps)

    def _check_limits(self, executed: int) -> int:
        """Step limit, clock and stack size; returns the next budget."""
        self.steps = executed
        if self.max_steps is not None and executed > self.max_steps:
            raise HogVMStepLimitExceededException(self.max_steps)
        if time.monotonic() > self.deadline:
            raise self._timed_out()
        meter = self.meter
        if len(self.stack) * VALUE_COST + meter.used > meter.limit:
            meter.collect()
        return self._next_budget(executed)

    def _finish(self, executed: int) -> None:
        """The program is done: a run over the step budget still fails (checks are per loop)."""
        self.steps = executed
        if self.max_steps is not None and executed > self.max_steps:
            raise HogVMStepLimitExceededException(self.max_steps)

    def _crash(self, op: int, arg: Any, chunk: Chunk, index: int, error: IndexError) -> HogVMException:
        """Explain an IndexError from the dispatch loop (bad slot, empty stack) in Hog terms."""
        offset = chunk.offsets[index] if 0 <= index < len(chunk.offsets) else "?"
        if op in (Op.GET_UPVALUE, Op.SET_UPVALUE):
            return HogVMException(f"Invalid upvalue index: {arg}")
        if op in (Op.GET_LOCAL, Op.SET_LOCAL, SET_LOCAL_REBIND, SET_LOCAL_REBIND_TOP):
            return HogVMException(f"Invalid bytecode: local slot {arg} does not exist (offset {offset})")
        if "pop" in str(error) or "list index out of range" in str(error):
            return HogVMException("Stack underflow")
        return HogVMException(f"Invalid bytecode: {error} (offset {offset})")

    # helpers used by the loop -----------------------------------------------------------

    def _concat_or_add(self, a: Any, b: Any) -> Any:
        kind = type(a)
        if kind is type(b) and (kind is str or kind is list or kind is tuple):
            size = len(a) + len(b)
            self.meter.charge(VALUE_COST + (size if kind is str else VALUE_COST * size))
            return a + b
        return operators.add(a, b)

    def _get_global(self, count: int, chunk_globals: dict[str, Any] | None, stl: dict[str, Any],
                    bytecode_stl: dict[str, Any]) -> Any:
        stack = self.stack
        if count == 0 or count > len(stack):
            raise HogVMException("Invalid bytecode: GET_GLOBAL needs at least one name on the stack")
        chain = stack[-count:]
        chain.reverse()
        del stack[-count:]
        name = chain[0]
        if chunk_globals and type(name) is str and name in chunk_globals:
            value = chunk_globals[name]
            for key in chain[1:]:
                if value is None:
                    break
                value = operators.get_property(value, key, True)
            kind = type(value)
            if kind is str:
                self.meter.charge(VALUE_COST + len(value))
                return value
            if value is None or kind is int or kind is float or kind is bool:
                return value
            remaining = max(self.meter.limit - self.meter.used, 0)
            try:
                copied, cost = to_hog(value, remaining)
            except ValueConversionError as error:
                if "costs more" in str(error):
                    raise HogVMMemoryExceededException(self.meter.limit, self.meter.used + remaining + 1) from None
                raise HogVMException(f"Global variable {name} can not be read: {error}") from None
            self.meter.charge(cost)
            return copied
        if type(name) is str:
            if name in self.functions:
                return Closure(_native_callable(name, 0), [])
            if count == 1:
                builtin = stl.get(name)
                if builtin is not None:
                    return Closure(_native_callable(name, builtin.max_args or 0), [])
                entry = bytecode_stl.get(name)
                if entry is not None:
                    return Closure(_native_callable(name, len(entry[0]), "bytecode_stl", f"stl/{name}"), [])
        raise HogVMException(f"Global variable not found: {name}")

    def _bytecode_stl_entry(self, name: str, argc: int, bytecode_stl: dict[str, Any]) -> Chunk:
        found = bytecode_stl_chunk(name, bytecode_stl)
        if found is None:
            raise HogVMException(f"Unsupported function call: {name}")
        arg_count, target = found
        if arg_count != argc:
            raise HogVMException(f"Function {name} requires exactly {arg_count} arguments")
        return target

    def _call_native(self, name: str, argc: int, version: int, stl: dict[str, Any], *, call_local: bool) -> Any:
        """Call a host function or builtin with `argc` arguments from the stack."""
        stack = self.stack
        host = self.functions.get(name)
        builtin = None
        if host is None:
            builtin = stl.get(name)
            if builtin is None:
                raise HogVMException(f"Unsupported function call: {name}")
            builtin.check_arity(argc)
        if version == 0:
            args = [stack.pop() for _ in range(argc)]
        elif argc:
            args = stack[-argc:]
            del stack[-argc:]
        else:
            args = []
        if host is not None:
            return self._call_host(name, host, args)
        try:
            result = builtin.fn(args, self)
        except HogError:
            raise
        except Exception as error:
            raise self._builtin_failure(name, error) from None
        meter = self.meter
        meter.used += shallow_cost(result)
        if meter.used > meter.limit:
            meter.collect()
        return result

    def _builtin_failure(self, name: str, error: Exception) -> HogError:
        """A builtin raised a Python error (it should not): say which, in Hog terms."""
        if isinstance(error, RecursionError):
            return HogVMException(f"Function {name} failed: value nested too deeply")
        if isinstance(error, MemoryError):
            return HogVMMemoryExceededException(self.meter.limit, self.meter.used)
        return HogVMException(f"Function {name} failed: {type(error).__name__}: {error}")

    def _call_host(self, name: str, host: HostFunction, args: list[Any]) -> Any:
        try:
            result = host(*[to_host(arg) for arg in args])
        except HogError:
            raise
        except MemoryError:
            raise HogVMMemoryExceededException(self.meter.limit, self.meter.used) from None
        except Exception as error:
            raise HogVMException(f"Host function {name} raised {type(error).__name__}: {error}") from None
        remaining = max(self.meter.limit - self.meter.used, 0)
        try:
            converted, cost = to_hog(result, remaining)
        except ValueConversionError as error:
            raise HogVMException(f"Host function {name} returned an unusable value: {error}") from None
        self.meter.charge(cost)
        return converted
