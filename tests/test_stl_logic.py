"""Function forms of operators, error constructors and output builtins (logic.py, errors.py, output.py)."""

from __future__ import annotations

import re
import time

import pytest

from hogvm.errors import HogVMException
from tests.stl_call import Call, FakeContext, call_native


def call(name: str, *args: object, ctx: FakeContext | None = None) -> object:
    return call_native(Call(name, *args), ctx)


@pytest.mark.parametrize(("name", "args", "expected"), [
    ("equals", (1, 1), True),
    ("equals", (1, "1"), False),  # no type unification, unlike the = operator
    ("equals", (1, 1.0), True),
    ("equals", (1, True), True),
    ("equals", ([1, {"a": None}], [1, {"a": None}]), True),
    ("notEquals", (2, 3), True),
    ("greater", (2, 1), True),
    ("greater", ("b", "a"), True),
    ("greater", ([1, 2], [1]), True),
    ("greaterOrEquals", (2, 2), True),
    ("less", (-3, 2), True),
    ("lessOrEquals", (2.5, 2), False),
    ("plus", (10, 5), 15),
    ("plus", ("a", "b"), "ab"),  # Python's +
    ("plus", ([1], [2]), [1, 2]),
    ("plus", (True, 1), 2),
    ("minus", (10, 5.5), 4.5),
    ("floor", (3.99,), 3),
    ("floor", (-3.5,), -4),
    ("floor", (7,), 7),
    ("round", (3.5,), 4),
    ("round", (2.5,), 2),  # Python rounds halves to even
    ("round", (3.14159, 2), 3),  # PostHog's Python VM ignores the precision
    ("min2", (3, 5), 3),
    ("min2", ("b", "a"), "a"),
    ("max2", (3, 5), 5),
    ("and", (1, "x", [0]), True),
    ("and", (1, 0), False),
    ("and", (True,), True),
    ("or", (0, "", None, []), False),
    ("or", (0, {}, 1), True),
    ("not", ({},), True),
    ("not", ("0",), False),
    ("if", (True, "yes", "no"), "yes"),
    ("if", (0, "yes", "no"), "no"),
    ("multiIf", (True, "one", False, "two", "default"), "one"),
    ("multiIf", (False, "one", 1, "two", "default"), "two"),
    ("multiIf", (False, "one", "default"), "default"),
])
def test_logic_builtin(name: str, args: tuple, expected: object) -> None:
    result = call(name, *args)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(("name", "args", "message"), [
    ("greater", (1, "a"), "greater: can not compare integer and string"),
    ("less", (None, 1), "less: can not compare null and integer"),
    ("lessOrEquals", ({"a": 1}, {"a": 2}), "lessOrEquals: can not compare object and object"),
    ("plus", (1, "a"), "plus: can not add integer and string"),
    ("minus", ("a", "b"), "minus: can not subtract string and string"),
    ("min2", (1, None), "min2: can not compare integer and null"),
    ("max2", ("a", 1), "max2: can not compare string and integer"),
    ("floor", ("3",), "floor: expected a number, got string"),
    ("floor", (float("nan"),), "floor: can not convert nan to an integer"),
    ("round", (float("inf"),), "round: can not convert inf to an integer"),
    ("multiIf", (False, 1, False, 2), "multiIf: expected condition/value pairs followed by a default"),
])
def test_logic_errors(name: str, args: tuple, message: str) -> None:
    with pytest.raises(HogVMException, match=re.escape(message)):
        call(name, *args)


def test_error_constructors() -> None:
    assert call("Error", "boom") == {"__hogError__": True, "type": "Error", "message": "boom", "payload": None}
    assert call("Error") == {"__hogError__": True, "type": "Error", "message": "An error occurred", "payload": None}
    assert call("RetryError", "again", {"n": 1}) == {"__hogError__": True, "type": "RetryError",
                                                    "message": "again", "payload": {"n": 1}}
    assert call("NotImplementedError", "")["message"] == "An error occurred"
    assert call("HogError", "Custom", "m", [1]) == {"__hogError__": True, "type": "Custom", "message": "m",
                                                   "payload": [1]}
    assert call("HogError", None)["type"] == "Error"


def test_print_appends_one_line_per_call() -> None:
    ctx = FakeContext()
    assert call("print", "hello", 1, 1.0, None, ["it's"], {"a": (1,)}, ctx=ctx) is None
    call("print", ctx=ctx)
    assert ctx.stdout == ["hello 1 1.0 null ['it\\'s'] {'a': tuple(1)}", ""]


def test_print_charges_its_line_as_it_grows() -> None:
    from hogvm.errors import HogVMMemoryExceededException

    with pytest.raises(HogVMMemoryExceededException):
        call("print", *[["y" * 30_000]] * 200, ctx=FakeContext(memory_limit=1_000_000))


def test_sleep_is_clamped_to_the_remaining_time() -> None:
    ctx = FakeContext()
    ctx.remaining_time = lambda: 0.05  # type: ignore[method-assign]
    started = time.monotonic()
    assert call("sleep", 100, ctx=ctx) is None
    assert time.monotonic() - started < 1
    call("sleep", -5, ctx=ctx)
    with pytest.raises(HogVMException, match="sleep: expected the number of seconds to be a number"):
        call("sleep", "1", ctx=ctx)


def test_run_without_a_team_is_an_empty_list_as_in_posthog() -> None:
    # Taggers run with team=None in PostHog, where run() answers [] without querying.
    assert call("run", "select 1") == []
