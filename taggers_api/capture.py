"""Reading what PostHog's SDKs send to capture, as PostHog's capture service reads it
(`rust/capture`: `payload/common.rs`, `v0_request.rs`, `utils.rs`, `token.rs`, `timestamp.rs`).

    request = decode_request(body, query, headers, path=path, max_bytes=limit)   # or CaptureError
    rows = [normalize_event(raw, sent_at=request.sent_at, now=now) for raw in request.events]

The body, or the `data` query parameter of a GET, holds JSON in one of three shapes: a batch
`{"api_key"|"token": ..., "batch": [events], "sent_at": ...}` (posthog-python, posthog-node, and
posthog-js in body-timestamp mode), an array of events (posthog-js), or one event. On the way it
may be gzip-compressed (detected by its magic bytes, or named by `compression=gzip|gzip-js`, or
`Content-Encoding: gzip`), base64-wrapped, or a form `data=...` (`compression=base64`, as
posthog-js sends from `sendBeacon`). The project is named by its public token: the batch's
`api_key`/`token`, else each event's `token`/`$token`/`api_key`/`properties.token` (one for the
whole request).

Every refusal is a `CaptureError` answered in capture's body, `{"status", "code", "error"}`, and
stores nothing.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import re
import uuid
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from dateutil import parser as date_parser

from taggers_api.errors import APIError

FORM_MIME_TYPE = "application/x-www-form-urlencoded"
GZIP_MAGIC = b"\x1f\x8b\x08"
MAX_TOKEN_LENGTH = 64
MAX_DISTINCT_ID_LENGTH = 200
FUTURE_CUTOFF = timedelta(hours=23)  # an event further ahead than this is stamped `now`
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DROPPED_EVENTS = frozenset({"$performance_event"})  # capture drops these silently
_FORM_KEYS = (b"data=", b"_=", b"ip=", b"compression=")
_BASE64_STRICT = re.compile(rb"^[A-Za-z0-9+/=]*$")
_BASE64_LOOSE = re.compile(r"^[A-Za-z0-9+/= ]*$")
_SHORT_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?[+-]\d{2}$")


class CaptureError(APIError):
    """A refused capture, in the body PostHog's capture answers with."""

    def __init__(self, status: int, code: str, error: str) -> None:
        super().__init__(status, "capture_error", code, error)

    def body(self) -> dict[str, Any]:
        return {"status": self.status, "code": self.code, "error": self.detail}

    def with_headers(self, headers: dict[str, str]) -> CaptureError:
        copy = CaptureError(self.status, self.code, self.detail)
        copy.headers = {**self.headers, **headers}
        return copy


def decoding_error(what: str) -> CaptureError:
    return CaptureError(400, "request_decoding_error", f"failed to decode request: {what}")


def parsing_error(what: str) -> CaptureError:
    return CaptureError(400, "request_parsing_error", f"failed to parse request: {what}")


def too_big(what: str) -> CaptureError:
    return CaptureError(413, "payload_too_large", f"maximum event size exceeded: {what}")


def _refusal(status: int, code: str, error: str) -> Callable[[], CaptureError]:
    """A factory of one refusal (each raise gets its own exception object)."""
    return lambda: CaptureError(status, code, error)


no_token = _refusal(401, "ingest_key_required", "event submitted without an api_key")
unknown_token = _refusal(403, "ingest_key_unknown", "api_key does not resolve to a known project")
multiple_tokens = _refusal(400, "unroutable_events", "batch submitted with inconsistent api_key values")
empty_payload = _refusal(400, "empty_payload", "request missing data payload")
empty_batch = _refusal(400, "empty_batch", "request holds no event")
missing_event_name = _refusal(400, "missing_event_name", "event submitted with an empty event name")
missing_distinct_id = _refusal(400, "missing_distinct_id", "event submitted without a distinct_id")


def invalid_token(reason: str) -> CaptureError:
    return CaptureError(403, "ingest_key_unknown", f"API key is not valid: {reason}")


@dataclass(frozen=True, slots=True)
class CaptureRequest:
    token: str
    events: list[dict[str, Any]]  # the raw events, `$performance_event` removed
    sent_at: datetime | None
    historical_migration: bool = False


@dataclass(frozen=True, slots=True)
class CapturedRow:
    """One event in the event store's columns."""

    uuid: str
    event: str
    distinct_id: str
    timestamp: datetime
    properties: str  # JSON text
    person_id: str | None
    elements_chain: str


# -- the request --------------------------------------------------------------------------------


def decode_request(body: bytes, query: Mapping[str, str], headers: Mapping[str, str], *, path: str,
                   max_bytes: int) -> CaptureRequest:
    """The token and events of a capture request (see the module doc), or CaptureError."""
    raw = query.get("data", "").encode("utf-8") or body
    if not raw:
        raise empty_payload()
    if not _looks_like_form(raw) and _looks_like_base64(raw):
        raw = _try_base64(raw)
    form: dict[str, str] = {}
    if headers.get("content-type", "").split(";", 1)[0].strip().lower() == FORM_MIME_TYPE:
        if not _looks_like_form(raw):
            raise decoding_error("expected form data in POST request payload")
        form = _form(raw)
        if "data" in form and _BASE64_LOOSE.match(form["data"]):
            form["data"] = form["data"].replace(" ", "+")  # a '+' the form encoding turned into a space
    compression = _compression(query.get("compression")) or _compression(form.get("compression")) \
        or _compression(headers.get("content-encoding"))
    payload = form["data"].encode("utf-8") if "data" in form else raw
    text = _decompressed(payload, compression, max_bytes)
    if _looks_like_base64(text.encode("utf-8")):  # still wrapped after the decoding steps
        text = _try_base64(text.encode("utf-8")).decode("utf-8", "replace")
    request = _parse(text)
    events, batch_token, sent_at, historical = _shape(request, path)
    events = [event for event in events if event.get("event") not in DROPPED_EVENTS]
    if not events:  # only dropped kinds: capture answers OK and stores nothing
        return CaptureRequest(batch_token or "", [], None, historical)
    token = batch_token if batch_token is not None else _events_token(events)
    _validate_token(token)
    return CaptureRequest(token, events, sent_at or _query_sent_at(query), historical)


def _looks_like_form(payload: bytes) -> bool:
    prefix = payload[:128]
    return any(prefix.startswith(key) or b"&" + key in prefix for key in _FORM_KEYS)


def _looks_like_base64(payload: bytes) -> bool:
    return bool(payload) and len(payload) % 4 == 0 and _BASE64_STRICT.match(payload[:128]) is not None


def _try_base64(payload: bytes) -> bytes:
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return payload


def _form(payload: bytes) -> dict[str, str]:
    try:
        fields = parse_qs(payload.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        raise decoding_error("invalid urlencoded form data") from None
    found = {key: values[0] for key, values in fields.items() if values}
    if "ver" in found:
        found.setdefault("lib_version", found["ver"])
    return found


def _compression(value: str | None) -> str | None:
    if not value:
        return None
    return {"gzip": "gzip", "gzip-js": "gzip", "lz64": "lz64", "lz-string": "lz64", "base64": "base64",
            "b64": "base64"}.get(value.strip().lower())


def _decompressed(payload: bytes, compression: str | None, max_bytes: int) -> str:
    if compression == "gzip" or payload.startswith(GZIP_MAGIC):
        data = _gunzip(payload, max_bytes)
    elif compression == "lz64":
        raise decoding_error("lz64 (lz-string) compression is not supported here; send gzip or plain JSON")
    else:
        data = payload
        if len(data) > max_bytes:
            raise too_big(f"Uncompressed payload size limit {max_bytes} exceeded: {len(data)}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise decoding_error("invalid UTF8 in request payload") from None


def _gunzip(payload: bytes, max_bytes: int) -> bytes:
    """gzip data, read in chunks so that a small bomb cannot inflate past the limit."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(payload, max_bytes + 1)
        if len(data) > max_bytes or inflater.unconsumed_tail:
            raise too_big(f"Event or batch exceeded {max_bytes} during unzipping")
        if not inflater.eof:
            raise decoding_error("invalid GZIP data")
    except (zlib.error, EOFError, gzip.BadGzipFile):
        raise decoding_error("invalid GZIP data") from None
    return data


def _parse(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise parsing_error("JSON nested too deeply") from None
    except ValueError as exc:
        raise parsing_error(str(exc)) from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _shape(request: Any, path: str) -> tuple[list[dict[str, Any]], str | None, datetime | None, bool]:
    """(events, the batch's token, the batch's sent_at, historical_migration) of the three shapes."""
    if isinstance(request, list):
        events, token, sent_at, historical = request, None, None, False
    elif isinstance(request, dict) and "batch" in request:
        token = request.get("api_key", request.get("token"))
        events = request["batch"]
        if not isinstance(token, str):
            raise parsing_error("a batch needs a string api_key" if token is None else "api_key must be a string")
        if not isinstance(events, list):
            raise parsing_error("batch must be a list of events")
        historical = request.get("historical_migration") is True
        sent_at = _parse_time(request["sent_at"]) if isinstance(request.get("sent_at"), str) else None
    elif isinstance(request, dict):
        events, token, sent_at, historical = [request], None, None, False
        if "event" not in request:
            if not path.startswith("/engage"):
                raise CaptureError(400, "request_hydration_error", "failed to hydrate events from request: "
                                   "non-engage request missing event name attribute")
            events = [{**request, "event": "$identify"}]
    else:
        raise parsing_error(f"expected an event, a list of events or a batch, got a JSON {type(request).__name__}")
    if not events:
        raise empty_batch()
    for number, event in enumerate(events):
        _check_event(event, number)
    return events, token, sent_at, historical


def _check_event(event: Any, number: int) -> None:
    """What capture's typed event model refuses (a request with such an event is refused whole)."""
    where = f"event {number}"
    if not isinstance(event, dict):
        raise parsing_error(f"{where}: an event must be a JSON object")
    name = event.get("event")
    if not isinstance(name, str):
        raise parsing_error(f"{where}: \"event\" must be a string" if name is not None else f"{where}: missing \"event\"")
    properties = event.get("properties")
    if properties is not None and not isinstance(properties, dict):
        raise parsing_error(f"{where}: \"properties\" must be an object")
    identifier = event.get("uuid")
    if identifier not in (None, ""):
        if not isinstance(identifier, str):
            raise parsing_error(f"{where}: \"uuid\" must be a string")
        try:
            uuid.UUID(identifier)
        except ValueError:
            raise parsing_error(f"{where}: \"uuid\" is not a UUID: {identifier[:60]!r}") from None
    if event.get("timestamp") is not None and not isinstance(event["timestamp"], str):
        raise parsing_error(f"{where}: \"timestamp\" must be a string")
    offset = event.get("offset")
    if offset is not None and (isinstance(offset, bool) or not isinstance(offset, int)):
        raise parsing_error(f"{where}: \"offset\" must be a whole number of milliseconds")
    for key in ("$set", "$set_once"):
        if event.get(key) is not None and not isinstance(event[key], dict):
            raise parsing_error(f"{where}: \"{key}\" must be an object")


def event_token(event: Mapping[str, Any]) -> str | None:
    for key in ("token", "$token", "api_key"):
        value = event.get(key)
        if isinstance(value, str):
            return value
    properties = event.get("properties")
    if isinstance(properties, dict) and isinstance(properties.get("token"), str):
        return properties["token"]
    return None


def _events_token(events: list[dict[str, Any]]) -> str:
    tokens = {token for token in map(event_token, events) if token is not None}
    if not tokens:
        raise no_token()
    if len(tokens) > 1:
        raise multiple_tokens()
    return tokens.pop()


def _validate_token(token: str) -> None:
    if not token:
        raise invalid_token("empty")
    if len(token) > MAX_TOKEN_LENGTH:
        raise invalid_token("too_long")
    if not token.isascii():
        raise invalid_token("not_ascii")
    if "\0" in token:
        raise invalid_token("null_byte")
    if token.startswith("phx_"):
        raise invalid_token("personal_api_key")


def _query_sent_at(query: Mapping[str, str]) -> datetime | None:
    """`_` or `sent_at` in the query: milliseconds since the epoch (recent posthog-js)."""
    value = query.get("sent_at") or query.get("_")
    if not value or not value.lstrip("-").isdigit():
        return None
    try:
        moment = datetime.fromtimestamp(int(value) / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment if moment.year > 2020 else None  # seconds, from older SDKs, are ignored


# -- one event ----------------------------------------------------------------------------------


def normalize_event(event: Mapping[str, Any], *, sent_at: datetime | None, now: datetime) -> CapturedRow:
    """The stored row of a raw captured event, as capture and ingestion make it."""
    name = event["event"]
    if not name:
        raise missing_event_name()
    properties = dict(event.get("properties") or {})
    distinct_id = _distinct_id(event, properties)
    for key in ("$set", "$set_once"):  # ingestion keeps top-level person updates in the properties
        if isinstance(event.get(key), dict):
            properties[key] = {**(properties.get(key) or {}), **event[key]}
    ignore_sent_at = properties.get("$ignore_sent_at") is True
    timestamp = event_timestamp(event.get("timestamp"), event.get("offset"),
                                None if ignore_sent_at else sent_at, now)
    chain = properties.get("$elements_chain")
    try:
        text = json.dumps(properties, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        text.encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        raise parsing_error("properties hold a value that is not JSON text (NaN, or a lone surrogate)") from None
    if not _is_text(name) or not _is_text(distinct_id):
        raise parsing_error("the event name or distinct_id holds a lone surrogate (\\ud800-\\udfff), which is not text")
    identifier = event.get("uuid") or str(uuid_v7(now))
    return CapturedRow(str(uuid.UUID(identifier)), name, distinct_id, timestamp, text, None,
                       chain if isinstance(chain, str) else "")


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _distinct_id(event: Mapping[str, Any], properties: Mapping[str, Any]) -> str:
    value = event.get("distinct_id", event.get("$distinct_id"))
    if value is None:
        value = properties.get("distinct_id")
    if value is None:
        raise missing_distinct_id()
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (int, float)):
        text = json.dumps(value)
    else:
        text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    if not text:
        raise missing_distinct_id()
    return text[:MAX_DISTINCT_ID_LENGTH]


def event_timestamp(timestamp: str | None, offset: int | None, sent_at: datetime | None, now: datetime) -> datetime:
    """PostHog's rule: the client's time corrected by its clock skew (`now + (timestamp - sent_at)`),
    or `now - offset` milliseconds, or `now`; never more than 23 hours ahead of `now`."""
    moment = now
    parsed = _parse_time(timestamp) if timestamp else None
    try:
        if parsed is not None:
            moment = now + (parsed - sent_at) if sent_at is not None else parsed
        if offset is not None:
            moment = now - timedelta(milliseconds=offset)
    except OverflowError:  # out of any calendar: PostHog's fallback for out-of-range years
        return EPOCH
    if moment - now > FUTURE_CUTOFF:
        moment = now
    return moment


def _parse_time(text: str) -> datetime | None:
    if _SHORT_OFFSET.match(text):
        text += ":00"
    try:
        moment = date_parser.isoparse(text)
    except (ValueError, OverflowError):
        try:
            moment = date_parser.parse(text)
        except (ValueError, OverflowError, TypeError):
            return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def uuid_v7(moment: datetime) -> uuid.UUID:
    """A UUIDv7 with `moment`'s milliseconds, as capture gives an event that came without a uuid."""
    millis = max(0, int(moment.timestamp() * 1000))
    random = int.from_bytes(uuid.uuid4().bytes, "big")
    value = (millis << 80) | (0x7 << 76) | (random & ((1 << 76) - 1))
    value = (value & ~(0b11 << 62)) | (0b10 << 62)  # RFC 4122 variant
    return uuid.UUID(int=value)
