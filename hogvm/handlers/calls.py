"""Handlers for calls and names: CALL_GLOBAL, CALL_LOCAL, GET_GLOBAL, DECLARE_FN.

A call of Hog code (a closure, a legacy declared function, a bytecode-STL function, an imported
chunk) pushes a frame with `m.call`; a call of a native builtin or host function runs right here
and pushes its result. Builtins come from the STL registry; host functions (`functions=` of
`execute_bytecode`) take precedence over builtins of the same name.
"""

from __future__ import annotations

from time import monotonic
from typing import TYPE_CHECKING, Any

from hogvm import operators
from hogvm.errors import (
    HogError,
    HogVMCallDepthExceededException,
    HogVMException,
    HogVMMemoryExceededException,
)
from hogvm.loader import Chunk, bytecode_stl_chunk
from hogvm.memory import VALUE_COST, shallow_cost
from hogvm.opcodes import Op
from hogvm.values import Callable, Closure, ValueConversionError, to_hog, to_host

if TYPE_CHECKING:
    from hogvm.vm import Machine

MAX_FUNCTION_ARGS = 300  # PostHog's MAX_FUNCTION_ARGS_LENGTH

ROOT_CALLABLE = Callable("local", "", 0, 0, "root", 0)


# --- the standard library, imported on first use --------------------------------------------

_stl_tables: tuple[dict[str, Any], dict[str, Any]] | None = None


def stl_tables() -> tuple[dict[str, Any], dict[str, Any]]:
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


def native_callable(name: str, arg_count: int, kind: str = "stl", chunk: str = "stl") -> Callable:
    """The shared Callable describing a builtin, host or bytecode-STL function `name`."""
    key = f"{kind}:{name}"
    fn = _native_callables.get(key)
    if fn is None:
        fn = Callable(kind, name, arg_count, 0, chunk, -1 if kind == "stl" else 0)
        _native_callables[key] = fn
    return fn


# --- CALL_GLOBAL ----------------------------------------------------------------------------


def op_call_global(m: Machine, arg: tuple[str, int]) -> None:
    """Call a function by name: a builtin (the common case), a declared function, `import`, a
    host function, or a bytecode-STL function."""
    name, argc = arg
    if argc > len(m.stack):
        raise HogVMException("Not enough arguments on the stack")
    builtin = m.stl.get(name)
    if builtin is not None and m.version and name not in m.functions and name not in m.declared:
        _call_builtin(m, name, builtin, argc)
    elif m.declared and name in m.declared:
        _call_declared(m, name, argc)
    elif name == "import":
        _call_import(m, argc)
    elif name in m.functions or name in m.stl:
        push_native(m, name, argc)
        m.after_native()
    elif name in m.bytecode_stl:
        target, closure = enter_bytecode_stl(m, name, argc)
        m.call(target, 0, len(m.stack) - argc, closure)
    else:
        raise HogVMException(f"Unsupported function call: {name}")


def enter_bytecode_stl(m: Machine, name: str, argc: int) -> tuple[Chunk, Closure]:
    """What CALL_GLOBAL checks and counts before it runs the bytecode-STL function `name` (both
    tiers): its chunk and the closure it runs as."""
    check_depth(m)
    target = bytecode_stl_entry(m, name, argc)
    m.checkpoint()
    return target, Closure(native_callable(name, argc, "bytecode_stl", target.name), [])


def _call_builtin(m: Machine, name: str, builtin: Any, argc: int) -> None:
    """The fast path of CALL_GLOBAL: a native builtin, arguments in order (bytecode version 1)."""
    if argc < builtin.min_args or (builtin.max_args is not None and argc > builtin.max_args):
        builtin.check_arity(argc)
    stack = m.stack
    if argc:
        args = stack[-argc:]
        del stack[-argc:]
    else:
        args = []
    push_builtin_result(m, name, builtin, args)


def push_builtin_result(m: Machine, name: str, builtin: Any, args: list[Any]) -> None:
    """Run a native builtin on `args` (its arity checked), push its result and account for it.
    Tier 2 calls it directly with the argument list."""
    try:
        result = builtin.fn(args, m)
    except HogError:
        raise
    except Exception as error:
        raise builtin_failure(m, name, error) from None
    m.stack.append(result)  # pushed first: a measurement of live memory includes the result
    account_builtin_result(m, result)


def account_builtin_result(m: Machine, result: Any) -> None:
    """Charge a builtin's result (on the stack by now, as far as live memory goes), then check the
    clock. Tier 2 runs the builtin itself and calls this."""
    kind = type(result)
    meter = m.meter
    if kind is str:
        meter.used += VALUE_COST + len(result)
    elif kind is list or kind is dict or kind is tuple:
        meter.used += shallow_cost(result)
    # the common case skips a call (tier 2 inlines this function up to here)
    if meter.used > meter.limit or len(m.stdout) != m.stdout_charged or monotonic() > m.deadline:
        after_builtin(m)


def after_builtin(m: Machine) -> None:
    """The rest of `account_builtin_result` once its result is charged: measure live memory if the
    charges passed the limit, then charge printed output and check the clock."""
    meter = m.meter
    if meter.used > meter.limit:
        meter.collect()
    if len(m.stdout) != m.stdout_charged or monotonic() > m.deadline:
        m.after_native()


def _call_declared(m: Machine, name: str, argc: int) -> None:
    """A function registered by the legacy DECLARE_FN: runs in the running chunk."""
    entry, wanted = m.declared[name]
    stack = m.stack
    if argc < wanted:
        stack.extend([None] * (wanted - argc))
    check_depth(m)
    m.checkpoint()
    chunk = m.chunk
    closure = Closure(Callable("local", name, wanted, 0, chunk.name, 0, chunk, entry), [])
    m.call(chunk, entry, len(stack) - wanted, closure)


def _call_import(m: Machine, argc: int) -> None:
    """`import('<module>')`: run the named chunk; its result is the call's value."""
    if argc != 1:
        raise HogVMException("Function import requires exactly 1 argument")
    module = m.stack.pop()
    target = m.program.chunks.get(module) if type(module) is str else None
    if target is None:
        raise HogVMException(f"Unknown chunk: {module}")
    check_depth(m)
    m.executed += m.ip - m.seg
    closure = Closure(Callable("local", module, 0, 0, module, 0, target, 0), [])
    m.call(target, 0, len(m.stack), closure)


# --- CALL_LOCAL -----------------------------------------------------------------------------


def op_call_local(m: Machine, argc: int) -> None:
    """Call the closure on top of the stack with the `argc` arguments below it."""
    stack = m.stack
    callee = stack.pop()
    if type(callee) is not Closure:
        raise HogVMException(f"Invalid closure: {operators.type_label(callee)} is not a function")
    fn = callee.callable
    if argc > MAX_FUNCTION_ARGS:
        raise HogVMException("Too many arguments")
    if argc > len(stack):
        raise HogVMException("Not enough arguments on the stack")
    kind = fn.kind
    if kind == "local":
        wanted = fn.arg_count
        if argc < wanted:
            stack.extend([None] * (wanted - argc))
        elif argc > wanted:
            raise HogVMException(f"Too many arguments. Passed {argc}, expected {wanted}")
        check_depth(m)
        m.checkpoint()
        m.call(fn.code, fn.entry, len(stack) - wanted, callee)
    elif kind == "bytecode_stl":
        m.note_divergence(
            "unsupported_in_posthog",
            f"PostHog's VMs can not call {fn.name} through a variable (they stop with 'Unsupported "
            f"function call: {fn.name}'): this tagger fails in PostHog",
        )
        check_depth(m)
        target = bytecode_stl_entry(m, fn.name, argc)
        m.checkpoint()
        m.call(target, 0, len(stack) - argc, callee)
    else:
        push_native(m, fn.name, argc, pad=True)
        m.after_native()


# --- helpers --------------------------------------------------------------------------------


def check_depth(m: Machine) -> None:
    if m.call_depth() >= m.max_call_depth:
        raise HogVMCallDepthExceededException(m.max_call_depth)


def bytecode_stl_entry(m: Machine, name: str, argc: int) -> Chunk:
    if name == "arrayReduce":
        m.note_divergence(
            "posthog_defect",
            "PostHog's Python VM runs a stale compiled arrayReduce that indexes the array by each "
            "element's value: its answer here is likely different (its TypeScript VM agrees with this one)",
        )
    found = None
    if m.posthog_cells is not None:  # replaying under PostHog's model: its functions' stack layout
        found = bytecode_stl_chunk(f"posthog_layout/{name}", m.bytecode_stl)
    if found is None:
        found = bytecode_stl_chunk(name, m.bytecode_stl)
    if found is None:
        raise HogVMException(f"Unsupported function call: {name}")
    arg_count, target = found
    if arg_count != argc:
        raise HogVMException(f"Function {name} requires exactly {arg_count} arguments")
    return target


def push_native(m: Machine, name: str, argc: int, *, pad: bool = False) -> None:
    """Call a host function or builtin with `argc` arguments from the stack; push its result.

    `pad` (a call through a variable, CALL_LOCAL): as PostHog's VMs do there, a builtin gets its
    missing optional arguments as nulls, up to its maximum (`let f := md5; f('a')` is
    `md5('a', null)`, which is null: null is no known encoding).

    The result is accounted for as it is pushed: a host function's converted result is charged
    before (`charge` measures live memory plus that cost when over the limit); a builtin's is
    pushed first, then charged, so that a measurement of live memory counts it (the arguments,
    popped, no longer do). A result that does not fit fails here, not at some later collection."""
    stack = m.stack
    host = m.functions.get(name)
    builtin = None
    if host is None:
        builtin = m.stl.get(name)
        if builtin is None:
            raise HogVMException(f"Unsupported function call: {name}")
        builtin.check_arity(argc)
    if m.version == 0:
        args = [stack.pop() for _ in range(argc)]  # legacy bytecode pushes arguments reversed
    elif argc:
        args = stack[-argc:]
        del stack[-argc:]
    else:
        args = []
    if host is not None:
        stack.append(_call_host(m, name, host, args))
        return
    if pad and m.version and builtin.max_args is not None and argc < builtin.max_args:
        args.extend([None] * (builtin.max_args - argc))
    try:
        result = builtin.fn(args, m)
    except HogError:
        raise
    except Exception as error:
        raise builtin_failure(m, name, error) from None
    stack.append(result)
    meter = m.meter
    meter.used += shallow_cost(result)
    if meter.used > meter.limit:
        meter.collect()


def builtin_failure(m: Machine, name: str, error: Exception) -> HogError:
    """A builtin raised a Python error (it should not): say which, in Hog terms."""
    if isinstance(error, RecursionError):
        return HogVMException(f"Function {name} failed: value nested too deeply")
    if isinstance(error, MemoryError):
        return HogVMMemoryExceededException(m.meter.limit, m.meter.used)
    return HogVMException(f"Function {name} failed: {type(error).__name__}: {error}")


def _call_host(m: Machine, name: str, host: Any, args: list[Any]) -> Any:
    meter = m.meter
    try:
        host_args = [to_host(arg) for arg in args]
        result = m.volatile(lambda: host(*host_args), (name, repr(host_args)))
    except HogError:
        raise
    except MemoryError:
        raise HogVMMemoryExceededException(meter.limit, meter.used) from None
    except Exception as error:
        raise HogVMException(f"Host function {name} raised {type(error).__name__}: {error}") from None
    remaining = max(meter.limit - meter.used, 0)
    try:
        converted, cost = to_hog(result, remaining)
    except ValueConversionError as error:
        raise HogVMException(f"Host function {name} returned an unusable value: {error}") from None
    meter.charge(cost)
    return converted


# --- names ----------------------------------------------------------------------------------


def op_get_global(m: Machine, count: int) -> None:
    m.stack.append(_get_global(m, count))


def _get_global(m: Machine, count: int) -> Any:
    """Pop a chain of `count` names (first on top): a global's (copied) value or property, or a
    host function, builtin or bytecode-STL function as a value."""
    stack = m.stack
    if count == 0 or count > len(stack):
        raise HogVMException("Invalid bytecode: GET_GLOBAL needs at least one name on the stack")
    chain = stack[-count:]
    chain.reverse()
    del stack[-count:]
    name = chain[0]
    chunk_globals = m.chunk_globals
    if chunk_globals and type(name) is str and name in chunk_globals:
        return _read_global(m, name, chunk_globals[name], chain[1:])
    if type(name) is str:
        if name in m.functions:
            return Closure(native_callable(name, 0), [])
        if count == 1:
            builtin = m.stl.get(name)
            if builtin is not None:
                return Closure(native_callable(name, builtin.max_args or 0), [])
            entry = m.bytecode_stl.get(name)
            if entry is not None:
                return Closure(native_callable(name, len(entry[0]), "bytecode_stl", f"stl/{name}"), [])
    raise HogVMException(f"Global variable not found: {name}")


def _read_global(m: Machine, name: str, value: Any, keys: list[Any]) -> Any:
    """`value[keys...]` as a private Hog copy (globals are read-only for the program)."""
    for key in keys:
        if value is None:
            break
        value = operators.get_property(value, key, True)
    kind = type(value)
    meter = m.meter
    if kind is str:
        meter.charge(VALUE_COST + len(value))
        return value
    if value is None or kind is int or kind is float or kind is bool:
        return value
    remaining = max(meter.limit - meter.used, 0)
    try:
        copied, cost = to_hog(value, remaining)
    except ValueConversionError as error:
        if "costs more" in str(error):
            raise HogVMMemoryExceededException(meter.limit, meter.used + remaining + 1) from None
        raise HogVMException(f"Global variable {name} can not be read: {error}") from None
    meter.charge(cost)
    return copied


def op_declare_fn(m: Machine, arg: tuple[str, int, int, int]) -> None:
    """Legacy: register a named function (called by CALL_GLOBAL) and skip its body."""
    name, arg_count, entry, after = arg
    m.declared[name] = (entry, arg_count)
    m.executed += m.ip - m.seg
    m.ip = m.seg = after


HANDLERS = {
    Op.CALL_GLOBAL: op_call_global,
    Op.CALL_LOCAL: op_call_local,
    Op.GET_GLOBAL: op_get_global,
    Op.DECLARE_FN: op_declare_fn,
}
