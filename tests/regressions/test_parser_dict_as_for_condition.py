"""Found by tests/test_fuzz_parser.py (long profile): an empty dict as the condition of a C-style
`for`. PostHog's parser accepts `for (; {}; ) {}` (an empty dict, falsy); ours reports a syntax
error at `{`, though it accepts a non-empty dict there, and `{}` as the initializer, the step, or
a `while` condition."""

from __future__ import annotations

import pytest

from grammar import parse_program
from tests.fuzz.posthog_shape import normalise_posthog, shape
from tests.oracles.hogql_parser_oracle import parse_program as posthog_parse


@pytest.mark.xfail(strict=True, reason="grammar/parser.py: `{}` right after `for (;` is not taken as an empty dict")
def test_empty_dict_as_for_condition_parses_like_posthog() -> None:
    source = "for (; {}; ) {}"
    assert shape(parse_program(source)) == normalise_posthog(posthog_parse(source))


@pytest.mark.parametrize("source", [
    "for (; {'a': 1}; ) {}", "for ({}; a; {'a': 1}) {}", "while ({}) {}", "if ({}) {}",
])
def test_dict_in_other_statement_heads_parses_like_posthog(source: str) -> None:
    assert shape(parse_program(source)) == normalise_posthog(posthog_parse(source))
