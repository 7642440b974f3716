"""Shared fixtures: the two PostHog oracles, and the Hypothesis profiles.

Profiles (select with HOG_FUZZ_PROFILE): `ci` (the default: 100 examples per property), `long`
(5000 examples, for hand-run deep fuzzing), `dev` (30, for iterating). Every fuzz property runs
twice, with a fixed seed and with this session's random seed, printed in the header below
(see tests/fuzz/seeds.py; HOG_FUZZ_SEED=<seed> replays a run).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from tests.fuzz.seeds import FIXED_SEED, RANDOM_SEED
from tests.oracles.node_vm import NodeHogVM

# Generated programs are big and some strategies filter: neither is a problem worth failing on.
_FUZZ_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile("ci", max_examples=100, deadline=None, suppress_health_check=_FUZZ_HEALTH,
                          print_blob=True)
settings.register_profile("long", max_examples=5000, deadline=None, suppress_health_check=_FUZZ_HEALTH,
                          print_blob=True)
settings.register_profile("dev", max_examples=30, deadline=None, suppress_health_check=_FUZZ_HEALTH,
                          print_blob=True)
settings.load_profile(os.environ.get("HOG_FUZZ_PROFILE", "ci"))


def pytest_report_header() -> str:
    profile = os.environ.get("HOG_FUZZ_PROFILE", "ci")
    return (f"hog fuzz: profile {profile}, fixed seed {FIXED_SEED}, random seed {RANDOM_SEED} "
            f"(replay with HOG_FUZZ_SEED={RANDOM_SEED})")


@pytest.fixture(scope="session")
def node_vm() -> Iterator[NodeHogVM]:
    """PostHog's TypeScript VM, one process for the whole session."""
    vm = NodeHogVM()
    yield vm
    vm.close()
