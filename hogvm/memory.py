"""How much memory a Hog program uses, in PostHog's cost units.

PostHog's model: every value costs 8, a string 8 plus its length, a container 8 plus its contents.
PostHog recomputes the full cost of every value pushed on the stack, which is O(size) per push
(pushing a 1 MB array in a loop is quadratic) and counts a shared value once per reference, so a
DAG like `a := [a, a]` costs 2^depth and hangs the cost walk itself.

This VM keeps the same units but a cheaper, still safe, accounting (`MemoryMeter`):

- every *allocation* is charged when it happens (a string built by `+`, a container built by
  `ARRAY`/`DICT`/`TUPLE`, a dict entry added by `SET_PROPERTY`, a global copied by `GET_GLOBAL`,
  a builtin's result, printed output), and builtins pre-charge what they are about to build
  (`ctx.charge(n)`), so one `range(10**8)` fails before allocating anything;
- charges only ever add up, so `used` is an upper bound of the live size; when it crosses the
  limit, the meter measures what is really alive (the stack, captured variables, output) with
  `live_cost`, which counts each object once, and only raises if that is still over the limit.
  Garbage-heavy programs therefore pay one walk per `limit` bytes allocated, not one per push.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from hogvm.errors import HogVMMemoryExceededException
from hogvm.values import Closure, UpValue

VALUE_COST = 8  # PostHog's COST_PER_UNIT


def live_cost(roots: Iterable[Any]) -> int:
    """The cost of everything reachable from `roots`, each object counted once (cycles are fine).

    Iterative, so arbitrarily deep nesting cannot overflow Python's stack."""
    seen: set[int] = set()
    total = 0
    pending = list(roots)
    while pending:
        value = pending.pop()
        kind = type(value)
        if kind is str:
            total += VALUE_COST + len(value)
        elif kind is int:
            # Python ints grow; count the digits of big ones.
            total += VALUE_COST + (value.bit_length() >> 3 if value.bit_length() > 64 else 0)
        elif kind is dict or kind is list or kind is tuple or kind is Closure or kind is UpValue:
            if id(value) in seen:
                continue
            seen.add(id(value))
            total += VALUE_COST
            if kind is dict:
                pending.extend(value.keys())
                pending.extend(value.values())
            elif kind is Closure:
                pending.extend(value.upvalues)
            elif kind is UpValue:
                if value.closed:
                    pending.append(value.value)
            else:
                pending.extend(value)
        else:
            total += VALUE_COST
    return total


def value_cost(value: Any) -> int:
    """The cost of one value (PostHog's `calculate_cost`, shared parts counted once)."""
    return live_cost((value,))


def shallow_cost(value: Any) -> int:
    """A cheap O(1) charge for a value whose contents were already charged (or are shared)."""
    kind = type(value)
    if kind is str:
        return VALUE_COST + len(value)
    if kind is list or kind is tuple or kind is dict:
        return VALUE_COST * (1 + len(value) * (2 if kind is dict else 1))
    return VALUE_COST


class MemoryMeter:
    """Charges allocations against `limit`; see the module docstring for the model."""

    __slots__ = ("_measure_live", "limit", "used")

    def __init__(self, limit: int, measure_live: Callable[[], int]) -> None:
        self.limit = limit
        self.used = 0  # upper bound of the live cost
        self._measure_live = measure_live

    def charge(self, nbytes: int) -> None:
        """Account for `nbytes` about to be allocated; raise if that cannot fit."""
        self.used += nbytes
        if self.used > self.limit:
            self.collect(nbytes)

    def collect(self, pending: int = 0) -> None:
        """Replace the running bound by a measurement of what is alive, plus `pending` bytes that
        are about to be allocated; raise HogVMMemoryExceededException if it passes the limit."""
        live = self._measure_live()
        self.used = live + max(pending, 0)
        if self.used > self.limit:
            raise HogVMMemoryExceededException(self.limit, self.used)
