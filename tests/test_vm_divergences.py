"""The known differences between PostHog's Python VM and its TypeScript VM, one test each.

Taggers run on PostHog's Python VM, so this VM gives the Python VM's answer. Each test asserts
our answer AND the TypeScript VM's, so the list stays true: if PostHog changes either VM, the
test says which divergence went away. The differential fuzz test (tests/test_fuzz_vm.py) keeps
its generated programs clear of exactly these constructs.
"""

from __future__ import annotations

import pytest

from hogvm import HogVMException, compile_hog, execute_bytecode
from hogvm.printing import print_hog_value

pytestmark = pytest.mark.oracle


def ours(source: str) -> tuple[str, list[str]]:
    result = execute_bytecode(compile_hog(source))
    return print_hog_value(result.result), result.stdout


def theirs(node_vm, source: str) -> tuple[str | None, list[str]]:
    reply = node_vm.run(compile_hog(source))
    assert reply["ok"], reply
    return reply["printed"], reply["stdout"]


def test_modulo_of_negative_numbers_floors_like_python(node_vm) -> None:
    # Python: the sign of the divisor; JavaScript: the sign of the dividend.
    assert ours("return [-7 % 3, 7 % -3]")[0] == "[2, -2]"
    assert theirs(node_vm, "return [-7 % 3, 7 % -3]")[0] == "[-1, 1]"


def test_whole_floats_print_with_a_decimal_point(node_vm) -> None:
    assert ours("print(1.0); return 2.0") == ("2.0", ["1.0"])
    assert theirs(node_vm, "print(1.0); return 2.0") == ("2", ["1"])


def test_json_stringify_puts_spaces_after_separators(node_vm) -> None:
    source = "return jsonStringify({'a': [1, 2]})"
    assert ours(source)[0] == """'{"a": [1, 2]}'"""
    assert theirs(node_vm, source)[0] == """'{"a":[1,2]}'"""


def test_plus_concatenates_strings_and_arrays(node_vm) -> None:
    # The TypeScript VM applies Number() to both operands.
    assert ours("return ['a' + 'b', [1] + [2]]")[0] == "['ab', [1, 2]]"
    assert theirs(node_vm, "return ['a' + 'b', [1] + [2]]")[0] == "[NaN, 3]"


@pytest.mark.parametrize(("source", "typescript"), [("return 1 / 0", "Infinity"), ("return 1 % 0", "NaN")])
def test_division_by_zero_is_an_error(node_vm, source: str, typescript: str) -> None:
    with pytest.raises(HogVMException, match="by zero"):
        execute_bytecode(compile_hog(source))
    assert theirs(node_vm, source)[0] == typescript


def test_closures_made_in_a_loop_each_capture_their_own_iteration(node_vm) -> None:
    # This project's deliberate divergence from BOTH reference VMs (they share one upvalue).
    source = """
        let fs := []
        for (let i := 0; i < 3; i := i + 1) { let j := i; fs := arrayPushBack(fs, () -> j) }
        return arrayMap(f -> f(), fs)
    """
    assert ours(source)[0] == "[0, 1, 2]"
    assert theirs(node_vm, source)[0] == "[0, 0, 0]"


@pytest.mark.parametrize(("function", "expected", "typescript"), [
    ("arraySort", "[2, 10, 100]", "[10, 100, 2]"),
    ("arrayReverseSort", "[100, 10, 2]", "[2, 100, 10]"),
])
def test_sorting_numbers_compares_numbers(node_vm, function: str, expected: str, typescript: str) -> None:
    # JavaScript's default Array.prototype.sort compares the numbers' string forms.
    source = f"return {function}([2, 100, 10])"
    assert ours(source)[0] == expected
    assert theirs(node_vm, source)[0] == typescript


@pytest.mark.parametrize(("source", "typescript"), [
    ("return '' !~ 'a'", "true"),
    ("return 'a' !~ ''", "true"),
    ("return '' !~* 'a'", "true"),
])
def test_negated_regex_with_an_empty_operand_is_false(node_vm, source: str, typescript: str) -> None:
    # The Python VM short-circuits to false when either side is empty, negated operators too.
    assert ours(source)[0] == "false"
    assert theirs(node_vm, source)[0] == typescript


def test_a_closure_called_at_once_sees_the_current_loop_variable(node_vm) -> None:
    # Found by the differential fuzz test: the same shared-upvalue behaviour shows even when the
    # closure is called straight away. In the reference VMs the upvalue for `x` closes at the end
    # of the inner loop's first run and is reused, stale, by the closures of later runs.
    source = """
        for (let k, v in {'a': 0, 'b': 0}) {
            for (let x in [0, 1]) { print(arrayCount(y -> y > x, [1])) }
        }
    """
    assert ours(source)[1] == ["1", "0", "1", "0"]
    assert theirs(node_vm, source)[1] == ["1", "0", "0", "0"]


def test_a_closure_over_a_parameter_sees_this_calls_argument(node_vm) -> None:
    # Found by the differential fuzz test. PostHog's VMs look an upvalue up by its stack slot,
    # closed ones included, so the inner lambda of the second call reuses the first call's `x`.
    source = "return arrayMap(x -> x + ((p) -> p + x)(x), [3, 47, 0, 0])"
    assert ours(source)[0] == "[9, 141, 0, 0]"
    assert theirs(node_vm, source)[0] == "[9, 97, 3, 3]"


# --- deliberate differences from PostHog's Python VM, where it is defective ---------------------
# PostHog's answers are computed here the way its source computes them (with pytz and re, its own
# libraries), or taken from its TypeScript VM where that shares the defect.


def test_to_unix_timestamp_of_a_date_in_a_zone_uses_the_real_offset() -> None:
    import datetime

    import pytz

    # PostHog: datetime(y, m, d, tzinfo=pytz.timezone(zone)).timestamp(), which applies the zone's
    # local mean time (+0:53 in Berlin): 7 minutes off.
    posthog = datetime.datetime(2024, 1, 1, tzinfo=pytz.timezone("Europe/Berlin")).timestamp()
    assert posthog == 1704064020.0
    assert ours("return toUnixTimestamp(toDate('2024-01-01'), 'Europe/Berlin')")[0] == "1704063600.0"


def test_summer_time_after_2037() -> None:
    import datetime

    import pytz

    july_2040 = datetime.datetime(2040, 7, 1, 12, tzinfo=datetime.UTC).timestamp()
    # PostHog: datetime.fromtimestamp(dt, pytz.timezone(zone)); pytz's tables stop in 2037
    posthog = datetime.datetime.fromtimestamp(july_2040, pytz.timezone("Europe/Berlin")).strftime("%H")
    assert posthog == "13"
    source = f"return formatDateTime(fromUnixTimestamp({july_2040}), '%H', 'Europe/Berlin')"
    assert ours(source)[0] == "'14'"


def test_a_hog_written_builtin_works_through_a_variable(node_vm) -> None:
    source = "let f := arrayMap\nreturn f(x -> x * 2, [1, 2])"
    assert ours(source)[0] == "[2, 4]"
    reply = node_vm.run(compile_hog(source))
    assert reply["error"] == "Unsupported function call: arrayMap"
    result = execute_bytecode(compile_hog(source))
    assert [f["kind"] for f in result.posthog_divergences] == ["unsupported_in_posthog"]


def test_try_base64_decode_exists_though_posthogs_python_vm_lacks_it(node_vm) -> None:
    source = "return tryBase64Decode('aGk')"
    assert ours(source)[0] == "'hi'"
    assert theirs(node_vm, source)[0] == "'hi'"
    assert execute_bytecode(compile_hog(source)).posthog_divergences[0]["kind"] == "unsupported_in_posthog"


def test_array_reduce_folds_the_values(node_vm) -> None:
    # PostHog's Python VM runs a stale compiled arrayReduce (it indexes the array by each element's
    # value); its TypeScript VM and this one fold the values.
    source = "return arrayReduce((acc, x) -> acc + x, [10, 20, 30], 0)"
    assert ours(source)[0] == "60"
    assert theirs(node_vm, source)[0] == "60"
    assert execute_bytecode(compile_hog(source)).posthog_divergences[0]["kind"] == "posthog_defect"


def test_regex_operators_keep_re2_while_match_follows_python_re() -> None:
    import re

    # PostHog's Python VM runs =~ through re as well (its source carries a TODO to move to RE2,
    # which its TypeScript VM and ClickHouse use): an accented word character shows the difference.
    assert bool(re.search(re.compile("^\\w$"), "é")) is True
    assert ours("return ['é' =~ '^\\\\w$', match('é', '^\\\\w$')]")[0] == "[false, true]"


def test_a_stale_upvalue_is_flagged_not_copied(node_vm) -> None:
    # This run's answer stays the right one; the result says what PostHog's VMs answer.
    source = """
        let words := ['a', 'b']
        return arrayCount(t -> arrayExists(w -> position(t, w) > 0, words), ['xa', 'xb', 'zz'])
    """
    result = execute_bytecode(compile_hog(source))
    assert result.result == 2
    assert theirs(node_vm, source)[0] == "3"
    assert result.posthog_divergences[0]["posthog_result"] == 3
