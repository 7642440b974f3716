"""The OpenAPI description of the API's bodies, named and shaped as in PostHog's schema.

Responses are written from `StoredTagger.api_body()` directly (no per-response model validation, which
would cost more than the rest of a list request); these models describe them, and the schema tests
check every response against them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sampler.models import LLMProvider, TaggerType, TestHogResult
from sampler.tagger_input import ORDER_CHOICES


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserBasic(Strict):
    id: int
    uuid: str = Field(json_schema_extra={"format": "uuid"})
    distinct_id: str | None
    first_name: str
    last_name: str
    email: str = Field(json_schema_extra={"format": "email"})
    is_email_verified: bool | None
    hedgehog_config: dict[str, Any] | None
    role_at_organization: str | None


class TaggerCondition(Strict):
    id: str = Field(description="Stable identifier for this condition", max_length=100)
    rollout_percentage: int = Field(ge=0, le=100, description="Percentage of matching events to apply this condition to")
    properties: list[dict[str, Any]] = Field(description="Property filters that scope when this condition fires")
    bytecode: list[Any] | None = Field(description="The property filters compiled to Hog bytecode (read-only)")
    bytecode_error: str | None = Field(description="Why the property filters could not be compiled (read-only)")


class TaggerModelConfiguration(Strict):
    provider: LLMProvider
    model: str = Field(max_length=100)
    provider_key_id: str | None = Field(json_schema_extra={"format": "uuid"})
    provider_key_name: str | None


class Tagger(Strict):
    id: str = Field(json_schema_extra={"format": "uuid"})
    name: str = Field(max_length=400)
    description: str
    enabled: bool
    tagger_type: TaggerType
    tagger_config: dict[str, Any] = Field(description="Tagger configuration (varies by tagger_type)")
    conditions: list[TaggerCondition] = Field(description="Conditions that scope when the tagger runs")
    model_configuration: TaggerModelConfiguration | None
    created_at: datetime
    updated_at: datetime
    created_by: UserBasic | None
    deleted: bool


class PaginatedTaggerList(Strict):
    count: int = Field(examples=[123])
    next: str | None = Field(json_schema_extra={"format": "uri"})
    previous: str | None = Field(json_schema_extra={"format": "uri"})
    results: list[Tagger]


class TestHogTaggerResponse(Strict):
    __test__ = False
    results: list[TestHogResult]
    message: str | None = Field(default=None, description="Set when no recent generations were found")


class TestHogTaggerError(Strict):
    __test__ = False
    error: str | dict[str, list[str]] = Field(
        description="A compile error, or the request's invalid fields with their messages")


class ErrorType(StrEnum):
    VALIDATION = "validation_error"
    AUTHENTICATION = "authentication_error"
    INVALID_REQUEST = "invalid_request"
    THROTTLED = "throttled_error"
    SERVER = "server_error"


class Error(Strict):
    type: ErrorType
    code: str
    detail: str
    attr: str | None


class Health(Strict):
    status: str


ORDER_BY_DESCRIPTION = "Ordering: " + ", ".join(f"`{choice}`" for choice in ORDER_CHOICES) + " (comma-separated)"


class Event(Strict):
    """One event, as PostHog's events API lists it (`ClickhouseEventSerializer`)."""

    id: str = Field(json_schema_extra={"format": "uuid"})
    distinct_id: str | None
    properties: dict[str, Any]
    event: str
    timestamp: str = Field(json_schema_extra={"format": "date-time"})
    person: dict[str, Any] | None
    elements: list[Any]
    elements_chain: str


class EventList(Strict):
    next: str | None = Field(json_schema_extra={"format": "uri"},
                             description="The next page: the same query with `before` set to the last timestamp")
    results: list[Event]


class LiveLag(Strict):
    samples: int
    p50: float | None
    p99: float | None
    max: float | None


class LiveTaggerStatus(Strict):
    id: str = Field(json_schema_extra={"format": "uuid"})
    name: str
    tagger_type: TaggerType
    enabled: bool
    run: bool = Field(description="Whether this server runs it (Hog taggers); LLM taggers are counted, not run")
    queued: int
    in_flight: int
    considered: int = Field(description="Generations its conditions were evaluated on")
    tagged: int = Field(description="Generations it tagged (an `$ai_tag` event each)")
    tags: int
    skipped: dict[str, int] = Field(description="Generations not tagged, by reason (`filtered`, "
                                                "`sampling_excluded`, `llm_tagger`, ...)")
    failed: dict[str, int] = Field(description="Runs that failed, by kind (`timeout`, `runtime_error`, ...)")
    last_error: str | None
    last_error_event: str | None
    condition_errors: int


class LiveTaggingStatus(Strict):
    captured: int = Field(description="Events received by capture for this project since the server started")
    generations: int = Field(description="New `$ai_generation` events queued for tagging")
    tagged_generations: int = Field(description="Generations every tagger is done with")
    pending: int
    lag_seconds: LiveLag = Field(description="Capture to stored `$ai_tag`, per generation")
    workers: int
    taggers: list[LiveTaggerStatus]
