"""Error constructors: Error, RetryError, NotImplementedError and HogError(type, message, payload).

They build the tagged error dicts that `throw` accepts and `catch (e: Type)` matches on `e.type`.
As in PostHog, a missing or empty message becomes 'An error occurred'.
"""

from __future__ import annotations

from typing import Any

from hogvm.stl.registry import StlContext, builtin
from hogvm.values import ERROR_TAG

DEFAULT_MESSAGE = "An error occurred"


def make_error(type: Any, message: Any = None, payload: Any = None) -> dict[str, Any]:
    return {ERROR_TAG: True, "type": type or "Error", "message": message or DEFAULT_MESSAGE, "payload": payload}


def _typed_error(name: str) -> None:
    @builtin(name, 0, 2)
    def construct(args: list[Any], ctx: StlContext) -> dict[str, Any]:
        return make_error(name, args[0] if args else None, args[1] if len(args) > 1 else None)

    construct.__name__ = name


_typed_error("Error")
_typed_error("RetryError")
_typed_error("NotImplementedError")


@builtin("HogError", 1, 3)
def hog_error(args: list[Any], ctx: StlContext) -> dict[str, Any]:
    return make_error(args[0], args[1] if len(args) > 1 else None, args[2] if len(args) > 2 else None)
