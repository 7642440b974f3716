"""Personal API keys over HTTP: no key, bad key, revoked key, scopes, and the projects a key may use."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.api_support import ApiServer, World, llm_tagger, module_server

world, server = module_server("api-auth")


@pytest.fixture(scope="module")
def tagger_ids(server: ApiServer, world: World) -> dict[int, str]:
    """One tagger in project 1 and one in project 2."""
    ids = {}
    for project, role in ((1, "rw"), (2, "p2")):
        with server.client(world.keys[role]) as api:
            ids[project] = api.post(f"/api/environments/{project}/taggers/", json=llm_tagger()).json()["id"]
    return ids


def requests(project: int, tagger_id: str) -> dict[str, tuple[str, str, dict | None]]:
    base = f"/api/environments/{project}/taggers/"
    return {
        "list": ("GET", base, None),
        "retrieve": ("GET", f"{base}{tagger_id}/", None),
        "test_hog": ("POST", f"{base}test_hog/", {"source": "return []", "sample_count": 1}),
        "create": ("POST", base, llm_tagger()),
        "partial_update": ("PATCH", f"{base}{tagger_id}/", {"description": "touched"}),
        "update": ("PUT", f"{base}{tagger_id}/", llm_tagger()),
        "destroy": ("DELETE", f"{base}{tagger_id}/", None),
    }


READS = {"list", "retrieve", "test_hog"}
SUCCESS = {"list": 200, "retrieve": 200, "test_hog": 200, "create": 201, "partial_update": 200, "update": 200,
           "destroy": 405}


def call(server: ApiServer, headers: dict[str, str], method: str, path: str, body: dict | None) -> httpx.Response:
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as client:
        return client.request(method, path, json=body)


@pytest.mark.parametrize("action", list(SUCCESS))
def test_no_key_is_401_not_authenticated(server: ApiServer, tagger_ids: dict[int, str], action: str) -> None:
    method, path, body = requests(1, tagger_ids[1])[action]
    response = call(server, {}, method, path, body)
    assert response.status_code == 401
    assert response.json() == {"type": "authentication_error", "code": "not_authenticated",
                               "detail": "Authentication credentials were not provided.", "attr": None}


@pytest.mark.parametrize("credential", ["phx_unknown", "revoked", "phc_project_token", "Bearer", "   xyz"])
@pytest.mark.parametrize("action", ["list", "create", "destroy"])
def test_bad_or_revoked_key_is_401_authentication_failed(server: ApiServer, world: World, tagger_ids: dict[int, str],
                                                         action: str, credential: str) -> None:
    secret = world.keys["revoked"] if credential == "revoked" else (
        world.tokens[1] if credential == "phc_project_token" else credential)
    method, path, body = requests(1, tagger_ids[1])[action]
    response = call(server, {"Authorization": f"Bearer {secret}"}, method, path, body)
    assert response.status_code == 401
    assert response.json() == {"type": "authentication_error", "code": "authentication_failed",
                               "detail": "Personal API key found in request Authorization header is invalid.",
                               "attr": None}


def test_key_in_the_query_string(server: ApiServer, world: World) -> None:
    ok = call(server, {}, "GET", f"/api/environments/1/taggers/?personal_api_key={world.keys['read']}", None)
    assert ok.status_code == 200
    bad = call(server, {}, "GET", "/api/environments/1/taggers/?personal_api_key=phx_nope", None)
    assert bad.status_code == 401
    assert bad.json()["detail"] == "Personal API key found in request query string is invalid."


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer x", "Bearer", "phx_abc"])
def test_a_header_that_is_not_a_bearer_key_counts_as_no_key(server: ApiServer, header: str) -> None:
    # PostHog reads `Bearer\s+(\S.+)`: a one-character token is not a key at all.
    response = call(server, {"Authorization": header}, "GET", "/api/environments/1/taggers/", None)
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


# The matrix: role -> actions it may perform on project 1 (the rest answer 403).
MATRIX = {
    "rw": set(SUCCESS),
    "read": READS,
    "write": set(SUCCESS),  # tagger:write also grants tagger:read, as in PostHog
    "star": set(SUCCESS),
    "p13": set(SUCCESS),
    "p2": set(),  # not allowed on project 1 at all
}


@pytest.mark.parametrize("role", list(MATRIX))
@pytest.mark.parametrize("action", list(SUCCESS))
def test_scope_and_project_matrix(server: ApiServer, world: World, tagger_ids: dict[int, str], role: str,
                                  action: str) -> None:
    method, path, body = requests(1, tagger_ids[1])[action]
    response = call(server, {"Authorization": f"Bearer {world.keys[role]}"}, method, path, body)
    if action in MATRIX[role]:
        assert response.status_code == SUCCESS[action], response.text
        return
    assert response.status_code == 403, response.text
    body = response.json()
    assert (body["type"], body["code"], body["attr"]) == ("authentication_error", "permission_denied", None)
    if role == "p2":
        assert body["detail"] == "API key does not have access to the requested project: ID 1."
    else:
        assert body["detail"] == "API key missing required scope 'tagger:write'"


@pytest.mark.parametrize("project", ["999", "0", "abc", "1.0", "-1", "99999999999999999999999", "%C2%B9"])
def test_unknown_project_is_404_before_project_access(server: ApiServer, world: World, project: str) -> None:
    for role in ("star", "p2"):
        response = call(server, {"Authorization": f"Bearer {world.keys[role]}"}, "GET",
                        f"/api/environments/{project}/taggers/", None)
        assert response.status_code == 404
        assert response.json() == {"type": "invalid_request", "code": "not_found", "detail": "Project not found.",
                                   "attr": None}


def test_projects_isolate_taggers(server: ApiServer, world: World, tagger_ids: dict[int, str]) -> None:
    star = {"Authorization": f"Bearer {world.keys['star']}"}
    in_one = {t["id"] for t in call(server, star, "GET", "/api/environments/1/taggers/?limit=1000", None)
              .json()["results"]}
    in_two = {t["id"] for t in call(server, star, "GET", "/api/environments/2/taggers/?limit=1000", None)
              .json()["results"]}
    assert tagger_ids[1] in in_one and tagger_ids[2] in in_two and not in_one & in_two
    assert call(server, star, "GET", f"/api/environments/1/taggers/{tagger_ids[2]}/", None).status_code == 404
    empty = call(server, star, "GET", "/api/environments/3/taggers/", None).json()
    assert empty == {"count": 0, "next": None, "previous": None, "results": []}


def test_project_scoped_key_works_on_each_allowed_project(server: ApiServer, world: World) -> None:
    headers = {"Authorization": f"Bearer {world.keys['p13']}"}
    for project in (1, 3):
        assert call(server, headers, "POST", f"/api/environments/{project}/taggers/", llm_tagger()).status_code == 201
    denied = call(server, headers, "GET", "/api/environments/2/taggers/", None)
    assert denied.status_code == 403


def test_created_by_is_the_keys_user(server: ApiServer, world: World) -> None:
    headers = {"Authorization": f"Bearer {world.keys['star']}"}
    created = call(server, headers, "POST", "/api/environments/1/taggers/", llm_tagger()).json()
    assert created["created_by"]["email"] == "star@example.com"
    assert created["created_by"]["first_name"] == "star"
    uuid.UUID(created["created_by"]["uuid"])


def test_schema_and_health_need_no_key(server: ApiServer) -> None:
    assert call(server, {}, "GET", "/_health", None).json() == {"status": "ok"}
    schema = call(server, {}, "GET", "/api/schema/", None)
    assert schema.status_code == 200 and schema.json()["openapi"].startswith("3.")
