"""Pydantic models of PostHog's Taggers API, field for field, and of the `test_hog` request and response.

Validation follows PostHog's models and serializers: tag names 1-100 characters, trimmed, not blank,
unique within a tagger; descriptions up to 500 characters; an LLM tagger's `min_tags >= 0`,
`max_tags >= 1` or null, `min_tags <= max_tags <= len(tags)`; a Hog tagger's `bytecode` compiled
from its `source` when the config is validated, a compile error being the validation message.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError


class TaggerType(StrEnum):
    LLM = "llm"
    HOG = "hog"


class LLMProvider(StrEnum):
    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    GEMINI = "gemini"
    OPENROUTER = "openrouter"
    FIREWORKS = "fireworks"
    AZURE_OPENAI = "azure_openai"
    MINIMAX = "minimax"


class TagDefinition(BaseModel):
    """One tag a tagger may apply."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(..., min_length=1, max_length=100, description="Tag identifier")
    description: str = Field(default="", max_length=500, description="Helps an LLM tagger choose the tag")

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise PydanticCustomError("blank_tag_name", "Tag name cannot be empty")
        return value.strip()


def _unique_names(tags: list[TagDefinition]) -> list[TagDefinition]:
    names = [tag.name for tag in tags]
    if len(names) != len(set(names)):
        duplicates = sorted({name for name in names if names.count(name) > 1})
        raise PydanticCustomError(
            "duplicate_tag_names", "Tag names must be unique (repeated: {names})", {"names": ", ".join(duplicates)}
        )
    return tags


class LLMTaggerConfig(BaseModel):
    """`tagger_config` of an LLM tagger."""

    prompt: str = Field(..., min_length=1, description="Prompt instructing the LLM how to tag")
    tags: list[TagDefinition] = Field(..., min_length=1, description="Available tags")
    min_tags: int = Field(default=0, ge=0, description="Minimum tags to apply")
    max_tags: int | None = Field(default=None, ge=1, description="Maximum tags to apply (null = no limit)")

    @field_validator("prompt")
    @classmethod
    def _prompt_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise PydanticCustomError("blank_prompt", "Prompt cannot be empty")
        return value.strip()

    @field_validator("tags")
    @classmethod
    def _tags_unique(cls, value: list[TagDefinition]) -> list[TagDefinition]:
        return _unique_names(value)

    @model_validator(mode="after")
    def _tag_bounds(self) -> LLMTaggerConfig:
        if self.max_tags is not None:
            if self.min_tags > self.max_tags:
                raise PydanticCustomError("min_above_max", "min_tags cannot be greater than max_tags")
            if self.max_tags > len(self.tags):
                raise PydanticCustomError("max_above_tags", "max_tags cannot exceed the number of defined tags")
        return self


class HogTaggerConfig(BaseModel):
    """`tagger_config` of a Hog tagger. `bytecode` is compiled from `source` on validation."""

    source: str = Field(..., min_length=1, description="Hog source code")
    bytecode: list[Any] = Field(default_factory=list, description="Compiled bytecode (set from source)")
    tags: list[TagDefinition] = Field(default_factory=list, description="Optional tag whitelist (empty = allow all)")

    @field_validator("source")
    @classmethod
    def _source_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise PydanticCustomError("blank_source", "Source code cannot be empty")
        return value

    @field_validator("tags")
    @classmethod
    def _tags_unique(cls, value: list[TagDefinition]) -> list[TagDefinition]:
        return _unique_names(value)

    @model_validator(mode="after")
    def _compile(self) -> HogTaggerConfig:
        from hogvm import HogError, compile_hog

        try:
            self.bytecode = compile_hog(self.source)
        except HogError as exc:
            raise PydanticCustomError(
                "hog_compile_error", "Failed to compile Hog code: {error}", {"error": first_line(exc)}
            ) from None
        except RecursionError:
            raise PydanticCustomError(
                "hog_compile_error", "Failed to compile Hog code: the program is nested too deeply"
            ) from None
        return self


TAGGER_CONFIG_MODELS: dict[str, type[BaseModel]] = {
    TaggerType.LLM.value: LLMTaggerConfig,
    TaggerType.HOG.value: HogTaggerConfig,
}


def validate_tagger_config(tagger_type: str, tagger_config: dict[str, Any]) -> dict[str, Any]:
    """Validate a `tagger_config` for its type; returns it normalised (nulls dropped, bytecode set).

    Raises ValueError for an unknown type and pydantic's ValidationError for a bad config.
    """
    model = TAGGER_CONFIG_MODELS.get(str(tagger_type))
    if model is None:
        raise ValueError(f"Unsupported tagger type: {tagger_type}")
    return model.model_validate(tagger_config).model_dump(exclude_none=True)


class ModelConfiguration(BaseModel):
    """The LLM an LLM tagger uses. `provider_key_name` is read-only in the API."""

    provider: LLMProvider
    model: str = Field(..., max_length=100)
    provider_key_id: UUID | None = None
    provider_key_name: str | None = None


class TaggerCondition(BaseModel):
    """Which generations a tagger runs on: property filters, then a rollout percentage.

    `bytecode` and `bytecode_error` are what the filters compile to; they are set when a tagger is
    saved, never taken from a client.
    """

    model_config = ConfigDict(extra="allow")

    id: str = Field(..., max_length=100, description="Stable identifier for this condition")
    # The API takes whole numbers (sampler.tagger_input); stored conditions may hold fractions.
    rollout_percentage: int | float = Field(default=100, ge=0, le=100,
                                            description="Percentage of matching events to apply this condition to")
    properties: list[dict[str, Any]] = Field(default_factory=list,
                                             description="Property filters that scope when this condition fires")
    bytecode: list[Any] | None = None
    bytecode_error: str | None = None


class Tagger(BaseModel):
    """A tagger as the Taggers API returns it; `tagger_config` is validated for `tagger_type`."""

    id: UUID | None = None
    name: str = Field(..., min_length=1, max_length=400)
    description: str = ""
    enabled: bool = False
    tagger_type: TaggerType = TaggerType.LLM
    tagger_config: dict[str, Any]  # required, as in the API; validated for `tagger_type` when not empty
    conditions: list[TaggerCondition] = Field(default_factory=list)
    model_configuration: ModelConfiguration | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    created_by: dict[str, Any] | None = None
    deleted: bool = False

    @model_validator(mode="after")
    def _config_matches_type(self) -> Tagger:
        if self.tagger_config:
            self.tagger_config = validate_tagger_config(self.tagger_type, self.tagger_config)
        return self


# -- test_hog ---------------------------------------------------------------------------------


class TestHogRequest(BaseModel):
    """The body of `POST .../taggers/test_hog`."""

    __test__ = False  # not a pytest test class, despite the name
    model_config = ConfigDict(extra="ignore")

    source: str
    sample_count: Annotated[int, Field(ge=1, le=10, strict=False)] = 5
    tags: list[TagDefinition] = Field(default_factory=list)

    @field_validator("source")
    @classmethod
    def _source_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise PydanticCustomError("blank", "This field may not be blank.")
        return value

    @field_validator("sample_count", mode="before")
    @classmethod
    def _no_booleans(cls, value: Any) -> Any:
        # `True` would otherwise pass as 1.
        if isinstance(value, bool):
            raise PydanticCustomError("int_type", "A valid integer is required.")
        return value


class TestHogResult(BaseModel):
    """One sampled event and what the tagger made of it.

    Beside the endpoint's fields (all that `model_dump()` gives), `dropped_tags` (returned names
    that are not configured tags) and `failure` (the VM's error, with its position) serve reports."""

    __test__ = False

    event_uuid: str
    trace_id: Any = None
    input_preview: str
    output_preview: str
    tags: list[str]
    reasoning: str
    error: str | None
    # Not in PostHog's response: where PostHog's VMs would tag this event differently (see
    # hogvm/posthog_model.py). Serialised only when there is something to say, so the body keeps
    # PostHog's exact shape otherwise; clients written for PostHog ignore an extra key.
    posthog_divergences: list[str] | None = None

    # No return annotation on purpose: pydantic would take it as the model's serialised JSON schema
    # (a bare object), and the API's OpenAPI schema would lose the result's fields.
    @model_serializer(mode="wrap")
    def _divergences_only_when_present(self, handler: Any):
        body = handler(self)
        if not body.get("posthog_divergences"):
            body.pop("posthog_divergences", None)
        return body

    _dropped_tags: list[str] = PrivateAttr(default_factory=list)
    _failure: Any = PrivateAttr(default=None)

    @property
    def dropped_tags(self) -> list[str]:
        return self._dropped_tags

    @property
    def failure(self) -> Any:
        """The `HogError` the tagger failed with, if the VM raised one."""
        return self._failure


class TestHogResponse(BaseModel):
    """The body `test_hog` answers with: results, results with a message, or an error.

    Serialises to exactly the endpoint's keys: `{"results": [...]}`,
    `{"results": [], "message": ...}` or `{"error": ...}`.
    """

    __test__ = False

    results: list[TestHogResult] | None = None
    message: str | None = None
    error: str | None = None

    @property
    def status_code(self) -> int:
        """The HTTP status PostHog answers with: 400 for a compile error, else 200."""
        return 400 if self.error is not None else 200

    @model_serializer(mode="wrap")
    def _only_present_keys(self, handler: Any) -> dict[str, Any]:
        body = handler(self)
        return {key: value for key, value in body.items() if value is not None}


def validation_error_body(error: ValidationError) -> dict[str, Any]:
    """A 400 body in the endpoint's shape for a bad request: `{"error": {field: [messages]}}`,
    worded as PostHog's serializers word them."""
    from sampler.drf import drf_error

    fields: dict[str, list[str]] = {}
    for item in error.errors(include_url=False):
        location = ".".join(str(part) for part in item["loc"]) or "non_field_errors"
        fields.setdefault(location, []).append(drf_error(item)[1])
    return {"error": fields}


def first_line(exc: BaseException) -> str:
    """An error's message without the source snippet a HogError appends on later lines."""
    return str(exc).split("\n", 1)[0]
