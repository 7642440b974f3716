"""Call native builtins directly, and the same calls on PostHog's TypeScript VM.

`Call("dateAdd", "day", 1, Call("toDate", "2024-01-31"))` is a nested builtin call. `call_native`
evaluates it with our registry (checking arity as the VM does); `call_node` compiles it by hand to
`["_H", 1, ..., RETURN]` and runs it on `@posthog/hogvm`, so builtins can be compared with
PostHog before the compiler and VM exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hogvm.opcodes import BYTECODE_MAGIC, BYTECODE_VERSION, Op


class FakeContext:
    """What a builtin may use of the VM (`StlContext`), plus a pinned clock."""

    def __init__(self, now: float | None = None, memory_limit: int = 64 * 1024 * 1024) -> None:
        self.stdout: list[str] = []
        self.charged = 0
        self.memory_limit = memory_limit
        if now is not None:
            self.now: Callable[[], float] = lambda: now

    def charge(self, nbytes: int) -> None:
        from hogvm.errors import HogVMMemoryExceededException

        if self.charged + nbytes > self.memory_limit:
            raise HogVMMemoryExceededException(self.memory_limit, self.charged + nbytes)
        self.charged += nbytes

    def remaining_time(self) -> float:
        return 5.0

    def timed_out(self, steps: int | None = None) -> Exception:
        from hogvm.errors import HogVMRuntimeExceededException

        return HogVMRuntimeExceededException(5.0, steps or 0)


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Any, ...] = field(default=())

    def __init__(self, name: str, *args: Any) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "args", args)


def call_native(expr: Any, ctx: FakeContext | None = None) -> Any:
    from hogvm.stl.registry import REGISTRY

    if not isinstance(expr, Call):
        return expr
    ctx = ctx or FakeContext()
    args = [call_native(arg, ctx) for arg in expr.args]
    fn = REGISTRY[expr.name]
    fn.check_arity(len(args))
    return fn.fn(args, ctx)


def _emit(expr: Any) -> list[Any]:
    if isinstance(expr, Call):
        code: list[Any] = []
        for arg in expr.args:
            code += _emit(arg)
        return [*code, int(Op.CALL_GLOBAL), expr.name, len(expr.args)]
    if expr is None:
        return [int(Op.NULL)]
    if expr is True:
        return [int(Op.TRUE)]
    if expr is False:
        return [int(Op.FALSE)]
    if type(expr) is int:
        return [int(Op.INTEGER), expr]
    if type(expr) is float:
        return [int(Op.FLOAT), expr]
    if type(expr) is str:
        return [int(Op.STRING), expr]
    if type(expr) is list:
        code = []
        for item in expr:
            code += _emit(item)
        return [*code, int(Op.ARRAY), len(expr)]
    raise TypeError(f"cannot emit {expr!r}")


def bytecode_of(expr: Any) -> list[Any]:
    return [BYTECODE_MAGIC, BYTECODE_VERSION, *_emit(expr), int(Op.RETURN)]


def call_node(node_vm: Any, expr: Any) -> dict[str, Any]:
    """The TypeScript VM's reply ({ok, result, printed, error}) for `expr`."""
    return node_vm.run(bytecode_of(expr))
