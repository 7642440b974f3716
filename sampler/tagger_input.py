"""What a client may send to create or change a tagger, validated as PostHog's `TaggerSerializer`
and `Tagger.save()` validate it.

- `TaggerCreate` (POST, and PUT, which replaces) and `TaggerPatch` (PATCH) hold the writable
  fields: `name`, `description`, `enabled`, `tagger_type`, `tagger_config`, `conditions`,
  `model_configuration`, `deleted`. Read-only fields (`id`, `created_at`, ...) and unknown keys
  are ignored, as DRF ignores them.
- Fields follow DRF's rules: strings are trimmed, may not be blank where DRF forbids it, may not
  hold NUL characters; numbers given for a string become that string; booleans are not integers.
- `prepare_tagger_write(body, existing)` then makes the checks that span fields (PostHog's
  `validate()` and `save()`): the config must suit the type, changing the type needs a new config,
  the Hog source is compiled into `tagger_config.bytecode`, and every condition's property filters
  are compiled into its `bytecode` / `bytecode_error` (`sampler.filters.compile_condition`).

Errors are pydantic ValidationErrors whose first item is the one PostHog would report.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from sampler.drf import field_error
from sampler.filters import compile_condition
from sampler.models import LLMProvider, TaggerCondition, TaggerType, validate_tagger_config

MAX_NAME_LENGTH = 400


def _drf_string(value: Any) -> Any:
    """DRF's CharField: numbers become strings, strings are trimmed; anything else fails as a string."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return value
    return str(value).strip()


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("null_characters_not_allowed", "Null characters are not allowed.")
    return value


def _not_a_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("invalid", "A valid integer is required.")
    return value


def _choice(choices: tuple[str, ...]) -> Any:
    def check(value: Any) -> Any:
        if value is None or str(value) in choices:
            return None if value is None else str(value)
        raise PydanticCustomError("invalid_choice", '"{input}" is not a valid choice.', {"input": str(value)})

    return BeforeValidator(check)


def _not_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError("null", "This field may not be null.")
    return value


def _uuid_text(value: Any) -> Any:
    """A UUID in any of the spellings DRF's UUIDField reads, as its canonical text."""
    if value is None:
        return None
    try:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(uuid.UUID(int=value))
        if isinstance(value, str):
            return str(uuid.UUID(value))
    except ValueError:
        pass
    raise PydanticCustomError("invalid", "Must be a valid UUID.")


DRFString = Annotated[str, BeforeValidator(_drf_string), AfterValidator(_no_nul)]
DRFInt = Annotated[int, BeforeValidator(_not_a_bool)]
JSONValue = Annotated[Any, AfterValidator(_not_null), WithJsonSchema({"description": "any JSON value"})]
TAGGER_TYPES = tuple(t.value for t in TaggerType)
PROVIDERS = tuple(p.value for p in LLMProvider)
TaggerTypeChoice = Annotated[str, _choice(TAGGER_TYPES), WithJsonSchema({"type": "string", "enum": list(TAGGER_TYPES)})]
ProviderChoice = Annotated[str, _choice(PROVIDERS), WithJsonSchema({"type": "string", "enum": list(PROVIDERS)})]


class ConditionInput(BaseModel):
    """One condition as a client sends it (PostHog's `TaggerConditionSerializer`)."""

    model_config = ConfigDict(extra="ignore")

    id: Annotated[DRFString, Field(min_length=1, max_length=100)]
    rollout_percentage: Annotated[DRFInt, Field(ge=0, le=100)] = 100
    properties: list[dict[str, Any]] = Field(default_factory=list)


class ModelConfigurationInput(BaseModel):
    """The LLM an LLM tagger uses; `provider_key_name` is read-only and ignored here."""

    model_config = ConfigDict(extra="ignore")

    provider: ProviderChoice
    model: Annotated[DRFString, Field(min_length=1, max_length=100)]
    provider_key_id: Annotated[
        str | None, BeforeValidator(_uuid_text), WithJsonSchema({"type": "string", "format": "uuid", "nullable": True})
    ] = None


class TaggerPatch(BaseModel):
    """A PATCH body: every field optional; the fields given are the fields changed."""

    model_config = ConfigDict(extra="ignore")

    name: Annotated[DRFString, Field(min_length=1, max_length=MAX_NAME_LENGTH)] = ""
    description: DRFString = ""
    enabled: bool = False
    tagger_type: TaggerTypeChoice = TaggerType.LLM.value
    tagger_config: JSONValue = None
    conditions: list[ConditionInput] = Field(default_factory=list)
    model_configuration: ModelConfigurationInput | None = None
    deleted: bool = False


class TaggerCreate(TaggerPatch):
    """A POST or PUT body: `name` and `tagger_config` are required."""

    name: Annotated[DRFString, Field(min_length=1, max_length=MAX_NAME_LENGTH)]
    tagger_config: JSONValue


def parse_tagger_body(body: Any, *, partial: bool) -> TaggerPatch:
    """Validate a request body. A body that is not a JSON object fails as DRF fails it."""
    if body is None:
        raise field_error((), "null", "This field may not be null.")
    if not isinstance(body, Mapping):
        raise field_error((), "invalid", f"Invalid data. Expected a dictionary, but got {type(body).__name__}.", body)
    model = TaggerPatch if partial else TaggerCreate
    return model.model_validate(body)


# Fields a PUT resets to their serializer defaults when absent (the others keep their values).
_PUT_DEFAULTS: dict[str, Any] = {"tagger_type": TaggerType.LLM.value, "conditions": []}
_CREATE_DEFAULTS: dict[str, Any] = {
    "description": "", "enabled": False, "conditions": [], "model_configuration": None, "deleted": False,
    **_PUT_DEFAULTS,
}


def prepare_tagger_write(body: TaggerPatch, existing: Mapping[str, Any] | None) -> dict[str, Any]:
    """The stored fields a write changes, checked and compiled.

    `existing` is the tagger being updated (its stored fields: `tagger_type`, `tagger_config`, ...),
    or None for a create. Returns the changed fields: `tagger_config` validated for the type (Hog
    source compiled), `conditions` compiled (always, as PostHog recompiles them on every save),
    `model_configuration` as a plain dict. Raises ValidationError, located on the field at fault.
    """
    given = {name: getattr(body, name) for name in body.model_fields_set if name in type(body).model_fields}
    replacing = isinstance(body, TaggerCreate)
    if existing is None:
        changes = {**_CREATE_DEFAULTS, **given}
    elif replacing:
        changes = {**_PUT_DEFAULTS, **given}
    else:
        changes = given

    tagger_type = changes.get("tagger_type", existing["tagger_type"] if existing else TaggerType.LLM.value)
    if (existing is not None and "tagger_type" in given and tagger_type != existing["tagger_type"]
            and "tagger_config" not in given):
        raise field_error(("tagger_config",), "invalid", "tagger_config is required when changing tagger_type")
    if "tagger_config" in changes:
        changes["tagger_config"] = _checked_config(tagger_type, changes["tagger_config"])

    conditions = changes.get("conditions", existing["conditions"] if existing else [])
    # As PostHog's Tagger.save: every condition (re)compiled, relative dates such as -7d resolved now.
    changes["conditions"] = [TaggerCondition.model_validate(compile_condition(_condition_fields(c))).model_dump()
                             for c in conditions]
    if "model_configuration" in changes and changes["model_configuration"] is not None:
        changes["model_configuration"] = changes["model_configuration"].model_dump()
    return changes


def _condition_fields(condition: ConditionInput | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(condition, ConditionInput):
        return condition.model_dump()
    return {key: condition[key] for key in ("id", "rollout_percentage", "properties") if key in condition}


def _checked_config(tagger_type: str, config: Any) -> dict[str, Any]:
    """`tagger_config` validated for its type; the first problem, located on `tagger_config`."""
    try:
        return validate_tagger_config(tagger_type, config)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        message = f"{where}: {first['msg']}" if where else first["msg"]
        raise field_error(("tagger_config",), "invalid", message, config) from None


# -- list filters ------------------------------------------------------------------------------------

ORDER_CHOICES = tuple(f"{sign}{name}" for name in ("created_at", "updated_at", "name") for sign in ("", "-"))
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def parse_list_filters(params: Mapping[str, str]) -> dict[str, Any]:
    """`enabled`, `id__in`, `search` and `order_by` of a list request, read as PostHog's django-filter
    FilterSet reads them: an unreadable `enabled` is ignored, a bad `order_by` term or UUID is an error,
    empty values filter nothing. Returns keyword arguments for `sampler.registry.TaggerQuery`.
    """
    filters: dict[str, Any] = {}
    if params.get("search"):
        filters["search"] = params["search"]
    enabled = _BOOLEANS.get((params.get("enabled") or "").lower())
    if enabled is not None:
        filters["enabled"] = enabled
    terms = [term.strip() for term in (params.get("order_by") or "").split(",") if term.strip()]
    for term in terms:
        if term not in ORDER_CHOICES:
            raise field_error(("order_by",), "invalid_choice",
                              f"Select a valid choice. {term} is not one of the available choices.", term)
    if terms:
        filters["order_by"] = tuple(terms)
    ids = [item.strip() for item in (params.get("id__in") or "").split(",") if item.strip()]
    if ids:
        try:
            filters["ids"] = tuple(str(uuid.UUID(item)) for item in ids)
        except ValueError:
            raise field_error(("id__in",), "invalid", "Enter a valid UUID.", params["id__in"]) from None
    return filters
