"""Shared fixtures: the two PostHog oracles, the Hypothesis profiles, and both VM tiers.

Profiles (select with HOG_FUZZ_PROFILE): `ci` (the default: 100 examples per property), `long`
(5000 examples, for hand-run deep fuzzing), `dev` (30, for iterating). Every fuzz property runs
twice, with a fixed seed and with this session's random seed, printed in the header below
(see tests/fuzz/seeds.py; HOG_FUZZ_SEED=<seed> replays a run).

Tiers: every test of a module that runs Hog code runs twice, as `test_x[tier1]` on the interpreter
and `test_x[tier2]` on compiled code (see `vm_tier`). `HOG_TEST_TIERS=2` (or `1`) runs one only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from hogvm import vm
from tests.fuzz.seeds import FIXED_SEED, RANDOM_SEED
from tests.oracles.node_vm import NodeHogVM

# Generated programs are big and some strategies filter: neither is a problem worth failing on. The
# tier fixture is function-scoped on purpose: one tier for every example of a test.
_FUZZ_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
                HealthCheck.function_scoped_fixture]
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


# --- both execution tiers ------------------------------------------------------------------------
# A module runs Hog code if it names one of the ways in: the VM, the harness, the tagging pipeline and
# its conditions, the command line, the PostHog VM oracle. Its tests then run once per tier, with the tier as the process default (and in
# HOG_VM_TIER, which subprocesses such as `hog-test` read), so calls that do not choose a tier
# (sampler.test_hog, the CLI, helpers) run on it too. Tests that pass `tier=` keep their choice.
_RUNS_HOG = re.compile(r"execute_bytecode|run_hog_tagger|test_hog\b|handle_test_hog_request|hog-test|hogtest|"
                       r"node_vm|sampler\.pipeline|sampler\.conditions")
# A module that starts `hog-test serve` once for all its tests runs Hog in that server's processes,
# on the tier the server chose when it started: running its tests once per tier would send them all
# to one server twice. Such modules run once, on the default tier; the tiers themselves are covered
# by the in-process tests of the same code (sampler.api, sampler.pipeline, sampler.pool).
_STARTS_A_SERVER = re.compile(r"module_server|ApiServer|start_readme_server")
TIERS = [int(tier) for tier in os.environ.get("HOG_TEST_TIERS", "1,2").split(",")]
_runs_hog: dict[str, bool] = {}


def _module_runs_hog(module: ModuleType) -> bool:
    name = module.__name__
    if name not in _runs_hog:
        path = getattr(module, "__file__", None)
        _runs_hog[name] = bool(path) and bool(_RUNS_HOG.search(Path(path).read_text(encoding="utf-8")))
    return _runs_hog[name]


def _module_starts_a_server(module: ModuleType) -> bool:
    path = getattr(module, "__file__", None)
    return bool(path) and bool(_STARTS_A_SERVER.search(Path(path).read_text(encoding="utf-8")))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if getattr(metafunc.module, "RUNS_BOTH_TIERS_ITSELF", False) or _module_starts_a_server(metafunc.module):
        return
    if "vm_tier" in metafunc.fixturenames and _module_runs_hog(metafunc.module):
        metafunc.parametrize("vm_tier", TIERS, indirect=True, ids=[f"tier{tier}" for tier in TIERS])


@pytest.fixture
def vm_tier(request: pytest.FixtureRequest) -> int | None:
    """The VM tier this test runs Hog code on (None: the default, for tests that run none)."""
    return getattr(request, "param", None)


@pytest.fixture(autouse=True)
def _run_on_tier(vm_tier: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    if vm_tier is not None:
        monkeypatch.setattr(vm, "DEFAULT_TIER", vm_tier)
        monkeypatch.setenv("HOG_VM_TIER", str(vm_tier))


def pytest_configure(config: pytest.Config) -> None:
    # Tier 2 raises Python's recursion limit (a compiled Hog call is a Python call); Hypothesis then
    # warns that it will not reset the limit it had set. Harmless, and not this suite's concern.
    config.addinivalue_line("filterwarnings",
                            "ignore:The recursion limit will not be reset:hypothesis.errors.HypothesisWarning")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from hogvm.tier2 import STATS

    if STATS:
        counts = ", ".join(f"{key}: {value}" for key, value in sorted(STATS.items()))
        terminalreporter.write_line(f"hog VM tier 2: {counts}")
