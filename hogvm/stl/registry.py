"""How native builtins are declared.

A builtin is a Python function `fn(args, ctx)` taking the already-evaluated argument list and the
running VM's `StlContext`. It returns a Hog value or raises `HogVMException` (with a message a
user can act on). The VM checks `min_args`/`max_args` before the call, so a builtin may index its
arguments freely within that range.

Modules under `hogvm/stl/` declare builtins with `@builtin("name", min_args, max_args)`; the
package `__init__` collects them into one table, `STL`. A test proves the table matches PostHog's
STL contract (`spec/stl.json`) name for name and arity for arity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from hogvm.errors import HogVMException


class StlContext(Protocol):
    """What a builtin may use of the running VM."""

    stdout: list[str]  # one entry per print() call

    def charge(self, nbytes: int) -> None:
        """Raise HogVMMemoryExceededException if allocating `nbytes` more would pass the limit.

        Builtins that build a value whose size depends on their input (range, repeat-like string
        operations, splitting, padding, JSON parsing) call this *before* allocating."""

    def remaining_time(self) -> float:
        """Seconds left before the timeout (for sleep-like builtins); infinity without one."""

    def timed_out(self, steps: int | None = None) -> Exception:
        """The error that ends the run because its time ran out (a builtin that gave up waiting,
        such as a regex search past its deadline, raises it)."""


NativeFn = Callable[[list[Any], StlContext], Any]


def volatile(ctx: StlContext, produce: Callable[[], Any]) -> Any:
    """`produce()` for a nondeterministic builtin (clock, randomness): through the VM when it is
    the context, which records the result so that a replay of the run sees the same one."""
    play = getattr(ctx, "volatile", None)
    return produce() if play is None else play(produce)


def note_divergence(ctx: StlContext, kind: str, message: str) -> None:
    """Tell the VM (when it is the context) that PostHog's VMs answer this run differently."""
    note = getattr(ctx, "note_divergence", None)
    if note is not None:
        note(kind, message)


@dataclass(frozen=True, slots=True)
class Builtin:
    name: str
    fn: NativeFn
    min_args: int
    max_args: int | None  # None: unbounded

    def check_arity(self, argc: int) -> None:
        """PostHog's arity check and wording (its STL contract's conformance vectors), the same for a
        direct call and a call through a variable."""
        if argc < self.min_args:
            raise HogVMException(f"Function {self.name} requires at least {self.min_args} arguments")
        if self.max_args is not None and argc > self.max_args:
            raise HogVMException(f"Function {self.name} requires at most {self.max_args} arguments")


REGISTRY: dict[str, Builtin] = {}


def builtin(name: str, min_args: int, max_args: int | None) -> Callable[[NativeFn], NativeFn]:
    """Register `fn` as the native builtin `name` with the given arity range."""

    def register(fn: NativeFn) -> NativeFn:
        if name in REGISTRY:
            raise RuntimeError(f"builtin {name!r} registered twice")
        REGISTRY[name] = Builtin(name, fn, min_args, max_args)
        return fn

    return register
