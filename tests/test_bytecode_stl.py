"""The standard-library functions written in Hog (hogvm/stl/*.hog -> bytecode_stl.json).

- The committed JSON is exactly what compiling the sources gives (with our parser, and with
  PostHog's parser feeding our compiler), so nobody can edit one without the other.
- Each body is well-formed bytecode and loads without the grammar.
- Run on PostHog's TypeScript VM, each of our bodies gives the same result as PostHog's own
  function of the same name, and the results PostHog's conformance tests publish.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hogvm.opcodes import BYTECODE_MAGIC, BYTECODE_VERSION, Op
from hogvm.stl import build_bytecode_stl
from hogvm.stl.bytecode_stl import BYTECODE_STL, BYTECODE_STL_PATH, POSTHOG_LAYOUT

NAMES = ["arrayCount", "arrayExists", "arrayFilter", "arrayMap", "arrayReduce", "inCohort",
         "notInCohort", "sortableSemver"]
ROOT = Path(__file__).parents[1]


def test_the_library_has_posthogs_functions_and_arities():
    assert sorted(BYTECODE_STL) == NAMES
    arities = {name: len(args) for name, (args, _) in BYTECODE_STL.items()}
    assert arities == {"arrayCount": 2, "arrayExists": 2, "arrayFilter": 2, "arrayMap": 2, "arrayReduce": 3,
                       "inCohort": 2, "notInCohort": 2, "sortableSemver": 1}
    # function first, as in PostHog (arrayMap(f, arr))
    assert all(args[0] == "func" for name, (args, _) in BYTECODE_STL.items() if name.startswith("array"))


def test_committed_json_is_the_compiled_sources():
    text = build_bytecode_stl.render(build_bytecode_stl.build())
    assert BYTECODE_STL_PATH.read_text(encoding="utf-8") == text, (
        "hogvm/stl/bytecode_stl.json is stale: run python -m hogvm.stl.build_bytecode_stl"
    )


def test_posthogs_parser_with_our_compiler_gives_the_same_bytecode(posthog_parser):
    """Independent of our Lark parser: PostHog's C++ parser's AST, compiled by our compiler."""
    assert build_bytecode_stl.render(build_bytecode_stl.build()) == BYTECODE_STL_PATH.read_text("utf-8")


@pytest.fixture
def posthog_parser(monkeypatch):
    """Build with PostHog's parser in front of our compiler (tests of the build script itself)."""
    import grammar
    from tests.posthog_ast import posthog_program

    monkeypatch.setattr(grammar, "parse_program", posthog_program)


def test_check_mode_reports_staleness(tmp_path, monkeypatch):
    output = tmp_path / "bytecode_stl.json"
    output.write_text("{}\n")
    monkeypatch.setattr(build_bytecode_stl, "OUTPUT", output)
    monkeypatch.setattr(build_bytecode_stl, "build", lambda: {"f": {"args": ["a"], "bytecode": [31, 38]}})
    assert build_bytecode_stl.main(["--check"]) == 1
    assert build_bytecode_stl.main([]) == 0
    assert build_bytecode_stl.main(["--check"]) == 0
    assert json.loads(output.read_text())["f"] == {"args": ["a"], "bytecode": [31, 38]}


def test_a_source_must_declare_only_its_own_function(posthog_parser):
    with pytest.raises(build_bytecode_stl.BuildError, match="exactly one top-level `fun arrayMap"):
        build_bytecode_stl.compile_function("fun other(a) { return a }", "arrayMap")
    with pytest.raises(build_bytecode_stl.BuildError, match="trailing code"):
        build_bytecode_stl.compile_function("fun f(a) { return a }\nprint(1)", "f")


@pytest.mark.parametrize("name", NAMES)
def test_bodies_are_well_formed_and_headerless(name):
    from hogvm.disasm import disassemble

    _, body = BYTECODE_STL[name]
    assert body[0] not in (BYTECODE_MAGIC, "_h")  # a chunk body, like PostHog's BYTECODE_STL
    listing = disassemble([BYTECODE_MAGIC, BYTECODE_VERSION, *body])  # raises if malformed
    assert "RETURN" in listing
    # never reaches for a variable of an enclosing scope: there is none in chunk stl/<name>
    assert "GET_UPVALUE" not in listing and "SET_UPVALUE" not in listing


def test_loading_needs_neither_grammar_nor_compiler():
    code = ("import sys, hogvm.stl.bytecode_stl as b; "
            "assert not any(m == 'lark' or m.startswith(('lark.', 'grammar.parser', 'hogvm.compiler'))"
            " for m in sys.modules), sorted(sys.modules); print(len(b.BYTECODE_STL))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "8"


# --- on PostHog's TypeScript VM -------------------------------------------------------------


def _setup(source: str, argc: int) -> list[Any]:
    """Bytecode of `source` (declarations of the call's arguments, in order), leaving them on the
    stack as locals 0..argc-1: the program minus the pops that end its scope."""
    from hogvm.compiler import compile_program
    from tests.posthog_ast import posthog_program

    code = compile_program(posthog_program(source))
    assert code[-argc:] == [int(Op.POP)] * argc, code[-argc:]
    return code[:-argc]


def _run_ours(node_vm, name: str, setup: str) -> dict[str, Any]:
    """Our body of `name`, run in PostHog's VM as the rest of a program whose locals are the args."""
    args, body = BYTECODE_STL[name]
    return node_vm.run(_setup(setup, len(args)) + body)


def _run_posthogs(node_vm, name: str, setup: str) -> dict[str, Any]:
    args, _ = BYTECODE_STL[name]
    call: list[Any] = []
    for slot in range(len(args)):
        call += [int(Op.GET_LOCAL), slot]
    return node_vm.run([*_setup(setup, len(args)), *call, int(Op.CALL_GLOBAL), name, len(args), int(Op.RETURN)])


# (function, Hog declaring its arguments, expected result as the TS VM's JSON)
CASES: list[tuple[str, str, Any]] = [
    ("arrayMap", "let f := x -> x * 2\nlet a := [1, 2, 3]", [2, 4, 6]),
    ("arrayMap", "let f := x -> x\nlet a := []", []),
    ("arrayMap", "let f := x -> concat(x, '!')\nlet a := {'k': 'v', 'l': 'w'}", ["v!", "w!"]),
    ("arrayMap", "let f := x -> x\nlet a := (1, 'b')", [1, "b"]),
    ("arrayMap", "let f := x -> [x]\nlet a := [[1], null]", [[[1]], [None]]),
    ("arrayFilter", "let f := x -> x like '%nana%'\nlet a := ['apple', 'banana', 'cherry']", ["banana"]),
    ("arrayFilter", "let f := x -> x like '%e%'\nlet a := ['apple', 'banana', 'cherry']", ["apple", "cherry"]),
    ("arrayFilter", "let f := x -> x like '%boom%'\nlet a := []", []),
    ("arrayFilter", "let f := x -> x\nlet a := [0, 1, '', 'a', null, [0]]", [1, "a", [0]]),
    ("arrayExists", "let f := x -> x like '%nana%'\nlet a := ['apple', 'banana', 'cherry']", True),
    ("arrayExists", "let f := x -> x like '%boom%'\nlet a := ['apple', 'banana', 'cherry']", False),
    ("arrayExists", "let f := x -> x like '%boom%'\nlet a := []", False),
    ("arrayCount", "let f := x -> x > 1\nlet a := [1, 2, 3, 4]", 3),
    ("arrayReduce", "let f := (a, b) -> a + b\nlet a := [1, 2, 3, 4, 5]\nlet i := 0", 15),
    ("arrayReduce", "let f := (a, b) -> a + b\nlet a := [1, 2, 3, 4, 5]\nlet i := 15", 30),
    ("arrayReduce", "let f := (a, b) -> a - b\nlet a := [5, 10, 15, 20]\nlet i := 60", 10),
    ("arrayReduce", "let f := (a, b) -> a - b\nlet a := []\nlet i := 'init'", "init"),
    ("sortableSemver", "let v := '1.2.3'", [1, 2, 3]),
    ("sortableSemver", "let v := 'v10.20.30-alpha.1'", [10, 20, 30]),
    ("sortableSemver", "let v := 'release 2.0'", [2, 0]),
    ("sortableSemver", "let v := '7'", []),
    ("sortableSemver", "let v := 'no version'", []),
    ("sortableSemver", "let v := null", []),
    ("inCohort", "let c := 3\nlet ids := [1, 2, 3]", True),
    ("inCohort", "let c := 4\nlet ids := [1, 2, 3]", False),
    ("inCohort", "let c := 4\nlet ids := []", False),
    ("notInCohort", "let c := 4\nlet ids := [1, 2, 3]", True),
    ("notInCohort", "let c := 3\nlet ids := [1, 2, 3]", False),
]


@pytest.mark.oracle
@pytest.mark.parametrize(("name", "setup", "expected"), CASES, ids=lambda v: str(v).replace("\n", "; "))
def test_our_bodies_match_posthogs_functions_on_the_typescript_vm(node_vm, name, setup, expected):
    ours = _run_ours(node_vm, name, setup)
    theirs = _run_posthogs(node_vm, name, setup)
    assert ours["ok"], ours
    assert ours["result"] == expected
    assert theirs == ours


@pytest.mark.oracle
@pytest.mark.parametrize("name", ["inCohort", "notInCohort"])
def test_cohort_functions_throw_when_membership_is_not_loaded(node_vm, name):
    ours = _run_ours(node_vm, name, "let c := 1\nlet ids := null")
    assert not ours["ok"]
    assert f"{name}() requires cohort membership to be loaded for this evaluation" in ours["error"]
    assert _run_posthogs(node_vm, name, "let c := 1\nlet ids := null")["error"] == ours["error"]


# Where PostHog's two VMs differ, the Python VM's answer is ours: (function, arguments, Python VM's
# result). The TypeScript VM gives something else for both PostHog's function and ours.
PYTHON_NOT_TYPESCRIPT: list[tuple[str, str, Any]] = [
    # `for (x in null)` iterates nothing in Python (values(null) is []); TS throws a TypeError
    ("arrayMap", "let f := x -> x\nlet a := null", []),
    ("arrayCount", "let f := x -> x\nlet a := null", 0),
    # an empty array is falsy in Python, truthy in JavaScript
    ("arrayFilter", "let f := x -> x\nlet a := [[], [0]]", [[0]]),
]


@pytest.mark.oracle
@pytest.mark.parametrize(("name", "setup", "python"), PYTHON_NOT_TYPESCRIPT,
                         ids=lambda v: str(v).replace("\n", "; "))
def test_known_differences_from_the_typescript_vm(node_vm, name, setup, python):
    from hogvm import execute_bytecode

    ours_on_typescript = _run_ours(node_vm, name, setup)
    assert ours_on_typescript == _run_posthogs(node_vm, name, setup)
    assert ours_on_typescript.get("result") != python
    args, _ = BYTECODE_STL[name]
    call = [x for slot in range(len(args)) for x in (int(Op.GET_LOCAL), slot)]
    program = [*_setup(setup, len(args)), *call, int(Op.CALL_GLOBAL), name, len(args), int(Op.RETURN)]
    assert execute_bytecode(program).result == python


def test_json_is_one_line_per_function():
    lines = BYTECODE_STL_PATH.read_text("utf-8").splitlines()
    assert len(lines) == len(NAMES) + len(POSTHOG_LAYOUT) + 3 and json.loads("\n".join(lines))["$comment"]


def test_the_posthog_layout_variants_are_posthogs_own_bodies(node_vm):
    # Compiled from our sources, byte for byte what @posthog/hogvm ships (its stack layout is what
    # the replay under PostHog's upvalue model needs), and the same results as our arrayMap.
    import re

    source = (Path(__file__).parent / "oracles/node/node_modules/@posthog/hogvm/src/stl/bytecode.ts").read_text()
    shipped = {m[1]: json.loads(m[2]) for m in re.finditer(r'^\s+"(\w+)": (\[\[.*\]\]),?$', source, re.M)}
    for name, (args, body) in POSTHOG_LAYOUT.items():
        assert shipped[name] == [list(args), body]
    for setup in ("let f := x -> x * 2\nlet a := [1, 2, 3]", "let f := x -> x\nlet a := {'k': 1}"):
        args, body = POSTHOG_LAYOUT["arrayMap"]
        assert node_vm.run(_setup(setup, len(args)) + body)["result"] == _run_ours(node_vm, "arrayMap", setup)["result"]
