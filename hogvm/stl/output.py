"""print, and PostHog's Python-only host builtins `sleep` and `run`."""

from __future__ import annotations

import math
import time
from typing import Any

from hogvm.printing import print_hog_string_output
from hogvm.stl.argcheck import TextMeter, expect_number, fail
from hogvm.stl.registry import StlContext, builtin, volatile


@builtin("print", 0, None)
def print_fn(args: list[Any], ctx: StlContext) -> None:
    """Append one line: the arguments joined by spaces, strings raw and other values in Hog notation."""
    # Pieces are charged as the line grows; the VM then charges each stored line once.
    meter = TextMeter(ctx)
    parts = []
    for arg in args:
        text = print_hog_string_output(arg, ctx)
        meter.add(len(text) + 1)
        parts.append(text)
    ctx.stdout.append(" ".join(parts))


@builtin("sleep", 1, 1)
def sleep(args: list[Any], ctx: StlContext) -> None:
    """Block for the given seconds, never past the program's remaining time budget."""
    seconds = expect_number("sleep", args[0], "the number of seconds")
    if math.isnan(seconds):
        fail("sleep", "the number of seconds is NaN")
    # a replay of the run (hogvm/posthog_model.py) does not wait again
    volatile(ctx, lambda: time.sleep(max(0.0, min(float(seconds), ctx.remaining_time()))))


@builtin("run", 1, 1)
def run(args: list[Any], ctx: StlContext) -> list[Any]:
    """Runs a HogQL query in PostHog when a team is given; taggers run without one, and there (as
    here, where there is no database) the answer is []."""
    return []
