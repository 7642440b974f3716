"""Argument checks shared by the native builtins.

PostHog's Python builtins let Python raise whatever it raises on a wrong argument type
(`AttributeError: 'NoneType' object has no attribute 'upper'`). Ours say which function, which
argument and what it got, as a `HogVMException`.
"""

from __future__ import annotations

from typing import Any, NoReturn

from hogvm.errors import HogVMException
from hogvm.memory import VALUE_COST
from hogvm.printing import type_name
from hogvm.stl.registry import StlContext

__all__ = ["VALUE_COST", "TextMeter", "expect_int", "expect_number", "expect_str", "fail"]


def fail(function: str, message: str) -> NoReturn:
    raise HogVMException(f"{function}: {message}")


def expect_str(function: str, value: Any, what: str = "argument") -> str:
    if type(value) is not str:
        fail(function, f"expected {what} to be a string, got {type_name(value)}")
    return value


def expect_int(function: str, value: Any, what: str = "argument") -> int:
    """An integer (booleans count, as in Python); floats are refused like Python's slicing does."""
    if not isinstance(value, int):
        fail(function, f"expected {what} to be an integer, got {type_name(value)}")
    return value


def expect_number(function: str, value: Any, what: str = "argument") -> int | float:
    if not isinstance(value, int | float):
        fail(function, f"expected {what} to be a number, got {type_name(value)}")
    return value


TEXT_CHARGE_FROM = 1 << 12  # a text assembled from pieces is charged once it passes this size


class TextMeter:
    """Charges a text assembled from pieces before it is joined: the whole size so far, each time
    it doubles (the VM's meter can not see pieces that are not on its stack yet)."""

    __slots__ = ("_charge_at", "_ctx", "size")

    def __init__(self, ctx: StlContext) -> None:
        self._ctx = ctx
        self._charge_at = TEXT_CHARGE_FROM
        self.size = 0

    def add(self, length: int) -> None:
        self.size += length
        if self.size > self._charge_at:
            self._ctx.charge(VALUE_COST + self.size)
            self._charge_at = self.size * 2
