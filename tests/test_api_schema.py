"""Schemathesis against the served OpenAPI schema: generated requests (valid and invalid) to every
operation never get a 5xx, and every response matches the schema (status, content type, body,
headers). The checks that a schema-valid body is accepted (or an invalid one refused) are left out:
DRF's rules (trimming, numbers taken as text) are looser and stricter than a JSON schema can say,
and the tests in test_api_taggers.py pin them one by one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api_support import ApiServer, World, build_world, hog_tagger, running

EXAMPLES_PER_OPERATION = 100
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("api-schema"), events_per_project=3)


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[ApiServer]:
    with running(world.db, workers=2, queue=4, tagger_timeout=0.5) as server:
        yield server


@pytest.fixture(scope="module")
def api_schema(server: ApiServer, world: World) -> schemathesis.BaseSchema:
    with server.client(world.keys["star"]) as api:
        tagger_id = api.post("/api/environments/1/taggers/", json=hog_tagger()).json()["id"]
    schema = schemathesis.openapi.from_url(f"{server.base_url}/api/schema/")
    schema.config.update(base_url=server.base_url, headers={"Authorization": f"Bearer {world.keys['star']}"},
                         parameters={"project_id": "1", "id": tagger_id})
    schema.config.generation.update(max_examples=EXAMPLES_PER_OPERATION,
                                    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    return schema


ROUTES = ("/api/environments/{project_id}/taggers", "/api/projects/{project_id}/taggers")
# (method, path, whether it takes input that can be invalid: a body or query parameters; the path
# parameters are pinned to a real project and tagger below)
OPERATIONS = [
    (method, prefix + suffix, takes_input)
    for prefix in ROUTES
    for method, suffix, takes_input in (("GET", "/", True), ("POST", "/", True), ("POST", "/test_hog/", True),
                                        ("GET", "/{id}/", False), ("PATCH", "/{id}/", True), ("PUT", "/{id}/", True),
                                        ("DELETE", "/{id}/", False))
] + [("GET", "/_health", False), ("GET", "/api/environments/{project_id}/events/", True),
      ("GET", "/api/projects/{project_id}/events/", True),
      ("GET", "/api/environments/{project_id}/live_tagging/", False)]
CASES = [(method, path, mode) for method, path, takes_input in OPERATIONS
         for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
         if takes_input or mode is GenerationMode.POSITIVE]


# Driven through hypothesis directly: schemathesis's pytest plugin does not run under pytest 9 (it reads a
# private attribute pytest removed), and its Python API gives the same generated cases and checks.
@pytest.mark.parametrize(("method", "path", "mode"), CASES,
                         ids=[f"{'valid' if m is GenerationMode.POSITIVE else 'invalid'} {v} {p}" for v, p, m in CASES])
def test_every_operation_conforms_and_never_fails(api_schema: schemathesis.BaseSchema, method: str, path: str,
                                                  mode: GenerationMode) -> None:
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=api_schema[path][method].as_strategy(generation_mode=mode))
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=CHECKS)

    check()


def test_the_schema_names_posthogs_fields(server: ApiServer) -> None:
    import httpx

    document = httpx.get(f"{server.base_url}/api/schema/").json()
    components = document["components"]["schemas"]
    assert list(components["Tagger"]["properties"]) == [
        "id", "name", "description", "enabled", "tagger_type", "tagger_config", "conditions", "model_configuration",
        "created_at", "updated_at", "created_by", "deleted"]
    assert list(components["PaginatedTaggerList"]["properties"]) == ["count", "next", "previous", "results"]
    assert set(components["UserBasic"]["properties"]) == {
        "id", "uuid", "distinct_id", "first_name", "last_name", "email", "is_email_verified", "hedgehog_config",
        "role_at_organization"}
    assert list(components["TaggerRequest"]["properties"]) == [
        "name", "description", "enabled", "tagger_type", "tagger_config", "conditions", "model_configuration",
        "deleted"]
    assert components["TaggerRequest"]["required"] == ["name", "tagger_config"]
    assert "required" not in components["PatchedTaggerRequest"]
    assert set(components["TestHogTaggerRequest"]["properties"]) == {"source", "sample_count", "tags"}
    # A result's fields, and the extra key said only when PostHog would tag differently (never required).
    assert list(components["TestHogResult"]["properties"]) == [
        "event_uuid", "trace_id", "input_preview", "output_preview", "tags", "reasoning", "error", "posthog_divergences"]
    assert "posthog_divergences" not in components["TestHogResult"]["required"]
    paths = document["paths"]
    for prefix, operation_prefix in (("/api/environments/{project_id}/taggers", "environments_taggers_"),
                                     ("/api/projects/{project_id}/taggers", "taggers_")):
        assert paths[f"{prefix}/"]["get"]["operationId"] == f"{operation_prefix}list"
        assert set(paths[f"{prefix}/{{id}}/"]) == {"get", "put", "patch", "delete"}
        assert paths[f"{prefix}/test_hog/"]["post"]["operationId"] == f"{operation_prefix}test_hog_create"
        listed = {p["name"] for p in paths[f"{prefix}/"]["get"]["parameters"]}
        assert listed == {"project_id", "enabled", "id__in", "limit", "offset", "order_by", "search"}
