"""`execute_bytecode(..., semantics="node")` answers as PostHog's TypeScript VM, operation by operation.

Each operation hogvm/node_semantics.py overrides is run here on values of every JSON type (and the
VM values filters make: tuples, dates, datetimes), drawn by Hypothesis, on our VM and on
`@posthog/hogvm` (the `node_vm` oracle), and the two answers (or both failing) must agree.

The oracle's regex engine is JavaScript's RegExp, where PostHog's Node services use RE2: texts and
patterns that reach a regex stay where the two agree (no astral characters, no \\r or U+2028 that
JavaScript's `.` refuses, no case folding RE2 extends to other letters, no escaped letter or digit
beyond the classes both know: JavaScript reads `\\1` with no group and `\\A` as characters, RE2 as
a back-reference it refuses and the start of text). RE2's own answer and
node-re2's pattern translation are pinned by the tests at the end.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from hypothesis import assume
from hypothesis import strategies as st

from hogvm import HogError, execute_bytecode
from hogvm.node_regex import node_re2_pattern
from hogvm.node_values import js_number, js_number_text, js_string, string_to_number
from hogvm.opcodes import Op
from tests.fuzz.seeds import fuzz_tests

pytestmark = [pytest.mark.oracle, pytest.mark.fuzz]

# --- values ---------------------------------------------------------------------------------------

# Text JavaScript and Python read differently: numbers with JavaScript's whitespace (U+FEFF, U+00A0)
# or Python's only (U+001C), hex, exponents, Python-only spellings, dates, booleans' names.
SPECIAL_TEXT = st.sampled_from([
    "", " ", "0", "-0", "1", " 12 ", "\ufeff7", "\u00a07\u00a0", "\x1c7", "0x1f", "0X1F", "-0x1f", "0o17",
    "0b101", "1e3", "1E-7", ".5", "5.", "1_000", "inf", "Infinity", "-Infinity", "NaN", "nan", "1.2.3",
    "v10.20.30-beta", "true", "false", "True", "null", "2024-01-01", "2024-02-30", "2024-01-01 10:00:00",
    "2024-01-01T10:00:00.123456Z", " 2024-06-01T00:00:00+02:00 ", "\x1c2024-01-01", "\ufeff2024-01-01",
    "2024-W05", "20240101", "12abc", "abc", "[object Map]", "{}", "[]", "a,b",
])
# Safe for a regex on both engines (see the module docstring)
SAFE_ALPHABET = "aAbB1é%_-.x0 /,"
WIDE_ALPHABET = SAFE_ALPHABET + "\U0001f600\uffff\ue000\u00a0\r"
# ('[]' is a class that never matches in JavaScript and an error in RE2)
SAFE_TEXT = st.text(SAFE_ALPHABET, max_size=5) | SPECIAL_TEXT.filter(lambda text: text != "[]")
WIDE_TEXT = st.text(WIDE_ALPHABET, max_size=5) | SPECIAL_TEXT
NUMBERS = (st.integers(-1000, 1000) | st.integers(-(2**70), 2**70) | st.sampled_from([2**53 + 1, 10**400, -(10**400)])
           | st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([0.0, -0.0, 2.0, 1e21, 1e-7, 0.1]))
KEYS = st.text("ab01", min_size=1, max_size=2)


def json_values(text: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | NUMBERS | text
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
                        max_leaves=5)


VALUES = json_values(WIDE_TEXT)
SAFE_VALUES = json_values(SAFE_TEXT)
PATTERNS = st.sampled_from(["a", "^a", "b$", "[0-9]+", "a|B", "é", r"\d", ".", "a.b", "-", "", "^$", r"\u0061",
                            "(?<n>a)b", "/", "a{2}", "(", "[", "x*", "1,", "null"])
LIKE_PATTERNS = st.text("aAbé1%_-.\\/(", max_size=4)


# --- running one operation on both VMs ---------------------------------------------------------------


def load(name: str) -> list[Any]:
    return [Op.STRING, name, Op.GET_GLOBAL, 1]


def normal(value: Any) -> Any:
    """Our result in the oracle's JSON form (non-finite numbers tagged, tuples as arrays)."""
    if type(value) is int and abs(value) > 2**53:
        value = js_number(value)  # one double in JavaScript
    if type(value) is float and not math.isfinite(value):
        return {"__nonFinite__": "NaN" if value != value else "Infinity" if value > 0 else "-Infinity"}
    if type(value) in (list, tuple):
        return [normal(item) for item in value]
    if type(value) is dict:
        return {str(key): normal(item) for key, item in value.items()}
    return value


def agree(node_vm: Any, code: list[Any], globals_: dict[str, Any]) -> None:
    bytecode = ["_H", 1, *code]
    reply = node_vm.run(bytecode, globals_)
    try:
        ours: Any = ("ok", normal(execute_bytecode(bytecode, globals_, semantics="node").result))
    except HogError as error:
        ours = ("error", str(error).splitlines()[0])
    theirs = ("ok", normal(reply["result"])) if reply["ok"] else ("error", reply["error"])
    if ours[0] == theirs[0] == "error":
        return
    assert ours == theirs, (code, globals_)


def binary(op: Op) -> list[Any]:
    """`a op b` (PostHog's order: b, then a, then the operator)."""
    return [*load("b"), *load("a"), op]


def call(name: str, *args: str) -> list[Any]:
    code: list[Any] = []
    for arg in args:
        code += load(arg)
    return [*code, Op.CALL_GLOBAL, name, len(args)]


# --- comparison ---------------------------------------------------------------------------------


def check_comparison(node_vm: Any, op: Op, a: Any, b: Any) -> None:
    agree(node_vm, binary(op), {"a": a, "b": b})


COMPARISONS = st.sampled_from([Op.EQ, Op.NOT_EQ, Op.LT, Op.LT_EQ, Op.GT, Op.GT_EQ])
test_comparison_fixed_seed, test_comparison_random_seed = fuzz_tests(
    check_comparison, op=COMPARISONS, a=VALUES, b=VALUES)


def check_array_comparison(node_vm: Any, op: Op, a: list[Any], b: list[Any]) -> None:
    agree(node_vm, binary(op), {"a": a, "b": b})


# Arrays of numbers (sortableSemver's results) compare element-wise; others by JavaScript's rules
test_array_comparison_fixed_seed, test_array_comparison_random_seed = fuzz_tests(
    check_array_comparison, op=COMPARISONS, a=st.lists(NUMBERS | st.booleans(), max_size=3),
    b=st.lists(NUMBERS, max_size=3))


def check_dates_compared(node_vm: Any, op: Op, a: Any, b: Any, convert_a: str, convert_b: str) -> None:
    code = [*load("b"), Op.CALL_GLOBAL, convert_b, 1] if convert_b else load("b")
    code += [*load("a"), Op.CALL_GLOBAL, convert_a, 1] if convert_a else load("a")
    agree(node_vm, [*code, op], {"a": a, "b": b})


CONVERSIONS = st.sampled_from(["toDateTime", "toDate", ""])
test_dates_compared_fixed_seed, test_dates_compared_random_seed = fuzz_tests(
    check_dates_compared, op=COMPARISONS, a=SPECIAL_TEXT | NUMBERS, b=SPECIAL_TEXT | NUMBERS,
    convert_a=CONVERSIONS, convert_b=CONVERSIONS)


# --- membership, like, regex ----------------------------------------------------------------------


def check_membership(node_vm: Any, op: Op, item: Any, container: Any) -> None:
    agree(node_vm, binary(op), {"a": item, "b": container})


test_membership_fixed_seed, test_membership_random_seed = fuzz_tests(
    check_membership, op=st.sampled_from([Op.IN, Op.NOT_IN]), item=VALUES,
    container=st.lists(VALUES, max_size=4) | VALUES)


def check_tuple_membership(node_vm: Any, item: Any, items: list[Any]) -> None:
    code: list[Any] = []
    for index in range(len(items)):
        code += load(f"i{index}")
    code += [Op.TUPLE, len(items), *load("a"), Op.IN]
    agree(node_vm, code, {"a": item, **{f"i{index}": value for index, value in enumerate(items)}})


# `exact` with several values compiles to `x in (v1, v2, ...)`
test_tuple_membership_fixed_seed, test_tuple_membership_random_seed = fuzz_tests(
    check_tuple_membership, item=VALUES, items=st.lists(VALUES, min_size=2, max_size=3))


def check_like(node_vm: Any, op: Op, text: Any, pattern: Any) -> None:
    agree(node_vm, binary(op), {"a": text, "b": pattern})


test_like_fixed_seed, test_like_random_seed = fuzz_tests(
    check_like, op=st.sampled_from([Op.LIKE, Op.ILIKE, Op.NOT_LIKE, Op.NOT_ILIKE]), text=SAFE_VALUES,
    pattern=LIKE_PATTERNS | SAFE_VALUES)


def check_regex(node_vm: Any, op: Op, text: Any, pattern: Any) -> None:
    agree(node_vm, binary(op), {"a": text, "b": pattern})


test_regex_fixed_seed, test_regex_random_seed = fuzz_tests(
    check_regex, op=st.sampled_from([Op.REGEX, Op.NOT_REGEX, Op.IREGEX, Op.NOT_IREGEX]), text=SAFE_VALUES,
    pattern=PATTERNS | SAFE_VALUES)


# --- truthiness ----------------------------------------------------------------------------------


def check_truthiness(node_vm: Any, values: list[Any]) -> None:
    names = [f"v{index}" for index in range(len(values))]
    globals_ = dict(zip(names, values, strict=True))
    loads = [part for name in names for part in load(name)]
    agree(node_vm, [*load("v0"), Op.NOT], globals_)
    agree(node_vm, [*loads, Op.AND, len(names)], globals_)
    agree(node_vm, [*loads, Op.OR, len(names)], globals_)
    # if (v0) 1 else 2: JUMP_IF_FALSE
    agree(node_vm, [*load("v0"), Op.JUMP_IF_FALSE, 4, Op.INTEGER, 1, Op.JUMP, 2, Op.INTEGER, 2], globals_)


test_truthiness_fixed_seed, test_truthiness_random_seed = fuzz_tests(
    check_truthiness, values=st.lists(VALUES | st.just(0.0) | st.just([]) | st.just({}), min_size=1, max_size=3))


# --- builtins ------------------------------------------------------------------------------------


def check_conversion(node_vm: Any, name: str, value: Any) -> None:
    agree(node_vm, call(name, "a"), {"a": value})


test_conversion_fixed_seed, test_conversion_random_seed = fuzz_tests(
    check_conversion, name=st.sampled_from(["toString", "toUUID", "toInt", "toFloat", "toDate", "toDateTime",
                                            "values", "length"]), value=VALUES)


def check_temporal_conversion(node_vm: Any, outer: str, inner: str, value: Any, zone: Any) -> None:
    code = [*load("a"), *load("z"), Op.CALL_GLOBAL, inner, 2] if inner == "toDateTime" else call(inner, "a")
    agree(node_vm, [*code, Op.CALL_GLOBAL, outer, 1], {"a": value, "z": zone})


# toString / toInt / toFloat of dates and datetimes: Luxon's ISO text, days and seconds
test_temporal_conversion_fixed_seed, test_temporal_conversion_random_seed = fuzz_tests(
    check_temporal_conversion, outer=st.sampled_from(["toString", "toInt", "toFloat"]),
    inner=st.sampled_from(["toDate", "toDateTime"]), value=SPECIAL_TEXT | st.integers(-10**10, 10**10) | st.floats(-1e10, 1e10),
    zone=st.sampled_from([None, "UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Nowhere/City"]))


# An escape JavaScript's RegExp and RE2 read differently (see the module docstring)
ESCAPES_READ_DIFFERENTLY = re.compile(r"\\[^\W_dDwWsSbB]")


def check_search(node_vm: Any, name: str, a: Any, b: Any) -> None:
    if name in ("match", "extractRegex"):
        assume(not ESCAPES_READ_DIFFERENTLY.search(str(b)))
    agree(node_vm, call(name, "a", "b"), {"a": a, "b": b})


test_search_fixed_seed, test_search_random_seed = fuzz_tests(
    check_search, name=st.sampled_from(["match", "extractRegex", "like", "ilike", "notLike", "notILike",
                                        "multiSearchAnyCaseInsensitive"]),
    a=SAFE_VALUES, b=PATTERNS | LIKE_PATTERNS | SAFE_VALUES | st.lists(SAFE_TEXT, max_size=3))


def check_json_extract(node_vm: Any, document: Any, path: list[Any]) -> None:
    names = [f"p{index}" for index in range(len(path))]
    code = [*load("d"), *[part for name in names for part in load(name)], Op.STRING, "Array(String)",
            Op.CALL_GLOBAL, "JSONExtract", len(path) + 2]
    agree(node_vm, code, {"d": document, **dict(zip(names, path, strict=True))})


JSON_TEXT = VALUES.map(lambda value: __import__("json").dumps(value)) | st.sampled_from(
    ["", "NaN", "[1, Infinity]", "{\"a\": 1,}", "  [1]  ", "\"text\"", "5", "[\"TypeError\", \"ValueError\"]",
     "{\"b\": 1, \"1\": 2, \"a\": [3]}"])
test_json_extract_fixed_seed, test_json_extract_random_seed = fuzz_tests(
    check_json_extract, document=JSON_TEXT | VALUES,
    path=st.lists(st.sampled_from([1, -1, 2, "a", "b", "1", "length", 1.5]), max_size=2))


# --- exact cases, each pinned to the TypeScript VM's answer ----------------------------------------

CASES = [
    # (code, globals, what @posthog/hogvm answers)
    (binary(Op.LT), {"a": None, "b": 5}, True),  # null is 0 to `<`
    (binary(Op.LT), {"a": "10", "b": 9}, False),  # '10' becomes 10
    (binary(Op.LT), {"a": "abc", "b": 5}, False),  # NaN orders with nothing
    (binary(Op.GT_EQ), {"a": "abc", "b": 5}, False),
    (binary(Op.EQ), {"a": "", "b": 0}, True),  # Number('') is 0
    (binary(Op.EQ), {"a": True, "b": "abc"}, False),  # only 'true' is true
    (binary(Op.EQ), {"a": 2**53, "b": 2**53 + 1}, True),  # one double
    (binary(Op.EQ), {"a": [1, 2], "b": [1, 2]}, True),  # arrays of numbers element-wise
    (binary(Op.EQ), {"a": ["a"], "b": ["a"]}, False),  # other arrays by identity
    (binary(Op.LT), {"a": {"x": 1}, "b": "[object Mbp]"}, True),  # a Map is '[object Map]' to `<`
    (binary(Op.LT), {"a": "\U0001f600", "b": "\uffff"}, True),  # UTF-16 code units
    (binary(Op.IN), {"a": True, "b": [1, 2]}, False),  # includes does not coerce
    (binary(Op.IN), {"a": 1, "b": [1.0]}, True),
    (binary(Op.IN), {"a": None, "b": "is null here"}, True),  # String(null) in a string
    (binary(Op.ILIKE), {"a": None, "b": "%NUL%"}, True),  # RE2 tests String(null)
    (binary(Op.ILIKE), {"a": "", "b": "%"}, True),
    (binary(Op.REGEX), {"a": "abc", "b": ""}, False),  # an empty pattern is falsy
    (binary(Op.NOT_REGEX), {"a": "", "b": "x"}, True),  # ... and so is empty text: not false, negated
    (binary(Op.REGEX), {"a": "5", "b": 5}, True),  # String(5)
    (call("toString", "a"), {"a": 2.0}, "2"),
    (call("toString", "a"), {"a": [1e21, 1e-7, None, {"b": 1, "1": True}]}, "[1e+21, 1e-7, null, {'1': true, 'b': 1}]"),
    (call("toString", "a"), {"a": "\x07"}, "\x07"),
    (call("toString", "a"), {"a": ["\x07"]}, "['\x07']"),  # no \a escape in JavaScript
    (call("toInt", "a"), {"a": "12abc"}, 12),
    (call("toInt", "a"), {"a": True}, None),
    (call("toInt", "a"), {"a": 1e21}, 1),  # parseInt('1e+21')
    (call("toFloat", "a"), {"a": " -1.5e3x"}, -1500),
    (call("toFloat", "a"), {"a": "Infinity"}, {"__nonFinite__": "Infinity"}),
    (call("match", "a", "b"), {"a": "abc", "b": ""}, False),
    (call("extractRegex", "a", "b"), {"a": [1, 22, 3], "b": r"(\d+)"}, "1"),
    (call("multiSearchAnyCaseInsensitive", "a", "b"), {"a": 2.0, "b": ["2.0"]}, 0),
    (call("JSONExtract", "a", "b"), {"a": "5", "b": "Int"}, None),  # a parsed scalar is null
    (call("JSONExtract", "a", "b"), {"a": "[NaN]", "b": "Array(String)"}, None),
    (call("length", "a"), {"a": "\U0001f600"}, 2),
    ([*load("a"), Op.NOT], {"a": []}, False),  # an empty array is truthy
]


@pytest.mark.parametrize(("code", "globals_", "expected"), CASES)
def test_pinned_answers(node_vm: Any, code: list[Any], globals_: dict[str, Any], expected: Any) -> None:
    bytecode = ["_H", 1, *code]
    reply = node_vm.run(bytecode, globals_)
    assert reply["ok"] and reply["result"] == expected, reply
    assert normal(execute_bytecode(bytecode, globals_, semantics="node").result) == expected


def test_python_semantics_stay_the_default() -> None:
    bytecode = ["_H", 1, *call("toString", "a")]
    assert execute_bytecode(bytecode, {"a": 2.0}).result == "2.0"
    assert execute_bytecode(bytecode, {"a": 2.0}, semantics="python").result == "2.0"
    assert execute_bytecode(bytecode, {"a": 2.0}, semantics="node").result == "2"


def test_unknown_semantics_is_a_clear_error() -> None:
    with pytest.raises(HogError, match="semantics must be one of 'python', 'node', got 'ruby'"):
        execute_bytecode(["_H", 1, Op.TRUE], semantics="ruby")


@pytest.mark.parametrize("tier", [1, 2, "auto"])
def test_node_semantics_on_every_tier_choice(tier: Any) -> None:
    from hogvm import tier2

    before = dict(tier2.STATS)
    bytecode = ["_H", 1, *binary(Op.LT)]
    assert execute_bytecode(bytecode, {"a": None, "b": 5}, semantics="node", tier=tier).result is True
    assert execute_bytecode(bytecode, {"a": None, "b": 5}, semantics="node", tier=tier).tier == 1
    if tier == 2:
        assert tier2.STATS["fallback: node semantics"] == before.get("fallback: node semantics", 0) + 2
    if tier == "auto":
        assert tier2.STATS["tier 1 (node semantics)"] == before.get("tier 1 (node semantics)", 0) + 2


def test_bytecode_stl_runs_with_node_semantics_too(node_vm: Any) -> None:
    # arrayExists's lambda and sortableSemver's toInt run with the run's table
    bytecode = ["_H", 1, *call("sortableSemver", "a"), *call("sortableSemver", "b"), Op.LT]
    for a, b in [("1.2.3", "1.10"), ("1." + "9" * 400, "1.2"), ([1, 2], "1.2"), (1.5, "1.4.9"), (None, "0.0.1")]:
        globals_ = {"a": a, "b": b}
        reply = node_vm.run(bytecode, globals_)
        assert execute_bytecode(bytecode, globals_, semantics="node").result == reply["result"], globals_


# --- RE2 and node-re2 (no oracle here runs RE2: pinned to node-re2's translation and RE2's syntax) --


@pytest.mark.parametrize(("pattern", "translated"), [
    ("", "(?:)"),
    ("a/b", "a\\/b"),
    ("\\u00e9", "\\x{00e9}"),
    ("\\u{1F600}", "\\x{1F600}"),
    ("\\cJ", "\\x0A"),
    ("\\p{Letter}", "\\pL"),
    ("\\P{Script=Greek}", "\\P{Greek}"),
    ("(?<year>\\d{4})", "(?P<year>\\d{4})"),
    ("(?<=a)", "(?<=a)"),
    ("\\\\u0041", "\\\\u0041"),
])
def test_node_re2_pattern_translation(pattern: str, translated: str) -> None:
    assert node_re2_pattern(pattern) == translated


def test_regexes_are_re2() -> None:
    def matches(pattern: str, text: str) -> bool:
        bytecode = ["_H", 1, *call("match", "a", "b")]
        return execute_bytecode(bytecode, {"a": text, "b": pattern}, semantics="node").result

    assert matches("\\p{Greek}", "λ") and matches("\\x{1F600}", "\U0001f600") and matches("é", "é")
    assert matches("(?i)k", "\u212a")  # RE2 folds the Kelvin sign with k, as PostHog's Node does
    assert matches("a.b", "a\U0001f600b")  # one code point, where JavaScript's `.` takes one unit
    with pytest.raises(HogError):
        matches("(a)\\1", "aa")  # no backreferences in RE2


@pytest.mark.parametrize(("number", "text"), [
    (0.0, "0"), (-0.0, "0"), (2.0, "2"), (-1.5, "-1.5"), (1e21, "1e+21"), (1e20, "100000000000000000000"),
    (1.5e-7, "1.5e-7"), (1e-6, "0.000001"), (123.456, "123.456"), (2**64, "18446744073709552000"),
    (5e-324, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"), (10**400, "Infinity"),
    (float("nan"), "NaN"), (-float("inf"), "-Infinity"),
])
def test_numbers_as_javascript_writes_them(number: float, text: str) -> None:
    assert js_number_text(number) == text


@pytest.mark.parametrize(("text", "number"), [
    ("", 0.0), ("  12\n", 12.0), ("\ufeff7", 7.0), ("0x1F", 31.0), ("0b11", 3.0), ("-0x1", None), ("1_000", None),
    ("inf", None), ("-Infinity", -math.inf), ("1e400", math.inf), (".5", 0.5), ("5.", 5.0), ("\x1c7", None),
])
def test_string_to_number(text: str, number: float | None) -> None:
    result = string_to_number(text)
    assert (result != result) if number is None else result == number


def test_string_of_values() -> None:
    assert js_string([1, None, [2, [3]], True, {"a": 1}]) == "1,,2,3,true,[object Map]"
    assert js_string({"__hogDateTime__": True, "dt": 0, "zone": "UTC"}) == "[object Object]"
