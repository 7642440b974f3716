"""match() and extractRegex() speak Python's `re`, as in PostHog's Python VM, yet stay safe.

The differential properties generate patterns (from a grammar of `re` syntax, and as raw text)
and texts over an alphabet chosen to hit the places where engines disagree (accented and
combining letters, superscript digits, Arabic-Indic digits, the \\x1c-\\x1f separators, case
pairs such as K/k/KELVIN SIGN), and check that our engine finds exactly the match `re` finds,
groups included, and rejects exactly the patterns `re` rejects, with `re`'s message.
"""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hogvm import HogVMException, HogVMRuntimeExceededException, compile_hog, execute_bytecode, python_regex

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # re's "possible nested set"

ALPHABET = "abcxyzABK_09 \t\n.-éÉßſ²٣\u0300\u0345\x1c\u00a0\u212aΣσς中!"


def run(source: str, **limits):
    return execute_bytecode(compile_hog(source), **limits).result


def same_as_re(pattern: str, text: str) -> None:
    try:
        expected = re.search(pattern, text)
    except re.error as error:
        with pytest.raises(HogVMException, match=re.escape(f"Invalid regex pattern: {error}")):
            python_regex.compile_pattern(pattern)
        return
    found = python_regex.search(pattern, text, None)
    if expected is None:
        assert found is None, (pattern, text, found)
        return
    assert found is not None, (pattern, text)
    assert found.span() == expected.span(), (pattern, text)
    assert found.groups() == expected.groups(), (pattern, text)


# --- a grammar of re patterns -----------------------------------------------------------------

_atoms = st.sampled_from([
    "a", "b", "x", "K", "é", "ß", "σ", "\\.", ".", "\\w", "\\W", "\\d", "\\D", "\\s", "\\S",
    "[a-c]", "[^a-c]", "[\\w.]", "[^\\W\\d]", "[\\s\\d]", "[é-ü]", "[[]", "[]a]", "[&~|]", "[:a:]",
    "\\u00e9", "\\x41", "\\N{LATIN SMALL LETTER E WITH ACUTE}", "{", "}", "a{e<=1}", "\\{",
])
_anchors = st.sampled_from(["^", "$", "\\b", "\\B", "\\A", "\\Z", ""])
_quantifiers = st.sampled_from(["", "", "*", "+", "?", "*?", "+?", "{2}", "{1,3}", "{,2}", "{2,}", "*+", "{1,2}?"])


@st.composite
def patterns(draw, depth: int = 0) -> str:
    pieces = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.integers(0, 9 if depth < 2 else 3))
        if kind <= 3:
            piece = draw(_atoms)
        elif kind == 4:
            piece = draw(_anchors)
        elif kind == 5:
            piece = f"({draw(patterns(depth + 1))})"
        elif kind == 6:
            piece = f"(?:{draw(patterns(depth + 1))}|{draw(patterns(depth + 1))})"
        elif kind == 7:
            piece = draw(st.sampled_from(["(?=", "(?!", "(?<=", "(?<!"])) + draw(_atoms) + ")"
        elif kind == 8:
            piece = f"(?P<g{depth}>{draw(_atoms)})(?P=g{depth})"
        else:
            piece = f"(?>{draw(patterns(depth + 1))})"
        pieces.append(piece + (draw(_quantifiers) if kind in (0, 1, 2, 3, 5, 6) and piece else ""))
    flags = draw(st.sampled_from(["", "", "(?i)", "(?a)", "(?s)", "(?m)", "(?ai)"])) if depth == 0 else ""
    return flags + "".join(pieces)


@given(patterns(), st.text(ALPHABET, max_size=12))
def test_grammar_patterns_match_as_python_re_does(pattern: str, text: str) -> None:
    same_as_re(pattern, text)


@given(st.text(ALPHABET + "()[]{}\\|*+?^$:=<>!#,PNuxi", max_size=10), st.text(ALPHABET, max_size=10))
def test_any_text_as_a_pattern_is_accepted_or_rejected_as_python_re_does(pattern: str, text: str) -> None:
    same_as_re(pattern, text)


@given(st.sampled_from(["\\w", "\\W", "\\d", "\\D", "\\s", "\\S", "[\\w]", "[^\\s]", "\\b", "\\B"]),
       st.sampled_from(["", "(?i)", "(?a)"]), st.text(min_size=0, max_size=3))
def test_character_classes_agree_on_any_character(cls: str, flags: str, text: str) -> None:
    same_as_re(flags + cls, text)


def test_character_classes_agree_on_every_character() -> None:
    # Exhaustive over Unicode for the classes whose tables differ between re and regex.
    import sys

    text = "".join(chr(code) for code in range(sys.maxunicode + 1) if not 0xD800 <= code <= 0xDFFF)
    for cls in ("\\w", "\\d", "\\s"):
        expected = [m.start() for m in re.finditer(cls, text)]
        found = [m.start() for m in python_regex.compile_pattern(cls).finditer(text)]
        assert found == expected, cls


def test_verbose_patterns_keep_comments_and_set_whitespace() -> None:
    same_as_re("(?x) a [ b] # a comment with [ and {e<=1}\n c", "a c")
    same_as_re("(?x) a [ b] # a comment\n c", "abc")
    same_as_re("(?x:a b)c d", "abcd")


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
    started = time.monotonic()
    with pytest.raises(HogVMRuntimeExceededException):
        run(f"return match({'a' * 80 + '!'!r}, '(a|aa)+$')", timeout=0.3)
    assert time.monotonic() - started < 1.5


def test_timeouts_leave_the_pattern_cache_usable() -> None:
    with pytest.raises(HogVMRuntimeExceededException):
        run(f"return extractRegex({'a' * 80 + '!'!r}, '((a|aa)+)$')", timeout=0.2)
    assert run("return extractRegex('aaa', '((a|aa)+)$')") == "aaa"


@given(st.text(ALPHABET, max_size=8), st.text(ALPHABET, max_size=8))
def test_match_via_the_vm_is_re_search(text: str, needle: str) -> None:
    pattern = re.escape(needle) + "\\w*"
    assume("'" not in text + pattern)
    expected = re.search(pattern, text) is not None
    escaped_pattern = pattern.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
    escaped_text = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
    assert run(f"return match('{escaped_text}', '{escaped_pattern}')") is expected
