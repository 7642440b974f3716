"""Shared fixtures: the two PostHog oracles, and the Hypothesis profiles.

Profiles: `ci` (default; fixed seed via `--hypothesis-seed` in .ci/run plus one random run) and
`long` (select with HOG_FUZZ_PROFILE=long) for hand-run deep fuzzing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from tests.oracles.node_vm import NodeHogVM

settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile(
    "long",
    max_examples=5000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile("dev", max_examples=30, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HOG_FUZZ_PROFILE", "ci"))


@pytest.fixture(scope="session")
def node_vm() -> Iterator[NodeHogVM]:
    """PostHog's TypeScript VM, one process for the whole session."""
    vm = NodeHogVM()
    yield vm
    vm.close()
