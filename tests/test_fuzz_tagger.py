"""`sampler.strategies`, `sampler.fuzzing` and `hog-test fuzz`: realistic events, shrunk distinct failures."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from sampler.extract import as_tagger_global, extract_event_io
from sampler.fuzzing import failure_signature, fuzz_tagger, split_position
from sampler.store import EventStore
from sampler.strategies import SHAPES, ai_generation_events, generation_properties, mangled
from sampler.tagging import CompiledTagger, as_event, stored_events
from tests.cli_support import cli, use_private_default_db  # noqa: F401 - an autouse fixture

ROOT = Path(__file__).resolve().parent.parent
TOPICS = ROOT / "examples" / "taggers" / "topics.hog"
TOPIC_TAGS = ROOT / "examples" / "taggers" / "topics.tags.json"

# Fails in three distinct ways: wrong type for an error event, jsonParse of non-JSON, and `throw`.
FRAGILE = """
if (properties.$ai_is_error) {
    return {'error': true}
}
let messages := jsonParse(input)
if (length(output) > 3000) {
    throw Error('output too long')
}
return ['ok']
"""


def _draw_many(strategy: st.SearchStrategy, count: int) -> list:
    drawn: list = []

    @seed(20261127)  # distributions are asserted on: the same draws every run
    @settings(max_examples=count, database=None, deadline=None)
    @given(strategy)
    def collect(value) -> None:
        drawn.append(value)

    collect()
    return drawn


# -- strategies -----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_shape_gives_input_and_output_a_tagger_reads(shape: str) -> None:
    props = _draw_many(generation_properties(shape), 40)
    assert len(props) >= 20
    extracted = [extract_event_io("$ai_generation", p) for p in props]
    assert sum(1 for given, _ in extracted if given) >= len(props) // 3, f"{shape}: few events carry an input"
    with_output = sum(1 for _, answer in extracted if answer)
    if shape == "provider_error":  # a failed call answers nothing
        assert with_output == 0
    else:
        assert with_output >= len(props) // 3, f"{shape}: few events carry an output"


def test_shapes_follow_the_sdk() -> None:
    by_shape = {name: _draw_many(generation_properties(name), 30) for name in ("anthropic_tool_use", "openai_responses",
                                                                               "provider_error", "langchain")}
    blocks = [b for p in by_shape["anthropic_tool_use"] for c in p.get("$ai_output_choices", [])
              for b in c["content"]]
    assert any(b["type"] == "function" and isinstance(b["function"]["arguments"], dict) for b in blocks)
    assert any(b.get("type") == "reasoning" for p in by_shape["openai_responses"]
               for c in p.get("$ai_output_choices", []) for b in c["content"])
    assert any(p.get("$ai_is_error") is True and p.get("$ai_output_choices") == [] for p in by_shape["provider_error"])
    assert any(p.get("$ai_framework") == "langchain" for p in by_shape["langchain"])


_NUMBER_FIELDS = ("$ai_input_tokens", "$ai_output_tokens", "$ai_latency", "$ai_http_status", "$ai_is_error")


def test_events_are_damaged_as_real_traffic_is() -> None:
    events = _draw_many(ai_generation_events(), 300)
    props = [e["properties"] for e in events]
    assert any(None in p.values() for p in props), "null field"
    # The SDK's numbers and booleans sent as text (which one is Hypothesis's choice: it also mixes the
    # constants of loaded modules into its draws, so one field alone depends on what is imported).
    as_text = re.compile(r"-?\d+(\.\d+)?|true|false")
    assert any(isinstance(p.get(key), str) and as_text.fullmatch(p[key]) for p in props for key in _NUMBER_FIELDS), \
        "number as a string"
    assert any(len(json.dumps(p)) > 100_000 for p in props), "huge field"
    assert any(any(ord(c) > 0xFFFF for c in json.dumps(p, ensure_ascii=False)) for p in props), "astral unicode"
    assert any("$ai_output_choices" not in p and "$ai_input" in p for p in props), "missing field"


def test_unmangled_events_only_hold_the_shapes_fields() -> None:
    for props in _draw_many(generation_properties("gemini"), 30):
        assert props.get("$ai_provider", "gemini") == "gemini"
        assert not isinstance(props.get("$ai_input_tokens", 0), str)


def test_generated_events_load_into_a_store_unchanged(tmp_path: Path) -> None:
    """The strategies' events are valid dumps, and a tagger sees the same properties whether fuzz
    hands it an event directly or `test_hog` reads it back from a store.
    """
    events = {e["uuid"]: e for e in _draw_many(ai_generation_events(), 150)}
    dump = tmp_path / "generated.jsonl"
    dump.write_text("".join(json.dumps(e) + "\n" for e in events.values()))
    with EventStore.temporary() as store:
        report = store.load([dump])
        stored = {e.uuid: e for e in stored_events(store)}
    assert report.rows == report.added == len(events) == len(stored)
    for uuid, event in events.items():
        assert stored[uuid].properties == as_event(event).properties


def test_unknown_shape_is_named() -> None:
    with pytest.raises(ValueError, match="unknown event shapes \\['openai'\\]"):
        generation_properties("openai")


def test_mangled_accepts_any_properties_strategy() -> None:
    drawn = _draw_many(mangled(st.just({"$ai_input": [{"role": "user", "content": "hi"}]}), max_damage=3), 60)
    assert any(d != {"$ai_input": [{"role": "user", "content": "hi"}]} for d in drawn)


# -- the engine ----------------------------------------------------------------------------------


def test_distinct_failures_are_each_shrunk_to_a_minimal_event() -> None:
    tagger = CompiledTagger.from_source(FRAGILE, tags=["ok"])
    report = fuzz_tagger(tagger, examples=300, seed=7)
    kinds = {f.kind: f for f in report.failures}
    assert set(kinds) == {"wrong return type", "runtime error"}
    messages = sorted(f.error for f in report.failures)
    assert any("jsonParse" in m for m in messages) and any("output too long" in m for m in messages)

    wrong = kinds["wrong return type"]
    assert wrong.error == "Must return a list of tag names, got dict: {'error': True}"
    assert wrong.event["properties"] == {"$ai_is_error": True}  # nothing else is needed to fail
    too_long = next(f for f in report.failures if "output too long" in f.error)
    # Shrunk: an input that parses and an output just over the length that fails, nothing else.
    props = too_long.event["properties"]
    assert set(props) <= {"$ai_input", "$ai_input_state", "$ai_output_choices", "$ai_output", "$ai_output_state"}
    output = as_tagger_global(extract_event_io("$ai_generation", props)[1])
    assert 3000 < len(output) < 3100
    # Each minimal event still fails as reported when run again.
    for failure in report.failures:
        assert tagger.run(failure.event)["error"] == failure.error


def test_same_seed_same_report() -> None:
    tagger = CompiledTagger.from_source(FRAGILE, tags=["ok"])
    first = fuzz_tagger(tagger, examples=120, seed=11)
    second = fuzz_tagger(tagger, examples=120, seed=11)
    assert first.failures == second.failures and first.tried == second.tried


def test_a_robust_tagger_has_no_failures() -> None:
    report = fuzz_tagger(CompiledTagger.from_source("return ['x']"), examples=50, seed=1)
    assert report.failures == [] and report.tried >= 50


def test_timeouts_and_memory_are_one_failure_each() -> None:
    tagger = CompiledTagger.from_source(
        "if (length(output) > 200) { while (true) {} }\n"
        "if (length(input) > 200) { let r := range(100000000) }\n"
        "return []"
    )
    report = fuzz_tagger(tagger, examples=100, seed=5, timeout=0.05)
    assert sorted(f.kind for f in report.failures) == ["memory", "timeout"]
    # Each names where the limit struck; that place is not part of what makes the failure distinct.
    assert {split_position(f.error)[0] for f in report.failures} == {"Execution timed out (0.05s limit exceeded)",
                                                                      "Memory limit exceeded"}
    assert {split_position(f.error)[1].split(",")[0] for f in report.failures} == {"line 1", "line 2"}


def test_failure_signature_blanks_values() -> None:
    assert failure_signature("Runtime error: jsonParse: invalid JSON at line 1 column 1: Expecting value") == \
        failure_signature("Runtime error: jsonParse: expected a JSON string to be a str, got bool")
    assert failure_signature("Runtime error: Error('a')") != failure_signature("Runtime error: Error('b')")
    assert failure_signature("Runtime error: index 3 out of range") == failure_signature("Runtime error: index 12 out of range")
    assert failure_signature("Must return a list of tag names, got int: 5") == ("wrong return type",
                                                                                "Must return a list of tag names, got int", "")
    assert failure_signature("Execution timed out (5s limit exceeded)") == ("timeout", "", "")


def test_failure_signature_groups_by_message_and_position() -> None:
    at = "Runtime error: jsonParse: invalid JSON at line 1 column 7: Expecting ',' delimiter (line 3, column 10)"
    assert failure_signature(at) == ("runtime error", "Runtime error: jsonParse", "line 3, column 10")
    # The same builtin failing at another call is another failure; at the same call, one.
    assert failure_signature(at) != failure_signature(at.replace("line 3,", "line 4,"))
    assert failure_signature(at) == failure_signature(
        "Runtime error: jsonParse: expected a JSON string to be a str, got bool (line 3, column 10)")
    # One `throw` site is one failure, whatever the event put in its message; two sites are two.
    thrown = "Runtime error: Error('bad 3') (line 2, column 12, in function f)"
    assert failure_signature(thrown) == failure_signature("Runtime error: Error('bad x') (line 2, column 12, in function f)")
    assert failure_signature(thrown) != failure_signature("Runtime error: Error('bad 3') (line 5, column 1, in function g)")
    assert failure_signature(thrown) != failure_signature("Runtime error: TypeError('bad 3') (line 2, column 12, in function f)")
    # The position's numbers are not blanked as values are; a lambda's position is a position too.
    assert failure_signature("Runtime error: index 3 out of range (line 1, column 2, in a lambda)") == \
        ("runtime error", "Runtime error: index N out of range", "line 1, column 2, in a lambda")
    # Where a limit struck does not make another failure.
    assert failure_signature("Execution timed out (0.5s limit exceeded) (line 5, column 26)") == \
        failure_signature("Execution timed out (0.5s limit exceeded) (line 6, column 3)") == ("timeout", "", "")
    assert failure_signature("Memory limit exceeded (line 6, column 60)") == ("memory", "", "")


def test_fuzz_failures_carry_the_position_that_failed() -> None:
    tagger = CompiledTagger.from_source("let data := jsonParse(input)\nreturn []", tags=["ok"])
    report = fuzz_tagger(tagger, examples=100, seed=3)
    assert len(report.failures) == 1
    assert report.failures[0].error.startswith("Runtime error: jsonParse: ")
    assert report.failures[0].error.endswith(" (line 1, column 13)")


# -- the command ---------------------------------------------------------------------------------


def test_fuzz_reports_failures_with_minimal_events_and_exits_1(capsys, tmp_path: Path) -> None:
    tagger = tmp_path / "fragile.hog"
    tagger.write_text(FRAGILE)
    saved = tmp_path / "failures.jsonl"
    code, out, err = cli(capsys, "fuzz", str(tagger), "--tags", "ok", "--seed", "7", "--examples", "300",
                         "--timeout", "4", "--save", str(saved))
    assert code == 1, err
    # FRAGILE's three ways to fail, at least (which others a seed meets is Hypothesis's choice).
    found = re.fullmatch(rf"fuzz {re.escape(str(tagger))}: \d+ events tried \(seed 7\): (\d+) distinct failures",
                         out.splitlines()[0])
    assert found and int(found.group(1)) >= 3, out.splitlines()[0]
    assert "wrong return type: Must return a list of tag names, got dict: {'error': True}" in out
    # Runtime errors say where the tagger failed.
    assert "runtime error: Runtime error: Error('output too long') (line 7, column 5)" in out
    assert re.search(r"runtime error: Runtime error: jsonParse: .* \(line 5, column 17\)\n", out)
    assert '"$ai_is_error": true' in out and "minimal event:" in out
    assert f"replay: hog-test fuzz {tagger} --tags ok --timeout 4 --examples 300 --seed 7" in out
    # The saved events are a dump `run --events` loads; each still fails there.
    code, body, _ = cli(capsys, "run", str(tagger), "--events", str(saved), "--now", "2026-11-27T13:00:00Z",
                        "--tags", "ok", "--json")
    results = json.loads(body)["results"]
    assert len(results) == int(found.group(1)) and all(r["error"] for r in results)


def test_fuzz_json_report(capsys, tmp_path: Path) -> None:
    tagger = tmp_path / "fragile.hog"
    tagger.write_text(FRAGILE)
    code, out, _ = cli(capsys, "fuzz", str(tagger), "--seed", "7", "--examples", "300", "--json")
    body = json.loads(out)
    assert code == 1 and body["seed"] == 7 and len(body["failures"]) >= 3
    assert {f["kind"] for f in body["failures"]} == {"wrong return type", "runtime error"}


def test_fuzz_a_robust_tagger_exits_0(capsys) -> None:
    code, out, err = cli(capsys, "fuzz", str(TOPICS), "--tags-file", str(TOPIC_TAGS), "--examples", "60",
                         "--seed", "1", "--shapes", "openai_chat,anthropic_tool_use,gemini")
    assert code == 0, err
    assert out == f"fuzz {TOPICS}: {out.split(': ')[1].split(' (')[0]} (seed 1): no failure\n"


@pytest.mark.parametrize(("args", "message"), [
    (["--examples", "0"], "--examples: must be at least 1, got 0"),
    (["--examples", "many"], "--examples: not a whole number: 'many'"),
    (["--seed", "-1"], "--seed: must be at least 0"),
    (["--timeout", "0"], "--timeout: must be a positive number of seconds"),
    (["--shapes", "openai"], "--shapes: unknown shape openai; known: openai_chat, "),
    (["--tags-file", "nope.json"], "nope.json: no such file"),
])
def test_fuzz_bad_usage_is_one_line(capsys, args: list[str], message: str) -> None:
    code, _, err = cli(capsys, "fuzz", str(TOPICS), *args)
    assert code == 2 and message in err and err.count("\n") == 1


@pytest.mark.parametrize("command", ["fuzz", "check", "diff"])
def test_warnings_are_printed_and_strict_makes_them_errors(capsys, tmp_path: Path, command: str) -> None:
    """fuzz, check and diff compile a tagger as `run` does: warnings on stderr, --strict refuses."""
    tagger = tmp_path / "mistake.hog"
    tagger.write_text("let found := []\nfound == ['billing']\nreturn found\n")  # a comparison meant as `:=`
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"properties": {"$ai_input": "refund"}, "tags": []}\n')
    events = ROOT / "fixtures" / "events" / "events.jsonl"
    args = {"fuzz": [str(tagger), "--examples", "5", "--seed", "1"],
            "check": [str(tagger), "--cases", str(cases)],
            "diff": [str(tagger), str(tagger), "--events", str(events)]}[command]
    warning = f"{tagger}:2:1: warning: The result of this comparison is not used; to assign, write `name := value`\n"
    code, _, err = cli(capsys, command, *args)
    assert code == 0 and err.startswith(warning), err
    code, out, err = cli(capsys, command, *args, "--strict")
    assert code == 1 and out == ""
    assert err == warning + f"hog-test: error: {tagger}: 1 warning, which --strict makes errors\n"


def test_fuzz_compile_error_and_missing_file(capsys, tmp_path: Path) -> None:
    broken = tmp_path / "broken.hog"
    broken.write_text("return [1,\n")
    code, _, err = cli(capsys, "fuzz", str(broken))
    # As `run` reports it: FILE:LINE:COLUMN, then the source line and a caret.
    assert code == 1 and err.startswith(f"hog-test: error: {broken}:1:11: ") and err.endswith("\n  return [1,\n            ^\n")
    code, _, err = cli(capsys, "fuzz", str(tmp_path / "none.hog"))
    assert code == 2 and "none.hog: no such tagger file" in err


def test_fuzz_without_hypothesis_says_how_to_install(capsys, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "hypothesis", None)  # import hypothesis now raises ImportError
    code, _, err = cli(capsys, "fuzz", str(TOPICS))
    assert code == 1
    assert err == ("hog-test: error: hog-test fuzz needs Hypothesis, which is not installed: "
                   "pip install 'hog-tagger[authors]'\n")


def test_fuzz_as_a_real_process(tmp_path: Path) -> None:
    tagger = tmp_path / "fragile.hog"
    tagger.write_text(FRAGILE)
    env = {**os.environ, "HOG_TAGGER_DB": str(tmp_path / "proc.duckdb")}
    done = subprocess.run([sys.executable, "-m", "hogtest", "fuzz", str(tagger), "--seed", "7", "--examples", "200",
                           "--json"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, check=False)
    assert done.returncode == 1, done.stderr
    assert len(json.loads(done.stdout)["failures"]) >= 2
