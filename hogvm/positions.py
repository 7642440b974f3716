"""Where an instruction came from in the source, so that a runtime error can point at it.

The compiler writes a side table, a `SourceMap`, next to the bytecode: for the offset of every
opcode in the `["_H", 1, ...]` list, the line and column of the source node that emitted it and the
name of the Hog function around it. The bytecode itself stays exactly PostHog's.

How the table travels: `compile_hog` returns plain bytecode (what PostHog stores and runs), so it
has no table. `compile_hog_with_warnings` returns both; whoever compiles the source and runs it
(`test_hog`, `hog-test run` and `exec`) hands the map to `execute_bytecode(..., source_map=...)`.
The loader attaches it to the decoded chunk, so the lookup needs nothing but the chunk and an
instruction index, whatever runs the chunk. Saved taggers keep only bytecode: their errors carry
no position unless the source is compiled again.

Every VM tier reports an escaping error the same way: `locate(error, frames)` with the failing
instruction of each active frame, innermost first. The first frame whose chunk has a map gives the
position (an error inside a bytecode-STL function such as `arrayMap` points at the user's call).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grammar.errors import HogError
    from hogvm.loader import Chunk


@dataclass(frozen=True, slots=True)
class SourcePosition:
    line: int  # 1-based
    column: int  # 1-based
    function: str | None = None  # the enclosing Hog function ('lambda' for one), None at top level


@dataclass(frozen=True, slots=True, eq=False)
class SourceMap:
    """The source of one compiled program and, per opcode offset in its bytecode, its position.

    Compared by identity: decoded chunks are cached per (bytecode, map)."""

    source: str
    positions: dict[int, SourcePosition]


def source_position(chunk: Chunk, index: int) -> SourcePosition | None:
    """The source position of instruction `index` of a decoded `chunk`, if its bytecode came with a
    source map (and `index` is an instruction the compiler emitted)."""
    source_map = chunk.source_map
    if source_map is None or not 0 <= index < len(chunk.offsets):
        return None
    return source_map.positions.get(chunk.offsets[index])


def locate(error: HogError, frames: Iterable[tuple[Chunk, int]]) -> None:
    """Give `error` the position of the first of `frames` (chunk, failing instruction index),
    innermost first, that has one. An error that already has a position keeps it."""
    if error.line is not None:
        return
    for chunk, index in frames:
        position = source_position(chunk, index)
        if position is not None:
            error.line, error.column, error.function = position.line, position.column, position.function
            error.source = chunk.source_map.source  # type: ignore[union-attr]  # set when a position is
            return
