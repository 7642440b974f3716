"""Tier 2, step 1: what one Hog function does to the stack, known before it runs.

A *function* is the root program of a chunk or the body of one of its CALLABLEs: the decoded
instructions reachable from its entry. `analyse` walks them once, with the stack effects and
control flow declared in `opcodes.OPCODES` (plus the loader's decoded-only instructions), and
finds:

- the stack depth before every instruction, which must be the same on every path (the compiler's
  code always is): locals and temporaries become numbered positions `0 .. depth-1`;
- the positions that may hold a variable captured by a closure whose upvalue is still open (those
  are read and written through the upvalue while it is open);
- the basic blocks, how many edges enter each, the back edges and the catch handlers.

Whatever tier 1 would only report once it ran into it (a stack underflow, a local slot or a
captured variable that does not exist, different depths where paths meet, a captured variable
dropped without closing it) and legacy bytecode (`DECLARE_FN`, version 0) make the function
`Unsupported`: the program then runs on tier 1, which reports it exactly where it happens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hogvm.loader import CONST, END, SET_LOCAL_REBIND, SET_LOCAL_REBIND_TOP, TRAP, Chunk
from hogvm.opcodes import BRANCH, JUMP, NEVER, NEXT, OPCODES, RETURN, SKIP, TRY, Op, OpInfo

# Bounds that keep the generated Python reasonable; bigger functions stay on tier 1.
MAX_INSTRUCTIONS = 20_000
MAX_DEPTH = 2_000
MAX_DESCRIBED = 2_000_000  # instructions x stack depth: bounds the size of the line tables


class Unsupported(Exception):
    """This function cannot run on tier 2 (the reason says why); its program runs on tier 1."""


@dataclass(frozen=True, slots=True)
class Effect:
    """What one decoded instruction does: values taken and pushed, and where execution goes."""

    pops: int
    pushes: int
    flow: str


# The loader's decoded-only instructions (not Hog opcodes), in the table's terms.
_DECODED = {
    CONST: Effect(0, 1, NEXT),
    SET_LOCAL_REBIND: Effect(1, 0, NEXT),
    SET_LOCAL_REBIND_TOP: Effect(1, 0, NEXT),
    END: Effect(0, 0, RETURN),
    TRAP: Effect(0, 0, NEVER),
}
_INFO: dict[int, OpInfo] = {int(op): info for op, info in OPCODES.items()}
_COUNTED_BY_SECOND = int(Op.CALL_GLOBAL)  # (name, argc): the count is its second operand


def effect(op: int, arg: Any) -> Effect:
    """The stack effect and flow of decoded instruction `(op, arg)`."""
    decoded = _DECODED.get(op)
    if decoded is not None:
        return decoded
    info = _INFO.get(op)
    if info is None:
        return Effect(0, 0, NEVER)
    count = 0
    if not info.pops.isdigit():
        count = arg[1] if op == _COUNTED_BY_SECOND else arg
    return Effect(info.popped(count), info.pushes, info.flow)


@dataclass(slots=True)
class Block:
    start: int  # index of its first instruction (also its name in the generated code)
    end: int  # index after its last instruction
    depth: int  # stack depth on entry
    preds: int = 0  # edges entering it (a catch handler counts one more)
    forward_preds: int = 0  # of which from an earlier instruction
    handler: bool = False  # a catch handler: entered by a throw
    loop_depth: int = 0  # how many loops (back-edge ranges) contain it


@dataclass(slots=True)
class Plan:
    """Everything the code generator needs to know about one function."""

    chunk: Chunk
    entry: int
    nargs: int  # stack depth on entry: the parameters
    root: bool  # the run's root program (its END returns the program's result)
    depth: dict[int, int]  # instruction index -> stack depth before it
    open: dict[int, frozenset[int]]  # instruction index -> positions that may hold an open upvalue
    blocks: dict[int, Block]
    captured: frozenset[int]  # every position that may ever hold an open upvalue
    handlers: dict[int, int] = field(default_factory=dict)  # catch index -> depth of its TRY
    max_depth: int = 0
    calls: bool = False  # calls other code (CALL_LOCAL / CALL_GLOBAL)
    failing: frozenset[int] = frozenset()  # instructions that always raise (a local slot past the stack)


def analyse(chunk: Chunk, entry: int, nargs: int, root: bool) -> Plan:
    """The plan of the function starting at instruction `entry` of `chunk` with `nargs` values on its
    stack; raises Unsupported."""
    if chunk.version != 1:
        raise Unsupported("legacy bytecode (version 0: arguments pushed in reverse)")
    code = chunk.code
    depth: dict[int, int] = {entry: nargs}
    opened: dict[int, frozenset[int]] = {entry: frozenset()}
    handlers: dict[int, int] = {}  # catch index -> depth of the TRY registering it
    # catch handlers registered by this frame and not yet popped, innermost last (the same on every
    # path, as in structured code; a POP_TRY with none of ours may pop a caller's: tier 1's business)
    active: dict[int, tuple[int, ...]] = {entry: ()}
    failing: set[int] = set()  # instructions that always fail (see _step)
    pending = [entry]
    while True:
        while pending:
            index = pending.pop()
            if len(depth) > MAX_INSTRUCTIONS:
                raise Unsupported("function too large")
            op, arg = code[index]
            here = active[index]
            if op == Op.POP_TRY and not here:
                raise Unsupported(f"POP_TRY without a TRY of this function at instruction {index}")
            for target, d_next, open_next in _step(code, index, op, arg, depth[index], opened[index], handlers,
                                                   failing):
                if d_next > MAX_DEPTH:
                    raise Unsupported("stack too deep")
                if op == Op.TRY:
                    handlers_next = here if target == arg else (*here, arg)
                elif op == Op.POP_TRY:
                    handlers_next = here[:-1]
                else:
                    handlers_next = here
                known = depth.get(target)
                if known is None:
                    depth[target], opened[target], active[target] = d_next, open_next, handlers_next
                    pending.append(target)
                elif known != d_next:
                    raise Unsupported(f"stack depth {known} or {d_next} at instruction {target}")
                elif active[target] != handlers_next:
                    raise Unsupported(f"different catch handlers where paths meet at instruction {target}")
                elif not open_next <= opened[target]:
                    opened[target] = opened[target] | open_next
                    pending.append(target)
        # A catch handler also sees the captured variables below its TRY's height that were open
        # where a throw left this frame while it was registered: at a THROW or a call.
        for catch, reaching in _caught_open(code, depth, opened, handlers, active).items():
            if not reaching <= opened[catch]:
                opened[catch] = opened[catch] | reaching
                pending.append(catch)
        if not pending:
            break
    max_depth = max(depth.values(), default=0) + 1
    if max_depth * len(depth) > MAX_DESCRIBED:
        raise Unsupported("function too large")  # its line tables would hold too many stack entries
    blocks = _blocks(code, entry, depth, handlers, failing)
    captured = frozenset().union(*opened.values())
    calls = any(code[index][0] in (Op.CALL_LOCAL, Op.CALL_GLOBAL) for index in depth)
    return Plan(chunk, entry, nargs, root, depth, opened, blocks, captured, handlers, max_depth, calls,
                frozenset(failing))


_THROWING = (Op.THROW, Op.CALL_LOCAL, Op.CALL_GLOBAL)


def _caught_open(code: list[tuple[int, Any]], depth: dict[int, int], opened: dict[int, frozenset[int]],
                 handlers: dict[int, int], active: dict[int, tuple[int, ...]]) -> dict[int, frozenset[int]]:
    """For each catch handler: the positions below its TRY's height that may be open at a THROW or
    call made while it is registered (any of the frame's registered handlers may catch there)."""
    caught: dict[int, set[int]] = {catch: set() for catch in handlers}
    for index, registered in active.items():
        if registered and code[index][0] in _THROWING:
            for catch in registered:
                height = handlers[catch]
                caught[catch].update(position for position in opened[index] if position < height)
    return {catch: frozenset(positions) for catch, positions in caught.items()}


def _step(code: list[tuple[int, Any]], index: int, op: int, arg: Any, d: int, open_here: frozenset[int],
          handlers: dict[int, int], failing: set[int]) -> list[tuple[int, int, frozenset[int]]]:
    """Successors of instruction `index` as (target, depth, open positions); checks the instruction.
    A local slot that cannot exist is an error wherever the function runs: the instruction goes in
    `failing` (it raises tier 1's error) and has no successor."""
    if op == Op.DECLARE_FN:
        raise Unsupported("legacy DECLARE_FN")
    fx = effect(op, arg)
    if fx.pops > d:
        raise Unsupported(f"stack underflow at instruction {index}")
    after = d - fx.pops
    if op == Op.CLOSE_UPVALUE:
        open_next = open_here - {d - 1}
    elif any(position >= after for position in open_here):
        # tier 1 keeps such an upvalue open on a stack slot that others then reuse
        raise Unsupported(f"a captured variable is dropped without closing it at instruction {index}")
    else:
        open_next = open_here
    if op == Op.GET_LOCAL:
        if arg >= d:  # always past the end of the stack: tier 1 fails here
            failing.add(index)
            return []
    elif op == Op.SET_LOCAL or op in (SET_LOCAL_REBIND, SET_LOCAL_REBIND_TOP):
        if arg >= after:
            failing.add(index)
            return []
        if op == SET_LOCAL_REBIND or (op == SET_LOCAL_REBIND_TOP and arg == d - 2):
            open_next = open_here - {arg}
    elif op == Op.CLOSURE:
        captured = {position for is_local, position in arg if is_local}
        if any(position > after for position in captured):  # `after`: the closure itself (recursion)
            raise Unsupported(f"a captured local does not exist at instruction {index}")
        open_next = open_here | captured
    elif op == Op.JUMP_IF_STACK_NOT_NULL and d < 1:
        raise Unsupported(f"stack underflow at instruction {index}")
    d_next = after + fx.pushes
    flow = fx.flow
    if flow == NEXT:
        return [(index + 1, d_next, open_next)]
    if flow == JUMP:
        return [(arg, d_next, open_next)]
    if flow == BRANCH:
        return [(index + 1, d_next, open_next), (arg, d_next, open_next)]
    if flow == SKIP:  # CALLABLE: (function, index after its body)
        return [(arg[1], d_next, open_next)]
    if flow == TRY:
        known = handlers.get(arg)
        if known is not None and known != d:
            raise Unsupported(f"catch handler {arg} registered at depths {known} and {d}")
        handlers[arg] = d
        return [(index + 1, d_next, open_next), (arg, d + 1, frozenset(p for p in open_here if p < d))]
    return []  # RETURN, THROW, NEVER: the function goes no further here


def successors(code: list[tuple[int, Any]], index: int) -> list[int]:
    """Where control goes after instruction `index` (catch handlers excluded)."""
    op, arg = code[index]
    flow = effect(op, arg).flow
    if flow in (NEXT, TRY):
        return [index + 1]
    if flow == JUMP:
        return [arg]
    if flow == BRANCH:
        return [index + 1, arg]
    if flow == SKIP:
        return [arg[1]]
    return []


def _blocks(code: list[tuple[int, Any]], entry: int, depth: dict[int, int], handlers: dict[int, int],
            failing: set[int]) -> dict[int, Block]:
    """Cut the reachable instructions into basic blocks and count the edges entering each."""

    def falls_through(index: int) -> bool:
        op, arg = code[index]
        return index not in failing and effect(op, arg).flow in (NEXT, TRY)

    def exits(index: int) -> list[int]:
        return [] if index in failing else successors(code, index)

    leaders = {entry, *handlers}
    for index in depth:
        if not falls_through(index):  # jumps, returns, throws, failures end a block
            leaders.update(exits(index))
            leaders.add(index + 1)
    leaders &= depth.keys()
    ordered = sorted(leaders)
    blocks: dict[int, Block] = {}
    for position, start in enumerate(ordered):
        end = start + 1
        limit = ordered[position + 1] if position + 1 < len(ordered) else len(code)
        while end < limit and end in depth and falls_through(end - 1):
            end += 1
        blocks[start] = Block(start, end, depth[start])
    back_edges = []
    for block in blocks.values():
        last = block.end - 1
        for target in exits(last):
            blocks[target].preds += 1
            if target > last:
                blocks[target].forward_preds += 1
            else:
                back_edges.append((target, last))
    for catch in handlers:
        blocks[catch].preds += 1
        blocks[catch].handler = True
    for head, tail in back_edges:
        for block in blocks.values():
            if head <= block.start <= tail:
                block.loop_depth += 1
    return blocks
