"""Tier 2: Hog bytecode compiled to Python functions, with exactly tier 1's semantics.

Each Hog function of a decoded chunk (the root program, each CALLABLE body, each bytecode-STL
function) becomes one Python function, compiled once and kept on the chunk:

    analysis.py  stack depth per instruction, open upvalues, blocks (from opcodes.OPCODES)
    codegen.py   the Python source of one function, and its line table
    runtime.py   helpers the code calls (tier 1's handlers, calls, closures) and Tier2Machine
    program.py   compiling a chunk's functions and caching them

`machine_for` is how `execute_bytecode` chooses: tier 2 when asked, or under "auto" when the
bytecode has run before or may run more than a few hundred instructions; tier 1 when a program
cannot be compiled (counted in STATS, with the reason).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from hogvm.errors import HogVMException
from hogvm.handlers.calls import stl_tables
from hogvm.loader import Chunk, Program
from hogvm.opcodes import Op
from hogvm.tier2.analysis import Unsupported
from hogvm.tier2.program import compile_function
from hogvm.tier2.runtime import Tier2Machine
from hogvm.vm import Machine

__all__ = ["STATS", "Tier2Machine", "Unsupported", "compile_function", "fallbacks", "machine_for"]

AUTO_STEPS = 300  # under "auto", a first run that cannot exceed this many instructions stays on tier 1
# Compiled Hog calls are Python calls, so a run raises Python's recursion limit to fit its
# max_call_depth (runtime.FRAMES_PER_CALL frames each). That limit also bounds C-level recursion (a
# json.loads of deep input takes about 100 bytes of C stack per level): 5000 keeps it near 21000
# levels, far inside an 8 MiB thread stack. Runs allowed deeper recursion go to tier 1.
MAX_CALL_DEPTH = 5_000

# "tier 2": runs on tier 2; "tier 1 (auto)": first short runs left to tier 1; "fallback": programs
# tier 2 could not compile, also counted per reason ("fallback: <reason>").
STATS: Counter[str] = Counter()

_JUMPS = (Op.JUMP, Op.JUMP_IF_FALSE, Op.JUMP_IF_STACK_NOT_NULL)


def machine_for(program: Program, tier: Any, max_call_depth: int) -> type[Machine]:
    """The machine class to run `program` with under `tier` ("auto" or 2)."""
    if tier not in ("auto", 2, "2"):
        raise HogVMException(f"tier must be 'auto', 1 or 2, got {tier!r}")
    root = program.root
    if tier == "auto":
        runs = root.runs
        root.runs = runs + 1
        # a program of several chunks is decoded afresh each run: it would compile each time
        if program.chunks or (not runs and not may_run_long(root)):
            STATS["tier 1 (auto)"] += 1
            return Machine
    code = root.tier2
    if code is not None and (0, 0) in code.functions and not program.chunks and max_call_depth <= MAX_CALL_DEPTH:
        STATS["tier 2"] += 1  # compiled before: the common case of a tagger run again
        return Tier2Machine
    try:
        if max_call_depth > MAX_CALL_DEPTH:
            raise Unsupported(f"max_call_depth above {MAX_CALL_DEPTH}")
        compile_function(root, 0, 0, root=True)
        for chunk in program.chunks.values():
            compile_function(chunk, 0, 0, root=False)
    except Unsupported as refusal:
        STATS["fallback"] += 1
        STATS[f"fallback: {re.sub(r'[0-9]+', 'N', str(refusal))}"] += 1
        return Machine
    STATS["tier 2"] += 1
    return Tier2Machine


def fallbacks() -> dict[str, int]:
    """Programs left to tier 1 since the process started, in total and by reason."""
    return {key: value for key, value in STATS.items() if key.startswith("fallback")}


def may_run_long(chunk: Chunk) -> bool:
    """Whether a run of `chunk` may take more than AUTO_STEPS instructions: it is that long, or it
    has a loop (a backward jump) or calls code that may (a function value, a non-native name)."""
    if len(chunk.code) > AUTO_STEPS:
        return True
    builtins = stl_tables()[0]
    for index, (op, arg) in enumerate(chunk.code):
        if (op in _JUMPS and arg <= index) or op == Op.CALL_LOCAL or (
                op == Op.CALL_GLOBAL and arg[0] not in builtins):
            return True
    return False
