"""Capture over HTTP against a real server: every body shape and encoding PostHog's SDKs send, the
project chosen by its token, idempotence by uuid, PostHog's timestamp rule, and each refusal
answered in capture's body while storing nothing."""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api_support import ApiServer, World, module_client, module_server
from tests.live_support import events, generation

OK = {"status": "Ok"}


world, server = module_server("capture", events_per_project=1, workers=1)
api = module_client("star")


def person() -> str:
    return f"person-{uuid.uuid4().hex[:10]}"


def stored(api: httpx.Client, distinct_id: str, project: int = 1) -> list[dict]:
    return events(api, project, distinct_id=distinct_id)


def test_a_batch_as_posthog_python_sends_it(api: httpx.Client, world: World) -> None:
    who = person()
    sent = [generation(distinct_id=who) for _ in range(3)]
    body = {"api_key": world.tokens[1], "batch": sent, "historical_migration": False,
            "sent_at": datetime.now(UTC).isoformat()}
    response = api.post("/batch/", json=body)
    assert response.status_code == 200 and response.json() == OK
    found = {e["id"]: e for e in stored(api, who)}
    assert set(found) == {e["uuid"] for e in sent}
    for event in sent:
        row = found[event["uuid"]]
        assert row["event"] == "$ai_generation" and row["distinct_id"] == who
        assert row["properties"] == event["properties"]
        assert row["elements_chain"] == "" and row["person"] is None


def test_gzip_as_the_sdks_send_it(api: httpx.Client, world: World) -> None:
    """posthog-python with gzip=True (Content-Encoding), posthog-js (an array, gzip found by its magic
    bytes, text/plain) and the compression=gzip-js hint."""
    cases = [
        ("/batch/", {"api_key": world.tokens[1], "batch": None}, {"Content-Encoding": "gzip",
                                                                  "Content-Type": "application/json"}, {}),
        ("/e/", None, {"Content-Type": "text/plain"}, {"ver": "1.449.2", "_": "1800000000000"}),
        ("/i/v0/e/", None, {"Content-Type": "text/plain"}, {"compression": "gzip-js"}),
    ]
    for path, envelope, headers, params in cases:
        who = person()
        sent = [generation(distinct_id=who, token=world.tokens[1]) for _ in range(2)]
        payload = {**envelope, "batch": sent} if envelope else sent
        response = api.post(path, content=gzip.compress(json.dumps(payload).encode()), headers=headers, params=params)
        assert response.status_code == 200, (path, response.text)
        assert {e["id"] for e in stored(api, who)} == {e["uuid"] for e in sent}, path


def test_base64_form_data_and_get_with_data(api: httpx.Client, world: World) -> None:
    """posthog-js's sendBeacon body (form `data=` of base64, compression=base64, beacon=1: 204) and
    a GET with the payload in `data`."""
    who = person()
    first = generation(distinct_id=who, token=world.tokens[1])
    encoded = base64.b64encode(json.dumps([first]).encode()).decode()
    response = api.post("/e/", content=f"data={quote(encoded, safe='')}",
                        headers={"Content-Type": "application/x-www-form-urlencoded"},
                        params={"compression": "base64", "beacon": "1"})
    assert response.status_code == 204 and response.content == b""
    second = generation(distinct_id=who, token=world.tokens[1])
    response = api.get("/e/", params={"data": base64.b64encode(json.dumps(second).encode()).decode()})
    assert response.status_code == 200 and response.json() == OK
    assert {e["id"] for e in stored(api, who)} == {first["uuid"], second["uuid"]}


def test_single_events_and_where_their_token_is(api: httpx.Client, world: World) -> None:
    who = person()
    at_top = {**generation(distinct_id=who), "api_key": world.tokens[1]}
    in_properties = generation(distinct_id=who, token=world.tokens[1])
    dollar = {**generation(distinct_id=who), "$token": world.tokens[1]}
    for path, event in (("/capture/", at_top), ("/i/v0/e", in_properties), ("/track/", dollar)):
        response = api.post(path, json=event)
        assert response.status_code == 200, (path, response.text)
    assert len(stored(api, who)) == 3


def test_the_token_chooses_the_project(api: httpx.Client, world: World) -> None:
    who = person()
    event = generation(distinct_id=who)
    assert api.post("/batch/", json={"api_key": world.tokens[2], "batch": [event]}).status_code == 200
    assert [e["id"] for e in stored(api, who, project=2)] == [event["uuid"]]
    assert stored(api, who, project=1) == []


def test_a_uuid_is_stored_once_however_often_it_is_sent(api: httpx.Client, world: World) -> None:
    who = person()
    event = generation(distinct_id=who)
    again = {**event, "properties": {**event["properties"], "$ai_model": "changed"}}
    for batch in ([event, again], [again], [event]):
        assert api.post("/batch/", json={"api_key": world.tokens[1], "batch": batch}).status_code == 200
    found = stored(api, who)
    assert len(found) == 1 and found[0]["properties"]["$ai_model"] == "gpt-4o-mini"  # the first one wins


def test_capture_fills_in_what_posthog_fills_in(api: httpx.Client, world: World) -> None:
    """No uuid: a UUIDv7; a numeric distinct_id: text; top-level $set: into the properties; the
    client's clock skew corrected with sent_at; `offset` counts back from now."""
    who = 4242_0000 + uuid.uuid4().int % 10_000
    client_now = datetime.now(UTC) + timedelta(hours=2)  # a client clock two hours fast
    skewed = {"event": "$ai_generation", "distinct_id": who, "timestamp": (client_now - timedelta(minutes=5)).isoformat(),
              "properties": {"a": 1}, "$set": {"plan": "pro"}}
    offset = {"event": "later", "distinct_id": who, "offset": 60_000, "properties": {}}
    before = datetime.now(UTC)
    response = api.post("/batch/", json={"api_key": world.tokens[1], "sent_at": client_now.isoformat(),
                                        "batch": [skewed, offset]})
    after = datetime.now(UTC)
    assert response.status_code == 200
    found = {e["event"]: e for e in stored(api, str(who))}
    generated = uuid.UUID(found["$ai_generation"]["id"])
    assert generated.version == 7
    assert found["$ai_generation"]["properties"] == {"a": 1, "$set": {"plan": "pro"}}
    moment = datetime.fromisoformat(found["$ai_generation"]["timestamp"])
    assert before - timedelta(minutes=5, seconds=1) <= moment <= after - timedelta(minutes=4, seconds=59)
    moment = datetime.fromisoformat(found["later"]["timestamp"])
    assert before - timedelta(minutes=1, seconds=1) <= moment <= after - timedelta(seconds=59)


def test_dropped_kinds_are_accepted_and_not_stored(api: httpx.Client, world: World) -> None:
    who = person()
    event = {"event": "$performance_event", "distinct_id": who, "properties": {}}
    response = api.post("/batch/", json={"api_key": world.tokens[1], "batch": [event]})
    assert response.status_code == 200 and response.json() == OK
    assert stored(api, who) == []


def gz(value: object) -> bytes:
    return gzip.compress(json.dumps(value).encode())


REFUSALS = [
    # (path, body, headers, status, code)
    ("/batch/", b"", {}, 400, "empty_payload"),
    ("/batch/", b"not json", {}, 400, "request_parsing_error"),
    ("/batch/", b"\x1f\x8b\x08garbage", {}, 400, "request_decoding_error"),
    ("/batch/", b'"just a string"', {}, 400, "request_parsing_error"),
    ("/e/", b"\xff\xfe", {}, 400, "request_decoding_error"),
    ("/e/", b"compression=base64", {"Content-Type": "application/x-www-form-urlencoded"}, 400,
     "request_parsing_error"),
    ("/e/", b"{}", {"Content-Type": "application/x-www-form-urlencoded"}, 400, "request_decoding_error"),
    ("/e/", b'{"distinct_id": "a", "token": "TOKEN1"}', {}, 400, "request_hydration_error"),
]


@pytest.mark.parametrize(("path", "body", "headers", "status", "code"), REFUSALS,
                         ids=[f"{c[0]} {c[4]} {n}" for n, c in enumerate(REFUSALS)])
def test_unreadable_payloads_are_refused(api: httpx.Client, world: World, path: str, body: bytes,
                                         headers: dict, status: int, code: str) -> None:
    response = api.post(path, content=body.replace(b"TOKEN1", world.tokens[1].encode()), headers=headers)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code and response.json()["status"] == status
    assert response.json()["error"]


def event_refusals(world: World, who: str) -> list[tuple[dict | list, int, str, str]]:
    good = generation(distinct_id=who)
    token = world.tokens[1]
    return [
        ({"batch": [good]}, 400, "request_parsing_error", "api_key"),
        ([good], 401, "ingest_key_required", "event submitted without an api_key"),
        ({"api_key": "phc_unknown", "batch": [good]}, 403, "ingest_key_unknown",
         "api_key does not resolve to a known project"),
        ({"api_key": "phx_personal", "batch": [good]}, 403, "ingest_key_unknown",
         "API key is not valid: personal_api_key"),
        ({"api_key": "", "batch": [good]}, 403, "ingest_key_unknown", "API key is not valid: empty"),
        ([{**good, "token": token}, {**generation(distinct_id=who), "token": world.tokens[2]}], 400,
         "unroutable_events", "batch submitted with inconsistent api_key values"),
        ({"api_key": token, "batch": []}, 400, "empty_batch", "request holds no event"),
        ({"api_key": token, "batch": [good, {**good, "uuid": "not-a-uuid"}]}, 400, "request_parsing_error", "uuid"),
        ({"api_key": token, "batch": [good, {**good, "uuid": str(uuid.uuid4()), "distinct_id": None}]}, 400,
         "missing_distinct_id", "event submitted without a distinct_id"),
        ({"api_key": token, "batch": [good, {**good, "uuid": str(uuid.uuid4()), "distinct_id": ""}]}, 400,
         "missing_distinct_id", "event submitted without a distinct_id"),
        ({"api_key": token, "batch": [good, {**good, "uuid": str(uuid.uuid4()), "event": ""}]}, 400,
         "missing_event_name", "event submitted with an empty event name"),
        ({"api_key": token, "batch": [good, {**good, "properties": [1]}]}, 400, "request_parsing_error",
         "properties"),
        ({"api_key": token, "batch": [good, {**good, "uuid": str(uuid.uuid4()), "properties": {"x": "\ud800"}}]},
         400, "request_parsing_error", "lone surrogate"),
        ({"api_key": token, "batch": [good, {**good, "uuid": str(uuid.uuid4()), "distinct_id": "\udc00"}]},
         400, "request_parsing_error", "lone surrogate"),
        ({"api_key": token, "batch": [good, {**good, "uuid": str(uuid.uuid4()), "event": "\ud83d"}]},
         400, "request_parsing_error", "lone surrogate"),
    ]


def test_a_refused_batch_stores_none_of_its_events(api: httpx.Client, world: World) -> None:
    who = person()
    for body, status, code, words in event_refusals(world, who):  # JSON escapes, as SDKs write lone surrogates
        response = api.post("/batch/", content=json.dumps(body), headers={"Content-Type": "application/json"})
        assert response.status_code == status, (body, response.text)
        answer = response.json()
        assert answer["code"] == code and words in answer["error"], answer
    assert stored(api, who) == []


def test_a_body_over_the_limit_is_413(api: httpx.Client, world: World, server: ApiServer) -> None:
    bomb = gzip.compress(b"[" + b" " * (21 * 1024 * 1024) + b"]")  # tiny on the wire, over 20 MiB inflated
    response = api.post("/batch/", content=bomb)
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"


def test_cors_and_what_sdks_ask_on_start(api: httpx.Client, world: World) -> None:
    origin = "http://localhost:3000"
    preflight = api.options("/e/", headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                            "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    assert preflight.headers["access-control-allow-headers"] == "content-type"
    refused = api.post("/e/", content=b"", headers={"Origin": origin})
    assert refused.status_code == 400 and refused.headers["access-control-allow-origin"] == origin
    flags = api.post("/flags/?v=2", json={"token": world.tokens[1], "distinct_id": "x"})
    assert flags.status_code == 200 and flags.json()["flags"] == {} and flags.json()["errorsWhileComputingFlags"] is False
    assert api.post("/decide/?v=3", json={}).json()["featureFlags"] == {}
    config = api.get(f"/array/{world.tokens[1]}/config").json()
    assert "gzip-js" in config["supportedCompression"] and config["hasFeatureFlags"] is False


# -- capture's rules, in-process ------------------------------------------------------------------


def test_timestamps_follow_posthogs_rule() -> None:
    from taggers_api.capture import event_timestamp

    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert event_timestamp(None, None, None, now) == now
    assert event_timestamp("2026-11-27T11:00:00Z", None, None, now) == now - timedelta(hours=1)
    # clock skew: the client's own sent_at is its "now"
    assert event_timestamp("2026-11-27T13:00:00Z", None, datetime(2026, 11, 27, 13, 30, tzinfo=UTC), now) == \
        now - timedelta(minutes=30)
    assert event_timestamp("2026-11-27T11:00:00Z", 5000, None, now) == now - timedelta(seconds=5)
    assert event_timestamp("2026-11-29T12:00:00Z", None, None, now) == now  # over 23 h ahead: now
    assert event_timestamp("2026-11-28T10:00:00Z", None, None, now) == now + timedelta(hours=22)
    assert event_timestamp("not a date", None, None, now) == now
    assert event_timestamp("2026-11-27T14:00:00+03", None, None, now) == now - timedelta(hours=1)
    assert event_timestamp("2026-11-27 11:30:00", None, None, now) == now - timedelta(minutes=30)  # no zone: UTC
    far = datetime(9999, 12, 31, tzinfo=UTC)
    assert event_timestamp("0001-01-01T00:00:00Z", None, far, now) == datetime(1970, 1, 1, tzinfo=UTC)
    assert event_timestamp(None, 10**18, None, now) == datetime(1970, 1, 1, tzinfo=UTC)


def test_distinct_ids_are_read_as_capture_reads_them() -> None:
    from taggers_api.capture import CaptureError, normalize_event

    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

    def distinct_id(event: dict) -> str:
        return normalize_event({"event": "e", **event}, sent_at=None, now=now).distinct_id

    assert distinct_id({"distinct_id": "me"}) == "me"
    assert distinct_id({"$distinct_id": "23"}) == "23"
    assert distinct_id({"properties": {"distinct_id": "from-properties"}}) == "from-properties"
    assert distinct_id({"distinct_id": 23, "properties": {"distinct_id": "x"}}) == "23"
    assert distinct_id({"distinct_id": 23.4}) == "23.4"
    assert distinct_id({"distinct_id": ["a", "b"]}) == '["a","b"]'
    assert distinct_id({"distinct_id": {"string": "a", "number": 3}}) == '{"number":3,"string":"a"}'
    assert distinct_id({"distinct_id": "x" * 250}) == "x" * 200
    for missing in ({}, {"distinct_id": None}, {"distinct_id": ""}):
        with pytest.raises(CaptureError) as refused:
            distinct_id(missing)
        assert refused.value.code == "missing_distinct_id"


def test_generated_uuids_are_version_7_with_the_capture_time() -> None:
    from taggers_api.capture import uuid_v7

    moment = datetime(2026, 11, 27, 12, 0, 0, 123000, tzinfo=UTC)
    made = {uuid_v7(moment) for _ in range(100)}
    assert len(made) == 100
    for value in made:
        assert value.version == 7 and value.variant == uuid.RFC_4122
        assert value.int >> 80 == int(moment.timestamp() * 1000)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20)
FIELDS = st.fixed_dictionaries({}, optional={
    "event": JSON | st.sampled_from(["$ai_generation", "", "$performance_event"]),
    "distinct_id": JSON, "uuid": JSON | st.uuids().map(str), "timestamp": JSON | st.datetimes().map(str),
    "offset": JSON, "properties": JSON, "$set": JSON, "token": JSON})


@settings(max_examples=150, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(events=st.lists(FIELDS, max_size=4), shape=st.sampled_from(["batch", "array", "one"]),
       encoding=st.sampled_from(["plain", "gzip", "base64"]), raw=st.binary(max_size=40) | st.none())
def test_no_payload_gets_a_server_error(api: httpx.Client, world: World, events: list, shape: str, encoding: str,
                                        raw: bytes | None) -> None:
    if raw is not None:
        body = raw
    else:
        payload: object = {"api_key": world.tokens[1], "batch": events} if shape == "batch" else (
            events if shape == "array" else (events[0] if events else {}))
        body = json.dumps(payload).encode()
        body = gzip.compress(body) if encoding == "gzip" else base64.b64encode(body) if encoding == "base64" else body
    response = api.post("/e/", content=body)
    assert response.status_code in (200, 400, 401, 403, 413), response.text
    assert set(response.json()) == ({"status"} if response.status_code == 200 else {"status", "code", "error"})
