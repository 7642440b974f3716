"""Found by tests/test_fuzz_parser.py: `x?.3.0` is two tuple accesses in PostHog's parser (the
lexer makes no float of `3.0` after `?.`), as `x.3.0` already is in ours."""

from __future__ import annotations

from grammar import parse_program
from tests.fuzz.posthog_shape import normalise_posthog, shape
from tests.oracles.hogql_parser_oracle import parse_program as posthog_parse


def test_dotted_tuple_access_chain_parses_like_posthog() -> None:
    source = "x.3.0;"
    assert shape(parse_program(source)) == normalise_posthog(posthog_parse(source))


def test_nullish_tuple_access_chain_parses_like_posthog() -> None:
    source = "x?.3.0;"
    assert shape(parse_program(source)) == normalise_posthog(posthog_parse(source))
