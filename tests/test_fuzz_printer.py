"""Printer and parser properties on generated ASTs.

- The printer speaks PostHog's language: `hogql-parser` reads printed source back to the AST the
  source was printed from (so the strategies generate only trees PostHog's parser can produce).
- f-strings desugar to `concat(...)` exactly as PostHog's parser does it.
"""

from __future__ import annotations

import pytest

from grammar.printer import print_program
from tests.fuzz import syntax
from tests.fuzz.posthog_shape import normalise_posthog, shape
from tests.fuzz.seeds import fuzz_tests
from tests.oracles.hogql_parser_oracle import parse_program as posthog_parse

pytestmark = [pytest.mark.fuzz, pytest.mark.oracle]


def check_posthog_reads_printed_source_back(program) -> None:
    source = print_program(program)
    assert normalise_posthog(posthog_parse(source)) == shape(program), source


def check_fstring_desugaring_matches_posthog(fstring) -> None:
    source, expected = fstring
    theirs = normalise_posthog(posthog_parse(source + ";"))
    assert theirs == {"node": "Program", "declarations": [{"node": "ExprStatement", "expr": shape(expected)}]}, source


test_posthog_reads_printed_source_back_fixed_seed, test_posthog_reads_printed_source_back_random_seed = (
    fuzz_tests(check_posthog_reads_printed_source_back, program=syntax.programs()))
test_fstring_desugaring_matches_posthog_fixed_seed, test_fstring_desugaring_matches_posthog_random_seed = (
    fuzz_tests(check_fstring_desugaring_matches_posthog, fstring=syntax.fstrings()))
