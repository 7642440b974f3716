"""Hypothesis strategies for realistic `$ai_generation` events, to test taggers with properties.

    from hypothesis import given
    from sampler.strategies import ai_generation_events
    from sampler.tagging import CompiledTagger

    tagger = CompiledTagger.from_source(open("topics.hog").read(), tags=["billing", "bug"])

    @given(ai_generation_events())
    def test_topics_never_fails(event):
        assert tagger.run(event)["error"] is None

Events follow the shapes the posthog SDK (7.91.1) emits and `fixtures/events/generate.py` copies:
OpenAI chat (with tool calls and tool results) and Responses, Anthropic text and tool use, Gemini,
LangChain, provider errors, plain-text inputs and the older `$ai_output` and `*_state` fields.
`ai_generation_events(mangle=True)` (the default) then damages some of them as real traffic does:
fields missing, null, of the wrong type, huge, numbers and booleans sent as strings, and text
with every kind of unicode. Every part shrinks towards less: a failing event shrinks to the
fewest properties and the shortest texts that still fail.

This module imports Hypothesis, which comes with the `authors` extra
(`pip install 'hog-tagger[authors]'`).
"""

from __future__ import annotations

import functools
import json
import string
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import strategies as st

__all__ = [
    "SHAPES",
    "ai_generation_events",
    "generation_properties",
    "huge_texts",
    "json_values",
    "mangled",
    "texts",
]

Properties = dict[str, Any]
Draw = Callable[[st.SearchStrategy[Any]], Any]

# -- text ---------------------------------------------------------------------------------------

# Words taggers look for (topics, refusals, errors, code, PII), so generated text reaches their branches.
_WORDS = (
    "refund", "invoice", "charged", "billing", "VAT", "annual plan", "my card", "error", "crash", "broken",
    "hangs", "500", "timeout", "bug", "sorry", "can't help", "I cannot assist", "SQL", "SELECT", "python",
    "traceback", "KeyError", "TypeScript", "await", "password", "log in", "two-factor", "delete my account",
    "GDPR", "trip", "flight", "hotel", "Kyoto", "weather", "forecast", "temperature", "headache", "doctor",
    "lawyer", "deposit", "translate", "summary", "positive", "negative", "neutral", "hello", "thanks",
    "the", "a", "is", "to", "of", "and", "you", "I", "it",
)
_FRAGMENTS = (
    "maria.garcia@example.org", "+1 415 555 0137", "4111 1111 1111 1111", "https://acme.example/pricing",
    "```sql\nSELECT 1;\n```", "Traceback (most recent call last):", "{\"role\": \"user\"}", "[]", "{}", "null",
    "None", "undefined", "true", "NaN", "-0", "1e309", "' OR 1=1 --", "<script>alert(1)</script>", "%s", "%_",
    "{x}", "${x}", "\\", "'", "\"", "`", "\n", "\r\n", "\t", "\u0000", " ", "",
    "😊", "👩‍💻", "🇫🇷", "京都", "日本語のテキスト", "مرحبا بالعالم", "שלום", "\u202eevil", "e\u0301", "\ufeff",
    "\u200b", "Ωmega", "straße", "İstanbul", "ﬁ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
)
# Any character a JSON event can carry: lone surrogates cannot be stored as UTF-8, so none.
_CHARACTERS = st.characters(exclude_categories=("Cs",))


def texts(*, max_words: int = 12) -> st.SearchStrategy[str]:
    """Short text: words and fragments taggers match on, or arbitrary unicode. Shrinks to ''."""
    words = st.lists(st.sampled_from(_WORDS + _FRAGMENTS), max_size=max_words).map(" ".join)
    return st.one_of(words, st.text(_CHARACTERS, max_size=40))


def huge_texts(*, max_repeats: int = 40_000) -> st.SearchStrategy[str]:
    """Long text (up to about a megabyte), made by repeating a short piece so it stays cheap to draw."""
    piece = st.one_of(texts(max_words=6), st.sampled_from(_FRAGMENTS)).filter(bool)
    return st.builds(lambda text, times: (text + " ") * times, piece, st.integers(1, max_repeats))


@st.composite
def _any_text(draw: Draw) -> str:
    """Mostly short text, sometimes long, once in twenty huge; shrinking heads for the short."""
    size = draw(st.integers(0, 19))
    if size == 19:
        return draw(huge_texts())
    return draw(texts(max_words=40 if size >= 15 else 12))


_KEY_TEXT = st.one_of(
    st.sampled_from(["role", "content", "type", "text", "id", "name", "$ai_input", "", " ", "0", "__proto__"]),
    st.text(string.ascii_letters + "_$.", min_size=1, max_size=12),
    st.text(_CHARACTERS, max_size=8),
)


def json_values(*, max_leaves: int = 8) -> st.SearchStrategy[Any]:
    """Any JSON value: null, booleans, 64-bit integers, finite floats, text, arrays and objects."""
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1),
        st.floats(allow_nan=False, allow_infinity=False), texts(),
    )
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(_KEY_TEXT, children, max_size=4),
        max_leaves=max_leaves,
    )


# -- building blocks ----------------------------------------------------------------------------


def _fields(draw: Draw, fields: Mapping[str, st.SearchStrategy[Any]], *, keep_one_in: int = 12) -> Properties:
    """Each field present most of the time, and absent once shrunk (a shrunk event keeps only what fails)."""
    out: Properties = {}
    for key, strategy in fields.items():
        if draw(st.integers(0, keep_one_in - 1)) > 0:
            out[key] = draw(strategy)
    return out


def _ids(prefix: str) -> st.SearchStrategy[str]:
    return st.text("0123456789abcdef", min_size=6, max_size=24).map(lambda tail: prefix + tail)


_TRACE_IDS = st.one_of(st.uuids().map(str), _ids("trace_"))
_TOKENS = st.integers(0, 200_000)
_LATENCY = st.floats(0, 120, allow_nan=False)

_SDK_CONTEXT = {
    "$ai_lib": st.just("posthog-ai"),
    "$ai_lib_version": st.sampled_from(["7.91.1", "6.0.0", "3.11.0"]),
    "$ai_tokens_source": st.just("sdk"),
    "$lib": st.sampled_from(["posthog-python", "posthog-node"]),
    "$lib_version": st.sampled_from(["7.91.1", "5.8.0"]),
    "$python_runtime": st.just("CPython"),
    "$python_version": st.just("3.11.7"),
    "$os": st.sampled_from(["Linux", "Mac OS X", "Windows"]),
    "$geoip_disable": st.booleans(),
    "$is_server": st.booleans(),
}
_CUSTOM = {
    "feature": st.sampled_from(["support_bot", "sql_helper", "docs_search", "onboarding"]),
    "conversation_id": _ids("conv_"),
    "$groups": st.dictionaries(st.sampled_from(["company", "project"]), st.sampled_from(["acme", "globex"]), max_size=2),
    "$process_person_profile": st.booleans(),
}


def _base(provider: str, models: list[str], base_url: str, stop: str) -> dict[str, st.SearchStrategy[Any]]:
    return {
        "$ai_provider": st.just(provider),
        "$ai_model": st.sampled_from(models),
        "$ai_model_parameters": st.sampled_from([{}, {"temperature": 0.2}, {"max_tokens": 1024}, {"stream": True}]),
        "$ai_http_status": st.just(200),
        "$ai_input_tokens": _TOKENS,
        "$ai_output_tokens": _TOKENS,
        "$ai_latency": _LATENCY,
        "$ai_trace_id": _TRACE_IDS,
        "$ai_base_url": st.just(base_url),
        "$ai_stop_reason": st.just(stop),
    }


def _system() -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda text: {"role": "system", "content": text}, texts())


def _user_content() -> st.SearchStrategy[Any]:
    text_block = st.builds(lambda text: {"type": "text", "text": text}, _any_text())
    return st.one_of(_any_text(), st.lists(text_block, min_size=1, max_size=3))


def _user() -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda content: {"role": "user", "content": content}, _user_content())


def _conversation() -> st.SearchStrategy[list[dict[str, Any]]]:
    """A system prompt (usually), earlier turns, and the user's message last."""
    earlier = st.lists(st.one_of(_user(), _assistant_text()), max_size=3)
    return st.builds(lambda system, turns, last: [*system, *turns, last],
                     st.lists(_system(), max_size=1), earlier, _user())


def _assistant_text() -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda text: {"role": "assistant", "content": text}, _any_text())


def _assistant_blocks(*extra: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[list[dict[str, Any]]]:
    """`$ai_output_choices` as the SDK normalises it: one assistant message of content blocks."""
    text_block = st.builds(lambda text: {"type": "text", "text": text}, _any_text())
    blocks = st.lists(st.one_of(text_block, *extra), min_size=1, max_size=3)
    return st.builds(lambda content: [{"role": "assistant", "content": content}], blocks)


_CITIES = st.sampled_from(["Paris", "San Francisco, CA", "Tokyo", "São Paulo", "Lagos", ""])


def _function_block(arguments_as_text: bool, prefix: str) -> st.SearchStrategy[dict[str, Any]]:
    def block(call_id: str, city: str) -> dict[str, Any]:
        arguments: Any = {"city": city}
        if arguments_as_text:
            arguments = json.dumps(arguments)
        return {"type": "function", "id": call_id, "function": {"name": "get_weather", "arguments": arguments}}

    return st.builds(block, _ids(prefix), _CITIES)


_OPENAI_TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Get weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
_ANTHROPIC_TOOLS = [{"name": "get_weather", "description": "Get the weather",
                     "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}}}]

# -- the SDK shapes -----------------------------------------------------------------------------

OPENAI_MODELS = ["gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "gpt-4.1"]
ANTHROPIC_MODELS = ["claude-sonnet-4-20250514", "claude-3-5-haiku-20241022", "claude-opus-4-1-20250805"]
GEMINI_MODELS = ["gemini-2.5-flash", "gemini-2.5-pro"]


def _openai_chat() -> dict[str, st.SearchStrategy[Any]]:
    return {
        **_base("openai", OPENAI_MODELS, "https://api.openai.com/v1/", "stop"),
        "$ai_input": _conversation(),
        "$ai_output_choices": _assistant_blocks(),
    }


def _openai_responses() -> dict[str, st.SearchStrategy[Any]]:
    reasoning = st.builds(lambda n: {"id": f"rs_{n}", "summary": [], "type": "reasoning"}, st.integers(0, 10**6))
    return {
        **_base("openai", ["gpt-4.1-mini", "o4-mini", "gpt-5-mini"], "https://api.openai.com/v1/", "completed"),
        "$ai_input": _conversation(),
        "$ai_instructions": texts(),
        "$ai_output_choices": _assistant_blocks(reasoning),
        "$ai_reasoning_tokens": _TOKENS,
    }


def _openai_tool_call() -> dict[str, st.SearchStrategy[Any]]:
    """Either the model asking for a tool, or the next turn carrying the call and the tool's answer."""

    def second_turn(question: str, call_id: str, city: str, answer: Any) -> list[dict[str, Any]]:
        call = {"id": call_id, "type": "function",
                "function": {"name": "get_weather", "arguments": json.dumps({"city": city})}}
        return [{"role": "user", "content": question},
                {"role": "assistant", "content": None, "tool_calls": [call]},
                {"role": "tool", "tool_call_id": call_id, "content": json.dumps(answer)}]

    answer = st.fixed_dictionaries({"temp_c": st.integers(-40, 50), "sky": st.sampled_from(["clear", "rain"])})
    return {
        **_base("openai", ["gpt-4o", "gpt-4.1"], "https://api.openai.com/v1/", "tool_calls"),
        "$ai_tools": st.just(_OPENAI_TOOLS),
        "$ai_input": st.one_of(_conversation(), st.builds(second_turn, texts(), _ids("call_"), _CITIES, answer)),
        "$ai_output_choices": st.one_of(_assistant_blocks(_function_block(True, "call_")),
                                        st.lists(_assistant_text(), min_size=1, max_size=1)),
        "$ai_cache_read_input_tokens": _TOKENS,
    }


def _anthropic_text() -> dict[str, st.SearchStrategy[Any]]:
    return {
        **_base("anthropic", ANTHROPIC_MODELS, "https://api.anthropic.com", "end_turn"),
        "$ai_input": _conversation(),
        "$ai_output_choices": _assistant_blocks(),
        "$ai_cache_read_input_tokens": _TOKENS,
    }


def _anthropic_tool_use() -> dict[str, st.SearchStrategy[Any]]:
    return {
        **_base("anthropic", ["claude-3-5-haiku-20241022"], "https://api.anthropic.com", "tool_use"),
        "$ai_tools": st.just(_ANTHROPIC_TOOLS),
        "$ai_input": _conversation(),
        "$ai_output_choices": _assistant_blocks(_function_block(False, "toolu_")),
    }


def _gemini() -> dict[str, st.SearchStrategy[Any]]:
    usage = st.builds(lambda p, c: {"prompt_token_count": p, "candidates_token_count": c,
                                    "total_token_count": p + c, "cached_content_token_count": 0}, _TOKENS, _TOKENS)
    return {
        **_base("gemini", GEMINI_MODELS, "https://generativelanguage.googleapis.com", "STOP"),
        "$ai_input": _conversation(),
        "$ai_output_choices": _assistant_blocks(),
        "$ai_usage": usage,
    }


def _langchain() -> dict[str, st.SearchStrategy[Any]]:
    return {
        **_base("openai", ["gpt-4o-mini"], "https://api.openai.com/v1/", "stop"),
        "$ai_framework": st.just("langchain"),
        "$ai_span_name": st.sampled_from(["ChatOpenAI", "FakeListChatModel", "AzureChatOpenAI"]),
        "$ai_span_id": st.uuids().map(str),
        "$ai_parent_id": _TRACE_IDS,
        "$ai_input": _conversation(),
        "$ai_output_choices": st.lists(_assistant_text(), min_size=1, max_size=1),
        "app": st.just("rag-demo"),
    }


def _provider_error() -> dict[str, st.SearchStrategy[Any]]:
    failures = st.sampled_from([
        (429, "Error code: 429 - Rate limit reached for gpt-4o"),
        (500, "Error code: 500 - The server had an error while processing your request."),
        (529, "Error code: 529 - {'type': 'error', 'error': {'type': 'overloaded_error'}}"),
        (401, "Error code: 401 - Incorrect API key provided: sk-proj-****abcd."),
    ])
    return {
        **_base("openai", OPENAI_MODELS, "https://api.openai.com/v1/", "error"),
        "$ai_input": st.builds(lambda user: [user], _user()),
        "$ai_output_choices": st.just([]),
        "$ai_is_error": st.just(True),
        "$ai_http_status+$ai_error": failures,  # split into the two fields below
    }


def _plain_text() -> dict[str, st.SearchStrategy[Any]]:
    """Input and output as bare strings (custom captures, completions APIs)."""
    return {**_base("openai", OPENAI_MODELS, "https://api.openai.com/v1/", "stop"),
            "$ai_input": _any_text(), "$ai_output_choices": _any_text()}


def _legacy_fields() -> dict[str, st.SearchStrategy[Any]]:
    """Older SDKs' `$ai_output` and the `*_state` fields a tagger falls back to."""
    return {**_base("openai", OPENAI_MODELS, "https://api.openai.com/v1/", "stop"),
            "$ai_input_state": st.one_of(_conversation(), st.dictionaries(st.just("question"), texts(), max_size=1)),
            "$ai_output": st.builds(lambda choices: {"choices": choices}, _assistant_blocks()),
            "$ai_output_state": _any_text()}


SHAPES: dict[str, Callable[[], dict[str, st.SearchStrategy[Any]]]] = {
    "openai_chat": _openai_chat,
    "openai_responses": _openai_responses,
    "openai_tool_call": _openai_tool_call,
    "anthropic_text": _anthropic_text,
    "anthropic_tool_use": _anthropic_tool_use,
    "gemini": _gemini,
    "langchain": _langchain,
    "provider_error": _provider_error,
    "plain_text": _plain_text,
    "legacy_fields": _legacy_fields,
}
"""Every shape `generation_properties` knows, by name."""


def generation_properties(*shapes: str) -> st.SearchStrategy[Properties]:
    """Properties of a well-formed `$ai_generation` event in one of `shapes` (default: all of them)."""
    unknown = sorted(set(shapes) - set(SHAPES))
    if unknown:
        raise ValueError(f"unknown event shapes {unknown}; known: {', '.join(SHAPES)}")
    chosen = {name: SHAPES[name]() for name in shapes or SHAPES}

    @st.composite
    def build(draw: Draw) -> Properties:
        fields = chosen[draw(st.sampled_from(list(chosen)))]
        props = _fields(draw, fields)
        pair = props.pop("$ai_http_status+$ai_error", None)
        if pair is not None:
            props["$ai_http_status"], props["$ai_error"] = pair
        props.update(_fields(draw, _SDK_CONTEXT, keep_one_in=4))
        props.update(_fields(draw, _CUSTOM, keep_one_in=2))
        return props

    return build()


# -- damage -------------------------------------------------------------------------------------

# Keys worth damaging even when the shape did not produce them.
_DAMAGE_KEYS = ["$ai_input", "$ai_output_choices", "$ai_output", "$ai_input_state", "$ai_output_state",
                "$ai_is_error", "$ai_http_status", "$ai_error", "$ai_model", "$ai_provider", "$ai_trace_id",
                "$ai_input_tokens", "$ai_latency", "$ai_tools", "$ai_stop_reason"]


@functools.cache
def _damage_keys() -> list[str]:
    """Every key a shape can produce, the most telling first. A fixed list, so that a damage keeps
    its target while the shrinker removes other fields (an index into the event's own keys would not).
    """
    known = {key for make in SHAPES.values() for key in make()} | set(_SDK_CONTEXT) | set(_CUSTOM)
    known.discard("$ai_http_status+$ai_error")
    return _DAMAGE_KEYS + sorted(known - set(_DAMAGE_KEYS))


def _as_string(value: Any) -> Any:
    """Numbers and booleans as some SDKs and proxies send them: `"123"`, `"0.5"`, `"true"`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value)


def _damage_messages(messages: Any, draw: Draw) -> Any:
    """One message of a list broken: content null, missing or of another type, role missing or odd."""
    if not isinstance(messages, list) or not messages:
        return messages
    index = draw(st.integers(0, len(messages) - 1))
    message = messages[index]
    if not isinstance(message, dict):
        return messages
    broken = dict(message)
    how = draw(st.sampled_from(["content null", "no content", "content value", "no role", "role value",
                                "block without text", "message not an object"]))
    if how == "content null":
        broken["content"] = None
    elif how == "no content":
        broken.pop("content", None)
    elif how == "content value":
        broken["content"] = draw(json_values())
    elif how == "no role":
        broken.pop("role", None)
    elif how == "role value":
        broken["role"] = draw(st.one_of(st.sampled_from(["tool", "function", "developer", "", "USER"]), json_values()))
    elif how == "block without text":
        broken["content"] = [{"type": draw(st.sampled_from(["image_url", "input_audio", "text", "thinking"]))}]
    else:
        return [*messages[:index], draw(json_values()), *messages[index + 1:]]
    return [*messages[:index], broken, *messages[index + 1:]]


_DAMAGES = ["missing", "null", "wrong type", "huge", "as string", "broken message", "extra key"]


@st.composite
def _mangle(draw: Draw, properties: st.SearchStrategy[Properties], max_damage: int) -> Properties:
    props = dict(draw(properties))
    for _ in range(draw(st.integers(0, max_damage))):
        key = draw(st.sampled_from(_damage_keys()))
        how = draw(st.sampled_from(_DAMAGES))
        if how == "missing":
            props.pop(key, None)
        elif how == "null":
            props[key] = None
        elif how == "wrong type":
            props[key] = draw(json_values())
        elif how == "huge":
            props[key] = draw(huge_texts())
        elif how == "as string":
            # A number or boolean of the event where it has one (the fixed order keeps the target
            # while shrinking); the drawn key otherwise, which turns a text into its JSON.
            scalars = [name for name in _damage_keys() if type(props.get(name)) in (int, float, bool)]
            if scalars:
                key = draw(st.sampled_from(scalars))
            props[key] = _as_string(props.get(key))
        elif how == "broken message":
            props[key] = _damage_messages(props.get(key), draw)
        else:
            props[draw(_KEY_TEXT)] = draw(json_values())
    return props


def mangled(properties: st.SearchStrategy[Properties], *, max_damage: int = 3) -> st.SearchStrategy[Properties]:
    """`properties` with up to `max_damage` fields damaged as real traffic damages them.

    A field may go missing, become null, take a value of another JSON type, become huge, turn a
    number or boolean into a string, have one of its messages broken (null or odd content or
    role), or an unexpected key may appear. Shrinks towards no damage.
    """
    return _mangle(properties, max_damage)


def ai_generation_events(
    *shapes: str, mangle: bool = True, max_damage: int = 3
) -> st.SearchStrategy[dict[str, Any]]:
    """Whole `$ai_generation` events in the SDK's capture shape:
    `{uuid, event, distinct_id, timestamp, properties}`, ready for `CompiledTagger.run`, a JSON Lines
    dump, or `hog-test run --events`.
    """
    properties = generation_properties(*shapes)
    if mangle:
        properties = mangled(properties, max_damage=max_damage)
    distinct_ids = st.one_of(st.sampled_from(["user_123", "user_789", ""]), st.text(_CHARACTERS, max_size=10))
    return st.builds(_event, distinct_ids, properties)


def _event(distinct_id: str, properties: Properties) -> dict[str, Any]:
    # The uuid follows from the content: distinct events stay distinct in a dump, and it shrinks with them.
    content = json.dumps([distinct_id, properties], sort_keys=True, ensure_ascii=False)
    return {
        "uuid": str(uuid.uuid5(_EVENT_NAMESPACE, content)), "event": "$ai_generation", "distinct_id": distinct_id,
        "timestamp": "2026-11-27T12:00:00+00:00", "properties": properties,
    }


_EVENT_NAMESPACE = uuid.UUID("5f0c6d8e-4b7a-4e55-9c1d-3a2b7f6e0d41")
