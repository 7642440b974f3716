"""Property filters to HogVM bytecode, as PostHog compiles a tagger condition's `properties`.

PostHog compiles each condition when a tagger is saved (`Tagger.save` calls
`compile_filters_bytecode({"properties": condition["properties"]}, team)` in
`posthog/cdp/filters.py`), and its Node.js scheduler later runs that bytecode on every
`$ai_generation` (see `sampler/pipeline.py`). This module builds the same expression tree as
`property_to_expr` (`posthog/hogql/property.py`) for `event` and `person` filters and lowers it
with our compiler, which emits PostHog's opcodes, so the bytecode is PostHog's, element for
element:

    >>> compile_filters([{"key": "$ai_model", "value": "gpt-4o", "operator": "exact", "type": "event"}])
    {'bytecode': ['_H', 1, 32, 'gpt-4o', 32, '$ai_model', 32, 'properties', 1, 2, 11], 'bytecode_error': None}

No filters compile to `true`; several are AND-ed. A filter that cannot be compiled gives
`{"bytecode": None, "bytecode_error": "<why>"}`; nothing raises.

Deliberate differences from PostHog (each pinned by a test):
- A malformed filter (no `key`, no `value` for an operator that needs one, an unknown `type` or
  operator, a dict as value) is a `bytecode_error` naming the filter and field. PostHog compiles
  an incomplete filter to the constant `1` (its code says "pretend it's not there"), which Node
  then never treats as a match on its own.
- PostHog turns `"true"`/`"false"` (or booleans) into booleans for `exact`/`is_not` when the
  team's property definition says the property is Boolean; without PostHog's database, pass
  those properties as `boolean_properties` (default: none, so the value stays a string).
- `type` may only be `event` or `person` (PostHog also has group, session, element, cohort,
  HogQL... filters, none of which a tagger's globals could satisfy).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from typing import Any, TypedDict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, StrictStr, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from grammar import ast
from grammar.errors import HogError
from sampler.filter_dates import resolve_date_value

__all__ = [
    "CompiledFilters",
    "FilterError",
    "PropertyFilter",
    "PropertyOperator",
    "compile_condition",
    "compile_filters",
]


class PropertyOperator(StrEnum):
    """The operators PostHog's `property_to_expr` compiles for event and person filters."""

    EXACT = "exact"
    IS_NOT = "is_not"
    ICONTAINS = "icontains"
    NOT_ICONTAINS = "not_icontains"
    ICONTAINS_MULTI = "icontains_multi"
    NOT_ICONTAINS_MULTI = "not_icontains_multi"
    REGEX = "regex"
    NOT_REGEX = "not_regex"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    MIN = "min"  # PostHog compiles min as gte and max as lte
    MAX = "max"
    BETWEEN = "between"
    NOT_BETWEEN = "not_between"
    IN = "in"
    NOT_IN = "not_in"
    IS_SET = "is_set"
    IS_NOT_SET = "is_not_set"
    IS_DATE_EXACT = "is_date_exact"
    IS_DATE_BEFORE = "is_date_before"
    IS_DATE_AFTER = "is_date_after"
    IS_CLEANED_PATH_EXACT = "is_cleaned_path_exact"
    SEMVER_EQ = "semver_eq"
    SEMVER_NEQ = "semver_neq"
    SEMVER_GT = "semver_gt"
    SEMVER_GTE = "semver_gte"
    SEMVER_LT = "semver_lt"
    SEMVER_LTE = "semver_lte"
    SEMVER_TILDE = "semver_tilde"
    SEMVER_CARET = "semver_caret"
    SEMVER_WILDCARD = "semver_wildcard"


Op = PropertyOperator
FILTER_TYPES = ("event", "person")
_SET_OPERATORS = (Op.IS_SET, Op.IS_NOT_SET)
# Event properties PostHog stores as JSON arrays of strings and matches element by element.
_EXCEPTION_ARRAY_KEYS = frozenset({"$exception_types", "$exception_values", "$exception_sources",
                                   "$exception_functions"})


class FilterError(ValueError):
    """Why a filter cannot be compiled; becomes `bytecode_error`."""


class CompiledFilters(TypedDict):
    bytecode: list[Any] | None
    bytecode_error: str | None


class PropertyFilter(BaseModel):
    """One property filter of a condition, as PostHog's UI saves it (other keys are kept)."""

    model_config = ConfigDict(extra="allow")

    key: StrictStr
    value: Any = None
    operator: PropertyOperator = PropertyOperator.EXACT
    type: str = "event"

    @field_validator("operator", mode="before")
    @classmethod
    def _operator(cls, value: Any) -> Any:
        if value is None:
            return PropertyOperator.EXACT  # PostHog's default
        if not isinstance(value, str) or value not in PropertyOperator._value2member_map_:
            raise PydanticCustomError("unknown_operator", "unsupported operator {operator} (supported: {known})",
                                      {"operator": repr(value), "known": ", ".join(PropertyOperator)})
        return value

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: Any) -> Any:
        if value is None:
            return "event"
        if value not in FILTER_TYPES:
            raise PydanticCustomError(
                "unsupported_filter_type", "{type} filters are not supported in tagger conditions (use event or person)",
                {"type": repr(value)})
        return value

    @field_validator("value", mode="before")
    @classmethod
    def _value(cls, value: Any) -> Any:
        items = value if isinstance(value, list) else [value]
        for item in items:
            if item is not None and not isinstance(item, str | int | float):
                raise PydanticCustomError(
                    "filter_value", "must be a string, number or boolean, or a list of them (got {kind})",
                    {"kind": type(item).__name__})
            if isinstance(item, float) and not math.isfinite(item):
                raise PydanticCustomError("filter_value", "numbers must be finite (got {value})", {"value": item})
        return value

    @model_validator(mode="after")
    def _value_required(self) -> PropertyFilter:
        if self.value is None:
            if self.operator not in _SET_OPERATORS:
                raise PydanticCustomError("missing_value", "a value is required for operator {operator}",
                                          {"operator": repr(self.operator.value)})
            self.value = self.operator.value  # as PostHog's Property does
        return self


@dataclass(frozen=True, slots=True)
class _Context:
    now: datetime
    zone: tzinfo
    boolean_properties: frozenset[tuple[str, str]]


def compile_filters(
    properties: Any,
    *,
    now: datetime | None = None,
    timezone: str = "UTC",
    boolean_properties: Iterable[tuple[str, str]] = (),
) -> CompiledFilters:
    """Compile a list of property filters (AND-ed) to `["_H", 1, ...]` bytecode.

    `now` and `timezone` (the team's) resolve relative date values such as `-7d`, frozen into the
    bytecode as PostHog does. `boolean_properties` lists `(type, key)` pairs, e.g.
    `("event", "$ai_is_error")`, whose `"true"`/`"false"` values compare as booleans (PostHog
    reads this from its property definitions).

    Never raises: a filter it cannot compile gives `bytecode_error`.
    """
    try:
        filters = _validate(properties)
        context = _Context(_aware(now), _zone(timezone), frozenset(map(tuple, boolean_properties)))
        exprs = [_property_expr(item, context) for item in filters]
        if not exprs:
            expr: ast.Expr = ast.Constant(True)
        elif len(exprs) == 1:
            expr = exprs[0]
        else:
            expr = ast.And(exprs)
        return {"bytecode": _expression_bytecode(expr), "bytecode_error": None}
    except (FilterError, HogError) as exc:
        return {"bytecode": None, "bytecode_error": str(exc).split("\n", 1)[0]}
    except Exception as exc:  # a bug here must not stop a tagger from being saved
        return {"bytecode": None, "bytecode_error": f"Unexpected error compiling filters: {type(exc).__name__}: {exc}"}


def compile_condition(condition: Any, **options: Any) -> dict[str, Any]:
    """A condition with `bytecode` and `bytecode_error` (re)compiled from its `properties`, every
    other key kept, as PostHog's `Tagger.save` stores it. Options are those of `compile_filters`."""
    if isinstance(condition, BaseModel):
        condition = condition.model_dump()
    if not isinstance(condition, Mapping):
        return {"bytecode": None, "bytecode_error": f"a condition must be an object, got {type(condition).__name__}"}
    compiled = compile_filters(condition.get("properties", []), **options)
    return {**condition, "bytecode": compiled["bytecode"], "bytecode_error": compiled["bytecode_error"]}


# -- validation --------------------------------------------------------------------------------


def _validate(properties: Any) -> list[PropertyFilter]:
    if properties is None:
        return []
    if not isinstance(properties, list):
        raise FilterError(f"properties must be a list of property filters, got {type(properties).__name__}")
    filters = []
    for index, item in enumerate(properties):
        if not isinstance(item, Mapping):
            raise FilterError(f"properties[{index}]: a property filter must be an object, got {type(item).__name__}")
        try:
            filters.append(PropertyFilter.model_validate(item))
        except ValidationError as exc:
            raise FilterError("; ".join(_describe(index, error) for error in exc.errors(include_url=False))) from None
    return filters


def _describe(index: int, error: Any) -> str:
    where = "".join(f".{part}" for part in error["loc"])
    message = "is required" if error["type"] == "missing" else error["msg"]
    return f"properties[{index}]{where}: {message}"


def _aware(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise FilterError(f"unknown time zone {name!r}") from None


# -- PostHog's property_to_expr, for event and person filters ------------------------------------


def _property_expr(prop: PropertyFilter, context: _Context) -> ast.Expr:
    operator, value = prop.operator, prop.value
    field = ast.Field(_chain(prop))
    expr = _virtual_property(field)
    array_property = prop.type == "event" and prop.key in _EXCEPTION_ARRAY_KEYS

    if isinstance(value, list) and operator not in (Op.BETWEEN, Op.NOT_BETWEEN, Op.ICONTAINS, Op.NOT_ICONTAINS):
        if not value:
            return ast.Constant(1)
        if len(value) == 1:
            value = value[0]
        elif operator in (Op.EXACT, Op.IS_NOT, Op.IN, Op.NOT_IN):
            op = "in" if operator in (Op.EXACT, Op.IN) else "not in"
            left = ast.Field(["v"]) if array_property else expr
            compare = ast.CompareOperation(left, op, ast.Tuple([ast.Constant(v) for v in value]))
            return _array_exists(compare, field) if array_property else compare
        else:
            parts = [_property_expr(_with_value(prop, item), context) for item in value]
            negative = operator in (Op.NOT_ICONTAINS, Op.NOT_REGEX, Op.IS_NOT)
            return ast.And(parts) if negative else ast.Or(parts)

    compare = _compare(ast.Field(["v"]) if array_property else expr, value, operator, prop, context)
    return _array_exists(compare, field) if array_property else compare


def _chain(prop: PropertyFilter) -> list[str | int]:
    if prop.type == "person":
        if prop.key == "distinct_id":
            # PostHog reads a person's distinct_id from a joined table (`pdi`), which the globals
            # of a tagger condition do not have: such a filter sees null.
            return ["person", "pdi", "distinct_id"]
        chain: list[str | int] = ["person", "properties"]
    else:
        if prop.key == "$elements_chain":  # a column of the event, not a property
            return ["elements_chain"]
        chain = ["properties"]
    return chain if prop.key == "" else [*chain, prop.key]


def _virtual_property(field: ast.Field) -> ast.Field:
    """PostHog's `map_virtual_properties`: `properties.$virt_x` is the field `$virt_x` itself."""
    chain = field.chain
    if len(chain) >= 2 and chain[-2] == "properties" and isinstance(chain[-1], str) and chain[-1].startswith("$virt"):
        return ast.Field([*chain[:-2], chain[-1]])
    return field


def _with_value(prop: PropertyFilter, value: Any) -> PropertyFilter:
    if value is None:
        if prop.operator not in _SET_OPERATORS:
            raise FilterError(f"Value must be set for property type {prop.type} & operator {prop.operator.value}")
        value = prop.operator.value
    return prop.model_copy(update={"value": value})


def _array_exists(body: ast.Expr, field: ast.Field) -> ast.Expr:
    """`arrayExists(v -> body, <the field's JSON array of strings>)`."""
    elements = ast.Call("JSONExtract", [ast.Call("ifNull", [field, ast.Constant("")]), ast.Constant("Array(String)")])
    return ast.Call("arrayExists", [ast.Lambda(["v"], body), elements])


def _compare(expr: ast.Expr, value: Any, operator: Op, prop: PropertyFilter, context: _Context) -> ast.Expr:
    return _COMPARE[operator](expr, value, prop, context)  # every PropertyOperator has a builder


def _cmp(op: str) -> Callable[..., ast.Expr]:
    return lambda expr, value, prop, context: ast.CompareOperation(expr, op, ast.Constant(value))


def _exact(op: str) -> Callable[..., ast.Expr]:
    return lambda expr, value, prop, context: ast.CompareOperation(
        expr, op, ast.Constant(_boolean_value(value, prop, context)))


def _boolean_value(value: Any, prop: PropertyFilter, context: _Context) -> Any:
    """PostHog's `_handle_bool_values`: booleans become 'true'/'false', which become booleans
    again only for properties defined as Boolean."""
    if value is True:
        value = "true"
    elif value is False:
        value = "false"
    if value != "true" and value != "false":
        return value
    if (prop.type, prop.key) in context.boolean_properties:
        return value == "true"
    return value


def _to_string(expr: ast.Expr) -> ast.Expr:
    return ast.Call("toString", [expr])


def _multi_search(expr: ast.Expr, values: list[Any]) -> ast.Expr:
    return ast.Call("multiSearchAnyCaseInsensitive",
                    [_to_string(expr), ast.Array([ast.Constant(str(v)) for v in values])])


def _contains(negated: bool) -> Callable[..., ast.Expr]:
    def build(expr: ast.Expr, value: Any, prop: PropertyFilter, context: _Context) -> ast.Expr:
        if isinstance(value, list) and len(value) > 1:
            return ast.CompareOperation(_multi_search(expr, value), "==" if negated else ">", ast.Constant(0))
        single = value[0] if isinstance(value, list) and len(value) == 1 else value
        # An f-string, as in PostHog: an empty list gives '%[]%', True gives '%True%'.
        return ast.CompareOperation(_to_string(expr), "not ilike" if negated else "ilike", ast.Constant(f"%{single}%"))

    return build


def _contains_multi(negated: bool) -> Callable[..., ast.Expr]:
    def build(expr: ast.Expr, value: Any, prop: PropertyFilter, context: _Context) -> ast.Expr:
        values = value if isinstance(value, list) else [value]
        return ast.CompareOperation(_multi_search(expr, values), "==" if negated else ">", ast.Constant(0))

    return build


def _regex(expr: ast.Expr, value: Any, prop: PropertyFilter, context: _Context) -> ast.Expr:
    match = ast.Call("match", [_to_string(expr), ast.Constant(value)])
    return ast.Call("ifNull", [match, ast.Constant(0)])


def _not_regex(expr: ast.Expr, value: Any, prop: PropertyFilter, context: _Context) -> ast.Expr:
    match = ast.Call("match", [_to_string(expr), ast.Constant(value)])
    return ast.Call("ifNull", [ast.Call("not", [match]), ast.Constant(1)])


def _set(op: str) -> Callable[..., ast.Expr]:
    return lambda expr, value, prop, context: ast.CompareOperation(expr, op, ast.Constant(None))


def _date(op: str) -> Callable[..., ast.Expr]:
    def build(expr: ast.Expr, value: Any, prop: PropertyFilter, context: _Context) -> ast.Expr:
        if not isinstance(value, str):
            raise FilterError(f"{prop.operator.value} needs a date string as value, got {type(value).__name__}")
        moment = ast.Constant(resolve_date_value(value, context.now, context.zone))
        return ast.CompareOperation(_force_datetime(expr), op, _force_datetime(moment))

    return build


def _force_datetime(expr: ast.Expr) -> ast.Expr:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return ast.Call("toDateTime", [expr])
    return ast.Call("toDateTime", [_to_string(expr)])


def _between(negated: bool) -> Callable[..., ast.Expr]:
    def build(expr: ast.Expr, value: Any, prop: PropertyFilter, context: _Context) -> ast.Expr:
        name = prop.operator.value
        if not isinstance(value, list) or len(value) != 2:
            raise FilterError(f"{name} operator requires a two-element array [min, max]")
        try:
            reversed_bounds = float(value[0]) > float(value[1])
        except (ValueError, TypeError):
            raise FilterError(f"{name} operator requires numeric values") from None
        if reversed_bounds:
            raise FilterError(f"{name} operator requires min value to be less than or equal to max value")
        low, high = ast.Constant(value[0]), ast.Constant(value[1])
        if negated:
            return ast.Or([ast.CompareOperation(expr, "<", low), ast.CompareOperation(expr, ">", high)])
        return ast.And([ast.CompareOperation(expr, ">=", low), ast.CompareOperation(expr, "<=", high)])

    return build


def _membership_of_one(expr: ast.Expr, value: Any, prop: PropertyFilter, context: _Context) -> ast.Expr:
    # Lists of two or more values became `in (...)` before getting here, and a one-element list was
    # unwrapped to its value, which PostHog then rejects (so `in` needs at least two values).
    raise FilterError("IN and NOT IN operators require a list of values")


def _semver(op: str) -> Callable[..., ast.Expr]:
    return lambda expr, value, prop, context: ast.CompareOperation(
        ast.Call("sortableSemver", [expr]), op, ast.Call("sortableSemver", [ast.Constant(value)]))


def _semver_range(name: str, bounds: Callable[[str], tuple[str, str]]) -> Callable[..., ast.Expr]:
    def build(expr: ast.Expr, value: Any, prop: PropertyFilter, context: _Context) -> ast.Expr:
        if not isinstance(value, str):
            raise FilterError(f"{name} operator requires a semver string value")
        try:
            low, high = bounds(value)
        except (ValueError, IndexError):
            raise FilterError(f"{name} operator requires a valid semver string (e.g., '1.2.3')") from None
        return ast.And([
            ast.CompareOperation(ast.Call("sortableSemver", [expr]), ">=", ast.Call("sortableSemver", [ast.Constant(low)])),
            ast.CompareOperation(ast.Call("sortableSemver", [expr]), "<", ast.Call("sortableSemver", [ast.Constant(high)])),
        ])

    return build


def _semver_parts(value: str) -> tuple[str, str, str]:
    parts = value.split("-")[0].split(".")
    if not parts[0]:
        raise ValueError("Invalid semver format")
    major = parts[0]
    minor = parts[1] if len(parts) > 1 else "0"
    patch = parts[2] if len(parts) > 2 else "0"
    int(major), int(minor), int(patch)  # each must be a number
    return major, minor, patch


def _tilde_bounds(value: str) -> tuple[str, str]:
    major, minor, patch = _semver_parts(value)
    if len(value.split("-")[0].split(".")) < 2:  # ~1 allows any 1.x.y
        return f"{major}.0.0", f"{int(major) + 1}.0.0"
    return f"{major}.{minor}.{patch}", f"{major}.{int(minor) + 1}.0"


def _caret_bounds(value: str) -> tuple[str, str]:
    major, minor, patch = _semver_parts(value)
    if int(major) > 0:
        high = f"{int(major) + 1}.0.0"
    elif int(minor) > 0:
        high = f"0.{int(minor) + 1}.0"
    else:
        high = f"0.0.{int(patch) + 1}"
    return f"{major}.{minor}.{patch}", high


def _wildcard_bounds(value: str) -> tuple[str, str]:
    value = value.rstrip(".*")
    if not value:
        raise ValueError("Invalid wildcard pattern")
    parts = value.split("-")[0].split(".")
    numbers = [int(part) for part in parts[:3]]
    if len(parts) == 1:
        return f"{parts[0]}.0.0", f"{numbers[0] + 1}.0.0"
    if len(parts) == 2:
        return f"{parts[0]}.{parts[1]}.0", f"{parts[0]}.{numbers[1] + 1}.0"
    return f"{parts[0]}.{parts[1]}.{parts[2]}.0", f"{parts[0]}.{parts[1]}.{numbers[2] + 1}.0"


_COMPARE: dict[Op, Callable[..., ast.Expr]] = {
    Op.IS_SET: _set("!="),
    Op.IS_NOT_SET: _set("=="),
    Op.ICONTAINS: _contains(negated=False),
    Op.NOT_ICONTAINS: _contains(negated=True),
    Op.ICONTAINS_MULTI: _contains_multi(negated=False),
    Op.NOT_ICONTAINS_MULTI: _contains_multi(negated=True),
    Op.REGEX: _regex,
    Op.NOT_REGEX: _not_regex,
    Op.EXACT: _exact("=="),
    Op.IS_NOT: _exact("!="),
    Op.IS_DATE_EXACT: _date("=="),
    Op.IS_DATE_BEFORE: _date("<"),
    Op.IS_DATE_AFTER: _date(">"),
    Op.LT: _cmp("<"),
    Op.GT: _cmp(">"),
    Op.LTE: _cmp("<="),
    Op.MAX: _cmp("<="),
    Op.GTE: _cmp(">="),
    Op.MIN: _cmp(">="),
    Op.BETWEEN: _between(negated=False),
    Op.NOT_BETWEEN: _between(negated=True),
    Op.IS_CLEANED_PATH_EXACT: _cmp("=="),  # no path cleaning rules without a PostHog team
    Op.IN: _membership_of_one,
    Op.NOT_IN: _membership_of_one,
    Op.SEMVER_EQ: _semver("=="),
    Op.SEMVER_NEQ: _semver("!="),
    Op.SEMVER_GT: _semver(">"),
    Op.SEMVER_GTE: _semver(">="),
    Op.SEMVER_LT: _semver("<"),
    Op.SEMVER_LTE: _semver("<="),
    Op.SEMVER_TILDE: _semver_range("Tilde", _tilde_bounds),
    Op.SEMVER_CARET: _semver_range("Caret", _caret_bounds),
    Op.SEMVER_WILDCARD: _semver_range("Wildcard", _wildcard_bounds),
}


def _expression_bytecode(expr: ast.Expr) -> list[Any]:
    """`["_H", 1, <expr>]` as PostHog's `create_bytecode(expr)` emits it: the code of `return expr`
    without its RETURN (the VMs answer with the value left on the stack)."""
    from hogvm.compiler import compile_program
    from hogvm.opcodes import Op as Opcode

    code = compile_program(ast.Program([ast.ReturnStatement(expr)]))
    assert code[-1] == Opcode.RETURN
    return code[:-1]
