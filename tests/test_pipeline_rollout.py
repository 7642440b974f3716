"""Rollout sampling and condition matching, as PostHog's Node.js scheduler decides them."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import uuid
from typing import Any

import pytest

from sampler.conditions import (
    ConditionMatch,
    filter_globals,
    in_rollout,
    match_conditions,
    prepare_conditions,
    rollout_bucket,
)

# Buckets computed with Node's crypto by PostHog's checkRolloutPercentage arithmetic.
KNOWN_BUCKETS = {
    "67a2208b-075c-49a2-ae45-06d98d2cd9c4": 13.3,
    "28dfe9a3-cc06-4d15-81fc-67847a2143ec": 61.03,
    "984fb861-4995-4516-9752-9a306c781125": 37.84,
    "00000000-0000-0000-0000-000000000000": 70.5,
    "event-456": 35.57,
    "": 63.93,
}


@pytest.mark.parametrize(("key", "bucket"), KNOWN_BUCKETS.items())
def test_known_buckets(key: str, bucket: float) -> None:
    assert rollout_bucket(key) == bucket


def test_membership_is_strictly_below_the_percentage() -> None:
    key = "67a2208b-075c-49a2-ae45-06d98d2cd9c4"  # bucket 13.3
    assert not in_rollout(key, 13.3)
    assert in_rollout(key, 13.31)
    assert not in_rollout(key, 0)
    assert in_rollout(key, 100) and in_rollout(key, 250)
    assert not in_rollout("00000000-0000-0000-0000-000000000000", 70.5)
    assert in_rollout("00000000-0000-0000-0000-000000000000", 70.51)


def uuids(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(count)]


@pytest.mark.parametrize("percentage", [1, 10, 33.3, 50, 90])
def test_rollout_share_over_10000_uuids(percentage: float) -> None:
    share = sum(in_rollout(key, percentage) for key in uuids(10_000)) / 10_000
    # Binomial standard deviation is at most 0.5%; allow four of them.
    assert abs(share - percentage / 100) < 0.02


def test_rollout_is_monotonic_in_the_percentage() -> None:
    keys = uuids(2_000, seed=3)
    previous: set[str] = set()
    for percentage in (0, 5, 25, 50, 75, 99.99, 100):
        current = {key for key in keys if in_rollout(key, percentage)}
        assert previous <= current
        previous = current
    assert len(previous) == len(keys)


NODE_ROLLOUT = """
const crypto = require('crypto')
// PostHog's checkRolloutPercentage, written out for the test
function check(id, pct) {
    if (pct >= 100) return true
    const hash = crypto.createHash('md5').update(id).digest('hex')
    return (parseInt(hash.substring(0, 8), 16) % 10000) / 100 < pct
}
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'))
process.stdout.write(JSON.stringify(cases.map(([id, pct]) => check(id, pct))))
"""


@pytest.mark.oracle
def test_membership_matches_nodes_crypto_bit_for_bit() -> None:
    node = shutil.which("node")
    assert node is not None, "node is required for the oracle tests"
    rng = random.Random(11)
    keys = [*uuids(3_000, seed=5), "ÉVÉNEMENT-ünïcode-🦔", "UPPER-CASE-0C1D2E3F", "x" * 500]
    cases = [[key, rng.choice([0, 0.01, 1, 12.5, 33.33, 50, 66.67, 99.99, 100])] for key in keys]
    cases += [[key, rollout_bucket(key)] for key in keys[:200]]  # exactly at the boundary
    reply = subprocess.run([node, "-e", NODE_ROLLOUT], input=json.dumps(cases), capture_output=True, text=True,
                           check=True, timeout=60)
    assert json.loads(reply.stdout) == [in_rollout(key, pct) for key, pct in cases]


# -- filter globals ----------------------------------------------------------------------------


def test_filter_globals_have_exactly_nodes_keys() -> None:
    event = {"uuid": "u1", "event": "$ai_generation", "distinct_id": "d1", "timestamp": "2026-01-01T00:00:00Z",
             "properties": '{"$ai_model": "gpt-4o"}', "person_properties": '{"email": "a@b.c"}',
             "elements_chain": None, "person_id": "p1"}
    assert filter_globals(event) == {
        "event": "$ai_generation",
        "elements_chain": "",
        "distinct_id": "d1",
        "person": {"properties": {"email": "a@b.c"}},
        "properties": {"$ai_model": "gpt-4o"},
    }


def test_filter_globals_tolerate_what_node_tolerates() -> None:
    globals_ = filter_globals({"event": "$ai_generation", "properties": "{not json", "person_properties": ""})
    assert globals_["properties"] == {} and globals_["person"] == {"properties": {}}
    assert globals_["distinct_id"] is None
    assert filter_globals({"properties": {"a": 1}})["properties"] == {"a": 1}  # already decoded


# -- conditions --------------------------------------------------------------------------------


def condition(cid: str, rollout: float, properties: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": cid, "rollout_percentage": rollout, "properties": properties or [], **extra}


GPT = [{"key": "$ai_model", "value": "gpt", "operator": "icontains"}]
GLOBALS = filter_globals({"event": "$ai_generation", "properties": {"$ai_model": "gpt-4o"}})
IN_13 = "67a2208b-075c-49a2-ae45-06d98d2cd9c4"  # bucket 13.3


def test_first_condition_that_matches_and_samples_in_wins() -> None:
    conditions = prepare_conditions([condition("a", 100, [{"key": "$ai_model", "value": "claude"}]),
                                     condition("b", 50, GPT), condition("c", 100, GPT)])
    assert match_conditions(conditions, GLOBALS, IN_13) == ConditionMatch(True, True, "b")


def test_a_matching_condition_outside_its_rollout_falls_through_to_the_next() -> None:
    conditions = prepare_conditions([condition("a", 10, GPT), condition("b", 20, GPT)])
    assert match_conditions(conditions, GLOBALS, IN_13) == ConditionMatch(True, True, "b")
    only_a = prepare_conditions([condition("a", 10, GPT)])
    assert match_conditions(only_a, GLOBALS, IN_13) == ConditionMatch(True, False, None)


def test_conditions_that_cannot_match() -> None:
    broken = condition("x", 100, bytecode=None, bytecode_error="PropertyOperator foo not implemented")
    not_boolean = condition("one", 100, [{"key": "a", "value": []}])  # compiles to the constant 1
    # RE2 refuses the pattern: the run fails (Node's 'gpt-4o' < 5 is merely false, not an error)
    failing = condition("cmp", 100, [{"key": "$ai_model", "value": "(", "operator": "regex"}])
    garbage = condition("bad", 100, bytecode=["_H", 1, 99], bytecode_error=None)
    prepared = prepare_conditions([broken, not_boolean, failing, garbage])
    result = match_conditions(prepared, GLOBALS, IN_13)
    assert (result.matched, result.in_rollout, result.condition_id) == (False, False, None)
    assert [error.split(":")[0] for error in result.errors] == ["condition cmp"]
    assert prepared[3].bytecode_error.startswith("invalid condition bytecode")


def test_uncompiled_conditions_are_compiled_stored_ones_are_kept() -> None:
    uncompiled = prepare_conditions([condition("a", 100)])
    assert match_conditions(uncompiled, GLOBALS, IN_13).condition_id == "a"
    stored = prepare_conditions([condition("a", 100, GPT, bytecode=["_H", 1, 30], bytecode_error=None)])
    assert not match_conditions(stored, GLOBALS, IN_13).matched  # its stored `false` wins over its filters


def test_person_distinct_id_filters_see_null_as_in_posthog() -> None:
    conditions = prepare_conditions([condition("p", 100, [{"key": "distinct_id", "value": "d1", "type": "person"}]),
                                     condition("q", 100, [{"key": "distinct_id", "type": "person",
                                                           "operator": "is_not_set"}])])
    globals_ = filter_globals({"event": "$ai_generation", "distinct_id": "d1", "properties": {}})
    assert match_conditions(conditions, globals_, IN_13).condition_id == "q"
