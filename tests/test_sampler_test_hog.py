"""`test_hog` end to end (real compiler, real VM, real DuckDB store): the endpoint's body key for
key, its validation, and every way a tagger can fail."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from sampler.api import NO_EVENTS_MESSAGE, handle_test_hog_request, test_hog
from sampler.extract import extract_event_io, extract_text_from_messages
from sampler.runner import run_hog_tagger
from sampler.store import EventStore

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "fixtures" / "events" / "events.jsonl"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # fixtures/events/generate.py's ANCHOR


@pytest.fixture(scope="module")
def store():
    with EventStore() as s:
        s.load([EVENTS])
        yield s


@pytest.fixture(scope="module")
def generations() -> list[dict]:
    """The fixture's $ai_generation rows of the last 7 days before NOW, newest first (by hand)."""
    rows = [json.loads(line) for line in EVENTS.read_text(encoding="utf-8").splitlines()]
    recent = []
    for row in rows:
        stamp = datetime.fromisoformat(row["timestamp"])
        if row["event"] == "$ai_generation" and (NOW - stamp).total_seconds() < 7 * 86400:
            props = row["properties"]
            recent.append({**row, "properties": json.loads(props) if isinstance(props, str) else props, "ts": stamp})
    recent.sort(key=lambda r: (-r["ts"].timestamp(), r["uuid"]))
    return recent


def run(store: EventStore, source: str, **options) -> dict:
    return test_hog(source, store=store, now=NOW, **options).model_dump()


def test_body_is_the_endpoints_key_for_key(store: EventStore, generations: list[dict]) -> None:
    body = run(store, "print('saw', event.event); return ['billing', 'nope']", tags=[{"name": "billing"}])
    assert list(body) == ["results"]
    assert len(body["results"]) == 5
    for result, row in zip(body["results"], generations, strict=False):
        input_raw, output_raw = extract_event_io("$ai_generation", row["properties"])
        assert result == {
            "event_uuid": row["uuid"],
            "trace_id": row["properties"].get("$ai_trace_id"),
            "input_preview": extract_text_from_messages(input_raw)[:200],
            "output_preview": extract_text_from_messages(output_raw)[:200],
            "tags": ["billing"],
            "reasoning": "saw $ai_generation",
            "error": None,
        }


def test_sample_count_and_event_without_trace(store: EventStore, generations: list[dict]) -> None:
    body = run(store, "return []", sample_count=10)
    assert [r["event_uuid"] for r in body["results"]] == [g["uuid"] for g in generations[:10]]
    untraced = [r for r in body["results"] if r["trace_id"] is None]
    assert untraced, "the fixture has a generation without $ai_trace_id among the newest"


def test_globals_the_tagger_sees(store: EventStore, generations: list[dict]) -> None:
    source = """
        print(input)
        print(output)
        print(event.uuid, event.distinct_id, event.event)
        print(properties.$ai_model)
        return tags
    """
    body = run(store, source, sample_count=1, tags=["zeta", "alpha"])
    row = generations[0]
    input_raw, output_raw = extract_event_io("$ai_generation", row["properties"])
    [result] = body["results"]
    assert result["reasoning"].split("\n") == [
        json.dumps(input_raw),
        json.dumps(output_raw),
        f"{row['uuid']} {row['distinct_id']} $ai_generation",
        row["properties"]["$ai_model"],
    ]
    assert result["tags"] == ["alpha", "zeta"]  # `tags` global is sorted


@pytest.mark.parametrize(("returned", "tags", "expected"), [
    ("['a', 'b', 'c']", [], ["a", "b", "c"]),  # no configured tags: no filtering
    ("['a', 'b', 'c']", ["c", "a"], ["a", "c"]),  # order of the returned list is kept
    ("'b'", ["b"], ["b"]),  # a string is one tag
    ("'b'", ["a"], []),
    ("null", ["a"], []),
    ("[1, true, null, 2.5, 'x']", [], ["1", "True", "None", "2.5", "x"]),  # str() of each item
    ("[1, 'True']", ["True", "1"], ["1", "True"]),
])
def test_return_values_become_tags(store: EventStore, returned: str, tags: list, expected: list) -> None:
    [result] = run(store, f"return {returned}", sample_count=1, tags=tags)["results"]
    assert (result["tags"], result["error"]) == (expected, None)


@pytest.mark.parametrize(("returned", "error"), [
    ("42", "Must return a list of tag names, got int: 42"),
    ("1.5", "Must return a list of tag names, got float: 1.5"),
    ("true", "Must return a list of tag names, got bool: True"),
    ("{'a': 1}", "Must return a list of tag names, got dict: {'a': 1}"),
    ("(1, 'x')", "Must return a list of tag names, got tuple: (1, 'x')"),
])
def test_other_return_values_are_an_error(store: EventStore, returned: str, error: str) -> None:
    [result] = run(store, f"print('kept'); return {returned}", sample_count=1)["results"]
    assert result == {**result, "tags": [], "reasoning": "kept", "error": error}


@pytest.mark.parametrize(("source", "error"), [
    ("throw Error('boom')", "Runtime error: Error('boom')"),
    ("throw Error('it\\'s bad')", "Runtime error: Error('it\\'s bad')"),
    ("let a := 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'; while (true) { a := concat(a, a) }",
     "Memory limit exceeded"),
    ("fun f(n) { return f(n + 1) } return f(1)", "Runtime error: Maximum call depth"),
    ("return jsonParse('{bad')", "Runtime error: jsonParse: invalid JSON"),
])
def test_runtime_failures(store: EventStore, source: str, error: str) -> None:
    [result] = run(store, f"print('lost'); {source}", sample_count=1)["results"]
    assert result["error"].startswith(error)
    assert "\n" not in result["error"]
    assert (result["tags"], result["reasoning"]) == ([], "")


def test_timeout(store: EventStore) -> None:
    [result] = run(store, "let i := 0\nwhile (true) { }", sample_count=1)["results"]
    assert result["error"] == "Execution timed out (5s limit exceeded) (line 2, column 1)"


@pytest.mark.parametrize(("source", "error"), [
    ("let x := null\nfn pick(v) {\n  return v()\n}\nreturn pick(x)",
     "Runtime error: Invalid closure: null is not a function (line 3, column 10, in function pick)"),
    ("return arrayMap(\n  t -> t.a + 1,\n  [{'a': 'text'}])",
     'Runtime error: can only concatenate str (not "int") to str (line 2, column 8, in a lambda)'),
    ("let n := 1\nreturn missing.field", "Runtime error: Global variable not found: missing (line 2, column 8)"),
    ("if (length(input) >= 0) {\n  throw Error('no')\n}", "Runtime error: Error('no') (line 2, column 3)"),
])
def test_runtime_errors_keep_posthogs_prefix_and_end_with_the_position(store: EventStore, source: str,
                                                                        error: str) -> None:
    [result] = run(store, source, sample_count=1)["results"]
    assert result["error"] == error


def test_results_say_which_returned_names_were_dropped(store: EventStore) -> None:
    response = test_hog("return ['billing', 'error', 'billing', 'nope']", tags=["billing"], store=store, now=NOW,
                        sample_count=1)
    [result] = response.results or []
    assert result.tags == ["billing", "billing"]
    assert result.dropped_tags == ["error", "nope"]
    assert "dropped_tags" not in result.model_dump()  # the endpoint's body is unchanged


def test_each_result_is_reported_as_soon_as_it_is_done(store: EventStore) -> None:
    seen: list[str] = []
    response = test_hog("print(event.uuid); return []", store=store, now=NOW, sample_count=3,
                        on_result=lambda result: seen.append(result.reasoning))
    assert seen == [result.reasoning for result in response.results or []] and len(seen) == 3


def test_a_failure_keeps_the_error_with_its_source(store: EventStore) -> None:
    response = test_hog("let a := 1\nreturn a()", store=store, now=NOW, sample_count=1)
    [result] = response.results or []
    assert result.failure is not None and result.failure.snippet() == "  return a()\n         ^"


def test_compile_error(store: EventStore) -> None:
    response = test_hog("let x := \nreturn [", store=store, now=NOW)
    assert response.status_code == 400
    body = response.model_dump()
    assert list(body) == ["error"]
    assert body["error"].startswith("Compilation error: ")
    assert "line 2" in body["error"]


def test_no_recent_events(store: EventStore) -> None:
    body = test_hog("return []", store=store, now=datetime(2030, 1, 1, tzinfo=UTC)).model_dump()
    assert body == {"results": [], "message": NO_EVENTS_MESSAGE}


@pytest.mark.parametrize("options", [
    {"sample_count": 0}, {"sample_count": 11}, {"tags": [{"description": "nameless"}]}, {"tags": [{"name": " "}]},
])
def test_invalid_requests_raise(store: EventStore, options: dict) -> None:
    with pytest.raises(ValidationError):
        test_hog("return []", store=store, now=NOW, **options)
    with pytest.raises(ValidationError):
        test_hog("   ", store=store, now=NOW)


def test_handle_request_gives_status_and_body(store: EventStore) -> None:
    assert handle_test_hog_request({"sample_count": 3}, store=store, now=NOW) == (
        400, {"error": {"source": ["This field is required."]}})
    status, body = handle_test_hog_request({"source": "return [", "tags": []}, store=store, now=NOW)
    assert status == 400 and body["error"].startswith("Compilation error: ")
    assert handle_test_hog_request(["not", "an", "object"], store=store, now=NOW)[0] == 400
    status, body = handle_test_hog_request({"source": "return ['x']", "sample_count": "2"}, store=store, now=NOW)
    assert status == 200 and [r["tags"] for r in body["results"]] == [["x"], ["x"]]


def test_a_result_says_where_posthog_would_tag_differently(store: EventStore) -> None:
    # An extra key, present only then: PostHog's clients ignore it, and the body is otherwise the
    # endpoint's own.
    source = """
        let words := splitByString(' ', 'a b')
        return [f'n{arrayCount(t -> arrayExists(w -> position(t, w) > 0, words), ['xa', 'xb', 'zz'])}']
    """
    body = run(store, source, sample_count=1)
    [result] = body["results"]
    assert result["tags"] == ["n2"]
    [message] = result["posthog_divergences"]
    assert "tags differently in PostHog, where it returns ['n3'] (here ['n2'])" in message
    assert set(result) - {"posthog_divergences"} == {"event_uuid", "trace_id", "input_preview", "output_preview",
                                                      "tags", "reasoning", "error"}
    assert "posthog_divergences" not in run(store, "return ['a']", sample_count=1)["results"][0]


def test_run_hog_tagger_directly() -> None:
    from hogvm import compile_hog

    bytecode = compile_hog("print(input); return [output, 'keep']")
    event = {"uuid": "u1", "event": "$ai_span", "distinct_id": "d",
             "properties": json.dumps({"$ai_input_state": {"q": "hi"}, "$ai_output_state": "drop"})}
    assert run_hog_tagger(bytecode, event, {"keep"}) == {"tags": ["keep"], "reasoning": '{"q": "hi"}', "error": None,
                                                           "posthog_divergences": []}
    assert run_hog_tagger(["_H", 1, 999], event, set())["error"].startswith("Runtime error: ")
    assert run_hog_tagger(bytecode, {"event": "$ai_span"}, set())["error"] == "Invalid event: KeyError: 'properties'"


def test_eight_threads_share_one_store(store: EventStore) -> None:
    sources = {n: f"print({n}); return [toString({n}), event.distinct_id]" for n in range(8)}
    expected = {n: run(store, src, sample_count=10) for n, src in sources.items()}
    got: dict[int, list[dict]] = {}
    failures: list[BaseException] = []
    start = threading.Barrier(8)

    def work(n: int) -> None:
        try:
            start.wait()
            got[n] = [run(store, sources[n], sample_count=10) for _ in range(3)]
        except BaseException as exc:  # re-raised below, in the main thread
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in sources]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    for n, bodies in got.items():
        assert all(body == expected[n] for body in bodies)
        assert all(r["reasoning"] == str(n) and r["tags"][0] == str(n) for r in expected[n]["results"])


def test_event_too_deep_to_decode_is_reported_not_crashed_on(tmp_path: Path) -> None:
    deep = "[" * 50_000 + "]" * 50_000
    dump = tmp_path / "deep.jsonl"
    dump.write_text('{"uuid": "deep", "event": "$ai_generation", "timestamp": "2026-11-27T11:00:00Z", '
                    f'"properties": {{"$ai_input": {deep}}}}}\n')
    with EventStore() as store:
        store.load([dump])
        body = test_hog("return ['x']", store=store, now=NOW).model_dump()
    assert body == {"results": [{"event_uuid": "deep", "trace_id": None, "input_preview": "", "output_preview": "",
                                 "tags": [], "reasoning": "",
                                 "error": "Event properties are nested too deeply to decode"}]}


def test_any_event_properties_run_without_error() -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    from hogvm import compile_hog

    bytecode = compile_hog("print(input, output, length(keys(properties))); return [output, event.distinct_id]")
    values = st.recursive(
        st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=10),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
        max_leaves=15,
    )

    @given(props=st.dictionaries(st.sampled_from(["$ai_input", "$ai_output_choices", "$ai_output", "x"]), values),
           distinct_id=st.text(max_size=5))
    def check(props: dict, distinct_id: str) -> None:
        event = {"uuid": "u", "event": "$ai_generation", "distinct_id": distinct_id, "properties": props}
        outcome = run_hog_tagger(bytecode, event, set())
        assert outcome["error"] is None, outcome
        assert outcome["tags"][-1] == distinct_id
        assert outcome["reasoning"].endswith(str(len(props)))

    check()
