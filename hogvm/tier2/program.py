"""Tier 2, step 4: compile a decoded chunk's functions once and keep them on the chunk.

`compile_function(chunk, entry, nargs, root)` analyses the function at `entry` and every function
whose CALLABLE it reaches, emits their Python source (codegen.py) into one unit, compiles it with
`compile()` and runs it in a namespace holding only the unit's constants and the runtime helpers
(no Python builtins). Decoded chunks are cached by the loader, so a tagger run on a million
events is compiled once; each CALLABLE's `Callable.compiled` then points at its Python function.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from hogvm.handlers.calls import stl_tables
from hogvm.loader import Chunk
from hogvm.opcodes import Op
from hogvm.tier2.analysis import Plan, Unsupported, analyse
from hogvm.tier2.codegen import HANDLER_NAMES, TEST_NAMES, ConstantPool, FunctionEmitter, Line
from hogvm.tier2.runtime import HELPERS, LINES

_lock = threading.RLock()


@dataclass(eq=False)
class ChunkCode:
    """A chunk's compiled functions by (entry, parameter count), and the units' sources."""

    chunk: Chunk
    functions: dict[tuple[int, int], Any] = field(default_factory=dict)
    refused: dict[tuple[int, int], Unsupported] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    def function(self, entry: int, nargs: int) -> Any:
        return self.functions[(entry, nargs)]


def compile_function(chunk: Chunk, entry: int, nargs: int, root: bool) -> Any:
    """The Python function running the Hog function at instruction `entry` of `chunk` with `nargs`
    parameters (`root`: the run's root program); raises Unsupported."""
    with _lock:
        code = chunk.tier2
        if code is None:
            code = chunk.tier2 = ChunkCode(chunk)
        key = (entry, nargs)
        if key in code.functions:
            return code.functions[key]
        if key in code.refused:
            raise code.refused[key]
        try:
            plans = _plans(chunk, code, entry, nargs, root)
        except Unsupported as refusal:
            code.refused[key] = refusal
            raise
        _build(chunk, code, plans)
        return code.functions[key]


def _plans(chunk: Chunk, code: ChunkCode, entry: int, nargs: int, root: bool) -> dict[tuple[int, int], Plan]:
    """Plans of the function and of every function it can create, not compiled yet."""
    plans: dict[tuple[int, int], Plan] = {}
    pending = [(entry, nargs, root)]
    while pending:
        at, count, is_root = pending.pop()
        if (at, count) in plans or (at, count) in code.functions:
            continue
        plan = plans[(at, count)] = analyse(chunk, at, count, is_root)
        for index in plan.depth:
            op, arg = chunk.code[index]
            if op == Op.CALLABLE:
                fn = arg[0]
                pending.append((fn.entry, fn.arg_count, False))
    return plans


def _build(chunk: Chunk, code: ChunkCode, plans: dict[tuple[int, int], Plan]) -> None:
    pool = ConstantPool()
    builtins, bytecode_stl = stl_tables()
    chunk_globals = None if chunk.globals is None else pool.name(chunk.globals)
    text: list[str] = []
    lines: list[Line] = [Line(0)]  # by line number, from 1
    names = {}
    for (entry, nargs), plan in sorted(plans.items()):
        name = names[(entry, nargs)] = f"f{entry}_{nargs}"
        for indent, line, origin in FunctionEmitter(plan, pool, name, builtins, bytecode_stl, chunk_globals).emit():
            text.append("    " * indent + line)
            lines.append(origin)
    source = "\n".join(text) + "\n"
    namespace: dict[str, Any] = {"__builtins__": {}, **HELPERS, **HANDLER_NAMES, **TEST_NAMES, **pool.values,
                                 LINES: (chunk, lines)}
    exec(compile(source, "<hog tier 2>", "exec"), namespace)  # our own generated code, no builtins
    code.sources.append(source)
    for key, name in names.items():
        code.functions[key] = namespace[name]
    for op, arg in chunk.code:  # every function value made by CALLABLE runs its compiled body
        if op == Op.CALLABLE:
            fn = arg[0]
            fn.compiled = code.functions.get((fn.entry, fn.arg_count), fn.compiled)
