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

__all__ = ["VALUE_COST", "expect_int", "expect_number", "expect_str", "fail"]


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
