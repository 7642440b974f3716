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
from tests.posthog_ast import posthog_program

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


# ---------------------------------------------------------------- examples of the canonical form

def _printed(source: str) -> str:
    """`source` parsed by PostHog's parser, printed by ours."""
    return print_program(posthog_program(source)).strip()


@pytest.mark.parametrize(("source", "printed"), [
    ("a + b * c", "a + b * c;"),
    ("(a + b) * c", "(a + b) * c;"),
    ("a - (b - c)", "a - (b - c);"),
    ("-x", "-x;"),
    ("-(2)", "-(2);"),  # `-2` is the constant -2
    ("- -x", "-(-x);"),  # `--` would start a comment
    ("a ?? b ?? c", "a ?? b ?? c;"),
    ("a ?? (b ?? c)", "a ?? (b ?? c);"),
    ("c ? a : b ? d : e", "c ? a : b ? d : e;"),
    ("not a = b", "not a == b;"),
    ("a or b and c", "a or b and c;"),
    ("(a or b) and c", "(a or b) and c;"),
    ("a || b || c", "a || b || c;"),
    ("concat(concat(a, b), c)", "concat(a || b, c);"),  # `a || b || c` would flatten
    ("x is not null", "x is not null;"),
    ("f(x -> x + 1, (a, b) -> a)", "f((x) -> x + 1, (a, b) -> a);"),
    ("(x -> x)(1)", "((x) -> x)(1);"),
    ("(f)(1)", "(f)(1);"),
    ("(f(1))(2)", "(f(1))(2);"),
    ("f(1)(2)", "f(1)(2);"),
    ("({'a': 1})", "({'a': 1});"),
    ("() -> {;}", "() -> { ; };"),
    ("a['b'].c", "a['b']['c'];"),
    ("a?.b", "a?.['b'];"),
    ("(1, 2).1", "(1, 2).1;"),
    ("`my var` + x.`date`", "`my var` + x.date;"),
    ("`date`.x", "`date`.x;"),
    ("'it''s\\n'", "'it\\'s\\n';"),
    ("f'a{x}\\{'", "'a' || x || '{';"),
    ("if (a) b else if (c) d", "if (a) b;\nelse if (c) d;"),
])
def test_printing_examples(source: str, printed: str) -> None:
    assert _printed(source) == printed
