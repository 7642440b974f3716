"""The VM core: execution model, calls, closures, errors, host functions, globals, results.

Programs are compiled with our compiler where it can express them; opcodes the compiler never
emits (legacy DECLARE_FN, IN_COHORT) and legacy `_h` bytecode are written by hand. Where a fact
comes from PostHog's VMs, the test runs the same bytecode on the TypeScript VM (`node_vm`).
"""

from __future__ import annotations

from typing import Any

import pytest

from hogvm import compile_hog, execute_bytecode
from hogvm.errors import HogError, HogVMException, UncaughtHogVMException
from hogvm.opcodes import Op


def run(source: str, globals: dict[str, Any] | None = None, **options: Any) -> Any:
    return execute_bytecode(compile_hog(source), globals, **options)


def result_of(source: str, globals: dict[str, Any] | None = None, **options: Any) -> Any:
    return run(source, globals, **options).result


def error_of(source: str | list[Any], **options: Any) -> HogError:
    bytecode = compile_hog(source) if isinstance(source, str) else source
    with pytest.raises(HogError) as caught:
        execute_bytecode(bytecode, **options)
    return caught.value


# --- program end --------------------------------------------------------------------------


def test_top_level_return_ends_the_program() -> None:
    assert result_of("return 1; print('unreachable')") == 1
    assert run("print('a'); return [1, 'b']; print('c')").stdout == ["a"]


def test_falling_off_the_end_returns_the_single_value_left_or_null() -> None:
    assert execute_bytecode(["_H", 1, Op.INTEGER, 7]).result == 7
    assert execute_bytecode(["_H", 1]).result is None
    assert execute_bytecode(["_H", 1, Op.INTEGER, 7, Op.POP]).result is None


def test_two_values_left_at_the_end_is_an_error_as_in_posthog() -> None:
    error = error_of(["_H", 1, Op.INTEGER, 1, Op.INTEGER, 2])
    assert str(error) == "Invalid bytecode. More than one value left on stack"


def test_steps_count_every_executed_instruction() -> None:
    assert execute_bytecode(["_H", 1, Op.INTEGER, 1, Op.INTEGER, 2, Op.PLUS, Op.RETURN]).steps == 4
    loop = run("let i := 0; while (i < 10) { i := i + 1 }")
    again = run("let i := 0; while (i < 10) { i := i + 1 }")
    assert loop.steps == again.steps > 10 * 5


# --- legacy bytecode and opcodes the compiler never emits ----------------------------------


@pytest.mark.oracle
def test_legacy_version_0_pops_call_arguments_in_reverse(node_vm: Any) -> None:
    # `_h`: arguments were pushed last-first, so concat('a', 'b') pushed 'b' then 'a'.
    bytecode = ["_h", Op.STRING, "b", Op.STRING, "a", Op.CALL_GLOBAL, "concat", 2, Op.RETURN]
    assert execute_bytecode(bytecode).result == "ab"
    assert node_vm.run(bytecode)["result"] == "ab"
    # The same list with a version-1 header reads the arguments in push order.
    assert execute_bytecode(["_H", 1, *bytecode[1:]]).result == "ba"


@pytest.mark.oracle
def test_legacy_declare_fn_registers_a_function_called_by_name(node_vm: Any) -> None:
    body = [Op.GET_LOCAL, 0, Op.GET_LOCAL, 1, Op.MINUS, Op.RETURN]  # sub(a, b) = a - b
    bytecode = [
        "_H", 1, Op.DECLARE_FN, "sub", 2, len(body), *body,
        Op.INTEGER, 10, Op.INTEGER, 3, Op.CALL_GLOBAL, "sub", 2, Op.RETURN,
    ]
    assert execute_bytecode(bytecode).result == node_vm.run(bytecode)["result"] == 3 - 10


@pytest.mark.oracle
@pytest.mark.parametrize("op", [Op.IN_COHORT, Op.NOT_IN_COHORT])
def test_cohort_opcodes_are_not_executable(node_vm: Any, op: Op) -> None:
    bytecode = ["_H", 1, Op.INTEGER, 1, Op.INTEGER, 2, op]
    assert "Unexpected node" in str(error_of(bytecode))
    assert "Unexpected node" in node_vm.run(bytecode)["error"]


def test_chunk_dicts_and_import_run_another_chunk_with_its_own_globals() -> None:
    module = ["_H", 1, Op.STRING, "who", Op.GET_GLOBAL, 1, Op.RETURN]
    root = ["_H", 1, Op.STRING, "lib", Op.CALL_GLOBAL, "import", 1, Op.RETURN]
    program = {"root": {"bytecode": root}, "lib": {"bytecode": module, "globals": {"who": "module"}}}
    assert execute_bytecode(program).result == "module"
    assert "Unknown chunk: nope" in str(error_of(["_H", 1, Op.STRING, "nope", Op.CALL_GLOBAL, "import", 1]))


# --- values, operators ---------------------------------------------------------------------


def test_division_by_zero_is_a_hog_error_with_pythons_text() -> None:
    for source in ("return 1 / 0", "return 1 % 0", "return 1.5 / 0"):
        error = error_of(source)
        assert type(error) is HogVMException
        assert "by zero" in str(error)


def test_type_errors_keep_the_python_vm_text() -> None:
    assert str(error_of("return 1 + 'a'")) == "unsupported operand type(s) for +: 'int' and 'str'"
    assert "'<' not supported" in str(error_of("return null < 1"))


def test_huge_repetitions_and_integers_are_refused() -> None:
    assert "Memory limit" in str(error_of("return 'ab' * 1000000000"))
    assert "Integer overflow" in str(error_of("let x := 3; for (let i := 0; i < 40; i := i + 1) { x := x * x } return x"))


def test_string_format_operator_is_not_exposed() -> None:
    assert "unsupported operand" in str(error_of("return '%s%s' % 1"))


def test_property_access_reaches_only_hog_data() -> None:
    assert result_of("return 'abc'.__class__") is None
    assert result_of("return {'a': 1}.keys") is None
    assert result_of("let f := x -> x; return f.__code__") is None
    assert result_of("return [1, 2].append") is None
    assert result_of("let f := upper; return f.callable") is None


def test_index_zero_is_an_error_and_out_of_range_is_null() -> None:
    assert str(error_of("let a := [1]; let i := 0; return a[i]")) == "Hog arrays start from index 1"
    assert result_of("return [1, 2][5]") is None
    assert "out of range" in str(error_of("let a := [1]; a[3] := 1"))


def test_setting_a_property_on_a_string_or_tuple_fails_clearly() -> None:
    assert str(error_of("let s := 'abc'; s[1] := 'x'")) == 'Can not set property "1" on object of type "str"'


# --- calls ---------------------------------------------------------------------------------


def test_missing_arguments_are_null_and_extra_ones_an_error() -> None:
    assert result_of("fn f(a, b) { return [a, b] } return f(1)") == [1, None]
    assert str(error_of("fn f(a) { return a } return f(1, 2)")) == "Too many arguments. Passed 2, expected 1"


def test_more_than_300_arguments_is_an_error() -> None:
    args = [item for _ in range(301) for item in (Op.NULL,)]
    bytecode = ["_H", 1, *args, Op.STRING, "upper", Op.GET_GLOBAL, 1, Op.CALL_LOCAL, 301]
    assert str(error_of(bytecode)) == "Too many arguments"


def test_builtin_arity_is_checked() -> None:
    assert "upper" in str(error_of("return upper()"))
    assert "upper" in str(error_of("return upper('a', 'b')"))


def test_unknown_functions_and_globals() -> None:
    assert str(error_of("return nope(1)")) == "Unsupported function call: nope"
    assert str(error_of("return nothing_here")) == "Global variable not found: nothing_here"


@pytest.mark.oracle
def test_builtins_and_bytecode_stl_are_first_class_values(node_vm: Any) -> None:
    bytecode = compile_hog("let f := upper; let g := length; return [f('x'), g([1, 2]), arrayMap(f, ['a'])]")
    assert execute_bytecode(bytecode).result == node_vm.run(bytecode)["result"] == ["X", 2, ["A"]]


def test_bytecode_stl_called_through_a_variable() -> None:
    # PostHog's VMs say "Unsupported function call: arrayMap" here; calling it is the obvious meaning.
    assert result_of("let m := arrayMap; return m(x -> x * 2, [1, 2])") == [2, 4]


def test_bytecode_stl_arity_is_exact() -> None:
    assert str(error_of("return arrayMap(x -> x)")) == "Function arrayMap requires exactly 2 arguments"


def test_calling_a_non_function_fails_clearly() -> None:
    assert "Invalid closure" in str(error_of("let f := 1; return f()"))


# --- try / catch / throw -------------------------------------------------------------------


def test_uncaught_throw_carries_type_message_and_payload() -> None:
    error = error_of("throw HogError('CustomError', 'it broke', {'code': 7})")
    assert isinstance(error, UncaughtHogVMException)
    assert (error.type, error.message, error.payload) == ("CustomError", "it broke", {"code": 7})
    assert str(error) == "CustomError('it broke')"


def test_only_error_objects_can_be_thrown() -> None:
    assert str(error_of("throw 'oops'")) == "Can not throw: value is not of type Error"
    assert str(error_of("throw {'message': 'x'}")) == "Can not throw: value is not of type Error"


def test_builtin_errors_are_not_catchable_as_in_posthog() -> None:
    error = error_of("try { return assumeNotNull(null) } catch (e) { return 'caught' }")
    assert not isinstance(error, UncaughtHogVMException)


def test_a_try_left_by_return_does_not_catch_later_throws() -> None:
    # As PostHog's current VMs (their catchAfterReturn test); @posthog/hogvm 1.0.71 keeps the dead
    # handler and jumps into the returned function's catch block.
    source = """
        fn early() { try { return 1 } catch (e) { print('wrong handler') } }
        early()
        throw Error('after')
    """
    error = error_of(source)
    assert isinstance(error, UncaughtHogVMException) and error.message == "after"


def test_pop_try_without_try_is_an_error() -> None:
    assert "POP_TRY" in str(error_of(["_H", 1, Op.POP_TRY]))


def test_catch_restores_the_stack_and_locals_of_the_catching_frame() -> None:
    source = """
        fn deep(n) { let pad := [n]; if (n = 0) { throw Error('bottom') } return deep(n - 1) }
        let before := 'kept'
        let caught := null
        try { deep(50) } catch (e) { caught := e.message }
        return [before, caught, deep2()]
        fn deep2() { return 'after' }
    """
    with pytest.raises(HogVMException, match="Unsupported function call: deep2"):
        execute_bytecode(compile_hog(source))
    assert result_of(source.replace(", deep2()", "")) == ["kept", "bottom"]


# --- host functions and globals ------------------------------------------------------------


def test_host_functions_are_called_with_hog_values_and_results_converted() -> None:
    calls: list[tuple[Any, ...]] = []

    def host(*args: Any) -> Any:
        calls.append(args)
        return {"ok": True, "items": (1, 2), "when": b"bytes"}

    result = result_of("return lookup('a', [1, {'b': null}])", functions={"lookup": host})
    assert calls == [("a", [1, {"b": None}])]
    assert result == {"ok": True, "items": (1, 2), "when": "bytes"}


def test_host_functions_override_builtins_and_work_as_values() -> None:
    functions = {"upper": lambda text: f"host:{text}"}
    assert result_of("let f := upper; return [upper('x'), f('y')]", functions=functions) == ["host:x", "host:y"]


def test_a_failing_host_function_is_named_in_the_error() -> None:
    def broken(*_: Any) -> None:
        raise KeyError("missing")

    error = error_of("return fetchThing(1)", functions={"fetchThing": broken})
    assert type(error) is HogVMException
    assert "fetchThing" in str(error) and "KeyError" in str(error)


def test_globals_are_never_mutated() -> None:
    globals = {"event": {"properties": {"tags": ["a"], "n": 1}}}
    source = """
        let e := event
        e.properties.n := 2
        let tags := event.properties.tags
        tags[1] := 'changed'
        return [e.properties.n, event.properties.n, tags, event.properties.tags]
    """
    assert result_of(source, globals) == [2, 1, ["changed"], ["a"]]
    assert globals == {"event": {"properties": {"tags": ["a"], "n": 1}}}


def test_cyclic_globals_are_copied_with_their_cycle() -> None:
    cyclic: dict[str, Any] = {"name": "loop"}
    cyclic["self"] = cyclic
    assert result_of("return event.self.self.name", {"event": cyclic}) == "loop"
    assert run("print(event)", {"event": cyclic}).stdout == ["{'name': 'loop', 'self': null}"]


def test_deeply_nested_globals_fail_cleanly() -> None:
    deep: Any = "bottom"
    for _ in range(5000):
        deep = [deep]
    error = error_of_globals("return deep", {"deep": deep})
    assert "nested" in str(error)


def error_of_globals(source: str, globals: dict[str, Any]) -> HogError:
    with pytest.raises(HogError) as caught:
        run(source, globals)
    return caught.value


# --- results -------------------------------------------------------------------------------


def test_closures_are_returned_as_posthogs_closure_dicts() -> None:
    result = result_of("let k := 5; return [x -> x + k, upper]")
    lambda_, builtin = result
    assert lambda_["__hogClosure__"] is True
    assert lambda_["callable"]["__hogCallable__"] == "local"
    assert (lambda_["callable"]["name"], lambda_["callable"]["argCount"]) == ("lambda", 1)
    assert lambda_["upvalues"] == [1]
    assert builtin["callable"] == {
        "__hogCallable__": "stl", "name": "upper", "chunk": "stl", "argCount": 1, "upvalueCount": 0, "ip": -1,
    }


def test_a_bare_callable_is_returned_as_posthogs_callable_dict() -> None:
    # Hand-written bytecode can leave CALLABLE's value without its CLOSURE.
    bytecode = ["_H", 1, Op.CALLABLE, "f", 2, 0, 2, Op.NULL, Op.RETURN, Op.RETURN]
    assert execute_bytecode(bytecode).result == {
        "__hogCallable__": "local", "name": "f", "chunk": "root", "argCount": 2, "upvalueCount": 0, "ip": 7,
    }


@pytest.mark.oracle
def test_callable_ip_is_the_bytecode_offset_as_in_posthog(node_vm: Any) -> None:
    bytecode = compile_hog("let pad := 1; return (a, b) -> a")
    ours = execute_bytecode(bytecode).result["callable"]
    theirs = node_vm.run(bytecode)["result"]["callable"]
    assert ours["ip"] == theirs["ip"] and ours["argCount"] == theirs["argCount"] == 2


# --- the deliberate divergence: one binding per loop iteration ------------------------------

LOOP_CLOSURES = {
    # program -> (ours: JavaScript/Lua semantics, PostHog's VMs: one shared upvalue)
    "let fns := []; for (let i := 0; i < 3; i := i + 1) { fns := arrayPushBack(fns, () -> i) } "
    "return arrayMap(f -> f(), fns)": ([0, 1, 2], [3, 3, 3]),
    "let fns := []; for (let x in ['a', 'b', 'c']) { fns := arrayPushBack(fns, () -> x) } "
    "return arrayMap(f -> f(), fns)": (["a", "b", "c"], ["c", "c", "c"]),
    "let fns := []; for (let k, v in {'a': 1, 'b': 2}) { fns := arrayPushBack(fns, () -> [k, v]) } "
    "return arrayMap(f -> f(), fns)": ([["a", 1], ["b", 2]], [["b", 2], ["b", 2]]),
    "let fns := []; let i := 0; while (i < 3) { let copy := i; fns := arrayPushBack(fns, () -> copy); "
    "i := i + 1 } return arrayMap(f -> f(), fns)": ([0, 1, 2], [0, 0, 0]),
}


@pytest.mark.oracle
@pytest.mark.parametrize("source", list(LOOP_CLOSURES))
def test_divergence_closures_in_loops_capture_one_binding_per_iteration(node_vm: Any, source: str) -> None:
    ours, posthogs = LOOP_CLOSURES[source]
    bytecode = compile_hog(source)
    assert execute_bytecode(bytecode).result == ours
    assert node_vm.run(bytecode)["result"] == posthogs


@pytest.mark.oracle
def test_divergence_a_closed_upvalue_is_never_reused_for_a_new_variable(node_vm: Any) -> None:
    # PostHog's capture looks up upvalues by stack slot, closed ones included: the second
    # make() call's `v` sits where the first one's did, so PostHog's `b` sees the first value.
    bytecode = compile_hog("fn make(v) { return () -> v }\nlet a := null\na := make(1)\nlet b := make(2)\nreturn [a(), b()]")
    assert execute_bytecode(bytecode).result == [1, 2]
    assert node_vm.run(bytecode)["result"] == [1, 1]


@pytest.mark.oracle
def test_variables_shared_across_iterations_stay_shared(node_vm: Any) -> None:
    # Per-iteration bindings only apply to loop variables: an outer counter is one variable.
    source = """
        let total := 0
        let add := (n) -> { total := total + n }
        for (let i := 1; i <= 4; i := i + 1) { add(i) }
        let fns := []
        let j := 0
        while (j < 3) { fns := arrayPushBack(fns, () -> j); j := j + 1 }
        return [total, arrayMap(f -> f(), fns)]
    """
    bytecode = compile_hog(source)
    assert execute_bytecode(bytecode).result == node_vm.run(bytecode)["result"] == [10, [3, 3, 3]]


def test_a_loop_body_can_still_update_its_variable_for_its_own_closures() -> None:
    source = """
        let fns := []
        for (let i := 0; i < 6; i := i + 1) { fns := arrayPushBack(fns, () -> i); i := i + 1 }
        return arrayMap(f -> f(), fns)
    """
    assert result_of(source) == [1, 3, 5]  # JavaScript prints the same


# --- comparisons of dates ------------------------------------------------------------------


@pytest.mark.oracle
def test_dates_and_datetimes_compare_by_instant_also_with_date_strings(node_vm: Any) -> None:
    # PostHog's current VMs order temporal values by epoch seconds (realtime "is date after"
    # filters compare an ISO `timestamp` string with toDateTime(...)).
    source = """
        let later := toDateTime('2026-06-28T00:00:00Z')
        let earlier := toDateTime('2026-06-23T00:00:00Z')
        return [later > earlier, later < earlier, later > '2026-06-01', '2026-07-01' > later,
                later = toDateTime('2026-06-28T02:00:00+02:00'), toDate('2024-01-01') < toDate('2024-01-02'),
                toDate('2026-06-28') = later]
    """
    bytecode = compile_hog(source)
    expected = [True, False, True, True, True, True, True]
    assert execute_bytecode(bytecode).result == expected
    assert node_vm.run(bytecode)["result"] == expected


def test_a_datetime_and_a_non_date_string_do_not_order() -> None:
    error = error_of("return toDateTime('2026-06-28T00:00:00Z') > 'soon'")
    assert "'>' not supported" in str(error)


# --- step counting -------------------------------------------------------------------------


@pytest.mark.oracle
def test_steps_equal_posthogs_op_count() -> None:
    """`steps` counts what PostHog's VMs count as ops (the TS VM reports it in `state.ops`)."""
    import json
    import subprocess
    from pathlib import Path

    module = Path(__file__).parent / "oracles" / "node" / "node_modules" / "@posthog" / "hogvm"
    script = (
        "const hogvm = require(process.argv[1]);"
        "const programs = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(programs.map((p) => hogvm.exec(p, {timeout: 60000}).state.ops)))"
    )
    sources = [
        "fn fib(n) { if (n < 2) { return n } return fib(n - 1) + fib(n - 2) } return fib(12)",
        "let s := 0; for (let i := 0; i < 50; i := i + 1) { s := s + i } return s",
        "let total := 0; for (let k, v in {'a': 1, 'b': 2}) { total := total + v } return total",
        "try { throw Error('x') } catch (e) { return e.message }",
        "let f := x -> [x, x]; return f(f(1))",
    ]  # (no bytecode-STL calls: their bodies are our own compilation, not PostHog's bytes)
    bytecodes = [compile_hog(source) for source in sources]
    done = subprocess.run(["node", "-e", script, str(module)], input=json.dumps(bytecodes),
                          capture_output=True, text=True, check=True, timeout=60)
    assert [execute_bytecode(bytecode).steps for bytecode in bytecodes] == json.loads(done.stdout)
