"""The pytest plugin: registered by entry point, light to load, fixtures that explain a failure."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from sampler.tagging import generation

ROOT = Path(__file__).resolve().parent.parent
TOPICS = ROOT / "examples" / "taggers" / "topics.hog"
TOPIC_TAGS = ROOT / "examples" / "taggers" / "topics.tags.json"

KEYWORDS = """
let found := []
if (input ilike '%refund%') { found := arrayPushBack(found, 'billing'); print('billing: refund') }
if (input ilike '%crash%') { found := arrayPushBack(found, 'bug') }
if (input ilike '%boom%') { throw Error('boom') }
return found
"""


def test_installed_as_a_pytest11_entry_point() -> None:
    plugins = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert plugins.get("hog_tagger") == "hogtest.pytest_plugin"


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    """Every pytest session of an environment with hog-tagger loads the plugin: it must stay cheap."""
    probe = ("import sys, hogtest.pytest_plugin; "
             "print([m for m in ('duckdb', 'hogvm', 'hypothesis', 'watchfiles', 'sampler.store', 'pydantic') "
             "if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60,
                          check=True)
    assert done.stdout.strip() == "[]"


def test_the_readme_example_runs_in_a_repository_of_its_own(tmp_path: Path) -> None:
    """As a team would: no conftest, nothing but hog-tagger installed; plus one failing test to show
    what a failure reads like.
    """
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    (tmp_path / "fixtures" / "events").mkdir(parents=True)
    shutil.copy(ROOT / "fixtures" / "events" / "events.jsonl", tmp_path / "fixtures" / "events")
    (tmp_path / "examples" / "tests" / "test_failing.py").write_text(
        "from sampler.tagging import generation\n\n"
        "def test_wrong_expectation(hog_tagger):\n"
        "    topics = hog_tagger('../taggers/topics.hog', tags='../taggers/topics.tags.json')\n"
        "    topics.assert_tags(generation('My card was charged twice'), ['bug'])\n"
    )
    env = {**os.environ, "HOG_TAGGER_DB": str(tmp_path / "default.duckdb")}
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "examples/tests"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 failed, 5 passed" in done.stdout
    assert "AssertionError: examples/taggers/topics.hog" not in done.stdout  # names the path as given
    assert "../taggers/topics.hog: expected tags ['bug'], got ['billing']" in done.stdout
    assert "reasoning: billing: the user mentioned \"charged\"" in done.stdout
    assert "pytest_plugin.py" not in done.stdout  # the plugin's own frames are hidden


def test_assert_tags_explains_a_mismatch(hog_tagger) -> None:
    tagger = hog_tagger(source=KEYWORDS, tags=["billing", "bug"])
    tagger.assert_tags(generation("the app crashes"), ["bug"])
    with pytest.raises(AssertionError) as failure:
        tagger.assert_tags(generation("refund please", "Sure"), ["bug"])
    assert str(failure.value) == ("<source>: expected tags ['bug'], got ['billing']\n"
                                  "  input:     'user: refund please'\n"
                                  "  output:    'assistant: Sure'\n"
                                  "  reasoning: billing: refund")
    with pytest.raises(AssertionError, match=r"error:     Runtime error: Error\('boom'\)"):
        tagger.assert_tags(generation("boom"), [])


def test_assert_no_errors_lists_every_failing_event(hog_tagger) -> None:
    tagger = hog_tagger(source=KEYWORDS)
    events = [generation("boom", uuid="a"), generation("fine", uuid="b"), generation("boom boom", uuid="c")]
    with pytest.raises(AssertionError) as failure:
        tagger.assert_no_errors(events)
    assert str(failure.value) == ("<source> failed on 2 event(s):\n"
                                  "  event a: Runtime error: Error('boom') (line 5, column 29)\n"
                                  "  event c: Runtime error: Error('boom') (line 5, column 29)")


def test_loaded_events_are_found_by_uuid(hog_tagger, hog_load_events, hog_event_store, tmp_path: Path) -> None:
    dump = tmp_path / "events.jsonl"
    event = generation("refund", uuid="e-1")
    event["timestamp"] = "2026-11-27T12:00:00Z"
    dump.write_text(json.dumps(event) + "\n")
    loaded = hog_load_events(dump)
    assert [e.uuid for e in loaded] == ["e-1"] and hog_event_store.count() == 1
    tagger = hog_tagger(source=KEYWORDS)
    assert tagger.tags_for("e-1") == ["billing"]
    with pytest.raises(LookupError, match="no event with uuid e-2 was loaded"):
        tagger.run("e-2")


def test_assert_cases_reports_mismatching_lines(hog_tagger, tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join(json.dumps(c) for c in [
        {"properties": {"$ai_input": "refund"}, "tags": ["billing"]},
        {"properties": {"$ai_input": "refund, crash"}, "tags": ["billing"], "name": "both"},
    ]))
    tagger = hog_tagger(source=KEYWORDS, tags=["billing", "bug"])
    with pytest.raises(AssertionError) as failure:
        tagger.assert_cases(cases)
    assert str(failure.value) == ("<source>: 1 of 2 cases mismatch\n"
                                  "  line 2 (both): expected ['billing'], got ['billing', 'bug']")
    assert tagger.assert_cases(cases, min_f1=0.0).scores[0].f1 == 1.0  # tolerated
    with pytest.raises(AssertionError, match=r"F1 of bug is 0\.00 < 0\.5"):
        tagger.assert_cases(cases, min_f1=0.5)


def test_sample_events_cover_the_sdk_shapes(hog_sample_events) -> None:
    providers = {e.properties.get("$ai_provider") for e in hog_sample_events}
    assert {"openai", "anthropic", "gemini"} <= providers and len(hog_sample_events) > 100
    assert all(e.event == "$ai_generation" for e in hog_sample_events)


def test_hog_tagger_usage_errors(hog_tagger, tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"a file path or source=\.\.\., not both"):
        hog_tagger(TOPICS, source="return []")
    with pytest.raises(FileNotFoundError, match=r"nope\.hog: not found next to the test"):
        hog_tagger("nope.hog")
    bad_tags = tmp_path / "tags.json"
    bad_tags.write_text("{}")
    with pytest.raises(ValueError, match="expected a JSON list of tag names"):
        hog_tagger(TOPICS, tags=bad_tags)
    assert hog_tagger(TOPICS, tags=TOPIC_TAGS).tags[0] == "billing"
