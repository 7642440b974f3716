"""match() and extractRegex() speak Python's `re`, as in PostHog's Python VM, yet stay safe.

Through the VM: `re`'s semantics, `re`'s errors for a bad pattern, timeouts within the run's
limit. The differential properties of the engines themselves (generated patterns and texts, every
engine held to `re`) are in tests/test_stl_regex_engine.py.
"""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hogvm import HogVMException, HogVMRuntimeExceededException, compile_hog, execute_bytecode

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # re's "possible nested set"

ALPHABET = "abcxyzABK_09 \t\n.-éÉßſ²٣\u0300\u0345\x1c\u00a0\u212aΣσς中!"


def run(source: str, **limits):
    return execute_bytecode(compile_hog(source), **limits).result


# --- through the VM -------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "expected"), [
    ("match('é', '^\\\\w$')", True),  # the example: Unicode \w, as PostHog's Python VM
    ("match('é', '(?a)^\\\\w$')", False),
    ("match('٣', '^\\\\d$')", True),
    ("match('²', '^\\\\d$')", False),
    ("match('²', '^\\\\w$')", True),  # re's \w is str.isalnum(); regex's would say no
    ("match('\u0300', '^\\\\w$')", False),  # a combining mark: regex's \w would say yes
    ("match('a\x1cb', 'a\\\\sb')", True),
    ("match('café au lait', '\\\\bau\\\\b')", True),
    ("match('foobar', 'foo(?=bar)')", True),
    ("match('foobaz', 'foo(?!baz)')", False),
    ("match('price: 42', '(?<=: )\\\\d+')", True),
    ("match('abab', '^(ab)\\\\1$')", True),
    ("match('a{e<=1}', 'a{e<=1}')", True),  # a literal brace for re, fuzzy matching for regex
    ("match('b', 'a{e<=1}')", False),
    ("match(':]', '[[:alpha:]]')", True),  # a set and a ']' for re, a POSIX class for regex
    ("match('HELLO', '(?i)hello')", True),
    ("extractRegex('order-123-x', '(\\\\d+)')", "123"),
    ("extractRegex('über 12', '(\\\\w+) (\\\\d+)')", "über"),
    ("extractRegex('abcabc', '(?P<w>abc)(?P=w)')", "abc"),
    ("extractRegex('ab', 'a(x)?b')", ""),
    ("extractRegex('abc', '(')", ""),  # an invalid pattern gives '' in PostHog's Python VM
    ("extractRegex('١٢.٣', '(\\\\d+(\\\\.\\\\d+)+)')", "١٢.٣"),
    ("sortableSemver('v١.٢')", [1, 2]),  # built on extractRegex: Unicode digits, int() reads them
])
def test_python_re_semantics_through_the_vm(source: str, expected) -> None:
    assert run(f"return {source}") == expected


@pytest.mark.parametrize(("pattern", "message"), [
    ("(", "missing ), unterminated subpattern at position 0"),
    ("[a", "unterminated character set at position 0"),
    ("\\\\p{L}", "bad escape \\p at position 0"),
    ("(?<=a+)b", "look-behind requires fixed-width pattern"),
    ("a**", "multiple repeat at position 2"),
])
def test_a_bad_pattern_is_rejected_with_pythons_message(pattern: str, message: str) -> None:
    with pytest.raises(HogVMException) as caught:
        run(f"return match('a', '{pattern}')")
    assert str(caught.value) == f"Invalid regex pattern: {message}"


def test_match_checks_its_argument_types() -> None:
    with pytest.raises(HogVMException, match="requires pattern to be a string"):
        run("return match('a', 1)")
    assert run("return [match(null, 'a'), match('a', null)]") == [False, False]


def test_the_regex_operators_keep_re2() -> None:
    # =~ and friends stay on RE2 (linear time, ASCII \w): see the README's compatibility notes.
    assert run("return ['é' =~ '^\\\\w$', 'É' =~* '^é$']") == [False, True]
    with pytest.raises(HogVMException, match="Invalid regex pattern"):
        run("return 'aa' =~ '(a)\\\\1'")


def test_a_catastrophic_pattern_ends_in_a_timeout_within_the_limit() -> None:
    # The lookbehind keeps the pattern off RE2, on the backtracking engine.
    started = time.monotonic()
    with pytest.raises(HogVMRuntimeExceededException):
        run(f"return match({'a' * 80 + '!'!r}, '(a|aa)+(?<!b)$')", timeout=0.3)
    assert time.monotonic() - started < 1.5


def test_a_pattern_re2_can_run_answers_in_linear_time() -> None:
    # `re` would backtrack for hours here; RE2 answers at once, within a tight limit.
    assert run(f"return match({'a' * 80 + '!'!r}, '(a|aa)+$')", timeout=0.3) is False
    assert run(f"return extractRegex({'a' * 80 + '!'!r}, '((a|aa)+)!$')", timeout=0.3) == "a" * 80


def test_timeouts_leave_the_pattern_cache_usable() -> None:
    with pytest.raises(HogVMRuntimeExceededException):
        run(f"return extractRegex({'a' * 80 + '!'!r}, '((a|aa)+)(?<!b)$')", timeout=0.2)
    assert run("return extractRegex('aaa', '((a|aa)+)(?<!b)$')") == "aaa"


@given(st.text(ALPHABET, max_size=8), st.text(ALPHABET, max_size=8))
def test_match_via_the_vm_is_re_search(text: str, needle: str) -> None:
    pattern = re.escape(needle) + "\\w*"
    assume("'" not in text + pattern)
    expected = re.search(pattern, text) is not None
    escaped_pattern = pattern.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
    escaped_text = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
    assert run(f"return match('{escaped_text}', '{escaped_pattern}')") is expected
