"""Found by tests/test_fuzz_parser.py (long profile): two escaped quotes in a row. PostHog reads
`'\\'\\''` as a string of two quotes; our lexer read one (it undid a doubled `''` after
unescaping). Fixed in the lexer; kept as a regression test."""

from __future__ import annotations

import pytest

from grammar import parse_program
from tests.fuzz.posthog_shape import normalise_posthog, shape
from tests.oracles.hogql_parser_oracle import parse_program as posthog_parse


@pytest.mark.parametrize("source", ["'\\'\\'';", "'a\\'\\'b';", "f'\\'\\'';", "f'{x}\\'\\'';"])
def test_escaped_quote_pairs_parse_like_posthog(source: str) -> None:
    assert shape(parse_program(source)) == normalise_posthog(posthog_parse(source))


@pytest.mark.parametrize("source", ["'\\'';", "'it''s';", "'a\\\\';", "f'it''s {x}';"])
def test_single_escaped_quotes_parse_like_posthog(source: str) -> None:
    assert shape(parse_program(source)) == normalise_posthog(posthog_parse(source))
