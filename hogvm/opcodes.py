"""The HogVM instruction set, defined once.

Like Lua's `lopcodes.h` or CPython's `Lib/opcode.py`: every opcode's number, name and inline
operands live in this one table. The compiler emits from it, the loader decodes and validates
bytecode with it, and the disassembler prints with it. Numbers match PostHog's `Operation` enum,
so bytecode is interchangeable with PostHog's VMs.

Bytecode is a flat list: `["_H", 1, op, operands..., op, operands...]`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

BYTECODE_MAGIC = "_H"  # current format, version follows
BYTECODE_MAGIC_LEGACY = "_h"  # version 0: call arguments were pushed in reverse
BYTECODE_VERSION = 1


class Operand(str):
    """Kinds of inline operand. Values are the names shown by the disassembler."""


STR = Operand("str")  # a string (names, string literals)
INT = Operand("int")  # an integer literal
NUM = Operand("num")  # a float literal (ints are accepted, as JSON may drop ".0")
COUNT = Operand("count")  # a non-negative count (args, items, upvalues)
SLOT = Operand("slot")  # a non-negative local slot or upvalue index
OFFSET = Operand("offset")  # a relative jump, counted from the element after the operand
BODY = Operand("body")  # a non-negative length of an inline function body that follows
CAPTURES = Operand("captures")  # CLOSURE: a count n, then n pairs (is_local: bool, index: int)


class Op(IntEnum):
    GET_GLOBAL = 1
    CALL_GLOBAL = 2
    AND = 3
    OR = 4
    NOT = 5
    PLUS = 6
    MINUS = 7
    MULTIPLY = 8
    DIVIDE = 9
    MOD = 10
    EQ = 11
    NOT_EQ = 12
    GT = 13
    GT_EQ = 14
    LT = 15
    LT_EQ = 16
    LIKE = 17
    ILIKE = 18
    NOT_LIKE = 19
    NOT_ILIKE = 20
    IN = 21
    NOT_IN = 22
    REGEX = 23
    NOT_REGEX = 24
    IREGEX = 25
    NOT_IREGEX = 26
    IN_COHORT = 27
    NOT_IN_COHORT = 28
    TRUE = 29
    FALSE = 30
    NULL = 31
    STRING = 32
    INTEGER = 33
    FLOAT = 34
    POP = 35
    GET_LOCAL = 36
    SET_LOCAL = 37
    RETURN = 38
    JUMP = 39
    JUMP_IF_FALSE = 40
    DECLARE_FN = 41
    DICT = 42
    ARRAY = 43
    TUPLE = 44
    GET_PROPERTY = 45
    SET_PROPERTY = 46
    JUMP_IF_STACK_NOT_NULL = 47
    GET_PROPERTY_NULLISH = 48
    THROW = 49
    TRY = 50
    POP_TRY = 51
    CALLABLE = 52
    CLOSURE = 53
    CALL_LOCAL = 54
    GET_UPVALUE = 55
    SET_UPVALUE = 56
    CLOSE_UPVALUE = 57


# How an instruction continues (tier 2's block analysis reads this; tier 1's handlers embody it).
NEXT = "next"  # falls through to the next instruction
JUMP = "jump"  # continues at its jump target
BRANCH = "branch"  # falls through or continues at its jump target
RETURN = "return"  # leaves the function
THROW = "throw"  # unwinds to the innermost catch handler
TRY = "try"  # falls through, and registers its target as a catch handler
SKIP = "skip"  # continues after the inline function body it introduces
NEVER = "never"  # not executable: raises when reached


@dataclass(frozen=True, slots=True)
class OpInfo:
    op: Op
    operands: tuple[Operand, ...]
    doc: str
    # Stack effect: how many values it takes ("n": its count operand, "2n", "n+1") and pushes.
    pops: str = "0"
    pushes: int = 0
    flow: str = NEXT

    @property
    def name(self) -> str:
        return self.op.name

    def popped(self, count: int = 0) -> int:
        """The number of values taken, given the instruction's count operand."""
        if self.pops.isdigit():
            return int(self.pops)
        return {"n": count, "2n": 2 * count, "n+1": count + 1}[self.pops]


def _table() -> dict[Op, OpInfo]:
    binary = ("2", 1)  # b a -> result
    spec: list[tuple[Op, tuple[Operand, ...], str, tuple[str, int], str]] = [
        (Op.GET_GLOBAL, (COUNT,), "pop a chain of n names (first on top); push the global's value", ("n", 1), NEXT),
        (Op.CALL_GLOBAL, (STR, COUNT), "pop argc args; call the named function; push its result", ("n", 1), NEXT),
        (Op.AND, (COUNT,), "pop n values; push whether all are truthy", ("n", 1), NEXT),
        (Op.OR, (COUNT,), "pop n values; push whether any is truthy", ("n", 1), NEXT),
        (Op.NOT, (), "x -> not x", ("1", 1), NEXT),
        (Op.PLUS, (), "b a -> a + b", binary, NEXT),
        (Op.MINUS, (), "b a -> a - b", binary, NEXT),
        (Op.MULTIPLY, (), "b a -> a * b", binary, NEXT),
        (Op.DIVIDE, (), "b a -> a / b", binary, NEXT),
        (Op.MOD, (), "b a -> a % b", binary, NEXT),
        (Op.EQ, (), "b a -> a == b", binary, NEXT),
        (Op.NOT_EQ, (), "b a -> a != b", binary, NEXT),
        (Op.GT, (), "b a -> a > b", binary, NEXT),
        (Op.GT_EQ, (), "b a -> a >= b", binary, NEXT),
        (Op.LT, (), "b a -> a < b", binary, NEXT),
        (Op.LT_EQ, (), "b a -> a <= b", binary, NEXT),
        (Op.LIKE, (), "pattern a -> a like pattern", binary, NEXT),
        (Op.ILIKE, (), "pattern a -> a ilike pattern", binary, NEXT),
        (Op.NOT_LIKE, (), "pattern a -> a not like pattern", binary, NEXT),
        (Op.NOT_ILIKE, (), "pattern a -> a not ilike pattern", binary, NEXT),
        (Op.IN, (), "b a -> a in b", binary, NEXT),
        (Op.NOT_IN, (), "b a -> a not in b", binary, NEXT),
        (Op.REGEX, (), "re a -> a =~ re", binary, NEXT),
        (Op.NOT_REGEX, (), "re a -> a !~ re", binary, NEXT),
        (Op.IREGEX, (), "re a -> a =~* re", binary, NEXT),
        (Op.NOT_IREGEX, (), "re a -> a !~* re", binary, NEXT),
        (Op.IN_COHORT, (), "reserved: never emitted, not executable", ("0", 0), NEVER),
        (Op.NOT_IN_COHORT, (), "reserved: never emitted, not executable", ("0", 0), NEVER),
        (Op.TRUE, (), "push true", ("0", 1), NEXT),
        (Op.FALSE, (), "push false", ("0", 1), NEXT),
        (Op.NULL, (), "push null", ("0", 1), NEXT),
        (Op.STRING, (STR,), "push a string", ("0", 1), NEXT),
        (Op.INTEGER, (INT,), "push an integer", ("0", 1), NEXT),
        (Op.FLOAT, (NUM,), "push a float", ("0", 1), NEXT),
        (Op.POP, (), "drop the top of the stack", ("1", 0), NEXT),
        (Op.GET_LOCAL, (SLOT,), "push local slot i of the current frame", ("0", 1), NEXT),
        (Op.SET_LOCAL, (SLOT,), "pop into local slot i", ("1", 0), NEXT),
        (Op.RETURN, (), "pop the result, drop the frame, push the result in the caller", ("1", 0), RETURN),
        (Op.JUMP, (OFFSET,), "ip += offset", ("0", 0), JUMP),
        (Op.JUMP_IF_FALSE, (OFFSET,), "pop; jump if falsy", ("1", 0), BRANCH),
        (Op.DECLARE_FN, (STR, COUNT, BODY), "deprecated: register a named function, skip its body", ("0", 0), SKIP),
        (Op.DICT, (COUNT,), "pop n key/value pairs; push a dict", ("2n", 1), NEXT),
        (Op.ARRAY, (COUNT,), "pop n values; push an array", ("n", 1), NEXT),
        (Op.TUPLE, (COUNT,), "pop n values; push a tuple", ("n", 1), NEXT),
        (Op.GET_PROPERTY, (), "key obj -> obj[key]", binary, NEXT),
        (Op.SET_PROPERTY, (), "value key obj -> (obj[key] = value)", ("3", 0), NEXT),
        (Op.JUMP_IF_STACK_NOT_NULL, (OFFSET,), "jump if the top is not null (no pop)", ("0", 0), BRANCH),
        (Op.GET_PROPERTY_NULLISH, (), "key obj -> obj?.[key]", binary, NEXT),
        (Op.THROW, (), "pop an error object and unwind to the nearest TRY", ("1", 0), THROW),
        (Op.TRY, (OFFSET,), "push a catch handler at ip + offset", ("0", 0), TRY),
        (Op.POP_TRY, (), "pop the innermost catch handler", ("0", 0), NEXT),
        (Op.CALLABLE, (STR, COUNT, COUNT, BODY), "push a function (name, argc, upvalues); skip its body",
         ("0", 1), SKIP),
        (Op.CLOSURE, (CAPTURES,), "callable -> closure capturing n upvalues", ("1", 1), NEXT),
        (Op.CALL_LOCAL, (COUNT,), "pop a closure and argc args; call it", ("n+1", 1), NEXT),
        (Op.GET_UPVALUE, (SLOT,), "push upvalue i of the current closure", ("0", 1), NEXT),
        (Op.SET_UPVALUE, (SLOT,), "pop into upvalue i of the current closure", ("1", 0), NEXT),
        (Op.CLOSE_UPVALUE, (), "pop the top slot, closing any upvalue that points at it", ("1", 0), NEXT),
    ]
    return {op: OpInfo(op, operands, doc, pops, pushes, flow) for op, operands, doc, (pops, pushes), flow in spec}


OPCODES: dict[Op, OpInfo] = _table()
assert len(OPCODES) == len(Op) == 57
