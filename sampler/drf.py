"""Validation errors worded as PostHog's API words them (Django REST framework's messages and codes).

PostHog validates request bodies with DRF serializers; we validate them with pydantic. This module
turns a pydantic error into DRF's `(code, message)` for the same mistake, so that a client sees
"This field is required." rather than pydantic's "Field required", and builds field errors that
checks made outside a pydantic model (a provider key that does not exist) can raise.

    >>> drf_error({"type": "missing", "loc": ("name",), "msg": "Field required", "input": {}})
    ('required', 'This field is required.')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

NULL_TYPES = {
    "string_type", "bool_type", "bool_parsing", "int_type", "int_parsing", "list_type", "dict_type",
    "model_type", "model_attributes_type", "uuid_type", "uuid_parsing", "float_type", "float_parsing",
}


def json_type_name(value: Any) -> str:
    """The Python type name DRF puts in its messages (`str`, `int`, `list`, `dict`, ...)."""
    return type(value).__name__


def drf_error(error: Any) -> tuple[str, str]:
    """DRF's `(code, message)` for one pydantic error (an item of `ValidationError.errors()`)."""
    kind = error["type"]
    value = error.get("input")
    context = error.get("ctx") or {}
    if kind == "missing":
        return "required", "This field is required."
    if value is None and kind in NULL_TYPES:
        return "null", "This field may not be null."
    if kind == "string_type":
        return "invalid", "Not a valid string."
    if kind in ("string_too_short", "too_short") and isinstance(value, str):
        if context.get("min_length") == 1:
            return "blank", "This field may not be blank."
        return "min_length", f"Ensure this field has at least {context['min_length']} characters."
    if kind in ("string_too_long", "too_long") and isinstance(value, str):
        return "max_length", f"Ensure this field has no more than {context['max_length']} characters."
    if kind == "too_short":
        return "min_length", f"Ensure this field has at least {context['min_length']} elements."
    if kind == "too_long":
        return "max_length", f"Ensure this field has no more than {context['max_length']} elements."
    if kind in ("bool_type", "bool_parsing"):
        return "invalid", "Must be a valid boolean."
    if kind in ("int_type", "int_parsing", "int_from_float", "int_parsing_size"):
        return "invalid", "A valid integer is required."
    if kind == "greater_than_equal":
        return "min_value", f"Ensure this value is greater than or equal to {context['ge']}."
    if kind == "less_than_equal":
        return "max_value", f"Ensure this value is less than or equal to {context['le']}."
    if kind in ("enum", "literal_error"):
        return "invalid_choice", f'"{value}" is not a valid choice.'
    if kind in ("uuid_type", "uuid_parsing", "uuid_version"):
        return "invalid", "Must be a valid UUID."
    if kind == "list_type":
        return "not_a_list", f'Expected a list of items but got type "{json_type_name(value)}".'
    if kind == "dict_type":
        return "not_a_dict", f'Expected a dictionary of items but got type "{json_type_name(value)}".'
    if kind in ("model_type", "model_attributes_type"):
        return "invalid", f"Invalid data. Expected a dictionary, but got {json_type_name(value)}."
    return kind, error["msg"]


def nests_non_field_errors(error: Any) -> bool:
    """DRF reports a nested object that is not an object under its `non_field_errors` key."""
    return error["type"] in ("model_type", "model_attributes_type")


def field_error(loc: Sequence[str | int], code: str, message: str, value: Any = None) -> ValidationError:
    """A pydantic ValidationError for one field, for checks made outside a model's own validators."""
    detail: InitErrorDetails = {
        "type": PydanticCustomError(code, message),  # no context: braces in `message` stay as they are
        "loc": tuple(loc),
        "input": value,
    }
    return ValidationError.from_exception_data("request", [detail])
