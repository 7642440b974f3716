"""Conformance corpus for the VM core: tests/corpus/vm/*.hog, together touching every opcode.

Each program is compiled with our compiler and run on our VM with `CORPUS_GLOBALS`; `NAME.stdout`
holds what PostHog's Python VM prints (checked by hand against its source; taggers run on it).
The same bytecode runs on PostHog's TypeScript VM, which must print exactly the same, except
`python_only.hog`: it collects the places where the two PostHog VMs disagree, and there every
line must differ on the TypeScript VM (so the file keeps documenting real differences).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hogvm import compile_hog, execute_bytecode
from hogvm.loader import decode_chunk
from hogvm.opcodes import Op
from tests.vm_corpus_globals import CORPUS_GLOBALS

CORPUS = Path(__file__).resolve().parent / "corpus" / "vm"
PROGRAMS = sorted(path.stem for path in CORPUS.glob("*.hog"))
PYTHON_ONLY = "python_only"

# Opcodes our compiler never emits, covered by hand-written bytecode in tests/test_vm.py.
NOT_EMITTED = {Op.IN_COHORT, Op.NOT_IN_COHORT, Op.DECLARE_FN}


def source(name: str) -> str:
    return (CORPUS / f"{name}.hog").read_text()


def expected_stdout(name: str) -> list[str]:
    return (CORPUS / f"{name}.stdout").read_text().splitlines()


def lines_of(stdout: list[str]) -> list[str]:
    return "\n".join(stdout).splitlines()


def opcodes_in(bytecode: list[Any]) -> set[Op]:
    """Every opcode in the bytecode, read from the raw list at the decoded instruction offsets."""
    chunk = decode_chunk(bytecode)
    return {Op(bytecode[offset]) for offset in chunk.offsets[:-1]}


def test_every_program_has_expected_output() -> None:
    assert len(PROGRAMS) >= 8
    assert [name for name in PROGRAMS if not (CORPUS / f"{name}.stdout").exists()] == []


def test_corpus_covers_every_opcode_the_compiler_emits() -> None:
    seen: set[Op] = set()
    for name in PROGRAMS:
        seen |= opcodes_in(compile_hog(source(name)))
    assert set(Op) - NOT_EMITTED - seen == set()


@pytest.mark.parametrize("name", PROGRAMS)
def test_our_vm_prints_what_posthogs_python_vm_prints(name: str) -> None:
    result = execute_bytecode(compile_hog(source(name)), CORPUS_GLOBALS)
    assert lines_of(result.stdout) == expected_stdout(name)


@pytest.mark.oracle
@pytest.mark.parametrize("name", sorted(set(PROGRAMS) - {PYTHON_ONLY}))
def test_posthogs_typescript_vm_prints_the_same(node_vm: Any, name: str) -> None:
    reply = node_vm.run(compile_hog(source(name)), CORPUS_GLOBALS)
    assert reply["ok"], reply.get("error")
    assert lines_of(reply["stdout"]) == expected_stdout(name)


@pytest.mark.oracle
def test_python_only_lines_really_differ_on_the_typescript_vm(node_vm: Any) -> None:
    """Arithmetic, truthiness, `in` on dicts, string indexing, dict equality: TS differs (or crashes)."""
    reply = node_vm.run(compile_hog(source(PYTHON_ONLY)), CORPUS_GLOBALS)
    theirs = lines_of(reply["stdout"])
    ours = expected_stdout(PYTHON_ONLY)
    for index, line in enumerate(ours):
        assert index >= len(theirs) or theirs[index] != line, f"line {index + 1} agrees: {line}"
    # The TypeScript VM stops at `'a' in {...}`: a JS Map has no `includes`.
    assert not reply["ok"] and "includes" in reply["error"]
