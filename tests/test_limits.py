"""Sandbox limits: every runaway program ends in its own exception class, within its bound.

Bounds are generous multiples of the limit (CI machines are noisy); what matters is that a
program stops near its limit instead of running, allocating or recursing without end.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from hogvm import compile_hog, execute_bytecode
from hogvm.errors import (
    HogVMCallDepthExceededException,
    HogVMException,
    HogVMMemoryExceededException,
    HogVMRuntimeExceededException,
    HogVMStepLimitExceededException,
)

INFINITE_LOOP = "let i := 0; while (true) { i := i + 1 }"


def timed(source: str, **options: Any) -> tuple[BaseException, float]:
    bytecode = compile_hog(source)
    start = time.perf_counter()
    with pytest.raises(Exception) as caught:
        execute_bytecode(bytecode, **options)
    return caught.value, time.perf_counter() - start


def test_infinite_loop_stops_at_max_steps_exactly() -> None:
    error, _ = timed(INFINITE_LOOP, max_steps=10_000)
    assert type(error) is HogVMStepLimitExceededException
    assert error.max_steps == 10_000


def test_max_steps_is_exact_and_deterministic() -> None:
    bytecode = compile_hog("let s := 0; for (let i := 0; i < 500; i := i + 1) { s := s + i } return s")
    steps = execute_bytecode(bytecode).steps
    assert execute_bytecode(bytecode, max_steps=steps).result == sum(range(500))
    with pytest.raises(HogVMStepLimitExceededException):
        execute_bytecode(bytecode, max_steps=steps - 1)


def test_infinite_loop_times_out_within_50ms_of_the_deadline() -> None:
    # The best of three runs: a busy machine may deschedule the process, the VM must not overrun.
    overruns = []
    for _ in range(3):
        error, elapsed = timed(INFINITE_LOOP, timeout=0.2)
        assert type(error) is HogVMRuntimeExceededException
        assert str(error).startswith("Runtime exceeded 0.2 seconds after ")
        assert error.ops_performed > 0
        assert elapsed >= 0.2
        overruns.append(elapsed - 0.2)
    assert min(overruns) < 0.05


def test_a_blocking_builtin_is_bounded_by_the_timeout() -> None:
    error, elapsed = timed("sleep(30); return 1", timeout=0.2)
    assert type(error) is HogVMRuntimeExceededException
    assert elapsed < 0.5


def test_unbounded_recursion_hits_the_call_depth_limit() -> None:
    error, _ = timed("fn f(n) { return f(n + 1) } return f(0)")
    assert type(error) is HogVMCallDepthExceededException
    assert error.max_call_depth == 1000
    error, _ = timed("fn f(n) { return f(n + 1) } return f(0)", max_call_depth=50)
    assert type(error) is HogVMCallDepthExceededException and error.max_call_depth == 50


def test_mutual_recursion_through_lambdas_is_bounded_too() -> None:
    error, _ = timed("let a := null; let b := n -> a(n); a := n -> b(n); return a(1)")
    assert type(error) is HogVMCallDepthExceededException


MEMORY_BOMBS = {
    "string doubling": "let s := 'x'; while (true) { s := s + s }",
    "string doubling in concat": "let s := 'x'; while (true) { s := concat(s, s) }",
    "array of arrays": "let a := [1]; while (true) { a := a + a }",
    "dict growth": "let d := {}; let i := 0; while (true) { d[i] := 'some value'; i := i + 1 }",
    "range": "return range(100000000)",
    "repeated push": "let a := []; let big := range(10000); while (true) { a := arrayPushBack(a, range(10000)) }",
    "printing": "let s := 'x'; for (let i := 0; i < 22; i := i + 1) { s := s || s } while (true) { print(s) }",
    "repetition": "return [1] * 100000000",
}


@pytest.mark.parametrize("name", list(MEMORY_BOMBS))
def test_memory_bombs_fail_fast(name: str) -> None:
    error, elapsed = timed(MEMORY_BOMBS[name], memory_limit=2 * 1024 * 1024, timeout=30)
    assert type(error) is HogVMMemoryExceededException, error
    assert error.memory_limit == 2 * 1024 * 1024
    assert str(error).startswith("Memory limit of 2097152 bytes exceeded. Attempted to use ")
    assert elapsed < 5


def test_garbage_heavy_programs_are_not_memory_errors() -> None:
    # 200 MB allocated in total, never more than a few KB alive at once.
    source = "let n := 0; for (let i := 0; i < 20000; i := i + 1) { let s := f'{i}' || repeat; n := n + length(s) } return n"
    repeat = "r" * 10_000
    result = execute_bytecode(compile_hog(source), {"repeat": repeat}, memory_limit=1024 * 1024, timeout=30)
    assert result.result == sum(len(str(i)) + len(repeat) for i in range(20000))


def test_a_huge_global_counts_against_the_memory_limit() -> None:
    globals = {"blob": ["x" * 1000] * 20_000}
    error, _ = timed_globals("return blob", globals, memory_limit=1024 * 1024)
    assert type(error) is HogVMMemoryExceededException


def timed_globals(source: str, globals: dict[str, Any], **options: Any) -> tuple[BaseException, float]:
    start = time.perf_counter()
    with pytest.raises(Exception) as caught:
        execute_bytecode(compile_hog(source), globals, **options)
    return caught.value, time.perf_counter() - start


def test_pathological_regex_runs_in_linear_time() -> None:
    text = "a" * 200_000 + "!"
    start = time.perf_counter()
    result = execute_bytecode(compile_hog("return [text =~ '(a+)+$', text =~ '^(a|aa)+$', match(text, '(a*)*b')]"),
                              {"text": text})
    assert result.result == [False, False, False]
    assert time.perf_counter() - start < 1


def test_regex_syntax_re2_does_not_support_is_a_clear_error() -> None:
    error, _ = timed("return 'abc' =~ '(?<=a)b'")
    assert type(error) is HogVMException and str(error).startswith("Invalid regex pattern")


def test_deeply_nested_values_from_hog_code_do_not_crash() -> None:
    source = "let a := []; for (let i := 0; i < 20000; i := i + 1) { a := [a] } return [length(a), a]"
    count, nested = execute_bytecode(compile_hog(source)).result
    depth = 0
    while nested:
        nested, depth = nested[0], depth + 1
    assert (count, depth) == (1, 20000)
    # With a function inside, the result must be converted: too deep is a clear error.
    error, _ = timed("let a := [x -> x]; for (let i := 0; i < 20000; i := i + 1) { a := [a] } return a")
    assert isinstance(error, HogVMException) and "nested" in str(error)


def test_comparing_cyclic_values_is_an_answer_not_a_crash() -> None:
    # Python's == recurses forever here (PostHog's VM crashes); hogvm.comparison assumes a pair
    # of arrays met again while comparing them is equal, for `=` as for equals().
    source = "let a := [1]; let b := [1]; a[1] := a; b[1] := b; return [a = b, equals(a, b), a != b, a < b]"
    assert execute_bytecode(compile_hog(source), timeout=5).result == [True, True, False, False]
