"""Runtime errors point at the source: the compiler's side table (hogvm/positions.py) and the VM's
error path. The bytecode stays PostHog's; the table only says where each opcode came from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hogvm import (
    HogError,
    HogVMCallDepthExceededException,
    HogVMException,
    HogVMMemoryExceededException,
    HogVMRuntimeExceededException,
    HogVMStepLimitExceededException,
    UncaughtHogVMException,
    compile_hog,
    execute_bytecode,
)
from hogvm.compiler import compile_hog_with_warnings
from hogvm.loader import decode_chunk
from hogvm.opcodes import Op
from hogvm.positions import SourcePosition, source_position

ROOT = Path(__file__).resolve().parent.parent
# Every Hog program in the repository: conformance corpora, golden programs, examples, benchmarks.
CORPORA = sorted(
    [*ROOT.glob("tests/corpus/*/*.hog"), *ROOT.glob("tests/golden/*.hog"), *ROOT.glob("examples/taggers/*.hog"),
     *ROOT.glob("bench/taggers/*.hog"), *ROOT.glob("hogvm/stl/*.hog")]
)


def _compiles(source: str) -> bool:
    try:
        compile_hog(source)
    except HogError:
        return False
    return True


COMPILABLE = [path for path in CORPORA if _compiles(path.read_text())]


def exactly(bytecode: list[Any]) -> list[tuple[type, str]]:
    return [(type(item), repr(item)) for item in bytecode]


def test_the_corpora_are_all_there() -> None:
    assert len(COMPILABLE) >= 100


@pytest.mark.parametrize("path", COMPILABLE, ids=lambda p: str(p.relative_to(ROOT)))
def test_bytecode_is_identical_and_every_opcode_has_a_position(path: Path) -> None:
    source = path.read_text()
    compiled = compile_hog_with_warnings(source)
    # Item for item and type for type (1 is not 1.0 nor True; nan is nan): the side table changes
    # nothing in the bytecode.
    assert exactly(compiled.bytecode) == exactly(compile_hog(source))
    if path.parent.name == "golden":  # PostHog's bytecode for these, reviewed by hand
        assert exactly(compiled.bytecode) == exactly(json.loads(path.with_suffix(".json").read_text()))
    # Exactly the opcodes have positions (not operands), each inside the source.
    opcode_offsets = decode_chunk(compiled.bytecode).offsets[:-1]  # the last is the appended END
    assert set(compiled.source_map.positions) == set(opcode_offsets)
    lines = source.split("\n")  # as the lexer counts lines
    for position in compiled.source_map.positions.values():
        assert 1 <= position.line <= len(lines)
        assert 1 <= position.column <= len(lines[position.line - 1]) + 1


def run(source: str, globals: dict[str, Any] | None = None, **limits: Any) -> HogError:
    compiled = compile_hog_with_warnings(source)
    with pytest.raises(HogError) as caught:
        execute_bytecode(compiled.bytecode, globals, source_map=compiled.source_map, **limits)
    return caught.value


def where(error: HogError) -> tuple[int | None, int | None, str | None]:
    return error.line, error.column, error.function


@pytest.mark.parametrize(("source", "kind", "position"), [
    # calling null, inside a named function
    ("let x := 1\nfn f(a) {\n  return a.b()\n}\nreturn f({'b': null})", HogVMException, (3, 10, "f")),
    # a wrong argument type for an operator, inside a lambda
    ("let f := x -> x + 1\nreturn f('a')", HogVMException, (1, 15, "lambda")),
    # a wrong argument type for a builtin
    ("let a := 1\nreturn jsonParse('{')", HogVMException, (2, 8, None)),
    # a missing global
    ("let a := 1\n  print(event.properties)", HogVMException, (2, 9, None)),
    # an uncaught throw
    ("fn check(v) {\n  if (v > 1) {\n    throw Error('too big')\n  }\n}\ncheck(5)", UncaughtHogVMException,
     (3, 5, "check")),
    # unbounded recursion
    ("fn down(n) {\n  return down(n + 1)\n}\nreturn down(0)", HogVMCallDepthExceededException, (2, 10, "down")),
])
def test_runtime_errors_carry_line_column_and_function(source: str, kind: type, position: tuple[Any, ...]) -> None:
    error = run(source)
    assert isinstance(error, kind)
    assert where(error) == position


def test_limits_point_at_the_loop_that_ran_away() -> None:
    loop = "let i := 0\nfn spin() {\n  while (true) {\n    i := i + 1\n  }\n}\nspin()"
    steps = run(loop, max_steps=10_000)
    assert isinstance(steps, HogVMStepLimitExceededException)
    assert steps.function == "spin" and steps.line in (3, 4)
    timeout = run(loop, timeout=0.05)
    assert isinstance(timeout, HogVMRuntimeExceededException)
    assert timeout.function == "spin" and timeout.line in (3, 4)
    memory = run("let s := 'x'\nwhile (true) {\n  s := s || s\n}", memory_limit=100_000)
    assert isinstance(memory, HogVMMemoryExceededException)
    assert memory.line == 3


def test_str_shows_the_source_line_with_a_caret() -> None:
    error = run("let total := 0\nfn add(x) {\n  return total + x.amount\n}\nreturn add(null)")
    text = str(error)
    assert text.splitlines() == [
        f"{error.message} (line 3, column 10, in function add)",
        "    return total + x.amount",
        "           ^",
    ]


def test_an_error_inside_a_bytecode_stl_function_points_at_the_users_call() -> None:
    # arrayMap (written in Hog) calls a number: the failing instruction is in arrayMap's own chunk,
    # which has no source map; the position is the call in the user's program.
    error = run("let n := 5\n\nreturn arrayMap(n, [1, 2])")
    assert where(error) == (3, 8, None)
    # a user lambda called by arrayMap fails in the user's code
    error = run("return arrayMap(\n  x -> x.a.b(),\n  [{'a': {'b': 1}}])")
    assert where(error) == (2, 8, "lambda")


def test_uncaught_throw_keeps_posthogs_text_then_the_position() -> None:
    error = run("throw Error('nope')")
    assert isinstance(error, UncaughtHogVMException)
    assert (error.type, error.message) == ("Error", "nope")
    assert str(error).splitlines()[0] == "Error('nope') (line 1, column 1)"


def test_without_a_source_map_errors_have_no_position() -> None:
    with pytest.raises(HogVMException) as caught:
        execute_bytecode(compile_hog("let a := null\nreturn a()"))
    assert where(caught.value) == (None, None, None)
    assert str(caught.value) == "Invalid closure: null is not a function"


def test_the_same_bytecode_from_two_sources_keeps_each_sources_positions() -> None:
    # Decoded chunks are cached by content; the source map is part of the key.
    first = compile_hog_with_warnings("return null()")
    second = compile_hog_with_warnings("\n\n   return null()")
    assert first.bytecode == second.bytecode
    for compiled, position in ((first, (1, 8)), (second, (3, 11)), (first, (1, 8))):
        with pytest.raises(HogVMException) as caught:
            execute_bytecode(compiled.bytecode, source_map=compiled.source_map)
        assert (caught.value.line, caught.value.column) == position


def test_errors_carry_what_was_printed_before_the_failure() -> None:
    error = run("print('one')\nprint('two')\nreturn null()")
    assert error.stdout == ["one", "two"]
    with pytest.raises(HogVMException) as caught:  # with no source map too
        execute_bytecode(compile_hog("print('only')\nreturn null()"))
    assert caught.value.stdout == ["only"]


def test_the_lookup_is_one_function_of_chunk_and_instruction_index() -> None:
    compiled = compile_hog_with_warnings("let a := 1\nreturn a + 2")
    chunk = decode_chunk(compiled.bytecode, source_map=compiled.source_map)
    positions = [source_position(chunk, index) for index in range(len(chunk.code) - 1)]
    ops = [op for op, _ in chunk.code]
    assert positions[0] == SourcePosition(1, 10, None)  # INTEGER 1
    assert positions[ops.index(Op.PLUS)] == SourcePosition(2, 8, None)
    assert positions[ops.index(Op.RETURN)] == SourcePosition(2, 1, None)
    assert positions[-1] == SourcePosition(1, 1, None)  # the program's scope exit (POP of `a`)
    assert source_position(chunk, len(chunk.code)) is None  # past the end
    assert source_position(decode_chunk(compiled.bytecode), 0) is None  # no map
