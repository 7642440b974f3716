"""Conformance corpus for the standard library: tests/corpus/stl/*.hog and tests/corpus/stl_dates/*.hog.

Each program prints the results of many builtin calls. `NAME.stdout` holds what PostHog's Python
VM prints for it, and our VM must print exactly that. The same bytecode also runs on PostHog's
TypeScript VM (`@posthog/hogvm`), which must print the same except where the two PostHog VMs
disagree (we follow the Python VM, on which taggers run): the differing lines are listed in
`TYPESCRIPT_DIFFERENCES`, or a whole `NAME.typescript.stdout` gives the TypeScript VM's output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

CORPUS = Path(__file__).resolve().parent / "corpus"
PROGRAMS = sorted(
    str(path.relative_to(CORPUS).with_suffix(""))
    for directory in ("stl", "stl_dates")
    for path in (CORPUS / directory).glob("*.hog")
)

# Programs using builtins the TypeScript oracle lacks: max2 and blocking sleep exist only in
# PostHog's Python VM; the hash functions need a host crypto module the oracle does not have.
PYTHON_ONLY = {"stl/python_only", "stl_dates/crypto"}

# program -> {line printed by the Python VM (ours): line printed by the TypeScript VM}
TYPESCRIPT_DIFFERENCES: dict[str, dict[str, str]] = {
    "stl/strings": {
        # length() of a dict: Python counts keys, a JavaScript Map has no .length
        "rennips 5 3 1 2": "rennips 5 3 null 2",
    },
    "stl/conversion": {
        # toInt(true): Python's int(True) is 1, parseInt(true) is NaN
        "42 null 3 -3 1": "42 null 3 -3 null",
        # toFloat gives Python floats, printed with '.0'
        "1.5 null 1000.0 3.0": "1.5 null 1000 3",
    },
    "stl/json": {
        # jsonStringify is json.dumps: ', ' and ': ' separators
        '{"a": {"b": [10, 20, {"c": true}], "s": "x"}, "n": 1.5, "i": "42", "t": true, "z": null}':
            '{"a":{"b":[10,20,{"c":true}],"s":"x"},"n":1.5,"i":"42","t":true,"z":null}',
        '"tab\\there" null [1, "a"]': '"tab\\there" null [1,"a"]',
    },
    "stl/printing": {
        # Python prints large floats in exponent form
        "null true false 0 -12 1.5 1e+20": "null true false 0 -12 1.5 100000000000000000000",
    },
}


def expected_stdout(name: str) -> list[str]:
    return (CORPUS / f"{name}.stdout").read_text().splitlines()


def expected_typescript_stdout(name: str) -> list[str]:
    whole = CORPUS / f"{name}.typescript.stdout"
    if whole.exists():
        return whole.read_text().splitlines()
    differences = TYPESCRIPT_DIFFERENCES.get(name, {})
    return [differences.get(line, line) for line in expected_stdout(name)]


def lines_of(stdout: list[str]) -> list[str]:
    """One entry per print() call, split into lines (a printed value may hold newlines)."""
    return "\n".join(stdout).splitlines()


def test_every_program_has_expected_output() -> None:
    assert PROGRAMS, "the corpus is empty"
    missing = [name for name in PROGRAMS if not (CORPUS / f"{name}.stdout").exists()]
    assert missing == []


def test_known_differences_name_real_lines() -> None:
    for name, lines in TYPESCRIPT_DIFFERENCES.items():
        expected = expected_stdout(name)
        assert [line for line in lines if line not in expected] == [], name


@pytest.mark.parametrize("name", PROGRAMS)
def test_our_vm_prints_what_posthogs_python_vm_prints(name: str) -> None:
    from hogvm import compile_hog, execute_bytecode

    bytecode = compile_hog((CORPUS / f"{name}.hog").read_text())
    result = execute_bytecode(bytecode)
    assert lines_of(result.stdout) == expected_stdout(name)


@pytest.mark.oracle
@pytest.mark.parametrize("name", sorted(set(PROGRAMS) - PYTHON_ONLY))
def test_posthogs_typescript_vm_agrees_except_known_differences(node_vm: Any, name: str) -> None:
    from hogvm.compiler import compile_program
    from tests.posthog_ast import posthog_program

    # PostHog's own parser, so this comparison does not depend on our grammar.
    bytecode = compile_program(posthog_program((CORPUS / f"{name}.hog").read_text()))
    reply = node_vm.run(bytecode)
    assert reply["ok"], reply.get("error")
    assert lines_of(reply["stdout"]) == expected_typescript_stdout(name)
