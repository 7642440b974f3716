"""The native STL table equals PostHog's STL contract (`tests/data/reference/stl.json`, copied from
the developers' shared reference notes): same names, same argument counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hogvm.stl import STL

SPEC_PATH = Path(__file__).resolve().parent / "data" / "reference" / "stl.json"


@pytest.fixture(scope="module")
def spec() -> dict[str, dict]:
    return json.loads(SPEC_PATH.read_text())["functions"]


def test_every_contract_function_is_implemented(spec: dict[str, dict]) -> None:
    assert sorted(set(spec) - set(STL)) == []


def test_no_function_outside_the_contract(spec: dict[str, dict]) -> None:
    assert sorted(set(STL) - set(spec)) == []


def test_arities_match_the_contract(spec: dict[str, dict]) -> None:
    wrong = {
        name: {"ours": (STL[name].min_args, STL[name].max_args), "contract": (entry["minArgs"], entry["maxArgs"])}
        for name, entry in spec.items()
        if name in STL and (STL[name].min_args, STL[name].max_args) != (entry["minArgs"], entry["maxArgs"])
    }
    assert wrong == {}


def test_table_size() -> None:
    assert len(STL) == 129


def test_arity_errors_name_the_function() -> None:
    from hogvm.errors import HogVMException

    with pytest.raises(HogVMException, match="Function upper requires at most 1 arguments"):
        STL["upper"].check_arity(2)
    with pytest.raises(HogVMException, match="Function replaceAll requires at least 3 arguments"):
        STL["replaceAll"].check_arity(1)
    STL["concat"].check_arity(300)  # unbounded
