"""The HogVM: runs PostHog's Hog bytecode with the semantics of PostHog's Python VM, sandboxed.

    execute_bytecode(bytecode, globals=None, *, timeout=5.0, max_steps=None,
                     memory_limit=64 MiB, max_call_depth=1000, functions=None) -> ExecutionResult

`bytecode` is `["_H", 1, ...]`, legacy `["_h", ...]`, a chunk dict `{"root": {"bytecode": ...},
"<module>": {...}}` (for `import('<module>')`), or a `loader.Program`.

Design (in the manner of Lua's lvm.c or clox: decode once, then a table of small handlers):

- decoding: the loader validates the bytecode and decodes it once into `(opcode, operand)`
  tuples (loader.py); on a chunk's first run, `threaded_code` turns them into `(handler,
  operand)` pairs through the table `handlers.HANDLERS` (cached on the chunk);
- dispatch: `Machine._run` fetches a pair, advances `ip` and calls the handler with the machine
  and the operand. That is the whole loop (no opcode is special-cased in it);
- semantics: each opcode is a small named handler `op_xxx(m, operand)` in `hogvm/handlers/`,
  grouped by concern (stack and data, arithmetic and comparison, control flow and exceptions,
  calls, closures). Handlers only touch the machine's state and call operators.py for value
  operations, memory.py for accounting. Tier 2 (hogvm/tier2/) compiles the same instructions to
  Python functions and runs every handler it does not inline on a `Machine` subclass, which
  replaces only what depends on where frames live (`call`, `call_depth`, `checkpoint`,
  `steps_now`, `active_frames`, `_measure_live`, `_run`).
- state: one `Machine` (this module) holds everything a run has: the value stack, the running
  frame (`chunk`, `code`, `ip`, `base`, `closure`), the callers' frames, open upvalues, the throw
  stack, the step count and limits, the memory meter, stdout. It is also the `StlContext` handed
  to builtins.

Machine model (as PostHog's): one value stack; a call frame is (chunk, ip, stack_start, closure);
locals are stack slots addressed from the frame's `base`; closures capture variables as
upvalues that point at a live stack slot until it is popped (CLOSE_UPVALUE, RETURN, THROW), then
own a copy. Throw frames record the call depth and stack height to unwind to.

Steps are counted per straight-line run of instructions, not per instruction: `executed` holds
the finished runs, the current one started at index `seg`, so the exact count is always
`executed + ip - seg`. Handlers that move `ip` elsewhere close the run first (`checkpoint`).

Errors: whatever leaves the run passes `Machine.annotate`, which gives it the source position of
the failing instruction (`positions.locate`, when the bytecode came with a source map) and the
lines printed so far (`error.stdout`).

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
  (see memory.py) and `max_call_depth`. Steps are counted exactly; the step budget and the clock
  are checked where a program can keep going (backward jumps, calls, throws: at least every 1024
  instructions) and the clock after every builtin, so a run stops within milliseconds of its
  deadline, and a run over `max_steps` always fails.
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

import os
import time
from collections.abc import Callable as PyCallable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from hogvm import posthog_model
from hogvm.errors import (
    HogError,
    HogVMException,
    HogVMMemoryExceededException,
    HogVMRuntimeExceededException,
    HogVMStepLimitExceededException,
)
from hogvm.handlers import HANDLERS
from hogvm.handlers.calls import ROOT_CALLABLE, stl_tables
from hogvm.handlers.closures import close_upvalue
from hogvm.loader import SET_LOCAL_REBIND, SET_LOCAL_REBIND_TOP, Chunk, Program, load_program
from hogvm.memory import VALUE_COST, MemoryMeter, live_cost
from hogvm.opcodes import Op
from hogvm.positions import SourceMap, locate
from hogvm.posthog_model import Tape
from hogvm.values import Closure, UpValue, ValueConversionError, to_host

DEFAULT_MEMORY_LIMIT = 64 * 1024 * 1024
DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_CALL_DEPTH = 1000
CHECK_INTERVAL = 1024  # instructions between two clock / stack-size checks
# Which execution tier runs a program when `execute_bytecode` is not told: "auto", 1 or 2 (see
# `execute_bytecode`). The HOG_VM_TIER environment variable sets it, e.g. to run a test suite on one tier.
DEFAULT_TIER: int | str = os.environ.get("HOG_VM_TIER", "auto")

HostFunction = PyCallable[..., Any]


@dataclass(slots=True)
class ExecutionResult:
    """What a run returns (PostHog's Python VM returns `result` and `stdout` likewise)."""

    result: Any  # plain Python data; closures as PostHog's closure dicts
    stdout: list[str]  # one entry per print() call
    steps: int  # instructions executed (PostHog's op count)
    # Where PostHog's VMs would answer differently for this run (see hogvm/posthog_model.py): one
    # dict per finding, {"kind", "variable" (or None), "message", ...}. Empty when they agree.
    posthog_divergences: list[dict[str, Any]] = field(default_factory=list)
    tier: int = 1  # the execution tier that ran the program (1: interpreter, 2: compiled to Python)


def execute_bytecode(
    bytecode: Any,
    globals: dict[str, Any] | None = None,
    *,
    timeout: float | timedelta | None = DEFAULT_TIMEOUT,
    max_steps: int | None = None,
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
    max_call_depth: int = DEFAULT_MAX_CALL_DEPTH,
    functions: dict[str, HostFunction] | None = None,
    source_map: SourceMap | None = None,
    check_posthog: bool = True,
    tier: int | str | None = None,
) -> ExecutionResult:
    """Run Hog bytecode and return its result, printed lines and step count.

    `globals` are read-only for the program (every read is a private copy). `functions` are host
    functions callable from Hog by name; they take precedence over builtins of the same name,
    receive Hog values as positional arguments and may return any JSON-like data. `timeout` is
    in seconds (or a timedelta; None disables it). `source_map` (from `compile_hog_with_warnings`)
    gives runtime errors the line, column and function of the failing instruction; every error
    also carries what the program printed before it failed (`error.stdout`). `check_posthog=False`
    skips the replay that says where PostHog's upvalue model answers differently (see
    hogvm/posthog_model.py): runs with such closures then take one pass instead of two, and
    `posthog_divergences` lists only the findings made during the run.

    `tier` picks the execution tier; both give the same results, output, errors (and their
    positions) and step counts. 1 is the interpreter (this module); 2 runs the program compiled to
    Python functions (hogvm/tier2/), several times faster once compiled. "auto" uses tier 2 for
    bytecode that has run before or that may run more than a few hundred instructions, tier 1
    otherwise. A program tier 2 cannot compile (legacy bytecode, stack shapes only tier 1 can report
    on) runs on tier 1, counted in `hogvm.tier2.STATS`. None means `DEFAULT_TIER`."""
    program = load_program(bytecode, source_map=source_map)
    if isinstance(timeout, timedelta):
        timeout = timeout.total_seconds()
    if timeout is not None and not timeout > 0:  # also refuses NaN
        raise HogVMException(f"timeout must be a positive number of seconds (or None for no limit), got {timeout}")
    if globals is not None and not isinstance(globals, dict):
        raise HogVMException(f"globals must be a dict, got {type(globals).__name__}")
    chosen = DEFAULT_TIER if tier is None else tier
    machine_class = Machine if chosen == 1 or chosen == "1" else _tier2().machine_for(program, chosen, max_call_depth)
    machine = machine_class(program, globals or {}, functions or {}, timeout, max_steps, memory_limit,
                            max_call_depth)
    machine.check_posthog = check_posthog
    return machine.execute()


def _tier2() -> Any:
    """hogvm.tier2, loaded on first use (as the STL is)."""
    global _tier2_module
    if _tier2_module is None:
        from hogvm import tier2

        _tier2_module = tier2
    return _tier2_module


_tier2_module: Any = None


def threaded_code(chunk: Chunk) -> list[tuple[Any, Any]]:
    """The chunk's instructions as (handler, operand) pairs: dispatch without a table lookup.
    Built once per decoded chunk (decoded chunks are cached, see loader.py)."""
    code = [(HANDLERS[op], arg) for op, arg in chunk.code]
    chunk.threaded = code
    return code


class _Halt(Exception):
    """Not an error: raised by `Machine.halt` to leave the loop with the program's result."""

    def __init__(self, result: Any) -> None:
        self.result = result


class Machine:
    """The state of one execution; also the `StlContext` handed to builtins."""

    __slots__ = (  # noqa: RUF023 - grouped by concern, not sorted
        # the program and its environment
        "program", "globals", "functions", "stl", "bytecode_stl", "declared",
        # the running frame
        "chunk", "code", "version", "chunk_globals", "ip", "base", "closure",
        # the rest of the machine
        "stack", "frames", "open_upvalues", "throw_stack", "stdout",
        # limits and accounting
        "timeout", "deadline", "max_steps", "max_call_depth", "executed", "seg", "budget", "steps",
        "meter", "charge", "stdout_charged",
        # PostHog's upvalue model (hogvm/posthog_model.py): cells by stack index in its replay
        # (None in an ordinary run), whether this run did something that model answers otherwise
        # for, findings, and the recorded results of nondeterministic calls
        "posthog_cells", "upvalues_created", "posthog_suspect", "divergences", "tape", "check_posthog",
    )

    def __init__(self, program: Program, globals: dict[str, Any], functions: dict[str, HostFunction],
                 timeout: float | None, max_steps: int | None, memory_limit: int, max_call_depth: int) -> None:
        if max_steps is not None and max_steps < 0:
            raise HogVMException("max_steps must be non-negative")
        self.program = program
        self.globals = globals
        self.functions = functions
        self.stl: dict[str, Any] = {}  # native builtins by name (filled when the run starts)
        self.bytecode_stl: dict[str, Any] = {}  # functions written in Hog, by name
        self.declared: dict[str, tuple[int, int]] = {}  # legacy DECLARE_FN: name -> (entry, arg count)

        root = program.root
        self.chunk = root
        self.code = root.threaded or threaded_code(root)  # the running chunk's (handler, operand) pairs
        self.version = root.version
        self.chunk_globals: dict[str, Any] | None = globals
        self.ip = 0
        self.base = 0  # stack index of the running frame's first local
        self.closure = Closure(ROOT_CALLABLE, [])

        self.stack: list[Any] = []
        self.frames: list[tuple[Chunk, int, int, Closure]] = []  # callers: (chunk, ip, base, closure)
        self.open_upvalues: dict[int, UpValue] = {}  # stack index -> open upvalue
        self.throw_stack: list[tuple[int, int, int]] = []  # (call depth, stack height, catch index)
        self.stdout: list[str] = []

        self.timeout = timeout
        self.deadline = float("inf")
        self.max_steps = max_steps
        self.max_call_depth = max_call_depth
        self.executed = 0  # steps of the finished straight-line runs
        self.seg = 0  # where the running straight-line run started
        self.budget = self._next_budget(0)  # step count that triggers the next limit check
        self.steps = 0
        self.meter = MemoryMeter(memory_limit, self._measure_live)
        self.charge = self.meter.charge  # StlContext.charge
        self.stdout_charged = 0

        self.posthog_cells: dict[int, UpValue] | None = None
        self.upvalues_created = 0
        self.posthog_suspect = False
        self.divergences: list[dict[str, Any]] = []
        self.tape = Tape()
        self.check_posthog = True

    # running ----------------------------------------------------------------------------

    TIER = 1

    def execute(self) -> ExecutionResult:
        if self.timeout is not None:
            self.deadline = time.monotonic() + self.timeout
        try:
            self.stl, self.bytecode_stl = stl_tables()
            if self.posthog_cells is not None:
                self.bytecode_stl = posthog_model.posthog_bytecode_stl(self.bytecode_stl)
            result = self._run()
        except HogError:
            raise
        except RecursionError:
            raise self.annotate(HogVMException("Value nested too deeply to process (recursion limit reached)")) from None
        except MemoryError:
            raise self.annotate(HogVMMemoryExceededException(self.meter.limit, self.meter.used)) from None
        try:
            converted = to_host(result)
        except ValueConversionError as error:
            raise self.annotate(HogVMException(f"Can not return this value: {error}")) from None
        divergences = list(self.divergences)
        if self.posthog_suspect and self.posthog_cells is None and self.check_posthog:
            divergences += posthog_model.check_against_posthog(self, converted)
        return ExecutionResult(converted, list(self.stdout), self.steps, divergences, self.TIER)

    def _run(self) -> Any:
        """Fetch, advance, dispatch: every opcode's behaviour is its handler in hogvm/handlers/."""
        try:
            while True:
                ip = self.ip
                handler, arg = self.code[ip]
                self.ip = ip + 1
                handler(self, arg)
        except _Halt as halt:
            return halt.result
        except HogError as error:
            self.steps = self.steps_now()
            self.annotate(error)
            raise
        except Exception as error:
            self.steps = self.steps_now()
            raise self.annotate(self.failure(error, self.chunk, self.ip - 1)) from None

    def failure(self, error: Exception, chunk: Chunk, index: int) -> HogError:
        """The HogError a Python `error` raised at instruction `index` of `chunk` becomes (both tiers):
        a Python error is never what a Hog program or its host sees."""
        if isinstance(error, IndexError):
            return explain_index_error(chunk, index, error)
        if isinstance(error, RecursionError):
            return HogVMException("Value nested too deeply to process (recursion limit reached)")
        if isinstance(error, MemoryError):
            return HogVMMemoryExceededException(self.meter.limit, self.meter.used)
        return HogVMException(str(error) or type(error).__name__)

    def annotate(self, error: HogError) -> HogError:
        """As an error leaves the run: the source position of the failing instruction (the
        innermost active frame whose chunk has a source map) and the lines printed so far."""
        if error.stdout is None:
            error.stdout = list(self.stdout)
        locate(error, self.active_frames())
        return error

    def active_frames(self) -> list[tuple[Chunk, int]]:
        """(chunk, instruction) of every active frame, innermost first: the running instruction,
        then each caller's call."""
        frames = [(self.chunk, self.ip - 1)]
        frames.extend((chunk, ip - 1) for chunk, ip, _, _ in reversed(self.frames))
        return frames

    def halt(self, result: Any) -> None:
        """The program is done (steps already counted): a run over the step budget still fails."""
        self.steps = self.executed
        if self.max_steps is not None and self.executed > self.max_steps:
            raise HogVMStepLimitExceededException(self.max_steps)
        raise _Halt(result)

    # frames -----------------------------------------------------------------------------

    def call(self, chunk: Chunk, entry: int, base: int, closure: Closure) -> None:
        """Save the running frame and start `closure` at instruction `entry` of `chunk`, its locals
        from stack index `base`. The caller has counted the steps (`checkpoint`)."""
        self.frames.append((self.chunk, self.ip, self.base, self.closure))
        if chunk is not self.chunk:
            self.switch(chunk)
        self.ip = self.seg = entry
        self.base = base
        self.closure = closure

    def leave(self, result: Any) -> None:
        """Return `result` to the caller: drop the frame's stack, upvalues and catch handlers."""
        if self.open_upvalues:
            self.close_upvalues(self.base)
        stack = self.stack
        del stack[self.base:]
        stack.append(result)
        chunk, ip, self.base, self.closure = self.frames.pop()
        self.ip = self.seg = ip
        if chunk is not self.chunk:
            self.switch(chunk)
        throw_stack = self.throw_stack
        depth = len(self.frames)
        while throw_stack and throw_stack[-1][0] > depth:
            throw_stack.pop()  # a `return` inside `try` leaves its handler behind

    def switch(self, chunk: Chunk) -> None:
        """Make `chunk` the running chunk."""
        self.chunk = chunk
        self.code = chunk.threaded or threaded_code(chunk)
        self.version = chunk.version
        self.chunk_globals = chunk.globals if chunk.globals is not None else self.globals

    def close_upvalues(self, height: int) -> None:
        """Close every open upvalue at stack index >= height (before the stack shrinks)."""
        stack = self.stack
        for location in [location for location in self.open_upvalues if location >= height]:
            close_upvalue(self, location, stack[location])

    def call_depth(self) -> int:
        """Calls of Hog functions in progress (0 while the root program runs)."""
        return len(self.frames)

    # steps and limits -------------------------------------------------------------------

    def steps_now(self) -> int:
        return self.executed + self.ip - self.seg

    def checkpoint(self) -> None:
        """Count the running straight-line run; check the limits if the budget is spent. The
        caller then moves `ip` and `seg` to where execution continues."""
        self.executed += self.ip - self.seg
        if self.executed > self.budget:
            self.check_limits()

    def check_limits(self, height: int | None = None) -> None:
        """Step limit, clock and stack size (`height` values; default: this machine's stack);
        sets the next budget."""
        executed = self.steps = self.executed
        if self.max_steps is not None and executed > self.max_steps:
            raise HogVMStepLimitExceededException(self.max_steps)
        if time.monotonic() > self.deadline:
            raise self.timed_out()
        meter = self.meter
        if (len(self.stack) if height is None else height) * VALUE_COST + meter.used > meter.limit:
            meter.collect()
        self.budget = self._next_budget(executed)

    def _next_budget(self, executed: int) -> int:
        checkpoint = executed + CHECK_INTERVAL
        return checkpoint if self.max_steps is None else min(checkpoint, self.max_steps)

    def timed_out(self, steps: int | None = None) -> HogVMRuntimeExceededException:
        return HogVMRuntimeExceededException(self.timeout or 0.0, self.steps if steps is None else steps)

    def after_native(self) -> None:
        """After a builtin or host call: charge what it printed, check the clock."""
        if len(self.stdout) != self.stdout_charged:
            self._charge_output()
        if time.monotonic() > self.deadline:
            raise self.timed_out(self.steps_now())

    # StlContext -------------------------------------------------------------------------

    def remaining_time(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def note_divergence(self, kind: str, message: str, **details: Any) -> None:
        """Record that PostHog's VMs answer this run differently (once per kind and message)."""
        finding = {"kind": kind, "variable": details.pop("variable", None), "message": message, **details}
        if finding not in self.divergences:
            self.divergences.append(finding)

    def volatile(self, produce: PyCallable[[], Any], key: Any = None) -> Any:
        """The result of a nondeterministic call (the clock, randomness, a host function given
        `key`, its name and arguments): recorded in an ordinary run, replayed in the run that
        checks it against PostHog's model."""
        return self.tape.play(produce, key)

    # memory -----------------------------------------------------------------------------

    def _measure_live(self) -> int:
        printed = sum(len(line) + VALUE_COST for line in self.stdout)
        closures = [frame[3] for frame in self.frames]
        closures.append(self.closure)
        return printed + live_cost(self.stack) + live_cost(closures)

    def _charge_output(self) -> None:
        """Printed lines stay alive until the end: charge each once."""
        stdout = self.stdout
        for line in stdout[self.stdout_charged:]:
            self.meter.charge(VALUE_COST + (len(line) if type(line) is str else 0))
        self.stdout_charged = len(stdout)


def explain_index_error(chunk: Chunk, index: int, error: IndexError) -> HogVMException:
    """An IndexError raised while running instruction `index` of `chunk` (a bad slot, an empty
    stack), in Hog terms. Shared by both tiers, so both explain a failure alike."""
    code, offsets = chunk.code, chunk.offsets
    offset = offsets[index] if 0 <= index < len(offsets) else "?"
    op, arg = code[index] if 0 <= index < len(code) else (None, None)
    if op == Op.GET_UPVALUE or op == Op.SET_UPVALUE:
        return HogVMException(f"Invalid upvalue index: {arg}")
    if op in (Op.GET_LOCAL, Op.SET_LOCAL, SET_LOCAL_REBIND, SET_LOCAL_REBIND_TOP):
        return HogVMException(f"Invalid bytecode: local slot {arg} does not exist (offset {offset})")
    if "pop" in str(error) or "list index out of range" in str(error):
        return HogVMException("Stack underflow")
    return HogVMException(f"Invalid bytecode: {error} (offset {offset})")
