"""Every fuzz property runs twice in CI: with a fixed seed, and with this session's random seed.

The fixed run gives the same examples on every run (a red test is red for everyone); the random
run explores new ground each time. The random seed is printed in pytest's header
(`hog fuzz random seed: N`); `HOG_FUZZ_SEED=N python3 -m pytest tests/test_fuzz_x.py` replays a
CI failure exactly, and Hypothesis also prints a `@reproduce_failure` blob for the one example.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from typing import Any

from hypothesis import given, seed
from hypothesis.strategies import SearchStrategy

FIXED_SEED = 20_261_127
RANDOM_SEED = int(os.environ.get("HOG_FUZZ_SEED") or secrets.randbelow(2**32))


def fuzz_tests(check: Callable[..., Any], **strategies: SearchStrategy[Any]
               ) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Two Hypothesis tests of the property `check`: (fixed seed, random seed).

    Assign them to `test_<property>_fixed_seed, test_<property>_random_seed` in a test module.
    Extra parameters of `check` that are not strategies are pytest fixtures, as with `@given`.
    """
    fixed = seed(FIXED_SEED)(given(**strategies)(check))
    randomised = seed(RANDOM_SEED)(given(**strategies)(check))
    return fixed, randomised
