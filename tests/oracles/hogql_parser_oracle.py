"""PostHog's C++ Hog parser (`hogql-parser` on PyPI) as a test oracle for AST parity.

The extension imports `posthog.hogql.errors` at load time to raise its syntax errors. Outside
PostHog's monorepo that module does not exist, so we register a minimal stand-in before import;
we only call the `*_json` entry points, which return the AST as JSON and need nothing else.
"""

from __future__ import annotations

import json
import sys
import types
from typing import Any


def _install_posthog_stub() -> None:
    if "posthog.hogql.errors" in sys.modules:
        return

    class BaseHogQLError(Exception):
        def __init__(self, message: str = "", *, start: Any = None, end: Any = None, **_: Any) -> None:
            super().__init__(message)
            self.message, self.start, self.end = message, start, end

    errors = types.ModuleType("posthog.hogql.errors")
    errors.BaseHogQLError = BaseHogQLError  # type: ignore[attr-defined]
    for name in ("ExposedHogQLError", "InternalHogQLError"):
        setattr(errors, name, type(name, (BaseHogQLError,), {}))
    for name, base in (("SyntaxError", "ExposedHogQLError"), ("QueryError", "ExposedHogQLError"),
                       ("NotImplementedError", "InternalHogQLError"), ("ParsingError", "InternalHogQLError")):
        setattr(errors, name, type(name, (getattr(errors, base),), {}))
    posthog = sys.modules.setdefault("posthog", types.ModuleType("posthog"))
    hogql = sys.modules.setdefault("posthog.hogql", types.ModuleType("posthog.hogql"))
    posthog.hogql = hogql  # type: ignore[attr-defined]
    hogql.errors = errors  # type: ignore[attr-defined]
    sys.modules["posthog.hogql.errors"] = errors


def parse_program(source: str) -> dict[str, Any]:
    """PostHog's AST of `source` as a dict (with `start`/`end` positions), or a dict with
    `"error": True` and a `message` when PostHog's parser rejects it."""
    _install_posthog_stub()
    import hogql_parser

    return json.loads(hogql_parser.parse_program_json(source))


def strip_positions(node: Any) -> Any:
    """The AST without `start`/`end`, for structural comparison."""
    if isinstance(node, dict):
        return {k: strip_positions(v) for k, v in node.items() if k not in ("start", "end")}
    if isinstance(node, list):
        return [strip_positions(x) for x in node]
    return node
