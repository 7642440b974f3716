"""`==`, `!=`, `<`, `<=`, `>`, `>=`, `in`, `not in` on arrays compared by Python's own operators.

Two values built by `a := [a, a]` forty times are trees of 2**40 leaves sharing 41 arrays: Python's
`==` walked all the leaves inside C, where the VM's timeout can not interrupt it, so the process
hung. Two 100,000-deep arrays made Python's comparison raise RecursionError. hogvm/operators.py
now compares containers with hogvm/comparison.py (each pair of arrays once, no recursion).

A regression would hang inside C, so the shared-structure programs run in a child process that
the test can stop; within it each run has the VM's own 2-second timeout.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hogvm import compile_hog, execute_bytecode
from hogvm.errors import HogError

ROOT = Path(__file__).resolve().parents[2]

DOUBLED = """
fn doubled() {
    let a := [1]
    for (let i := 0; i < 40; i := i + 1) { a := [a, a] }
    return a
}
"""

DEEP = """
fn deep(leaf) {
    let a := [leaf]
    for (let i := 0; i < 100000; i := i + 1) { a := [a] }
    return a
}
"""

SHARED_CASES = {
    "doubled() == doubled()": True,
    "doubled() != doubled()": False,
    "doubled() < doubled()": False,
    "doubled() <= doubled()": True,
    "doubled() > doubled()": False,
    "doubled() >= doubled()": True,
    "doubled() in [1, doubled()]": True,
    "doubled() not in [doubled()]": False,
    "(doubled(), 1) == (doubled(), 1)": True,
    "{'a': doubled()} == {'a': doubled()}": True,
    "[doubled(), 1] < [doubled(), 2]": True,
}

_CHILD = """
import json, sys
from hogvm import compile_hog, execute_bytecode
from hogvm.errors import HogError
cases, prefix = json.loads(sys.stdin.read())
answers = {}
for expression in cases:
    try:
        answers[expression] = execute_bytecode(compile_hog(prefix + "return " + expression), timeout=2.0).result
    except HogError as error:
        answers[expression] = "HogError: " + str(error)
print(json.dumps(answers))
"""


def test_shared_arrays_compare_quickly() -> None:
    child = subprocess.run(
        [sys.executable, "-c", _CHILD], input=json.dumps([list(SHARED_CASES), DOUBLED]),
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=True,
    )
    assert json.loads(child.stdout) == SHARED_CASES


DEEP_CASES = {
    "deep(1) == deep(1)": True,
    "deep(1) != deep(1)": False,
    "deep(1) == deep(2)": False,
    "deep(1) == deep('1')": False,  # unification applies to the operands, not to their items
    "deep(1) < deep(2)": True,
    "deep(1) >= deep(2)": False,
    "deep(1) in [deep(2), deep(1)]": True,
    "deep(1) not in [deep(2)]": True,
}


@pytest.mark.parametrize("expression", list(DEEP_CASES))
def test_deep_arrays_compare_without_recursion_error(expression: str) -> None:
    result = execute_bytecode(compile_hog(DEEP + "return " + expression), timeout=60).result
    assert result is DEEP_CASES[expression]


def test_deep_arrays_of_incomparable_items_fail_with_a_hog_error() -> None:
    with pytest.raises(HogError, match="'<' not supported between instances of 'int' and 'str'"):
        execute_bytecode(compile_hog(DEEP + "return deep(1) < deep('x')"), timeout=60)
