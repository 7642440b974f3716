"""The Taggers API over HTTP: create, retrieve, update, soft delete, validation, as PostHog answers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api_support import (
    LLM_CONFIG,
    ApiServer,
    World,
    hog_tagger,
    llm_tagger,
    module_server,
)

BASE = "/api/environments/1/taggers/"


world, server = module_server("api-taggers")


@pytest.fixture
def api(server: ApiServer, world: World) -> Iterator[httpx.Client]:
    with server.client(world.keys["rw"]) as client:
        yield client


def create(api: httpx.Client, body: dict) -> dict:
    response = api.post(BASE, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"type", "code", "detail", "attr"}
    return body


# -- create and retrieve ------------------------------------------------------------------------------


def test_create_answers_201_with_the_tagger_in_posthogs_shape(api: httpx.Client) -> None:
    created = create(api, llm_tagger(conditions=[{"id": "cond-1", "rollout_percentage": 50, "properties": []}]))
    assert list(created) == ["id", "name", "description", "enabled", "tagger_type", "tagger_config", "conditions",
                             "model_configuration", "created_at", "updated_at", "created_by", "deleted"]
    uuid.UUID(created["id"])
    assert (created["name"], created["description"], created["enabled"]) == (
        "Feature tagger", "Tags product features", True)
    assert created["tagger_type"] == "llm" and created["deleted"] is False
    assert created["tagger_config"] == {**LLM_CONFIG, "tags": [
        {"name": "billing", "description": "Billing related"}, {"name": "analytics", "description": ""}]}
    [condition] = created["conditions"]
    assert (condition["id"], condition["rollout_percentage"], condition["properties"]) == ("cond-1", 50, [])
    assert {"bytecode", "bytecode_error"} <= set(condition)
    assert created["created_at"] == created["updated_at"] and created["created_at"].endswith("Z")
    assert created["created_by"]["email"] == "rw@example.com"
    assert set(created["created_by"]) == {"id", "uuid", "distinct_id", "first_name", "last_name", "email",
                                          "is_email_verified", "hedgehog_config", "role_at_organization"}
    assert created["model_configuration"] is None
    assert api.get(f"{BASE}{created['id']}/").json() == created


def test_defaults_and_trimming_as_drf(api: httpx.Client) -> None:
    created = create(api, {"name": "  Minimal  ", "description": "  d ", "tagger_config": LLM_CONFIG})
    assert (created["name"], created["description"], created["enabled"], created["conditions"]) == (
        "Minimal", "d", False, [])
    assert create(api, {"name": 42, "tagger_config": LLM_CONFIG})["name"] == "42"  # DRF turns numbers into text


def test_hog_source_is_compiled_on_save(api: httpx.Client) -> None:
    from hogvm import compile_hog

    created = create(api, hog_tagger(tagger_config={
        "source": "return ['billing']", "bytecode": ["_H", 1, 99], "tags": [{"name": "billing"}]}))
    config = created["tagger_config"]
    assert config["source"] == "return ['billing']"
    assert config["bytecode"] == compile_hog("return ['billing']")  # compiled here, never taken from the client
    assert config["tags"] == [{"name": "billing", "description": ""}]
    untagged = create(api, hog_tagger())
    assert untagged["tagger_config"]["tags"] == []  # a Hog tagger's tags are an optional whitelist


def test_hog_compile_error_is_a_400_naming_line_and_column(api: httpx.Client) -> None:
    body = error(api.post(BASE, json=hog_tagger("let x := 1\nreturn [")), 400)
    assert (body["type"], body["code"], body["attr"]) == ("validation_error", "invalid_input", "tagger_config")
    assert body["detail"].startswith("Failed to compile Hog code: ")
    assert "line 2, column 9" in body["detail"]


def test_retrieve_404s(api: httpx.Client) -> None:
    for tagger_id in (str(uuid.uuid4()), "not-a-uuid", "1", "%00", "x" * 5000):
        body = error(api.get(f"{BASE}{tagger_id}/"), 404)
        assert body == {"type": "invalid_request", "code": "not_found", "detail": "Not found.", "attr": None}


def test_trailing_slash_is_optional(api: httpx.Client) -> None:
    created = api.post(BASE.rstrip("/"), json=llm_tagger(name="no slash"))
    assert created.status_code == 201
    tagger_id = created.json()["id"]
    assert api.get(f"{BASE}{tagger_id}").status_code == 200
    assert api.patch(f"{BASE}{tagger_id}", json={"enabled": False}).json()["enabled"] is False
    assert api.get(BASE.rstrip("/")).status_code == 200


def test_projects_path_is_an_alias_of_environments(api: httpx.Client) -> None:
    created = create(api, llm_tagger(name="via environments"))
    same = api.get(f"/api/projects/1/taggers/{created['id']}/")
    assert same.status_code == 200 and same.json() == created
    via_projects = api.post("/api/projects/1/taggers/", json=llm_tagger(name="via projects"))
    assert via_projects.status_code == 201
    assert api.get(f"{BASE}{via_projects.json()['id']}/").status_code == 200


# -- update and soft delete ---------------------------------------------------------------------------


def test_patch_changes_only_the_fields_given(api: httpx.Client) -> None:
    created = create(api, llm_tagger(conditions=[{"id": "c", "rollout_percentage": 10}]))
    patched = api.patch(f"{BASE}{created['id']}/", json={"name": "Renamed", "enabled": False})
    assert patched.status_code == 200
    body = patched.json()
    assert (body["name"], body["enabled"], body["description"]) == ("Renamed", False, created["description"])
    assert body["tagger_config"] == created["tagger_config"]
    assert body["conditions"][0]["rollout_percentage"] == 10
    assert body["created_at"] == created["created_at"] and body["updated_at"] > created["updated_at"]
    assert body["created_by"] == created["created_by"]
    assert api.get(f"{BASE}{created['id']}/").json() == body


def test_soft_delete_and_restore_through_patch(api: httpx.Client) -> None:
    created = create(api, llm_tagger(name="short-lived"))
    deleted = api.patch(f"{BASE}{created['id']}/", json={"deleted": True})
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True
    assert api.get(f"{BASE}{created['id']}/").status_code == 404
    listed = api.get(BASE, params={"limit": 1000}).json()["results"]
    assert created["id"] not in {t["id"] for t in listed}
    # Updates reach soft-deleted taggers, so they can be restored.
    restored = api.patch(f"{BASE}{created['id']}/", json={"deleted": False})
    assert restored.status_code == 200 and restored.json()["deleted"] is False
    assert api.get(f"{BASE}{created['id']}/").status_code == 200


def test_delete_is_405_without_a_body(api: httpx.Client) -> None:
    created = create(api, llm_tagger())
    for tagger_id in (created["id"], str(uuid.uuid4())):
        response = api.delete(f"{BASE}{tagger_id}/")
        assert response.status_code == 405 and response.content == b""
        assert "PATCH" in response.headers["allow"]
    assert api.get(f"{BASE}{created['id']}/").status_code == 200


def test_put_replaces_resetting_the_type_and_conditions(api: httpx.Client) -> None:
    created = create(api, hog_tagger(conditions=[{"id": "c"}], description="kept"))
    # A PUT without tagger_type means "llm" (DRF's default), which a Hog config does not fit.
    body = error(api.put(f"{BASE}{created['id']}/", json={"name": "x", "tagger_config": {"source": "return []"}}), 400)
    assert body["attr"] == "tagger_config" and "prompt" in body["detail"]
    replaced = api.put(f"{BASE}{created['id']}/", json={"name": "Now LLM", "tagger_config": LLM_CONFIG})
    assert replaced.status_code == 200
    after = replaced.json()
    assert (after["tagger_type"], after["conditions"], after["description"]) == ("llm", [], "kept")
    missing = error(api.put(f"{BASE}{created['id']}/", json={"name": "only a name"}), 400)
    assert (missing["attr"], missing["code"], missing["detail"]) == (
        "tagger_config", "required", "This field is required.")


def test_changing_the_type_needs_a_new_config(api: httpx.Client) -> None:
    created = create(api, llm_tagger())
    body = error(api.patch(f"{BASE}{created['id']}/", json={"tagger_type": "hog"}), 400)
    assert (body["attr"], body["detail"]) == ("tagger_config", "tagger_config is required when changing tagger_type")
    switched = api.patch(f"{BASE}{created['id']}/", json={"tagger_type": "hog",
                                                           "tagger_config": {"source": "return null"}})
    assert switched.status_code == 200 and switched.json()["tagger_config"]["bytecode"][:2] == ["_H", 1]


def test_a_rejected_update_changes_nothing(api: httpx.Client) -> None:
    created = create(api, llm_tagger())
    for patch in ({"name": "ok", "tagger_config": {"prompt": ""}}, {"name": "ok", "enabled": "perhaps"},
                  {"name": "ok", "conditions": [{"id": "c", "rollout_percentage": 101}]},
                  {"name": "ok", "model_configuration": {"provider": "openai", "model": "m",
                                                          "provider_key_id": str(uuid.uuid4())}}):
        assert api.patch(f"{BASE}{created['id']}/", json=patch).status_code == 400
    assert api.get(f"{BASE}{created['id']}/").json() == created


def test_update_404s(api: httpx.Client, world: World) -> None:
    for method in ("patch", "put"):
        body = error(getattr(api, method)(f"{BASE}{uuid.uuid4()}/", json=llm_tagger()), 404)
        assert body["detail"] == "Not found."
    with httpx.Client(base_url=api.base_url, headers={"Authorization": f"Bearer {world.keys['p2']}"}) as other:
        foreign = other.post("/api/environments/2/taggers/", json=llm_tagger()).json()
    assert api.patch(f"{BASE}{foreign['id']}/", json={"name": "hijack"}).status_code == 404
    assert api.get(f"{BASE}{foreign['id']}/").status_code == 404


# -- model configuration ------------------------------------------------------------------------------


def test_model_configuration_with_a_known_provider_key(api: httpx.Client, world: World) -> None:
    key_id = world.provider_keys["openai"]
    created = create(api, llm_tagger(model_configuration={"provider": "openai", "model": "gpt-5-mini",
                                                          "provider_key_id": key_id.upper(),
                                                          "provider_key_name": "ignored"}))
    assert created["model_configuration"] == {"provider": "openai", "model": "gpt-5-mini",
                                              "provider_key_id": key_id, "provider_key_name": "Team OpenAI key"}
    cleared = api.patch(f"{BASE}{created['id']}/", json={"model_configuration": None})
    assert cleared.json()["model_configuration"] is None
    default_key = create(api, llm_tagger(model_configuration={"provider": "anthropic", "model": "claude-haiku-4-5"}))
    assert default_key["model_configuration"]["provider_key_id"] is None


@pytest.mark.parametrize(("configuration", "attr", "detail"), [
    ({"provider": "openai", "model": "m", "provider_key_id": "00000000-0000-4000-8000-000000000000"},
     "model_configuration__provider_key_id", "Provider key not found"),
    ({"provider": "anthropic", "model": "m", "provider_key_id": "KEY"},
     "model_configuration__provider", "Provider 'anthropic' does not match key provider 'openai'"),
    ({"provider": "openai", "model": "m", "provider_key_id": "not-a-uuid"},
     "model_configuration__provider_key_id", "Must be a valid UUID."),
    ({"provider": "acme", "model": "m"}, "model_configuration__provider", '"acme" is not a valid choice.'),
    ({"provider": "openai"}, "model_configuration__model", "This field is required."),
    ({"provider": "openai", "model": "m" * 101}, "model_configuration__model",
     "Ensure this field has no more than 100 characters."),
    ("openai", "model_configuration__non_field_errors", "Invalid data. Expected a dictionary, but got str."),
])
def test_model_configuration_errors(api: httpx.Client, world: World, configuration: object, attr: str,
                                    detail: str) -> None:
    if isinstance(configuration, dict) and configuration.get("provider_key_id") == "KEY":
        configuration = {**configuration, "provider_key_id": world.provider_keys["openai"]}
    body = error(api.post(BASE, json=llm_tagger(model_configuration=configuration)), 400)
    assert (body["type"], body["attr"], body["detail"]) == ("validation_error", attr, detail)


def test_a_provider_key_of_another_project_is_not_found(api: httpx.Client, world: World) -> None:
    configuration = {"provider": "openai", "model": "m", "provider_key_id": world.provider_keys["other-project"]}
    body = error(api.post(BASE, json=llm_tagger(model_configuration=configuration)), 400)
    assert body["detail"] == "Provider key not found"


# -- field validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "attr", "code", "detail"), [
    ({"tagger_config": LLM_CONFIG}, "name", "required", "This field is required."),
    ({"name": None, "tagger_config": LLM_CONFIG}, "name", "null", "This field may not be null."),
    ({"name": "   ", "tagger_config": LLM_CONFIG}, "name", "blank", "This field may not be blank."),
    ({"name": "x" * 401, "tagger_config": LLM_CONFIG}, "name", "max_length",
     "Ensure this field has no more than 400 characters."),
    ({"name": ["x"], "tagger_config": LLM_CONFIG}, "name", "invalid_input", "Not a valid string."),
    ({"name": "a\u0000b", "tagger_config": LLM_CONFIG}, "name", "null_characters_not_allowed",
     "Null characters are not allowed."),
    ({"name": "t"}, "tagger_config", "required", "This field is required."),
    ({"name": "t", "tagger_config": None}, "tagger_config", "null", "This field may not be null."),
    ({"name": "t", "tagger_config": LLM_CONFIG, "tagger_type": "regex"}, "tagger_type", "invalid_choice",
     '"regex" is not a valid choice.'),
    ({"name": "t", "tagger_config": LLM_CONFIG, "enabled": "maybe"}, "enabled", "invalid_input",
     "Must be a valid boolean."),
    ({"name": "t", "tagger_config": LLM_CONFIG, "conditions": {}}, "conditions", "not_a_list",
     'Expected a list of items but got type "dict".'),
    ({"name": "t", "tagger_config": LLM_CONFIG, "conditions": [{"rollout_percentage": 5}]}, "conditions__0__id",
     "required", "This field is required."),
    ({"name": "t", "tagger_config": LLM_CONFIG, "conditions": [{"id": "c", "rollout_percentage": 101}]},
     "conditions__0__rollout_percentage", "max_value", "Ensure this value is less than or equal to 100."),
    ({"name": "t", "tagger_config": LLM_CONFIG, "conditions": [{"id": "c", "rollout_percentage": -1}]},
     "conditions__0__rollout_percentage", "min_value", "Ensure this value is greater than or equal to 0."),
    ({"name": "t", "tagger_config": LLM_CONFIG, "conditions": [{"id": "c", "rollout_percentage": 5.5}]},
     "conditions__0__rollout_percentage", "invalid_input", "A valid integer is required."),
    ({"name": "t", "tagger_config": LLM_CONFIG, "conditions": [{"id": "c", "rollout_percentage": True}]},
     "conditions__0__rollout_percentage", "invalid_input", "A valid integer is required."),
    ({"name": "t", "tagger_config": LLM_CONFIG, "conditions": [{"id": "c", "properties": ["x"]}]},
     "conditions__0__properties__0", "not_a_dict", 'Expected a dictionary of items but got type "str".'),
    ({"name": "t", "tagger_config": LLM_CONFIG, "conditions": ["c"]}, "conditions__0__non_field_errors",
     "invalid_input", "Invalid data. Expected a dictionary, but got str."),
])
def test_field_errors_in_posthogs_shape(api: httpx.Client, body: dict, attr: str, code: str, detail: str) -> None:
    assert error(api.post(BASE, json=body), 400) == {
        "type": "validation_error", "code": code, "detail": detail, "attr": attr}


@pytest.mark.parametrize(("config", "detail"), [
    ({"prompt": "p", "tags": []}, "tags: List should have at least 1 item after validation, not 0"),
    ({"prompt": "  ", "tags": [{"name": "a"}]}, "prompt: Prompt cannot be empty"),
    ({"prompt": "p", "tags": [{"name": "a"}, {"name": "a"}]}, "tags: Tag names must be unique (repeated: a)"),
    ({"prompt": "p", "tags": [{"name": "a"}], "min_tags": 2, "max_tags": 1},
     "min_tags cannot be greater than max_tags"),
    ({"prompt": "p", "tags": [{"name": "a"}], "max_tags": 2}, "max_tags cannot exceed the number of defined tags"),
    ({"tags": [{"name": "a"}]}, "prompt: Field required"),
    ([], "Input should be a valid dictionary or instance of LLMTaggerConfig"),
    ({}, "prompt: Field required"),
])
def test_llm_config_rules(api: httpx.Client, config: object, detail: str) -> None:
    body = error(api.post(BASE, json={"name": "t", "tagger_config": config}), 400)
    assert (body["attr"], body["code"], body["detail"]) == ("tagger_config", "invalid_input", detail)


def test_unknown_and_read_only_fields_are_ignored(api: httpx.Client) -> None:
    forged_id = str(uuid.uuid4())
    created = create(api, llm_tagger(id=forged_id, created_at="2000-01-01T00:00:00Z", created_by={"id": 999},
                                     surprise="field"))
    assert created["id"] != forged_id and not created["created_at"].startswith("2000")
    assert created["created_by"]["email"] == "rw@example.com" and "surprise" not in created


def test_saved_taggers_reach_the_store(server: ApiServer, world: World, tmp_path: Path) -> None:
    """What the batch engine and live pipeline will read: the registry sees what the API saved."""
    with server.client(world.keys["rw"]) as api:
        created = create(api, hog_tagger(name="for the engines", enabled=True))
    server.stop()
    try:
        from sampler.registry import Registry
        from sampler.store import EventStore

        with EventStore(world.db) as store:
            registry = Registry(store)
            stored = registry.get_tagger(1, created["id"])
            assert stored is not None and stored.api_body() == created
            assert created["id"] in {t.id for t in registry.enabled_taggers(1)}
            assert stored.tagger_config["bytecode"][:2] == ["_H", 1]
    finally:
        server.start()


# -- conditions ---------------------------------------------------------------------------------------

FILTERS = [{"key": "$ai_model", "value": "gpt", "operator": "icontains", "type": "event"},
           {"key": "email", "value": ["a@example.com", "b@example.com"], "operator": "exact", "type": "person"}]


def test_conditions_are_compiled_on_save(api: httpx.Client) -> None:
    from sampler.filters import compile_filters

    created = create(api, hog_tagger(conditions=[
        {"id": "gpt", "rollout_percentage": 30, "properties": FILTERS, "bytecode": ["_H", 1, 99]},
        {"id": "all"},
        {"id": "broken", "properties": [{"key": "$ai_model", "operator": "no_such_operator", "type": "event"}]},
    ]))
    gpt, everything, broken = created["conditions"]
    assert (gpt["bytecode"], gpt["bytecode_error"]) == (compile_filters(FILTERS)["bytecode"], None)
    assert gpt["properties"] == FILTERS and gpt["rollout_percentage"] == 30
    assert everything["bytecode"] == compile_filters([])["bytecode"] and everything["properties"] == []
    assert broken["bytecode"] is None and "no_such_operator" in broken["bytecode_error"]
    # PATCHing other fields recompiles conditions too, as PostHog's save() does; they stay the same.
    renamed = api.patch(f"{BASE}{created['id']}/", json={"name": "renamed"}).json()
    assert renamed["conditions"] == created["conditions"]


def test_saved_taggers_feed_the_tagging_pipeline(api: httpx.Client) -> None:
    """The live and batch pipelines take the API's tagger shape: what we store, they run."""
    from sampler.pipeline import prepare_tagger

    created = create(api, hog_tagger("return ['billing']", enabled=True, conditions=[
        {"id": "gpt", "properties": FILTERS[:1]}]))
    tagger = prepare_tagger(created)
    event = {"uuid": str(uuid.uuid4()), "event": "$ai_generation", "distinct_id": "u", "timestamp":
             "2026-01-01T00:00:00Z", "properties": {"$ai_model": "gpt-4o", "$ai_input": "hi"}}
    outcome = tagger(event)
    assert outcome.tagged and list(outcome.tags) == ["billing"]
    assert not tagger({**event, "properties": {"$ai_model": "claude"}}).tagged
