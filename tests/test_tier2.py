"""Tier 2 (Hog compiled to Python functions): same observable behaviour as tier 1, no new surface.

The whole suite also runs on both tiers (tests/conftest.py) and tests/test_tier2_differential.py
compares them on generated programs and mutated bytecode. Here: what only tier 2 has (selection,
fallback, caching, the generated code itself) and hand-picked programs where the two tiers are
most likely to part: captured variables, catch handlers, limits, memory measured in running frames,
error positions.
"""

from __future__ import annotations

import io
import re
import threading
import tokenize
from pathlib import Path

import pytest

from hogvm import HogError, HogVMException, compile_hog, compile_hog_with_warnings, execute_bytecode
from hogvm.loader import bytecode_stl_chunk, load_program
from hogvm.opcodes import Op
from hogvm.printing import print_hog_value
from hogvm.stl import BYTECODE_STL, STL
from hogvm.stl.registry import Builtin
from hogvm.tier2 import STATS, Tier2Machine, compile_function, machine_for
from tests.tier2_support import both, outcome

ROOT = Path(__file__).resolve().parent.parent
H = ["_H", 1]
RUNS_BOTH_TIERS_ITSELF = True  # tests/conftest.py: no per-tier copies of these tests



def _compiling(paths: list[Path]) -> list[Path]:
    """The programs our compiler accepts (the parser corpus also holds some it refuses)."""
    accepted = []
    for path in paths:
        try:
            compile_hog(path.read_text(encoding="utf-8"))
        except HogError:
            continue
        accepted.append(path)
    return accepted


PROGRAMS = _compiling(sorted([*ROOT.glob("tests/corpus/*/*.hog"), *ROOT.glob("tests/golden/*.hog"),
                              *ROOT.glob("examples/taggers/*.hog"), *ROOT.glob("bench/taggers/*.hog")]))


def compiled_sources(bytecode: list) -> list[str]:
    return load_program(bytecode).root.tier2.sources


# --- tier 2 runs everything our compiler makes ------------------------------------------------


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_program_of_the_repository_compiles_to_tier_2(path: Path) -> None:
    bytecode = compile_hog(path.read_text(encoding="utf-8"))
    assert machine_for(load_program(bytecode), 2, 1000) is Tier2Machine


@pytest.mark.parametrize("name", sorted(BYTECODE_STL))
def test_every_bytecode_stl_function_compiles_to_tier_2(name: str) -> None:
    arg_count, chunk = bytecode_stl_chunk(name, BYTECODE_STL)
    assert callable(compile_function(chunk, 0, arg_count, root=False))


# --- selection, fallback, caching -----------------------------------------------------------------


def test_auto_runs_a_short_program_on_tier_1_once_then_on_tier_2() -> None:
    bytecode = compile_hog("let unique_auto_1 := 'x'; return unique_auto_1 + 'y'")
    assert execute_bytecode(bytecode, tier="auto").tier == 1
    assert execute_bytecode(bytecode, tier="auto").tier == 2
    assert execute_bytecode(list(bytecode), tier="auto").tier == 2  # same content: same decoded chunk


def test_auto_compiles_a_program_that_may_run_long_at_once() -> None:
    looping = compile_hog("let unique_auto_2 := 0; while (unique_auto_2 < 3) { unique_auto_2 := unique_auto_2 + 1 } "
                          "return unique_auto_2")
    calling = compile_hog("let unique_auto_3 := x -> x; return unique_auto_3(1)")
    assert execute_bytecode(looping, tier="auto").tier == 2
    assert execute_bytecode(calling, tier="auto").tier == 2


def test_explicit_tiers_and_bad_tiers() -> None:
    bytecode = compile_hog("return 40 + 2")
    assert execute_bytecode(bytecode, tier=1).tier == 1
    assert execute_bytecode(bytecode, tier=2).tier == 2
    with pytest.raises(HogVMException, match="tier must be 'auto', 1 or 2, got 3"):
        execute_bytecode(bytecode, tier=3)


@pytest.mark.parametrize(("bytecode", "reason"), [
    (["_h", Op.STRING, "b", Op.STRING, "a", Op.CALL_GLOBAL, "concat", 2, Op.RETURN], "legacy bytecode"),
    ([*H, Op.DECLARE_FN, "f", 0, 2, Op.NULL, Op.RETURN, Op.CALL_GLOBAL, "f", 0, Op.RETURN], "legacy DECLARE_FN"),
    ([*H, Op.POP, Op.NULL, Op.RETURN], "stack underflow"),
    ([*H, Op.NULL, Op.TRUE, Op.JUMP_IF_FALSE, 1, Op.NULL, Op.RETURN], "stack depth"),
])
def test_what_tier_2_cannot_compile_runs_on_tier_1_counted(bytecode: list, reason: str) -> None:
    fallbacks = STATS["fallback"]
    assert outcome(bytecode, 2) == outcome(bytecode, 1)
    assert machine_for(load_program(bytecode), 2, 1000) is not Tier2Machine
    assert STATS["fallback"] >= fallbacks + 2
    assert any(key.startswith(f"fallback: {reason}") for key in STATS)


def test_a_bytecode_is_compiled_once_and_loaded_by_identity() -> None:
    bytecode = compile_hog("let unique_cache := 0; for (let i := 0; i < 3; i := i + 1) { unique_cache := unique_cache + i } "
                           "return unique_cache")
    assert execute_bytecode(bytecode, tier=2).result == 3
    chunk = load_program(bytecode).root
    assert load_program(bytecode).root is chunk
    for _ in range(3):
        assert execute_bytecode(bytecode, tier=2).result == 3
    assert load_program(bytecode).root.tier2 is chunk.tier2
    assert len(chunk.tier2.sources) == 1
    at = next(i for i in range(len(bytecode) - 1) if bytecode[i] == Op.INTEGER and bytecode[i + 1] == 3)
    bytecode[at + 1] = 4  # changed in place: decoded afresh
    assert execute_bytecode(bytecode, tier=2).result == 6
    assert load_program(bytecode).root is not chunk


# --- the generated code: no Hog text ever becomes code ---------------------------------------------

HOSTILE = [
    "__import__('os').system('echo pwned')",
    "'); import os; os.system('x'); ('",
    '"""\nimport os\n"""',
    "\\\\'\\n\\x00\\",
    "line\nbreak\r\n\u2028\u2029",
    "\x00\x01\x7f",
    "s0",
    "m.executed",
    "k0",
    "é漢字🙂\u202eRTL",
    "{x}",
]
_GENERATED_NAME = re.compile(r"^(?:[sukhb]|_t)\d*$|^f\d+_\d+$|^k\d+$|^[ht]\d+$")
_VOCABULARY = frozenset([
    # the function's parameters and locals, and Python keywords
    "m", "base", "depth", "cl", "upv", "maxd", "fx", "stack", "mt", "out", "b", "fn", "compiled", "thrown", "error", "def",
    "if", "elif", "else", "while", "try", "except", "return", "raise", "continue", "and", "or", "not", "is",
    "None", "True", "False", "as", "from",
    # the runtime helpers and types in the namespace (hogvm/tier2/runtime.py HELPERS)
    "Throw", "Closure", "HogError", "Exception", "type", "len", "int", "float", "str", "bool", "list", "dict", "tuple", "op2",
    "op_n", "call", "call_bytecode_stl", "builtin_failure", "get_global", "get_global_of",
    "make_closure", "close", "throw", "drop_handlers", "depth_exceeded", "fail", "finish", "rebinds",
    "after_builtin", "monotonic", "store_property",
    # attributes of the machine, closures, upvalues, lists and dicts the code touches
    "executed", "budget", "check_limits", "max_call_depth", "functions", "throw_stack", "append", "pop",
    "callable", "arg_count", "upvalues", "value", "get", "error", "catch", "meter", "used", "limit", "stdout",
    "stdout_charged", "deadline", "collect",
])


def assert_only_generated_names(source: str) -> None:
    """The source is made of our vocabulary, numbered names and integer literals: no string
    literal, no float, no identifier that could have come from the program."""
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.STRING:
            raise AssertionError(f"a string literal in generated code: {token.string}")
        if token.type == tokenize.NAME:
            assert token.string in _VOCABULARY or _GENERATED_NAME.match(token.string), token.string
        if token.type == tokenize.NUMBER:
            assert token.string.isdigit(), token.string


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_in_every_position_stay_data(text: str) -> None:
    """Strings, dict keys, property names, global and function names, names of unknown functions and
    of host functions, function-value names, thrown messages: all values, never code."""
    programs = [
        [*H, Op.STRING, text, Op.STRING, text, Op.DICT, 1, Op.STRING, text, Op.GET_PROPERTY, Op.RETURN],
        [*H, Op.STRING, text, Op.GET_GLOBAL, 1, Op.RETURN],
        [*H, Op.STRING, text, Op.STRING, "event", Op.GET_GLOBAL, 2, Op.RETURN],
        [*H, Op.STRING, text, Op.CALL_GLOBAL, text, 1, Op.RETURN],
        [*H, Op.STRING, text, Op.CALL_GLOBAL, "print", 1, Op.POP, Op.STRING, text, Op.RETURN],
        [*H, Op.CALLABLE, text, 0, 0, 3, Op.STRING, text, Op.RETURN, Op.CLOSURE, 0, Op.CALL_LOCAL, 0, Op.RETURN],
        [*H, Op.CALLABLE, text, 0, 0, 3, Op.STRING, text, Op.RETURN, Op.CLOSURE, 0, Op.RETURN],
        [*H, Op.NULL, Op.STRING, text, Op.STRING, "message", Op.STRING, text, Op.STRING, "type",
         Op.STRING, "x", Op.STRING, "__hogError__", Op.TRUE, Op.DICT, 3, Op.THROW],
        compile_hog("try { throw Error(g) } catch (e) { return [e.message, e.type, g] }"),
    ]
    host = {text: lambda *args: [text, *args]}
    calling_host = [*H, Op.STRING, text, Op.CALL_GLOBAL, text, 1, Op.RETURN]
    assert outcome(calling_host, 1, functions=host) == outcome(calling_host, 2, functions=host)
    for bytecode in [*programs, calling_host]:
        globals_ = {text: {text: text}, "event": {text: [text]}, "g": text}
        assert outcome(bytecode, 1, globals_) == outcome(bytecode, 2, globals_, require_tier2=True)
        for source in compiled_sources(bytecode):
            assert text not in source or text in ("s0", "k0", "m.executed")
            assert_only_generated_names(source)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_module_names_stay_data(text: str) -> None:
    module = [*H, Op.STRING, text, Op.IN_COHORT, Op.RETURN]  # an opcode no VM runs: its error names the chunk
    program = {"root": {"bytecode": [*H, Op.STRING, text, Op.CALL_GLOBAL, "import", 1, Op.RETURN]},
               text: {"bytecode": module, "globals": {text: text}}}
    assert "Unexpected node" in both(program)["message"]
    program[text]["bytecode"] = [*H, Op.STRING, text, Op.GET_GLOBAL, 1, Op.RETURN]
    assert both(program)["result"] == print_hog_value(text)
    compiled = load_program(program)
    for chunk in (compiled.root, *compiled.chunks.values()):
        compile_function(chunk, 0, 0, root=chunk is compiled.root)
        for source in chunk.tier2.sources:
            assert_only_generated_names(source)


def test_hostile_names_from_hog_source_stay_data() -> None:
    source = """
        fn `__import__('os')`(`a'b`) { return `a'b` }
        let `s0` := {'k0': '__import__("os")', 'x\\ny': '\\\\'}
        let `m.executed` := `__import__('os')`(`s0`)
        print(`m.executed`, f'{`s0`.k0} \\' "')
        return [`m.executed`, properties.`x"y`, properties?.`🙂`]
    """
    bytecode = compile_hog(source)
    globals_ = {"properties": {'x"y': "q", "🙂": 1}}
    assert both(bytecode, globals_)["stdout"] == ["{'k0': '__import__(\"os\")', 'x\\ny': '\\\\'} __import__(\"os\") ' \""]
    for generated in compiled_sources(bytecode):
        assert_only_generated_names(generated)


def test_the_generated_namespace_has_no_python_builtins() -> None:
    bytecode = compile_hog("let unique_ns := x -> x; return unique_ns(1)")
    execute_bytecode(bytecode, tier=2)
    function = load_program(bytecode).root.tier2.functions[(0, 0)]
    assert function.__globals__["__builtins__"] == {}
    assert not {"open", "eval", "exec", "__import__", "getattr", "compile"} & function.__globals__.keys()


# --- semantics where the tiers could part -----------------------------------------------------------

SNIPPETS = {
    "per-iteration bindings": """
        let fs := []
        for (let i := 0; i < 3; i := i + 1) { fs := arrayPushBack(fs, () -> i) }
        for (let x in [10, 20]) { fs := arrayPushBack(fs, () -> x) }
        for (let k, v in {'a': 1, 'b': 2}) { fs := arrayPushBack(fs, () -> concat(k, toString(v))) }
        return arrayMap(f -> f(), fs)""",
    "shared captured variable": """
        let n := 0
        let inc := () -> { n := n + 1; return n }
        let get := () -> n
        inc(); inc(); n := n * 10
        return [inc(), get(), n]""",
    "closure outlives its frame": """
        fn counter(start) {
            let count := start
            return [() -> { count := count + 1; return count }, () -> count]
        }
        let a := counter(5)
        let b := counter(100)
        a[1](); a[1](); b[1]()
        return [a[2](), b[2]()]""",
    "nested closures two levels": """
        fn outer(x) {
            let y := x * 2
            fn middle(z) { return w -> x + y + z + w }
            return middle(1)
        }
        return outer(10)(100)""",
    "recursion through an upvalue": """
        fn fact(n) { if (n <= 1) { return 1 } return n * fact(n - 1) }
        return [fact(10), fact(20)]""",
    "try and catch with captured variables": """
        let log := []
        fn risky(n) {
            let local := n
            let f := () -> local
            if (n > 2) { throw Error(f'too big: {f()}') }
            return f()
        }
        for (let i := 0; i < 5; i := i + 1) {
            try { log := arrayPushBack(log, risky(i)) }
            catch (e) { log := arrayPushBack(log, e.message) }
        }
        return log""",
    "return from inside try": """
        fn f() { try { return 1 } catch (e) { return 2 } }
        let r := f()
        try { throw Error('after') } catch (e) { return [r, e.message] }""",
    "nested try rethrow": """
        let out := []
        try {
            try { throw Error('inner') }
            catch (e) { out := arrayPushBack(out, e.message); throw Error('outer') }
        } catch (e) { out := arrayPushBack(out, e.message) }
        return out""",
    "throw through frames": """
        fn deep(n) { if (n == 0) { throw Error('bottom') } return deep(n - 1) + 1 }
        try { return deep(50) } catch (e) { return e.message }""",
    "uncaught throw": "fn f() { throw Error('nobody catches', {'a': 1}) } return f()",
    "ternaries and nullish": """
        let a := null
        let b := {'x': {'y': 2}}
        return [a ?? 'd', b?.x?.y, a?.x, b.x.y ?? 0, (a ?? b).x, true ? (false ? 1 : 2) : 3]""",
    "mixed types on fast paths": """
        return [1 + 2.5, 'a' + 'b', 2 * 3.0, 7 / 2.0, 7 % 3, 1 < 2.5, 'a' < 'b', 1 == 1.0, true == 1,
                null == null, [1] == [1], 3 - true, 2 * 'ab', 1.5 * 2]""",
    "string errors": "return 'a' - 1",
    "division by zero": "return [1 / 0, 1 % 0]",
    "bytecode stl functions": """
        return [arrayMap(x -> x * 2, [1, 2, 3]), arrayFilter(x -> x > 1, [1, 2, 3]),
                arrayReduce((acc, x) -> acc + x, [1, 2, 3], 0), arrayExists(x -> x == 2, [1, 2]),
                arrayCount(x -> x > 0, [1, -1, 2]), sortableSemver('1.2.3')]""",
    "bytecode stl functions called again": """
        let out := []
        for (let i := 0; i < 4; i := i + 1) { out := arrayPushBack(out, arrayMap(x -> x + i, arrayFilter(x -> x > i, [1, 2, 3]))) }
        return out""",
    "lambda called with fewer arguments": "let f := (a, b) -> [a, b]; return f(1)",
    "lambda called with too many arguments": "let f := (a) -> a; return f(1, 2)",
    "builtin through a variable": "let f := length; let g := arrayMap; return [f('abc'), g(x -> x, [1])]",
    "calling a non-function": "let f := 1; return f()",
    "unknown function": "return nope(1)",
    "globals chains": "return [event.properties.a, event.missing, event.properties['a']]",
}


EVENT = {"event": {"properties": {"a": 1}}}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_tricky_programs_agree(name: str) -> None:
    compiled = compile_hog_with_warnings(SNIPPETS[name])
    seen = both(compiled.bytecode, EVENT, source_map=compiled.source_map)
    assert seen == outcome(compiled.bytecode, 2, EVENT, source_map=compiled.source_map, require_tier2=True)


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_max_steps_is_exact_on_both_tiers(name: str) -> None:
    compiled = compile_hog_with_warnings(SNIPPETS[name])
    steps = outcome(compiled.bytecode, 1, EVENT).get("steps", 40)
    for limit in sorted({steps + 1, steps, steps - 1, steps // 2, 7, 1, 0}):
        both(compiled.bytecode, EVENT, max_steps=limit, source_map=compiled.source_map)


def test_a_call_depth_tier_2_cannot_fit_in_python_runs_on_tier_1() -> None:
    bytecode = compile_hog("fn down(n) { if (n == 0) { return 0 } return down(n - 1) + 1 } return down(6000)")
    assert execute_bytecode(bytecode, tier=2, max_call_depth=7000).tier == 1
    assert execute_bytecode(bytecode, tier=2, max_call_depth=7000).result == 6000
    assert any(key.startswith("fallback: max_call_depth above") for key in STATS)


def test_call_depth_limit_is_the_same() -> None:
    source = "fn down(n) { if (n == 0) { return 0 } return down(n - 1) + 1 } return down(N)"
    for depth in (10, 999, 1000):
        both(compile_hog(source.replace("N", str(depth))), max_call_depth=1000)
    assert both(compile_hog(source.replace("N", "3000")), max_call_depth=3500)["result"] == "3000"
    assert both(compile_hog(source.replace("N", "5000")), max_call_depth=3500)["error"] == (
        "HogVMCallDepthExceededException")
    # through a bytecode-STL function (tier 2 checks the depth itself once it has seen arrayMap)
    source = "fn down(n) { if (n == 0) { return 0 } return arrayMap(x -> down(x), [n - 1])[1] + 1 } return [down(2), down(N)]"
    assert both(compile_hog(source.replace("N", "300")), max_call_depth=1000)["result"] == "[2, 300]"
    assert both(compile_hog(source.replace("N", "400")), max_call_depth=1000)["error"] == (
        "HogVMCallDepthExceededException")


MEMORY = {
    "string doubling": "let s := 'x'; while (true) { s := s + s }",
    "array in a loop": "let a := []; for (let i := 0; i < 5000; i := i + 1) { a := arrayPushBack(a, f'{i}') } return 1",
    "values held in recursive frames": """
        fn down(n, s) { let t := s + s; if (n == 0) { return length(t) } return down(n - 1, t) }
        return down(40, 'ab')""",
    "values held by closures": """
        let keep := []
        let big := 'x'
        for (let i := 0; i < 60; i := i + 1) { big := concat(big, big, 'y'); let mine := big; keep := arrayPushBack(keep, () -> mine) }
        return length(keep)""",
    "builtin results": "let out := []; for (let i := 0; i < 1000; i := i + 1) { out := arrayPushBack(out, range(i)) } return 1",
    # tier 2 charges a builtin's result inline: each kind as tier 1 charges it
    "builtin results of every kind": """
        let out := []
        for (let i := 0; i < 300; i := i + 1) {
            out := arrayPushBack(out, [tuple(i, i), jsonParse('{"a": [1, 2]}'), toString(i), keys({'a': i}), i > 3])
        }
        return 1""",
    "printed output": "let y := 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy'; for (let i := 0; i < 5000; i := i + 1) { print(y) }",
}


@pytest.mark.parametrize("name", sorted(MEMORY))
@pytest.mark.parametrize("limit", [20_000, 200_000, 1_000_000])
def test_memory_is_measured_alike_in_running_frames(name: str, limit: int) -> None:
    """The meter measures live values from tier 2's Python frames: same peaks, same failures, same
    attempted sizes in the message."""
    seen = both(compile_hog(MEMORY[name]), memory_limit=limit, max_steps=3_000_000, timeout=60)
    assert "steps" in seen or seen["error"] in ("HogVMMemoryExceededException",
                                                       "HogVMStepLimitExceededException")


def test_arguments_of_a_bytecode_stl_call_are_measured_as_on_tier_1() -> None:
    """A limit check made as `arrayCount` starts sees its arguments on both tiers (tier 2 passed
    them as Python arguments, out of the meter's sight; found by the differential property)."""
    bytecode = compile_hog("""
        for (let x1 in arrayPushBack([0], -4)) {
            let v2 := null
            for (let x3 in range(3)) {
                v2 := [null, null, null] + arrayReverse(null)
                v2 := {'a': -x1, 'b': arrayReduce((acc4, x5) -> acc4 + x5, [0, 0, 0, 0], -14), 'key': null}
                print(Error(null), Error(null) == null)
            }
        }
        let v6 := null
        let v7 := null == null and null is null and null == null
        let v8 := toInt(toString(null))
        return arrayCount((x9) -> x9 > null, null)""")
    peak = both(bytecode)["memory"]
    tight = both(bytecode, memory_limit=peak)
    assert tight["result"] == "0" and tight["memory"] < peak  # a measurement was made, and agreed


ERRORS = {
    "in the root": "let a := 1; return a - 'x'",
    "in a function": "fn f(x) { return x.y.z + 1 } return f({'y': {'z': 'a'}})",
    "in a lambda run by arrayMap": "return arrayMap(x -> x - 'a', [1])",
    "in a builtin": "let n := 1; return jsonParse('{')",
    "an uncaught throw in a function": "fn f() { throw Error('x') } return f()",
    "a bad operand from an array": "let a := [1, 'x']; return a[1] - a[2]",
    "in a condition": "let x := 'a'; if (x > 1) { return 1 } return 2",
    "in a loop": "let t := 0; for (let i := 0; i < 5; i := i + 1) { t := t + (i == 3 ? 'x' : i) } return t",
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_a_failure_is_located_at_the_same_instruction(name: str) -> None:
    """Error positions are looked up by (chunk, instruction) of the active frames: tier 2 recovers
    them from the traceback of its compiled code, and reports the same line, column and function."""
    compiled = compile_hog_with_warnings(ERRORS[name])
    seen = both(compiled.bytecode, source_map=compiled.source_map)
    assert seen["site"] is not None
    assert seen["position"][0] is not None


def test_concurrent_runs_of_one_compiled_program() -> None:
    bytecode = compile_hog("""
        fn fib(n) { if (n < 2) { return n } return fib(n - 1) + fib(n - 2) }
        let s := ''
        for (let i := 0; i < 50; i := i + 1) { s := concat(s, toString(i % 10)) }
        return [fib(18), length(s), input]""")
    results: list[object] = []
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for _ in range(5):
                results.append(execute_bytecode(bytecode, {"input": n}, tier=2).result)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(results, key=lambda r: r[2]) == [[2584, 50, n] for n in range(4) for _ in range(5)]


def test_imported_chunks_run_compiled() -> None:
    module = compile_hog("let helper := x -> x * 3; return helper(14)")
    program = {"root": {"bytecode": [*H, Op.STRING, "mod", Op.CALL_GLOBAL, "import", 1, Op.RETURN]},
               "mod": {"bytecode": module}}
    assert both(program)["result"] == "42"


@pytest.mark.parametrize("tier", [1, 2])
def test_json_nesting_bound_depends_neither_on_the_tier_nor_the_callers_stack(tier: int) -> None:
    """jsonParse refuses JSON nested deeper than 512 levels, explicitly: it used to depend on how much
    of Python's recursion limit was left, which the host's stack depth and tier 2's frames change
    (a host must still leave Python those 512 levels)."""
    bytecode = compile_hog("return [isValidJSON(a), isValidJSON(b), length(jsonParse(a))]")
    globals_ = {"a": "[" * 512 + "]" * 512, "b": "[" * 513 + "]" * 513}

    def from_depth(depth: int) -> object:
        return from_depth(depth - 1) if depth else execute_bytecode(bytecode, globals_, tier=tier).result

    assert from_depth(0) == from_depth(300) == [True, False, 1]
    with pytest.raises(HogVMException, match="jsonParse: the JSON is nested too deeply"):
        execute_bytecode(compile_hog("return jsonParse(b)"), globals_, tier=tier)


def test_a_builtins_python_error_is_named_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    """Builtins should never raise Python errors; if one does, both tiers name it the same way."""

    def broken(args: list, ctx: object) -> object:
        return {}["missing"]

    monkeypatch.setitem(STL, "brokenForTier2Test", Builtin("brokenForTier2Test", broken, 0, 1))
    seen = both(compile_hog("let x := 1; return brokenForTier2Test(x)"))
    assert seen["message"] == "Function brokenForTier2Test failed: KeyError: 'missing'"
