"""Runtime errors of the VM. Names mirror PostHog's HogVM exceptions; all are `HogError`s."""

from __future__ import annotations

from typing import Any

from grammar.errors import HogCompileError, HogError, HogSyntaxError

__all__ = [
    "HogCompileError",
    "HogError",
    "HogSyntaxError",
    "HogVMCallDepthExceededException",
    "HogVMException",
    "HogVMMemoryExceededException",
    "HogVMRuntimeExceededException",
    "HogVMStepLimitExceededException",
    "UncaughtHogVMException",
]


class HogVMException(HogError):
    """A runtime error: a type error, a bad call, invalid bytecode, a failing builtin."""


class UncaughtHogVMException(HogVMException):
    """A Hog error object was thrown (`throw Error(...)`) and no `catch` took it.

    `str()` is PostHog's form, `Type('message')`; `.type`, `.message`, `.payload` hold the parts."""

    def __init__(self, type: str, message: str, payload: Any = None) -> None:
        text = str(message).replace("'", "\\'")
        super().__init__(f"{type}('{text}')")
        self.type = type
        self.message = message
        self.payload = payload

    def headline(self) -> str:
        text = str(self.message).replace("'", "\\'")
        return f"{self.type}('{text}')"


class HogVMRuntimeExceededException(HogError):
    """The wall-clock `timeout` ran out. Text and attributes as PostHog's Python VM."""

    def __init__(self, timeout: float, ops: int) -> None:
        super().__init__(f"Runtime exceeded {float(timeout)} seconds after {ops} operations")
        self.timeout = self.timeout_seconds = timeout
        self.ops = self.ops_performed = ops


class HogVMStepLimitExceededException(HogError):
    """`max_steps` instructions ran; deterministic, unlike the timeout."""

    def __init__(self, max_steps: int) -> None:
        super().__init__(f"Step limit exceeded: the program ran more than {max_steps} instructions.")
        self.max_steps = max_steps


class HogVMMemoryExceededException(HogError):
    """Live values (or one allocation a builtin was about to make) would pass `memory_limit`.

    Text and attributes as PostHog's Python VM (`attempted` is kept as a short alias)."""

    def __init__(self, memory_limit: int, attempted: int) -> None:
        super().__init__(
            f"Memory limit of {memory_limit} bytes exceeded. Attempted to use {attempted} bytes"
        )
        self.memory_limit = memory_limit
        self.attempted = self.attempted_memory = attempted


class HogVMCallDepthExceededException(HogError):
    """More than `max_call_depth` nested calls (unbounded recursion)."""

    def __init__(self, max_call_depth: int) -> None:
        super().__init__(f"Maximum call depth of {max_call_depth} exceeded (unbounded recursion?).")
        self.max_call_depth = max_call_depth
