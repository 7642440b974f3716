"""Golden programs: tests/golden/<name>.hog with the bytecode PostHog's compiler emits for it
(<name>.json) and what it prints (<name>.stdout; optional globals in <name>.globals.json).

The expected bytecode follows PostHog's lowering rules; it was reviewed by hand in disassembly,
and the same compiler matches PostHog's own snapshots (common/hogvm/__tests__/__snapshots__/*.hoge)
byte for byte. The expected output is Hog's semantics, written down and confirmed on PostHog's
TypeScript VM; the programs avoid the spots where PostHog's two VMs print differently (float
`2.0` vs `2`, negative `%`, string `+`), so one .stdout serves both, and our VM.

Regenerate the .json files after a deliberate compiler change with
`python -m tests.test_compiler_golden` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.compiler_support import FRONT_ENDS, Bytecode, compile_source

GOLDEN = Path(__file__).parent / "golden"
PROGRAMS = sorted(path.stem for path in GOLDEN.glob("*.hog"))


def _source(name: str) -> str:
    return (GOLDEN / f"{name}.hog").read_text()


def _bytecode(name: str) -> list[Any]:
    return json.loads((GOLDEN / f"{name}.json").read_text())


def _stdout(name: str) -> list[str]:
    return (GOLDEN / f"{name}.stdout").read_text().splitlines()


def _globals(name: str) -> dict[str, Any]:
    path = GOLDEN / f"{name}.globals.json"
    return json.loads(path.read_text()) if path.exists() else {}


def test_every_construct_has_a_golden_program() -> None:
    assert {"operators", "collections", "control_flow", "functions", "calls", "errors", "hogqlx",
            "tagger"} <= set(PROGRAMS)
    for name in PROGRAMS:
        assert (GOLDEN / f"{name}.json").exists() and (GOLDEN / f"{name}.stdout").exists(), name


@pytest.mark.parametrize("front_end", FRONT_ENDS)
@pytest.mark.parametrize("name", PROGRAMS)
def test_golden_bytecode(name: str, front_end: str) -> None:
    assert compile_source(_source(name), front_end) == Bytecode(_bytecode(name))


@pytest.mark.oracle
@pytest.mark.parametrize("name", PROGRAMS)
def test_golden_bytecode_runs_on_posthogs_typescript_vm(name: str, node_vm: Any) -> None:
    reply = node_vm.run(_bytecode(name), _globals(name))
    assert reply["ok"], reply.get("error")
    assert reply["stdout"] == _stdout(name)


@pytest.mark.parametrize("name", PROGRAMS)
def test_golden_bytecode_runs_on_our_vm(name: str) -> None:
    from hogvm import execute_bytecode

    result = execute_bytecode(_bytecode(name), _globals(name))
    stdout = result.stdout if isinstance(result.stdout, list) else result.stdout.splitlines()
    assert stdout == _stdout(name)


def _regenerate() -> None:
    for name in PROGRAMS:
        bytecode = compile_source(_source(name), "posthog")
        (GOLDEN / f"{name}.json").write_text(json.dumps(bytecode) + "\n")
        print(f"wrote {name}.json ({len(bytecode)} items)")


if __name__ == "__main__":
    _regenerate()
