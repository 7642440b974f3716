"""Runs say when PostHog's VMs would answer them differently (ExecutionResult.posthog_divergences).

The central property, checked against `@posthog/hogvm` on generated closure programs: a run
reports a stale-upvalue finding exactly when PostHog's TypeScript VM, which shares the Python VM's
upvalue model, returns or prints something else.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hogvm import compile_hog, execute_bytecode
from hogvm.printing import print_hog_value

ISSUE_EXAMPLE = """
let words := ['a', 'b']
return arrayCount(t -> arrayExists(w -> position(t, w) > 0, words), ['xa', 'xb', 'zz'])
"""


def findings(source: str, kind: str | None = None) -> list[dict[str, Any]]:
    found = execute_bytecode(compile_hog(source)).posthog_divergences
    return [f for f in found if kind is None or f["kind"] == kind]


def test_the_issues_example_is_flagged_with_what_posthog_answers() -> None:
    result = execute_bytecode(compile_hog(ISSUE_EXAMPLE))
    assert result.result == 2
    [finding] = result.posthog_divergences
    assert finding["kind"] == "stale_upvalue" and finding["confirmed"] is True
    assert finding["posthog_result"] == 3
    assert "stale captured value here ('xa' where this run has 'xb')" in finding["message"]
    assert "returns 3 (here 2)" in finding["message"]


@pytest.mark.oracle
def test_posthogs_typescript_vm_gives_the_flagged_answer(node_vm) -> None:
    reply = node_vm.run(compile_hog(ISSUE_EXAMPLE))
    assert reply["result"] == 3


def test_a_stale_capture_that_changes_nothing_is_not_flagged() -> None:
    # PostHog's inner lambda reads 'xa' for 'xb' and finds 'a' where the right answer finds 'b':
    # both true, so the count, all a tagger returns, is the same.
    assert findings(ISSUE_EXAMPLE.replace("'xa', 'xb', 'zz'", "'xa', 'xb'")) == []


def test_the_check_can_be_turned_off() -> None:
    result = execute_bytecode(compile_hog(ISSUE_EXAMPLE), check_posthog=False)
    assert result.result == 2 and result.posthog_divergences == []


def test_ordinary_closures_are_not_flagged() -> None:
    assert findings("let k := 2\nreturn arrayMap(x -> x * k, [1, 2, 3])") == []
    assert findings("fn add(a) { return b -> a + b }\nlet f := add(1)\nreturn f(2)") == []


def test_a_loop_variable_shared_in_posthog_is_flagged() -> None:
    source = """
        let fs := []
        for (let i in [1, 2, 3]) { fs := arrayPushBack(fs, () -> i) }
        return arrayMap(f -> f(), fs)
    """
    [finding] = findings(source)
    assert finding["posthog_result"] == [3, 3, 3]


def test_what_posthog_prints_is_compared_too() -> None:
    source = """
        let words := ['a', 'b']
        let n := arrayCount(t -> arrayExists(w -> position(t, w) > 0, words), ['xa', 'xb', 'zz'])
        print(n)
        return null
    """
    [finding] = findings(source)
    assert finding["posthog_stdout"] == ["3"] and "prints other lines" in finding["message"]


def test_a_run_failing_in_posthog_says_so() -> None:
    source = """
        let out := []
        for (let s in ['ab', 'c']) { out := arrayPushBack(out, arrayMap(x -> substring(s, x, 1), [1, 2])) }
        return out
    """
    assert execute_bytecode(compile_hog(source)).result == [["a", "b"], ["c", ""]]
    assert findings(source) == []  # a loop variable read at once: both models agree


def test_nondeterministic_calls_replay_their_recorded_results() -> None:
    # The check replays the run: a clock or random value must not look like a divergence.
    source = """
        let r := randomFloat()
        let fs := arrayMap(x -> () -> x, [1, 2])
        return [r, arrayMap(f -> f(), fs), generateUUIDv4() != '']
    """
    result = execute_bytecode(compile_hog(source))
    [finding] = result.posthog_divergences
    # PostHog's second closure gets the first call's (closed) cell for x
    assert result.result[1] == [1, 2] and finding["posthog_result"][1] == [1, 1]
    assert finding["posthog_result"][0] == result.result[0]  # the recorded random number


def test_host_functions_replay_what_they_answered() -> None:
    # The check replays recorded host calls; one it makes with other arguments (its path has
    # diverged) goes to the host, as PostHog's VM would make it.
    calls = []

    def record(x):
        calls.append(x)
        return x

    source = "return arrayMap(f -> f(), arrayMap(x -> () -> record(x), [1, 2]))"
    result = execute_bytecode(compile_hog(source), functions={"record": record})
    assert result.result == [1, 2] and calls == [1, 2, 1]  # record(1) replayed, then called with 1
    assert result.posthog_divergences[0]["posthog_result"] == [1, 1]


def test_a_check_that_runs_out_of_budget_is_unconfirmed() -> None:
    source = """
        let fs := arrayMap(x -> () -> x, [1, 2])
        let total := 0
        for (let i := 0; i < 300; i := i + 1) { total := total + 1 }
        return arrayMap(f -> f(), fs)
    """
    # the replay gets the same step budget; a budget the first run just fits still fits
    result = execute_bytecode(compile_hog(source), max_steps=100_000)
    assert result.posthog_divergences[0]["confirmed"] is True


def test_functions_posthog_lacks_or_runs_wrongly_are_flagged() -> None:
    [finding] = findings("let f := arrayMap\nreturn f(x -> x, [1])")
    assert finding["kind"] == "unsupported_in_posthog" and "Unsupported function call: arrayMap" in finding["message"]
    [finding] = findings("return tryBase64Decode('aGk=')")
    assert finding["kind"] == "unsupported_in_posthog"
    [finding] = findings("return arrayReduce((a, b) -> a + b, [1, 2], 0)")
    assert finding["kind"] == "posthog_defect"


# --- the property -------------------------------------------------------------------------------

_SMALL = st.integers(min_value=0, max_value=4)
_LISTS = st.lists(_SMALL, min_size=0, max_size=3).map(lambda xs: "[" + ", ".join(map(str, xs)) + "]")


@st.composite
def expressions(draw, names: tuple[str, ...], depth: int = 0) -> str:
    choices = ["literal", "name", "plus"] + (["hof", "call", "reduce"] if depth < 3 else [])
    kind = draw(st.sampled_from(choices))
    if kind == "literal" or (kind == "name" and not names):
        return str(draw(_SMALL))
    if kind == "name":
        return draw(st.sampled_from(names))
    if kind == "plus":
        return f"({draw(expressions(names, depth + 1))} + {draw(expressions(names, depth + 1))})"
    param = f"v{depth}"
    body = draw(expressions((*names, param), depth + 1))
    if kind == "call":
        return f"((({param}) -> {body})({draw(expressions(names, depth + 1))}))"
    if kind == "reduce":
        return f"arrayReduce((acc{depth}, {param}) -> acc{depth} + {body}, {draw(_LISTS)}, 0)"
    function = draw(st.sampled_from(["arrayMap", "arrayCount", "arrayExists", "arrayFilter"]))
    if function == "arrayMap":
        return f"length(arrayMap({param} -> {body}, {draw(_LISTS)})) + arrayCount(q -> q > 1, arrayMap({param} -> {body}, {draw(_LISTS)}))"
    threshold = draw(_SMALL)
    test = f"{body} > {threshold}"
    if function == "arrayFilter":
        return f"length(arrayFilter({param} -> {test}, {draw(_LISTS)}))"
    if function == "arrayExists":
        return f"if(arrayExists({param} -> {test}, {draw(_LISTS)}), 1, 0)"
    return f"arrayCount({param} -> {test}, {draw(_LISTS)})"


@st.composite
def programs(draw) -> str:
    lines = [f"let base := {draw(_SMALL)}"]
    names: tuple[str, ...] = ("base",)
    if draw(st.booleans()):
        lines.append("let fs := []")
        lines.append(f"for (let i in {draw(_LISTS)}) {{ fs := arrayPushBack(fs, () -> "
                     f"{draw(expressions(('i', *names), 1))}) }}")
        lines.append("print(arrayMap(f -> f(), fs))")
    for index in range(draw(st.integers(1, 3))):
        lines.append(f"let r{index} := {draw(expressions(names))}")
        lines.append(f"print(r{index})")
        names = (*names, f"r{index}")
    lines.append(f"return {draw(expressions(names))}")
    return "\n".join(lines)


@pytest.mark.oracle
@pytest.mark.fuzz
@given(programs())
def test_flagged_exactly_when_posthogs_vm_answers_otherwise(node_vm, source: str) -> None:
    bytecode = compile_hog(source)
    try:
        ours = execute_bytecode(bytecode, timeout=5.0, max_steps=200_000)
    except Exception:
        assume(False)
        raise
    reply = node_vm.run(bytecode)
    assume(reply["ok"])
    differs = (print_hog_value(ours.result), ours.stdout) != (reply["printed"], reply["stdout"])
    flagged = [f for f in ours.posthog_divergences if f["kind"] == "stale_upvalue"]
    assert bool(flagged) == differs, (source, ours.result, reply["printed"], flagged)
    if flagged:
        assert flagged[0]["confirmed"] is True
        assert print_hog_value(flagged[0]["posthog_result"]) == reply["printed"]
        assert flagged[0]["posthog_stdout"] == reply["stdout"]
