"""Builtin arity, as PostHog's VMs check it.

PostHog's STL contract (`common/hogvm/spec/stl.json`, copied to tests/data/reference) generates
conformance vectors that every PostHog VM must pass: a direct call (CALL_GLOBAL) with one
argument too few or too many fails with "Function <name> requires at least|most <n> arguments".
We run the same vectors, built the same way from the same contract, on our VM and on
`@posthog/hogvm`. (PostHog's older Python VM ignored extra arguments on a direct call; its
current one, like the TypeScript VM, rejects them, and a tagger is run by the current one.)

A call through a variable (CALL_LOCAL) checks the same bounds, then hands the builtin its missing
optional arguments as nulls, up to its maximum: `let f := md5; f('a')` is `md5('a', null)`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hogvm import HogVMException, compile_hog, execute_bytecode
from hogvm.opcodes import BYTECODE_MAGIC, BYTECODE_VERSION, Op

SPEC = json.loads((Path(__file__).parent / "data" / "reference" / "stl.json").read_text())["functions"]
SKIPPED = {"sleep", "run"}  # PostHog's generator skips these (they take another dispatch path)


def _vectors() -> list[tuple[str, list[Any], str, list[str]]]:
    vectors = []
    for name, entry in sorted(SPEC.items()):
        if name in SKIPPED:
            continue
        implementations = entry.get("implementations", ["python", "typescript", "rust"])
        probes = []
        if entry["minArgs"] > 0:
            probes.append((entry["minArgs"] - 1, f"Function {name} requires at least {entry['minArgs']} arguments"))
        if entry["maxArgs"] is not None:
            probes.append((entry["maxArgs"] + 1, f"Function {name} requires at most {entry['maxArgs']} arguments"))
        for count, error in probes:
            code: list[Any] = [BYTECODE_MAGIC, BYTECODE_VERSION]
            for _ in range(count):
                code += [int(Op.STRING), "1"]
            code += [int(Op.CALL_GLOBAL), name, count]
            vectors.append((f"{name}/{count}", code, error, implementations))
    return vectors


VECTORS = _vectors()


@pytest.mark.parametrize(("label", "bytecode", "error", "implementations"), VECTORS, ids=[v[0] for v in VECTORS])
def test_posthogs_arity_vectors(label: str, bytecode: list[Any], error: str, implementations: list[str]) -> None:
    with pytest.raises(HogVMException) as caught:
        execute_bytecode(bytecode)
    assert str(caught.value) == error


@pytest.mark.oracle
def test_posthogs_typescript_vm_gives_the_same_arity_errors(node_vm) -> None:
    different = {}
    for label, bytecode, error, implementations in VECTORS:
        if "typescript" not in implementations:
            continue
        reply = node_vm.run(bytecode)
        if reply.get("error") != error:
            different[label] = reply.get("error")
    assert different == {}


def test_a_call_through_a_variable_checks_the_same_bounds() -> None:
    with pytest.raises(HogVMException, match=r"^Function upper requires at most 1 arguments$"):
        execute_bytecode(compile_hog("let f := upper; return f('a', 'b')"))
    with pytest.raises(HogVMException, match=r"^Function replaceAll requires at least 3 arguments$"):
        execute_bytecode(compile_hog("let f := replaceAll; return f('a')"))


def run(source: str) -> Any:
    return execute_bytecode(compile_hog(source)).result


# Through a variable, optional arguments arrive as null, and each builtin answers as PostHog's
# Python VM answers for that null.
@pytest.mark.parametrize(("source", "expected"), [
    ("let f := md5; return f('a')", None),  # md5('a', null): null is no encoding
    ("let f := sha256; return f('a')", None),
    ("let f := md5Hex; return f('a')", "0cc175b9c0f1b6a831c399e269772661"),  # max 1: nothing padded
    ("let f := trimRight; return f('a  ')", "a"),
    ("let f := trimRight; return f('a\\t')", "a\t"),  # trimRight(s, null) strips spaces only
    ("let f := trimLeft; return f('\\t a')", "\t a"),
    ("let f := splitByString; return f(',', 'a,b')", ["a", "b"]),
    ("let f := toString; return f(1)", "1"),
    ("let f := jsonStringify; return f([1])", "[1]"),
    ("let f := toUnixTimestamp; return f(toDateTime(86400))", 86400.0),
    ("let f := RetryError; return f()", {"__hogError__": True, "type": "RetryError", "message": "An error occurred",
                                     "payload": None}),
    ("let f := concat; return f('a', 'b')", "ab"),  # unbounded: nothing padded
    ("let f := position; return f('abc', 'c')", 3),
    ("let f := now; return typeof(f())", "datetime"),
])
def test_missing_arguments_are_null_through_a_variable(source: str, expected: Any) -> None:
    assert run(source) == expected


@pytest.mark.parametrize(("source", "message"), [
    # PostHog's Python VM crashes with a TypeError on these padded nulls; here, a clear error.
    ("let f := substring; return f('abc', 2)", "substring"),
    ("let f := range; return f(3)", "range"),
    ("let f := arrayStringConcat; return f(['a'])", "arrayStringConcat"),
])
def test_a_padded_null_a_builtin_cannot_take_is_a_clear_error(source: str, message: str) -> None:
    with pytest.raises(HogVMException, match=message):
        run(source)


def test_legacy_bytecode_is_not_padded() -> None:
    # PostHog pads only for bytecode version 1 and later: legacy md5('a') keeps its default 'hex'.
    def call_md5(header: list[Any]) -> Any:
        code = [*header, int(Op.STRING), "a", int(Op.STRING), "md5", int(Op.GET_GLOBAL), 1,
                int(Op.CALL_LOCAL), 1, int(Op.RETURN)]
        return execute_bytecode(code).result

    assert call_md5(["_h"]) == "0cc175b9c0f1b6a831c399e269772661"
    assert call_md5([BYTECODE_MAGIC, BYTECODE_VERSION]) is None
