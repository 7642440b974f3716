"""Validate bytecode once and decode it into the form the VM's dispatch loop runs.

Bytecode is a flat list (`["_H", 1, op, operands..., ...]`) whose jumps count list elements. The
loader walks it once, driven by the operand kinds in `opcodes.OPCODES`, and produces a `Chunk`:

    code[i] = (opcode, operand)      one tuple per instruction, operands already decoded

- jumps, `TRY` handlers and function bodies become absolute instruction indexes;
- `CALLABLE` becomes a ready-made `values.Callable` (it only depends on the instruction);
- `CLOSURE` becomes a tuple of `(is_local, index)` pairs;
- an `END` instruction is appended, so running off the end needs no bounds check.

Everything the dispatch loop would otherwise have to re-check is checked here: known opcodes,
operand types, non-negative counts and slots, jump targets that land on an instruction of the
same chunk, function bodies inside the chunk, constants that are scalars (a list constant would be
shared, mutable state). Malformed, truncated or hostile bytecode raises
`HogVMException("Invalid bytecode: ... (offset N)")`, never a Python error.

Decoded chunks are immutable and cached, so a tagger run on thousands of events decodes once.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from hogvm.errors import HogVMException
from hogvm.opcodes import (
    BODY,
    BYTECODE_MAGIC,
    BYTECODE_MAGIC_LEGACY,
    CAPTURES,
    COUNT,
    INT,
    NUM,
    OFFSET,
    OPCODES,
    SLOT,
    STR,
    Op,
)
from hogvm.values import Callable

# Decoded-only instructions (not Hog opcodes; numbers outside PostHog's range):
END = 0  # appended at the end of every chunk: "ran off the end"
CONST = 100  # STRING / INTEGER / FLOAT / TRUE / FALSE / NULL: push the operand
SET_LOCAL_REBIND = 101  # SET_LOCAL of a for-in loop variable: a new binding per iteration
SET_LOCAL_REBIND_TOP = 102  # SET_LOCAL ending a C-style for step: likewise, if it is the loop's variable
TRAP = 103  # where a jump lands inside an instruction: raises only if the jump is ever taken

_CONSTANTS = {Op.TRUE: True, Op.FALSE: False, Op.NULL: None}

_SCALAR_TYPES = (str, int, float, bool, type(None))


@dataclass(eq=False, slots=True)
class Chunk:
    """One decoded unit of code: the root program, an imported module, or a bytecode-STL body."""

    name: str
    version: int  # 0: legacy `_h` (call arguments pushed in reverse), 1: `_H`
    code: list[tuple[int, Any]]
    offsets: list[int]  # raw list offset of each instruction, for error messages
    globals: dict[str, Any] | None = None
    # index of the instruction at each raw offset (for `Callable.ip` <-> entry translation)
    index_of_offset: dict[int, int] = field(default_factory=dict, repr=False)
    # the VM's form of `code`: (handler, operand) pairs, built from `code` on the chunk's first run
    threaded: list[tuple[Any, Any]] | None = field(default=None, repr=False)
    # the compiler's side table for this bytecode, if given (`positions.SourceMap`)
    source_map: Any = field(default=None, repr=False)
    # tier 2's compiled form (hogvm/tier2/), or why it has none; built on demand, then kept
    tier2: Any = field(default=None, repr=False)
    runs: int = field(default=0, repr=False)  # runs started with this chunk as root (tier selection)


@dataclass(eq=False, slots=True)
class Program:
    """The root chunk plus any other named chunks given in a `{name: {"bytecode": ...}}` input."""

    root: Chunk
    chunks: dict[str, Chunk]


def invalid(message: str, offset: int | None = None) -> HogVMException:
    where = f" (offset {offset})" if offset is not None else ""
    return HogVMException(f"Invalid bytecode: {message}{where}")


def _is_int(value: Any) -> bool:
    # int subclasses count (PostHog's own Python compiler emits `Operation` IntEnum members); bools do not
    return isinstance(value, int) and type(value) is not bool


def _header(bytecode: list[Any], name: str, require_header: bool) -> tuple[int, int]:
    """(version, index of the first instruction)."""
    if not bytecode:
        if require_header:
            raise invalid(f"empty bytecode in chunk {name!r}, must start with '{BYTECODE_MAGIC}'", 0)
        return 1, 0
    first = bytecode[0]
    if first == BYTECODE_MAGIC:
        if len(bytecode) < 2:
            raise invalid("missing version after '_H'", 1)
        version = bytecode[1]
        if not _is_int(version) or int(version) not in (0, 1):
            raise invalid(f"unsupported bytecode version {version!r}", 1)
        return int(version), 2
    if first == BYTECODE_MAGIC_LEGACY:
        return 0, 1
    if require_header:
        raise invalid(f"must start with '{BYTECODE_MAGIC}' or '{BYTECODE_MAGIC_LEGACY}', got {first!r}", 0)
    return 1, 0


# Per opcode number: (name, operand kinds, shape). Plain ints as keys: decoding never hashes enums.
_PLAIN, _JUMP, _TRY, _CALLABLE, _DECLARE_FN, _LITERAL, _FIXED = range(7)
_SHAPES = {
    Op.JUMP: _JUMP, Op.JUMP_IF_FALSE: _JUMP, Op.JUMP_IF_STACK_NOT_NULL: _JUMP, Op.TRY: _TRY,
    Op.CALLABLE: _CALLABLE, Op.DECLARE_FN: _DECLARE_FN,
    Op.STRING: _LITERAL, Op.INTEGER: _LITERAL, Op.FLOAT: _LITERAL,
    Op.TRUE: _FIXED, Op.FALSE: _FIXED, Op.NULL: _FIXED,
}
_SPECS: dict[int, tuple[str, tuple[str, ...], int]] = {
    int(op): (op.name, tuple(str(kind) for kind in info.operands), _SHAPES.get(op, _PLAIN))
    for op, info in OPCODES.items()
}
_FIXED_CONSTANTS = {int(op): value for op, value in _CONSTANTS.items()}
_JUMP_NAMES = frozenset(op.name for op, shape in _SHAPES.items() if shape in (_JUMP, _TRY))
_STRING = int(Op.STRING)


def _operand(kind: str, value: Any, number: int, op_name: str, offset: int) -> Any:
    """Validate one inline operand of kind `kind`; return it in the form the VM uses."""
    if kind == STR:
        if isinstance(value, str) and type(value) is not str:
            value = str.__str__(value)  # a str subclass (e.g. a parser token): keep the text only
        if number == _STRING:
            if type(value) not in _SCALAR_TYPES:
                raise invalid(f"STRING constant must be a scalar, got {type(value).__name__}", offset)
        elif type(value) is not str:
            raise invalid(f"{op_name} name must be a string, got {value!r}", offset)
        return value
    if kind == NUM:
        if type(value) not in (int, float):
            raise invalid(f"FLOAT constant must be a number, got {value!r}", offset)
        return float(value)
    if not _is_int(value):
        if kind == INT:
            raise invalid(f"INTEGER constant must be an integer, got {value!r}", offset)
        if kind == OFFSET:
            raise invalid(f"{op_name} jump offset must be an integer, got {value!r}", offset)
        raise invalid(f"{op_name} {kind} must be a non-negative integer, got {value!r}", offset)
    if value < 0 and kind in (COUNT, SLOT, BODY):
        raise invalid(f"{op_name} {kind} must be a non-negative integer, got {value!r}", offset)
    return int(value)


def _captures(bytecode: list[Any], position: int, count: Any, op_name: str,
              offset: int) -> tuple[tuple[tuple[bool, int], ...], int]:
    """CLOSURE's operand: a count, then that many (is_local, index) pairs."""
    if not _is_int(count) or count < 0:
        raise invalid(f"{op_name} upvalue count must be a non-negative integer, got {count!r}", offset)
    if position + 2 * count > len(bytecode):
        raise invalid(f"{op_name} declares {count} upvalues but the bytecode ends", offset)
    captures = []
    for _ in range(count):
        is_local, index = bytecode[position], bytecode[position + 1]
        position += 2
        if type(is_local) is not bool and is_local not in (0, 1):
            raise invalid(f"{op_name} capture flag must be a boolean, got {is_local!r}", offset)
        if not _is_int(index) or index < 0:
            raise invalid(f"{op_name} capture index must be a non-negative integer, got {index!r}", offset)
        captures.append((bool(is_local), int(index)))
    return tuple(captures), position


def decode_chunk(bytecode: Any, name: str = "root", *, require_header: bool = True,
                 globals: dict[str, Any] | None = None, source_map: Any = None) -> Chunk:
    """Validate and decode one bytecode list (`source_map`: its `positions.SourceMap`, if any)."""
    if not isinstance(bytecode, list):
        raise invalid(f"chunk {name!r} must be a list, got {type(bytecode).__name__}")
    version, start = _header(bytecode, name, require_header)
    size = len(bytecode)
    code: list[tuple[int, Any]] = []
    offsets: list[int] = []
    index_of_offset: dict[int, int] = {}
    # (instruction index, raw target, what) to resolve once every instruction boundary is known
    pending_targets: list[tuple[int, int, str]] = []
    bodies: list[tuple[int, int, int]] = []  # (offset, body start, body end) of CALLABLE/DECLARE_FN

    position = start
    while position < size:
        offset = position
        number = bytecode[position]
        spec = _SPECS.get(number) if type(number) is int else None
        if spec is None:
            if not _is_int(number) or int(number) not in _SPECS:
                raise invalid(f"unknown opcode {number!r}", offset)
            number = int(number)  # an IntEnum member, as PostHog's own Python compiler emits
            spec = _SPECS[number]
        op_name, kinds, shape = spec
        position += 1
        index = len(code)
        index_of_offset[offset] = index
        offsets.append(offset)
        if not kinds:  # most instructions: no operand
            code.append((CONST, _FIXED_CONSTANTS[number]) if shape == _FIXED else (number, None))
            continue

        operands: list[Any] = []
        for kind in kinds:
            if position >= size:
                raise invalid(f"{op_name} is missing its {kind} operand (unexpected end of bytecode)", offset)
            value = bytecode[position]
            position += 1
            if kind == CAPTURES:
                value, position = _captures(bytecode, position, value, op_name, offset)
            else:
                value = _operand(kind, value, number, op_name, offset)
            operands.append(value)

        if shape in (_JUMP, _TRY):
            # Jumps count from their operand: PostHog reads the operand (ip at offset+1), adds it,
            # then steps once more. TRY's handler is `ip + 1 + operand` taken *before* the read.
            target = offset + (1 if shape == _TRY else 2) + operands[0]
            pending_targets.append((index, target, op_name))
            code.append((number, target))
        elif shape == _CALLABLE:
            fn_name, arg_count, upvalue_count, body_length = operands
            body_end = position + body_length
            bodies.append((offset, position, body_end))
            fn = Callable("local", fn_name, arg_count, upvalue_count, name, position)
            pending_targets.append((index, body_end, "CALLABLE body end"))
            code.append((number, [fn, body_end]))
        elif shape == _DECLARE_FN:
            fn_name, arg_count, body_length = operands
            body_end = position + body_length
            bodies.append((offset, position, body_end))
            pending_targets.append((index, body_end, "DECLARE_FN body end"))
            code.append((number, [fn_name, arg_count, position, body_end]))
        elif shape == _LITERAL:
            code.append((CONST, operands[0]))
        elif len(operands) == 1:
            code.append((number, operands[0]))
        else:  # CALL_GLOBAL
            code.append((number, tuple(operands)))

    end_index = len(code)
    index_of_offset[size] = end_index
    code.append((END, None))
    offsets.append(size)

    # Resolve raw targets into instruction indexes now that every boundary is known.
    for index, target, what in pending_targets:
        resolved = index_of_offset.get(target)
        if resolved is None:
            if target < start or target > size:
                raise invalid(f"{what} target {target} is outside the chunk", offsets[index])
            if what not in _JUMP_NAMES:
                raise invalid(f"{what} target {target} lands inside an instruction", offsets[index])
            # PostHog's compiler emits such a jump for `catch (e: SomeType)` (it lands inside the
            # handler's exit JUMP). Its VMs run the program fine unless the jump is taken, so we
            # accept the bytecode and fail, clearly, only if it is.
            resolved = len(code)
            code.append((TRAP, f"Invalid bytecode: {what} at offset {offsets[index]} jumps to offset "
                               f"{target}, inside an instruction"))
            offsets.append(target)
        op_number, operand = code[index]
        if op_number == Op.CALLABLE:
            fn, _ = operand
            entry = index_of_offset.get(fn.ip)
            if entry is None:
                raise invalid("CALLABLE body does not start on an instruction", offsets[index])
            fn.entry = entry
            code[index] = (op_number, (fn, resolved))
        elif op_number == Op.DECLARE_FN:
            fn_name, arg_count, body_start, _ = operand
            entry = index_of_offset.get(body_start)
            if entry is None:
                raise invalid("DECLARE_FN body does not start on an instruction", offsets[index])
            code[index] = (op_number, (fn_name, arg_count, entry, resolved))
        else:
            code[index] = (op_number, resolved)

    for offset, _body_start, body_end in bodies:
        if body_end > size:
            raise invalid(f"function body ends at {body_end}, past the end of the chunk ({size})", offset)

    _mark_rebinding_writes(code)
    chunk = Chunk(name, version, code, offsets, globals, index_of_offset, source_map=source_map)
    for op_number, operand in code:
        if op_number == Op.CALLABLE:
            operand[0].code = chunk
    return chunk


def _mark_rebinding_writes(code: list[tuple[int, Any]]) -> None:
    """Find the writes that start a new iteration's binding of a loop variable.

    Hog's compiler lowers `for (let x in xs) body` to hidden locals and a loop whose head is
    `GET_LOCAL limit; GET_LOCAL index; LT_EQ; JUMP_IF_FALSE exit` and whose body starts with
    `GET_LOCAL values; GET_LOCAL index; GET_PROPERTY; SET_LOCAL x` (twice with a key variable); and
    `for (let i := 0; c; i := i + 1) body` to `...; body; <step>; SET_LOCAL i; JUMP head` followed,
    at the exit, by the POP/CLOSE_UPVALUE that ends the loop's scope. Those SET_LOCALs become
    rebinding writes: a closure that captured the previous iteration's variable keeps that value
    (JavaScript/Lua semantics) instead of seeing later iterations. A `while` loop that is the last
    statement of its block and ends by assigning the block's last variable compiles to the very same
    bytecode as such a `for`, and is treated the same way."""
    get_local, set_local = int(Op.GET_LOCAL), int(Op.SET_LOCAL)
    jump, jump_if_false = int(Op.JUMP), int(Op.JUMP_IF_FALSE)
    scope_end = (int(Op.POP), int(Op.CLOSE_UPVALUE))
    # exit index -> the conditional jumps leaving through it (one pass: linear even for hostile input)
    exits: dict[int, list[int]] = {}
    for index, (op, target) in enumerate(code):
        if op == jump_if_false:
            exits.setdefault(target, []).append(index)
    for position, (op, target) in enumerate(code):
        if op != jump or target > position:
            continue
        exit_index = position + 1
        condition = next((index for index in exits.get(exit_index, ()) if target <= index < position), None)
        if condition is None:
            continue
        head = code[target:condition + 1]
        for_in = (
            condition == target + 3
            and head[0][0] == get_local
            and head[1][0] == get_local
            and head[2][0] == int(Op.LT_EQ)
        )
        step = code[position - 1]
        if (
            position - 1 > condition
            and step[0] == set_local
            and code[exit_index][0] in scope_end
            and not (for_in and step[1] == head[1][1])  # a for-in's hidden index is never captured
        ):
            code[position - 1] = (SET_LOCAL_REBIND_TOP, step[1])
        if for_in:
            index_slot = head[1][1]
            cursor = condition + 1
            while (
                cursor + 3 < position
                and code[cursor][0] == get_local
                and code[cursor + 1] == (get_local, index_slot)
                and code[cursor + 2][0] == int(Op.GET_PROPERTY)
                and code[cursor + 3][0] == set_local
            ):
                code[cursor + 3] = (SET_LOCAL_REBIND, code[cursor + 3][1])
                cursor += 4


# A small cache of decoded programs, keyed by the bytecode's content (bytecode is flat scalars,
# so a tuple of it is a cheap, exact key). Repeated runs of one tagger skip decoding entirely.
_CACHE_SIZE = 64
_cache: dict[tuple[Any, ...], Chunk] = {}


def _cached_root(bytecode: list[Any], source_map: Any = None) -> Chunk:
    # Types are part of the key because 1 == 1.0 == True; float reprs because 0.0 == -0.0. The
    # source map (compared by identity) too: the same bytecode can come from different sources.
    try:
        key = (tuple(bytecode), tuple(map(type, bytecode)),
               tuple(repr(item) for item in bytecode if type(item) is float), source_map)
        hash(key)
    except TypeError:  # an unhashable element: certainly invalid, let decoding say why
        return decode_chunk(bytecode, source_map=source_map)
    chunk = _cache.get(key)
    if chunk is None:
        chunk = decode_chunk(bytecode, source_map=source_map)
        if len(_cache) >= _CACHE_SIZE:
            # another thread may be evicting too: losing that race is harmless
            with contextlib.suppress(KeyError, RuntimeError, StopIteration):
                del _cache[next(iter(_cache))]
        _cache[key] = chunk
    return chunk


# The last bytecode lists loaded, by identity: running the same list object again skips even
# building the content key. A hit is checked against a snapshot of the list (one C-level
# comparison of the same element objects), so a list changed in place is decoded afresh.
_IDENTITY_CACHE_SIZE = 16
_by_identity: dict[int, tuple[list[Any], list[Any], Any, Chunk]] = {}


def _loaded_root(bytecode: list[Any], source_map: Any) -> Chunk:
    known = _by_identity.get(id(bytecode))
    if known is not None and known[0] is bytecode and known[2] is source_map and known[1] == bytecode:
        return known[3]
    chunk = _cached_root(bytecode, source_map)
    if len(_by_identity) >= _IDENTITY_CACHE_SIZE:
        with contextlib.suppress(KeyError, RuntimeError, StopIteration):
            del _by_identity[next(iter(_by_identity))]
    # holding the list keeps its id from being reused by another object
    _by_identity[id(bytecode)] = (bytecode, list(bytecode), source_map, chunk)
    return chunk


def load_program(source: Any, *, source_map: Any = None) -> Program:
    """Decode `["_H", 1, ...]`, legacy `["_h", ...]`, or `{"root": {"bytecode": [...]}, ...}`.

    `source_map` (a `positions.SourceMap` from the compiler) goes with the root chunk's bytecode."""
    if isinstance(source, Program):
        return source
    if isinstance(source, list):
        return Program(_loaded_root(source, source_map), {})
    if isinstance(source, dict):
        root_entry = source.get("root")
        if not isinstance(root_entry, dict) or "bytecode" not in root_entry:
            raise invalid("a chunk dict needs a 'root' entry with 'bytecode'")
        chunks: dict[str, Chunk] = {}
        for name, entry in source.items():
            if not isinstance(name, str) or not isinstance(entry, dict):
                raise invalid(f"chunk {name!r} must map a name to {{'bytecode': [...]}}")
            chunk_globals = entry.get("globals")
            if chunk_globals is not None and not isinstance(chunk_globals, dict):
                raise invalid(f"globals of chunk {name!r} must be a dict")
            # The root chunk reads the `globals` given to the run (as PostHog's Python VM); other
            # chunks read their own, or none.
            chunks[name] = decode_chunk(entry.get("bytecode"), name,
                                        globals=None if name == "root" else chunk_globals or {},
                                        source_map=source_map if name == "root" else None)
        return Program(chunks.pop("root"), chunks)
    raise invalid(f"expected a bytecode list or a dict of chunks, got {type(source).__name__}")


# Bytecode-STL functions (`arrayMap`, ...) decoded on first use; chunk name `stl/<name>`.
_stl_chunks: dict[str, tuple[int, Chunk]] = {}


def bytecode_stl_chunk(name: str, table: dict[str, Any]) -> tuple[int, Chunk] | None:
    """(parameter count, decoded body) of the bytecode-STL function `name`, or None."""
    found = _stl_chunks.get(name)
    if found is not None:
        return found
    entry = table.get(name)
    if entry is None:
        return None
    params, body = entry
    found = (len(params), decode_chunk(list(body), f"stl/{name}", require_header=False, globals={}))
    _stl_chunks[name] = found
    return found
