"""Found by tests/test_fuzz_parser.py: an assignment ending in `;` as the bare body of an `if`
with an `else`. PostHog's parser reads `if (c) a := 1; else {}` as one if/else statement."""

from __future__ import annotations

from grammar import parse_program
from tests.fuzz.posthog_shape import normalise_posthog, shape
from tests.oracles.hogql_parser_oracle import parse_program as posthog_parse

SOURCE = "if (null) a := null;\nelse {\n}\n"


def test_assignment_body_with_semicolon_before_else_parses_like_posthog() -> None:
    assert shape(parse_program(SOURCE)) == normalise_posthog(posthog_parse(SOURCE))
