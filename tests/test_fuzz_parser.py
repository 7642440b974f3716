"""Our parser on generated programs: printing and parsing are inverse, and agree with PostHog.

The strategies generate only trees PostHog's parser can produce, and `test_fuzz_printer.py`
proves `hogql-parser` reads the printed source back to the generated tree; so "our parser gives
the generated tree" is "our parser gives PostHog's tree" for that source.
"""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import strategies as st

from grammar import HogError, parse_program
from grammar.printer import print_program
from tests.fuzz import syntax
from tests.fuzz.posthog_shape import shape
from tests.fuzz.seeds import fuzz_tests

pytestmark = pytest.mark.fuzz


def check_print_parse_print_is_identity(program) -> None:
    source = print_program(program)
    parsed = parse_program(source)
    assert shape(parsed) == shape(program), source
    assert print_program(parsed) == source


def check_fstrings_parse_like_posthog(fstring) -> None:
    source, expected = fstring
    parsed = parse_program(source + ";")
    assert shape(parsed.declarations[0].expr) == shape(expected), source


def check_parser_raises_only_hog_syntax_errors(source: str) -> None:
    with contextlib.suppress(HogError):
        parse_program(source)


# Printed programs with one edit: a character dropped, doubled or replaced by a Hog symbol.
@st.composite
def mangled_sources(draw: st.DrawFn) -> str:
    source = print_program(draw(syntax.programs()))
    if not source:
        return source
    at = draw(st.integers(0, len(source) - 1))
    edit = draw(st.sampled_from(["drop", "double", "replace"]))
    if edit == "drop":
        return source[:at] + source[at + 1:]
    if edit == "double":
        return source[:at] + source[at] + source[at:]
    symbol = draw(st.sampled_from([*list("(){}[]'\"`;:,.-+*/%?<>=!~|\\$"), "f'", "->", "??", "?.", "/*"]))
    return source[:at] + symbol + source[at + 1:]


test_print_parse_print_is_identity_fixed_seed, test_print_parse_print_is_identity_random_seed = (
    fuzz_tests(check_print_parse_print_is_identity, program=syntax.programs()))
test_fstrings_parse_like_posthog_fixed_seed, test_fstrings_parse_like_posthog_random_seed = (
    fuzz_tests(check_fstrings_parse_like_posthog, fstring=syntax.fstrings()))
test_parser_raises_only_hog_syntax_errors_fixed_seed, test_parser_raises_only_hog_syntax_errors_random_seed = (
    fuzz_tests(check_parser_raises_only_hog_syntax_errors, source=mangled_sources() | st.text(max_size=80)))
