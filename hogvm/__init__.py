"""HogVM: compile Hog source to PostHog's bytecode and run it in a sandboxed stack VM.

    >>> from hogvm import compile_hog, execute_bytecode
    >>> execute_bytecode(compile_hog("print('hi'); return 1 + 2")).result
    3

Submodules load on first use, so `import hogvm` stays cheap for hosts that only need one part.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hogvm.errors import (
    HogCompileError,
    HogError,
    HogSyntaxError,
    HogVMCallDepthExceededException,
    HogVMException,
    HogVMMemoryExceededException,
    HogVMRuntimeExceededException,
    HogVMStepLimitExceededException,
    UncaughtHogVMException,
)

if TYPE_CHECKING:
    from hogvm.compiler import CompiledHog, compile_hog, compile_hog_with_warnings, compile_program
    from hogvm.disasm import disassemble
    from hogvm.lint import HogWarning
    from hogvm.positions import SourceMap, SourcePosition
    from hogvm.vm import ExecutionResult, execute_bytecode

# public name -> module that defines it
_LAZY = {
    "compile_hog": "hogvm.compiler",
    "compile_hog_with_warnings": "hogvm.compiler",
    "compile_program": "hogvm.compiler",
    "CompiledHog": "hogvm.compiler",
    "HogWarning": "hogvm.lint",
    "SourceMap": "hogvm.positions",
    "SourcePosition": "hogvm.positions",
    "execute_bytecode": "hogvm.vm",
    "ExecutionResult": "hogvm.vm",
    "disassemble": "hogvm.disasm",
}

__all__ = [
    "CompiledHog",
    "ExecutionResult",
    "HogCompileError",
    "HogError",
    "HogSyntaxError",
    "HogVMCallDepthExceededException",
    "HogVMException",
    "HogVMMemoryExceededException",
    "HogVMRuntimeExceededException",
    "HogVMStepLimitExceededException",
    "HogWarning",
    "SourceMap",
    "SourcePosition",
    "UncaughtHogVMException",
    "compile_hog",
    "compile_hog_with_warnings",
    "compile_program",
    "disassemble",
    "execute_bytecode",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hogvm' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
