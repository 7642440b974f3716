"""Library details a user runs into: what a run returns, which host values a program can see, how
limits are given."""

from __future__ import annotations

import dataclasses
import enum
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from hogvm import ExecutionResult, HogVMException, compile_hog, execute_bytecode


def test_a_result_holds_what_is_measured() -> None:
    # `peak_memory` was always 0 (the meter measures live memory only when a limit is near): gone.
    # `tier`: which execution tier ran the program (hogvm/tier2/ compiles it to Python).
    assert [field.name for field in dataclasses.fields(ExecutionResult)] == [
        "result", "stdout", "steps", "posthog_divergences", "tier"]
    result = execute_bytecode(compile_hog("print('a'); return 1"), tier=1)
    assert (result.result, result.stdout, result.steps > 0, result.tier) == (1, ["a"], True, 1)
    assert execute_bytecode(compile_hog("print('a'); return 1"), tier=2).tier == 2


@pytest.mark.parametrize(("value", "kind"), [
    (Decimal("1.5"), "Decimal"),
    (object(), "object"),
    (datetime(2026, 1, 1), "datetime"),
    (1 + 2j, "complex"),
])
def test_a_global_hog_cannot_represent_is_a_clear_error(value: object, kind: str) -> None:
    bytecode = compile_hog("return event.price")
    with pytest.raises(HogVMException) as caught:
        execute_bytecode(bytecode, {"event": {"price": value}})
    assert str(caught.value) == (
        f"Global variable event can not be read: a {kind} is not a Hog value (Hog has null, booleans, numbers, "
        "strings, arrays, tuples and dicts: convert it first)"
    )
    with pytest.raises(HogVMException, match=rf"a {kind} is not a Hog value .* \(at \['items'\]\[1\]\)$"):
        execute_bytecode(compile_hog("return event"), {"event": {"items": [1, value]}})


def test_a_host_function_result_hog_cannot_represent_names_where_it_is() -> None:
    with pytest.raises(HogVMException) as caught:
        execute_bytecode(compile_hog("return score()"), functions={"score": lambda: {"parts": [1, Decimal(2)]}})
    assert str(caught.value).startswith("Host function score returned an unusable value: a Decimal is not a Hog value")
    assert str(caught.value).endswith("(at ['parts'][1])")


def test_neighbouring_types_still_convert() -> None:
    class Colour(enum.IntEnum):
        RED = 1

    result = execute_bytecode(compile_hog("return [a, b, c, d]"),
                              {"a": Colour.RED, "b": {3}, "c": b"bytes", "d": (1, "x")})
    assert result.result == [1, [3], "bytes", (1, "x")]
    assert type(result.result[0]) is int


@pytest.mark.parametrize("timeout", [0, -1, 0.0, float("nan"), timedelta(0), timedelta(seconds=-5)])
def test_a_timeout_that_is_not_positive_is_refused(timeout: object) -> None:
    with pytest.raises(HogVMException, match=r"^timeout must be a positive number of seconds \(or None for no "
                                             r"limit\), got "):
        execute_bytecode(compile_hog("return 1"), timeout=timeout)  # type: ignore[arg-type]


def test_no_timeout_and_small_timeouts_are_fine() -> None:
    assert execute_bytecode(compile_hog("return 1"), timeout=None).result == 1
    assert execute_bytecode(compile_hog("return 1"), timeout=timedelta(milliseconds=50)).result == 1


def test_a_too_deep_value_names_only_the_start_of_its_path() -> None:
    deep: list = []
    for _ in range(1000):
        deep = [deep]
    with pytest.raises(HogVMException) as caught:
        execute_bytecode(compile_hog("return x"), {"x": deep})
    text = str(caught.value)
    assert "nested more than" in text and text.endswith("(at " + "[0]" * 12 + "...)")
