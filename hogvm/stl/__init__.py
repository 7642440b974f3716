"""Hog's standard library: the native builtins (one table, `STL`) and the functions written in Hog
itself (`BYTECODE_STL`, compiled from `hogvm/stl/*.hog`)."""

from __future__ import annotations

# Importing a module registers its builtins. Each module is one area of the library.
from hogvm.stl import (  # noqa: F401
    collections,
    conversion,
    crypto,
    dates,
    errors,
    jsonfns,
    logic,
    network,
    output,
    strings,
)
from hogvm.stl.bytecode_stl import BYTECODE_STL
from hogvm.stl.registry import REGISTRY as STL
from hogvm.stl.registry import Builtin, StlContext, builtin

__all__ = ["BYTECODE_STL", "STL", "Builtin", "StlContext", "builtin"]
