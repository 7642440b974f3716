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


@dataclass(frozen=True, slots=True)
class OpInfo:
    op: Op
    operands: tuple[Operand, ...]
    doc: str

    @property
    def name(self) -> str:
        return self.op.name


def _table() -> dict[Op, OpInfo]:
    spec: list[tuple[Op, tuple[Operand, ...], str]] = [
        (Op.GET_GLOBAL, (COUNT,), "pop a chain of n names (first on top); push the global's value"),
        (Op.CALL_GLOBAL, (STR, COUNT), "pop argc args; call the named function; push its result"),
        (Op.AND, (COUNT,), "pop n values; push whether all are truthy"),
        (Op.OR, (COUNT,), "pop n values; push whether any is truthy"),
        (Op.NOT, (), "x -> not x"),
        (Op.PLUS, (), "b a -> a + b"),
        (Op.MINUS, (), "b a -> a - b"),
        (Op.MULTIPLY, (), "b a -> a * b"),
        (Op.DIVIDE, (), "b a -> a / b"),
        (Op.MOD, (), "b a -> a % b"),
        (Op.EQ, (), "b a -> a == b"),
        (Op.NOT_EQ, (), "b a -> a != b"),
        (Op.GT, (), "b a -> a > b"),
        (Op.GT_EQ, (), "b a -> a >= b"),
        (Op.LT, (), "b a -> a < b"),
        (Op.LT_EQ, (), "b a -> a <= b"),
        (Op.LIKE, (), "pattern a -> a like pattern"),
        (Op.ILIKE, (), "pattern a -> a ilike pattern"),
        (Op.NOT_LIKE, (), "pattern a -> a not like pattern"),
        (Op.NOT_ILIKE, (), "pattern a -> a not ilike pattern"),
        (Op.IN, (), "b a -> a in b"),
        (Op.NOT_IN, (), "b a -> a not in b"),
        (Op.REGEX, (), "re a -> a =~ re"),
        (Op.NOT_REGEX, (), "re a -> a !~ re"),
        (Op.IREGEX, (), "re a -> a =~* re"),
        (Op.NOT_IREGEX, (), "re a -> a !~* re"),
        (Op.IN_COHORT, (), "reserved: never emitted, not executable"),
        (Op.NOT_IN_COHORT, (), "reserved: never emitted, not executable"),
        (Op.TRUE, (), "push true"),
        (Op.FALSE, (), "push false"),
        (Op.NULL, (), "push null"),
        (Op.STRING, (STR,), "push a string"),
        (Op.INTEGER, (INT,), "push an integer"),
        (Op.FLOAT, (NUM,), "push a float"),
        (Op.POP, (), "drop the top of the stack"),
        (Op.GET_LOCAL, (SLOT,), "push local slot i of the current frame"),
        (Op.SET_LOCAL, (SLOT,), "pop into local slot i"),
        (Op.RETURN, (), "pop the result, drop the frame, push the result in the caller"),
        (Op.JUMP, (OFFSET,), "ip += offset"),
        (Op.JUMP_IF_FALSE, (OFFSET,), "pop; jump if falsy"),
        (Op.DECLARE_FN, (STR, COUNT, BODY), "deprecated: register a named function, skip its body"),
        (Op.DICT, (COUNT,), "pop n key/value pairs; push a dict"),
        (Op.ARRAY, (COUNT,), "pop n values; push an array"),
        (Op.TUPLE, (COUNT,), "pop n values; push a tuple"),
        (Op.GET_PROPERTY, (), "key obj -> obj[key]"),
        (Op.SET_PROPERTY, (), "value key obj -> (obj[key] = value)"),
        (Op.JUMP_IF_STACK_NOT_NULL, (OFFSET,), "jump if the top is not null (no pop)"),
        (Op.GET_PROPERTY_NULLISH, (), "key obj -> obj?.[key]"),
        (Op.THROW, (), "pop an error object and unwind to the nearest TRY"),
        (Op.TRY, (OFFSET,), "push a catch handler at ip + offset"),
        (Op.POP_TRY, (), "pop the innermost catch handler"),
        (Op.CALLABLE, (STR, COUNT, COUNT, BODY), "push a function (name, argc, upvalues); skip its body"),
        (Op.CLOSURE, (CAPTURES,), "callable -> closure capturing n upvalues"),
        (Op.CALL_LOCAL, (COUNT,), "pop a closure and argc args; call it"),
        (Op.GET_UPVALUE, (SLOT,), "push upvalue i of the current closure"),
        (Op.SET_UPVALUE, (SLOT,), "pop into upvalue i of the current closure"),
        (Op.CLOSE_UPVALUE, (), "pop the top slot, closing any upvalue that points at it"),
    ]
    return {op: OpInfo(op, operands, doc) for op, operands, doc in spec}


OPCODES: dict[Op, OpInfo] = _table()
assert len(OPCODES) == len(Op) == 57
