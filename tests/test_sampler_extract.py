"""Event input/output extraction and the readable previews, rule by rule (PostHog's
`extract_event_io` and `extract_text_from_messages`)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from sampler.extract import as_tagger_global, extract_event_io, extract_text_from_messages, preview

REFERENCE = Path(__file__).resolve().parent / "data" / "reference" / "events"


# -- extract_event_io ---------------------------------------------------------------------------


def test_generation_prefers_ai_input_and_output_choices() -> None:
    props = {"$ai_input": ["i"], "$ai_input_state": "s", "$ai_output_choices": ["o"], "$ai_output": "x",
             "$ai_output_state": "y"}
    assert extract_event_io("$ai_generation", props) == (["i"], ["o"])


def test_generation_falls_through_falsy_values() -> None:
    props = {"$ai_input": [], "$ai_input_state": {"q": 1}, "$ai_output_choices": [], "$ai_output": "",
             "$ai_output_state": "done"}
    assert extract_event_io("$ai_generation", props) == ({"q": 1}, "done")
    assert extract_event_io("$ai_generation", {"$ai_output": {"text": "t"}}) == ("", {"text": "t"})


def test_generation_without_any_io() -> None:
    assert extract_event_io("$ai_generation", {}) == ("", "")


def test_other_event_types_read_only_state_keys() -> None:
    props = {"$ai_input": ["ignored"], "$ai_output_choices": ["ignored"], "$ai_input_state": {"a": 1},
             "$ai_output_state": "out"}
    assert extract_event_io("$ai_span", props) == ({"a": 1}, "out")
    assert extract_event_io("$ai_trace", {}) == ("", "")
    # A present-but-null state key comes back as null (PostHog's `.get` default only covers absence).
    assert extract_event_io("$ai_span", {"$ai_input_state": None}) == (None, "")


# -- the input/output globals -------------------------------------------------------------------


def test_structured_io_is_json_dumps_with_defaults() -> None:
    value = [{"role": "user", "content": "héllo ✓"}, {"n": 1.0, "ok": True, "none": None}]
    text = as_tagger_global(value)
    assert text == json.dumps(value)
    # Python's defaults: ", " and ": " separators, non-ASCII escaped.
    assert text == ('[{"role": "user", "content": "h\\u00e9llo \\u2713"}, {"n": 1.0, "ok": true, "none": null}]')


def test_missing_io_is_empty_and_scalars_pass_through() -> None:
    assert as_tagger_global("") == ""
    assert as_tagger_global(None) == ""
    assert as_tagger_global("plain") == "plain"
    assert as_tagger_global(42) == 42


# -- extract_text_from_messages -----------------------------------------------------------------


def test_plain_and_empty() -> None:
    assert extract_text_from_messages("just text") == "just text"
    assert extract_text_from_messages(None) == ""
    assert extract_text_from_messages([]) == ""
    assert extract_text_from_messages({}) == ""


def test_one_role_line_per_message() -> None:
    messages = [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "Hi"}]
    assert extract_text_from_messages(messages) == "system: Be terse.\nuser: Hi"


def test_content_blocks_text_then_content_then_str() -> None:
    blocks = [
        {"type": "text", "text": "one"},
        {"type": "tool_result", "content": "two"},
        {"type": "image", "url": "http://x/y.png"},
        "bare",
        {"text": None},
    ]
    expected = "one two {'type': 'image', 'url': 'http://x/y.png'} bare None"
    assert extract_text_from_messages([{"role": "user", "content": blocks}]) == f"user: {expected}"


def test_unknown_block_renders_like_python_str_of_a_dict() -> None:
    block = {"id": "rs_1", "summary": [], "type": "reasoning", "flag": True, "x": None, "f": 1.5}
    text = extract_text_from_messages([{"role": "assistant", "content": [block]}])
    assert text == "assistant: {'id': 'rs_1', 'summary': [], 'type': 'reasoning', 'flag': True, 'x': None, 'f': 1.5}"


def test_tool_calls_and_tool_results() -> None:
    messages = [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
            {"type": "function", "function": {"name": "get_time", "arguments": {"tz": "CET"}}},
            {"id": "call_x", "function": {"name": "", "arguments": "{}"}},  # nameless: skipped
            "not a call",
        ]},
        {"role": "tool", "tool_call_id": "call_1", "content": '{"temp_c": 18}'},
        {"role": "tool", "content": "no id"},
        {"role": "assistant", "content": "18°C.", "tool_calls": []},
    ]
    assert extract_text_from_messages(messages) == "\n".join([
        "user: Weather in Paris?",
        'assistant: [tool_call call_1: get_weather({"city": "Paris"})] [tool_call: get_time({"tz": "CET"})]',
        'tool[call_1]: {"temp_c": 18}',
        "tool: no id",
        "assistant: 18°C.",
    ])


def test_messages_without_body_or_role() -> None:
    messages = [{"role": "tool", "tool_call_id": "c9", "content": ""}, {"content": "no role"}, {}, 7, "loose"]
    assert extract_text_from_messages(messages) == "tool[c9]:\nno role\nloose"


def test_single_message_dict_has_no_role_prefix() -> None:
    message = {"role": "assistant", "content": "Paris.", "tool_calls": [
        {"id": "c", "function": {"name": "lookup", "arguments": "{}"}}]}
    assert extract_text_from_messages(message) == "Paris. [tool_call c: lookup({})]"


def test_langchain_state_dict_uses_its_content() -> None:
    state = {"content": "Paris is the capital.", "type": "ai", "tool_calls": []}
    assert extract_text_from_messages(state) == "Paris is the capital."
    assert extract_text_from_messages({"country": "France"}) == ""


def test_non_text_scalars_are_shown_not_crashed_on() -> None:
    assert extract_text_from_messages(3.5) == "3.5"
    assert extract_text_from_messages(True) == "True"


def test_preview_is_cut_at_200_characters() -> None:
    long = [{"role": "user", "content": "x" * 500}]
    assert preview(long) == ("user: " + "x" * 500)[:200]
    assert len(preview(long)) == 200
    assert preview("short") == "short"


def test_reference_events() -> None:
    anthropic_tool = json.loads((REFERENCE / "anthropic_tool_use.json").read_text())["properties"]
    _, output = extract_event_io("$ai_generation", anthropic_tool)
    assert extract_text_from_messages(output) == (
        "assistant: I'll check the weather. {'type': 'function', 'id': 'toolu_01A09q90qw90lq917835lq9', "
        "'function': {'name': 'get_weather', 'arguments': {'location': 'San Francisco, CA'}}}"
    )
    error_429 = json.loads((REFERENCE / "openai_chat_error_429.json").read_text())["properties"]
    assert extract_event_io("$ai_generation", error_429) == ([{"role": "user", "content": "hi"}], "")
    embedding = json.loads((REFERENCE / "openai_embedding.json").read_text())["properties"]
    assert extract_event_io("$ai_embedding", embedding) == ("", "")


# -- robustness: any JSON an event can carry --------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["role", "content", "text", "tool_calls", "tool_call_id", "function", "name",
                         "arguments", "id", "type"]) | st.text(max_size=5), inner, max_size=5),
    max_leaves=30,
)


@given(props=st.dictionaries(st.sampled_from(["$ai_input", "$ai_input_state", "$ai_output_choices", "$ai_output",
                                              "$ai_output_state", "$ai_trace_id"]), json_values),
       event=st.sampled_from(["$ai_generation", "$ai_span", "$ai_trace"]))
def test_any_event_json_gives_text_never_an_exception(props: dict, event: str) -> None:
    input_raw, output_raw = extract_event_io(event, props)
    for raw in (input_raw, output_raw):
        assert isinstance(extract_text_from_messages(raw), str)
        assert len(preview(raw)) <= 200
        tagger_value = as_tagger_global(raw)
        if isinstance(raw, list | dict):
            assert json.loads(tagger_value) == raw
