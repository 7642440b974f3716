"""Malformed input over HTTP: every answer is a specific 4xx in PostHog's shape, never a 500 or a hang."""

from __future__ import annotations

import json
import string
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api_support import llm_tagger, module_client, module_server

BASE = "/api/environments/1/taggers/"
LIMIT = 64 * 1024  # the server below runs with a small body limit


world, server = module_server("api-errors", extra=("--max-body-bytes", str(LIMIT)))
api = module_client("rw")


@pytest.fixture(scope="module")
def tagger(api: httpx.Client) -> dict:
    return api.post(BASE, json=llm_tagger()).json()


def raw(api: httpx.Client, method: str, path: str, content: bytes,
        content_type: str | None = "application/json") -> httpx.Response:
    headers = {"Content-Type": content_type} if content_type else {}
    return api.request(method, path, content=content, headers=headers)


def posthog_error(response: httpx.Response, status: int, type_: str, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"type", "code", "detail", "attr"} and (body["type"], body["code"]) == (type_, code)
    return body


DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize(("content", "detail"), [
    (b"{", "JSON parse error - Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    (b"{'name': 'x'}", "JSON parse error - Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    (b"\x00", "JSON parse error - Expecting value: line 1 column 1 (char 0)"),
    (b'{"name": NaN}', "JSON parse error - Out of range float values are not JSON compliant: NaN"),
    (b'{"name": Infinity}', "JSON parse error - Out of range float values are not JSON compliant: Infinity"),
    (b'{"name": "\xff\xfe"}', None),
    (b'{"name": "\\ud800"}', None),
    (b'{"a": ' * 200 + b"1" + b"}" * 200, "JSON parse error - nested deeper than 100 levels"),
    (DEEP[:LIMIT // 2] + DEEP[-LIMIT // 2:], None),
])
@pytest.mark.parametrize("method_path", [("POST", BASE), ("POST", BASE + "test_hog/"), ("PATCH", "TAGGER")])
def test_unreadable_json_is_a_parse_error(api: httpx.Client, tagger: dict, content: bytes, detail: str | None,
                                          method_path: tuple[str, str]) -> None:
    method, path = method_path
    path = f"{BASE}{tagger['id']}/" if path == "TAGGER" else path
    body = posthog_error(raw(api, method, path, content), 400, "invalid_request", "parse_error")
    assert body["detail"].startswith("JSON parse error - ")
    if detail is not None:
        assert body["detail"] == detail


@pytest.mark.parametrize("content", [b"[]", b"[1, 2]", b"null", b"1", b'"name"', b"true"])
def test_a_body_that_is_not_an_object(api: httpx.Client, tagger: dict, content: bytes) -> None:
    kind = type(json.loads(content)).__name__
    for method, path in (("POST", BASE), ("PATCH", f"{BASE}{tagger['id']}/"), ("PUT", f"{BASE}{tagger['id']}/")):
        if kind == "NoneType":  # DRF: a serializer given None
            body = posthog_error(raw(api, method, path, content), 400, "validation_error", "null")
            assert (body["detail"], body["attr"]) == ("This field may not be null.", None)
            continue
        body = posthog_error(raw(api, method, path, content), 400, "validation_error", "invalid_input")
        assert (body["detail"], body["attr"]) == (f"Invalid data. Expected a dictionary, but got {kind}.", None)
    test_hog = raw(api, "POST", f"{BASE}test_hog/", content)
    assert test_hog.status_code == 400
    assert list(test_hog.json()["error"]) == ["non_field_errors"]


def test_empty_body_is_an_empty_object(api: httpx.Client, tagger: dict) -> None:
    body = posthog_error(raw(api, "POST", BASE, b""), 400, "validation_error", "required")
    assert body["attr"] == "name"
    assert raw(api, "PATCH", f"{BASE}{tagger['id']}/", b"  ").status_code == 200


def test_bodies_over_the_limit_are_413(api: httpx.Client) -> None:
    big = json.dumps(llm_tagger(description="x" * LIMIT)).encode()
    body = posthog_error(raw(api, "POST", BASE, big), 413, "invalid_request", "payload_too_large")
    assert str(LIMIT) in body["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while streaming
        yield b'{"name": "'
        for _ in range(LIMIT // 1024 + 2):
            yield b"y" * 1024
        yield b'"}'

    streamed = api.post(BASE, content=chunks(), headers={"Content-Type": "application/json"})
    posthog_error(streamed, 413, "invalid_request", "payload_too_large")
    test_hog = raw(api, "POST", f"{BASE}test_hog/", json.dumps({"source": "x" * LIMIT}).encode())
    assert test_hog.status_code == 413


def test_only_json_is_accepted(api: httpx.Client) -> None:
    body = posthog_error(raw(api, "POST", BASE, b"name=x", "application/x-www-form-urlencoded"), 415,
                         "invalid_request", "unsupported_media_type")
    assert body["detail"] == 'Unsupported media type "application/x-www-form-urlencoded" in request.'
    assert raw(api, "POST", BASE, json.dumps(llm_tagger()).encode(), None).status_code == 201
    assert raw(api, "POST", BASE, json.dumps(llm_tagger()).encode(), "application/json; charset=utf-8").status_code == 201


def test_huge_strings_and_strange_text_are_validation_errors(api: httpx.Client) -> None:
    long_name = api.post(BASE, json=llm_tagger(name="n" * 50_000))
    assert posthog_error(long_name, 400, "validation_error", "max_length")["attr"] == "name"
    odd = api.post(BASE, json=llm_tagger(name="emoji 🐗 and \u202e bidi and \t tabs"))
    assert odd.status_code == 201 and odd.json()["name"] == "emoji 🐗 and \u202e bidi and \t tabs"
    nul_in_config = api.post(BASE, json=llm_tagger(tagger_config={"prompt": "p\x00", "tags": [{"name": "a\x00"}]}))
    assert nul_in_config.status_code == 201  # JSON text may hold NUL; DuckDB stores it
    assert api.get(f"{BASE}{nul_in_config.json()['id']}/").json()["tagger_config"]["prompt"] == "p\x00"


def test_unknown_paths_and_methods(api: httpx.Client) -> None:
    body = posthog_error(api.get("/api/environments/1/nothing/"), 404, "invalid_request", "not_found")
    assert body["detail"] == "Endpoint not found."
    body = posthog_error(api.put(BASE, json={}), 405, "invalid_request", "method_not_allowed")
    assert body["detail"] == 'Method "PUT" not allowed.'
    assert api.get(f"{BASE}test_hog/").status_code == 404  # GET reads it as a tagger id, which it is not
    # A method the path does not have is refused before the key is looked at (PostHog: after).
    anonymous = httpx.put(f"{api.base_url}{BASE}", json={})
    assert anonymous.status_code == 405 and anonymous.json()["code"] == "method_not_allowed"


def test_deep_values_inside_the_limit_are_stored(api: httpx.Client) -> None:
    deep: object = "leaf"
    for _ in range(90):
        deep = {"k": deep}
    created = api.post(BASE, json=llm_tagger(tagger_config={"prompt": "p", "tags": [{"name": "a"}], "extra": deep},
                                             conditions=[{"id": "c", "properties": [{"nested": deep}]}]))
    assert created.status_code == 201, created.text


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(string.printable + "\x00é🐗", max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
FIELDS = st.sampled_from(["name", "description", "enabled", "tagger_type", "tagger_config", "conditions",
                          "model_configuration", "deleted", "id", "source", "sample_count", "tags"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(FIELDS, JSON_VALUES, max_size=6) | JSON_VALUES,
       target=st.sampled_from(["create", "patch", "put", "test_hog"]))
def test_arbitrary_json_never_gets_a_5xx(api: httpx.Client, tagger: dict, body: object, target: str) -> None:
    method, path = {"create": ("POST", BASE), "patch": ("PATCH", f"{BASE}{tagger['id']}/"),
                    "put": ("PUT", f"{BASE}{tagger['id']}/"), "test_hog": ("POST", f"{BASE}test_hog/")}[target]
    response = api.request(method, path, json=body)
    assert response.status_code < 500, response.text
    if response.status_code >= 400 and target != "test_hog":
        assert set(response.json()) == {"type", "code", "detail", "attr"}
