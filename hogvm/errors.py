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
    """A Hog error object was thrown (`throw Error(...)`) and no `catch` took it."""

    def __init__(self, type: str, message: str, payload: Any = None) -> None:
        super().__init__(f"{type}: {message}" if message else type)
        self.type = type
        self.message = message
        self.payload = payload


class HogVMRuntimeExceededException(HogError):
    """The wall-clock `timeout` ran out."""

    def __init__(self, timeout: float, ops: int) -> None:
        super().__init__(f"Execution timed out after {timeout:g} seconds. Performed {ops} ops.")
        self.timeout = timeout
        self.ops = ops


class HogVMStepLimitExceededException(HogError):
    """`max_steps` instructions ran; deterministic, unlike the timeout."""

    def __init__(self, max_steps: int) -> None:
        super().__init__(f"Step limit exceeded: the program ran {max_steps} instructions (max_steps={max_steps}).")
        self.max_steps = max_steps


class HogVMMemoryExceededException(HogError):
    """Values on the stack (or one allocation a builtin was about to make) would pass `memory_limit`."""

    def __init__(self, memory_limit: int, attempted: int) -> None:
        super().__init__(
            f"Memory limit of {memory_limit} bytes exceeded. Tried to allocate {attempted} bytes."
        )
        self.memory_limit = memory_limit
        self.attempted = attempted


class HogVMCallDepthExceededException(HogError):
    """More than `max_call_depth` nested calls (unbounded recursion)."""

    def __init__(self, max_call_depth: int) -> None:
        super().__init__(f"Maximum call depth of {max_call_depth} exceeded (unbounded recursion?).")
        self.max_call_depth = max_call_depth
