"""Tagger models: PostHog's Taggers API shapes and validation rules, field for field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sampler.models import (
    HogTaggerConfig,
    LLMTaggerConfig,
    ModelConfiguration,
    TagDefinition,
    Tagger,
    TaggerCondition,
    TaggerType,
    TestHogRequest,
    TestHogResponse,
    TestHogResult,
    validate_tagger_config,
    validation_error_body,
)


def messages(exc: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [e["msg"] for e in exc.value.errors()]


# -- TagDefinition ------------------------------------------------------------------------------


def test_tag_name_is_trimmed() -> None:
    assert TagDefinition(name="  billing  ").name == "billing"
    assert TagDefinition(name="billing").description == ""


@pytest.mark.parametrize(("name", "expected"), [
    ("", "String should have at least 1 character"),
    ("   ", "Tag name cannot be empty"),
    ("x" * 101, "String should have at most 100 characters"),
])
def test_bad_tag_names(name: str, expected: str) -> None:
    with pytest.raises(ValidationError) as exc:
        TagDefinition(name=name)
    assert messages(exc) == [expected]


def test_tag_description_limit() -> None:
    TagDefinition(name="a", description="d" * 500)
    with pytest.raises(ValidationError, match="at most 500 characters"):
        TagDefinition(name="a", description="d" * 501)


# -- LLM tagger config --------------------------------------------------------------------------

TAGS = [{"name": "billing"}, {"name": "bug"}, {"name": "other"}]


def test_llm_config_defaults_and_trimmed_prompt() -> None:
    config = LLMTaggerConfig(prompt="  Tag the topic.  ", tags=TAGS)
    assert (config.prompt, config.min_tags, config.max_tags) == ("Tag the topic.", 0, None)


@pytest.mark.parametrize(("fields", "expected"), [
    ({"prompt": "   "}, "Prompt cannot be empty"),
    ({"tags": []}, "List should have at least 1 item after validation, not 0"),
    ({"min_tags": -1}, "Input should be greater than or equal to 0"),
    ({"max_tags": 0}, "Input should be greater than or equal to 1"),
    ({"min_tags": 3, "max_tags": 2}, "min_tags cannot be greater than max_tags"),
    ({"max_tags": 4}, "max_tags cannot exceed the number of defined tags"),
    ({"tags": [{"name": "a"}, {"name": " a "}]}, "Tag names must be unique (repeated: a)"),
])
def test_llm_config_rules(fields: dict, expected: str) -> None:
    with pytest.raises(ValidationError) as exc:
        LLMTaggerConfig(**{"prompt": "p", "tags": TAGS, **fields})
    assert messages(exc) == [expected]


def test_llm_config_bounds_that_fit() -> None:
    config = LLMTaggerConfig(prompt="p", tags=TAGS, min_tags=1, max_tags=3)
    assert (config.min_tags, config.max_tags) == (1, 3)


# -- Hog tagger config --------------------------------------------------------------------------


def test_hog_config_compiles_source_into_bytecode() -> None:
    config = HogTaggerConfig(source="return ['billing']", tags=[{"name": "billing"}])
    assert config.bytecode[:2] == ["_H", 1]
    # The bytecode is computed, never trusted from input.
    forged = HogTaggerConfig(source="return ['billing']", tags=[{"name": "billing"}], bytecode=["_H", 1, 99])
    assert forged.bytecode == config.bytecode


def test_hog_config_compile_error_is_the_validation_message() -> None:
    with pytest.raises(ValidationError) as exc:
        HogTaggerConfig(source="return [", tags=[{"name": "a"}])
    [message] = messages(exc)
    assert message.startswith("Failed to compile Hog code: ")
    assert "line 1" in message
    assert "\n" not in message


def test_hog_config_rules() -> None:
    with pytest.raises(ValidationError, match="Source code cannot be empty"):
        HogTaggerConfig(source="  \n ", tags=[{"name": "a"}])
    with pytest.raises(ValidationError, match="Tag names must be unique"):
        HogTaggerConfig(source="return []", tags=[{"name": "a"}, {"name": "a"}])


def test_validate_tagger_config_dispatches_on_type() -> None:
    llm = validate_tagger_config("llm", {"prompt": "p", "tags": TAGS})
    assert llm == {"prompt": "p", "tags": [{"name": n, "description": ""} for n in ("billing", "bug", "other")],
                   "min_tags": 0}  # max_tags None is dropped, as PostHog stores it
    hog = validate_tagger_config(TaggerType.HOG, {"source": "return null", "tags": [{"name": "a"}]})
    assert hog["bytecode"][:2] == ["_H", 1]
    with pytest.raises(ValueError, match="Unsupported tagger type: regex"):
        validate_tagger_config("regex", {})


# -- Tagger ---------------------------------------------------------------------------------------


def test_tagger_shape() -> None:
    tagger = Tagger.model_validate({
        "id": "6f1d1f0e-6c0f-4d5e-9a43-0c6f5d7c0a11",
        "name": "Topics",
        "tagger_type": "hog",
        "tagger_config": {"source": "return ['billing']", "tags": [{"name": "billing"}]},
        "conditions": [{"id": "c1", "rollout_percentage": 50, "properties": [
            {"key": "$ai_model", "value": "gpt-4o", "operator": "exact", "type": "event"}]}],
        "model_configuration": None,
    })
    assert tagger.tagger_type is TaggerType.HOG
    assert tagger.enabled is False and tagger.deleted is False
    assert tagger.tagger_config["bytecode"][:2] == ["_H", 1]
    assert tagger.conditions[0].rollout_percentage == 50
    assert list(Tagger.model_fields) == [
        "id", "name", "description", "enabled", "tagger_type", "tagger_config", "conditions",
        "model_configuration", "created_at", "updated_at", "created_by", "deleted",
    ]


def test_tagger_config_is_required_and_validated_for_its_type() -> None:
    with pytest.raises(ValidationError, match="Field required"):
        Tagger(name="t", tagger_type="llm", tagger_config={"source": "return []", "tags": TAGS})
    with pytest.raises(ValidationError, match="tagger_config"):
        Tagger.model_validate({"name": "t"})
    # Switching the type without a config for the new type is refused (PostHog: 400 on tagger_config).
    llm_config = validate_tagger_config("llm", {"prompt": "p", "tags": TAGS})
    with pytest.raises(ValidationError, match="source"):
        Tagger(name="t", tagger_type="hog", tagger_config=llm_config)


def test_condition_rollout_bounds() -> None:
    with pytest.raises(ValidationError):
        TaggerCondition(id="c", rollout_percentage=101)
    assert TaggerCondition(id="c").rollout_percentage == 100


def test_model_configuration() -> None:
    config = ModelConfiguration(provider="anthropic", model="claude-haiku-4-5")
    assert config.provider_key_id is None
    with pytest.raises(ValidationError):
        ModelConfiguration(provider="acme-llm", model="m")
    with pytest.raises(ValidationError):
        ModelConfiguration(provider="openai", model="m" * 101)


# -- test_hog request and response --------------------------------------------------------------


def test_request_defaults() -> None:
    request = TestHogRequest(source="return []")
    assert (request.sample_count, request.tags) == (5, [])


@pytest.mark.parametrize(("body", "field", "message"), [
    ({}, "source", "This field is required."),
    ({"source": "  "}, "source", "This field may not be blank."),
    ({"source": "x", "sample_count": 0}, "sample_count", "Ensure this value is greater than or equal to 1."),
    ({"source": "x", "sample_count": 11}, "sample_count", "Ensure this value is less than or equal to 10."),
    ({"source": "x", "sample_count": True}, "sample_count", "A valid integer is required."),
    ({"source": "x", "tags": [{"description": "no name"}]}, "tags.0.name", "This field is required."),
    ({"source": "x", "tags": "billing"}, "tags", 'Expected a list of items but got type "str".'),
    ({"source": "x", "tags": ["billing"]}, "tags.0", "Invalid data. Expected a dictionary, but got str."),
])
def test_request_validation_errors_in_the_endpoint_shape(body: dict, field: str, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        TestHogRequest.model_validate(body)
    assert validation_error_body(exc.value) == {"error": {field: [message]}}


def test_response_serialises_only_the_endpoint_keys() -> None:
    result = TestHogResult(event_uuid="u", trace_id=None, input_preview="i", output_preview="o", tags=[],
                           reasoning="", error=None)
    assert TestHogResponse(results=[result]).model_dump() == {"results": [{
        "event_uuid": "u", "trace_id": None, "input_preview": "i", "output_preview": "o", "tags": [],
        "reasoning": "", "error": None}]}
    empty = TestHogResponse(results=[], message="No recent AI events found in the last 7 days")
    assert empty.model_dump() == {"results": [], "message": "No recent AI events found in the last 7 days"}
    failed = TestHogResponse(error="Compilation error: x")
    assert failed.model_dump() == {"error": "Compilation error: x"}
    assert (failed.status_code, empty.status_code) == (400, 200)
    assert failed.model_dump_json() == '{"error":"Compilation error: x"}'
