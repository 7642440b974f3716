"""Found by tests/test_fuzz_parser.py (long profile): an empty dict as the condition or the step
of a C-style `for`. PostHog's parser accepts `for (; {}; ) {}` and `for (; ; {}) {}`; ours reports
a syntax error at `{`, though it accepts a non-empty dict there, and `{}` as the initializer or a
`while` condition."""

from __future__ import annotations

import pytest

from grammar import parse_program
from tests.fuzz.posthog_shape import normalise_posthog, shape
from tests.oracles.hogql_parser_oracle import parse_program as posthog_parse


@pytest.mark.parametrize("source", ["for (; {}; ) {}", "for (; ; {}) {}", "for (; a; {}) {}"])
def test_empty_dict_as_for_condition_or_step_parses_like_posthog(source: str) -> None:
    assert shape(parse_program(source)) == normalise_posthog(posthog_parse(source))


@pytest.mark.parametrize("source", [
    "for (; {'a': 1}; ) {}", "for ({}; a; {'a': 1}) {}", "for ({}; ; ) {}", "while ({}) {}", "if ({}) {}",
])
def test_dict_in_other_statement_heads_parses_like_posthog(source: str) -> None:
    assert shape(parse_program(source)) == normalise_posthog(posthog_parse(source))
