"""`hog-test check` and `sampler.cases`: labelled events, per-tag scores, mismatches, bad case files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sampler.cases import CaseFileError, TagScore, check_cases, read_cases
from sampler.tagging import CompiledTagger
from tests.cli_support import cli, use_private_default_db  # noqa: F401 - an autouse fixture

ROOT = Path(__file__).resolve().parent.parent
TOPICS = ROOT / "examples" / "taggers" / "topics.hog"
TOPIC_TAGS = ROOT / "examples" / "taggers" / "topics.tags.json"
TOPIC_CASES = ROOT / "examples" / "cases" / "topics.cases.jsonl"
EVENTS = ROOT / "fixtures" / "events" / "events.jsonl"

# Tags by keyword, printing why: 'refund' -> billing, 'crash' -> bug; throws on 'boom'.
KEYWORDS = """
let found := []
if (input ilike '%refund%') { found := arrayPushBack(found, 'billing'); print('billing: refund') }
if (input ilike '%crash%') { found := arrayPushBack(found, 'bug'); print('bug: crash') }
if (input ilike '%boom%') { throw Error('boom') }
return found
"""


def _case(text: str, tags: list[str], **extra: object) -> str:
    return json.dumps({"properties": {"$ai_input": [{"role": "user", "content": text}]}, "tags": tags, **extra})


@pytest.fixture
def keywords(tmp_path: Path) -> Path:
    path = tmp_path / "keywords.hog"
    path.write_text(KEYWORDS)
    return path


def _cases(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


MIXED = (
    _case("I want a refund", ["billing"]),
    _case("refund after the crash", ["billing", "bug"]),
    _case("the app crashes", ["bug"]),
    _case("refund please, it is a billing question", ["billing"], name="plain refund"),
    _case("my invoice is wrong", ["billing"], name="invoice"),  # missed: no 'refund'
    _case("no refund, it crashed", ["bug"], name="crash only"),  # extra billing
)


# -- scores ---------------------------------------------------------------------------------------


def test_scores_count_each_tag_decision(keywords: Path, tmp_path: Path) -> None:
    tagger = CompiledTagger.from_source(KEYWORDS, tags=["billing", "bug"])
    report = check_cases(tagger, read_cases(_cases(tmp_path, *MIXED)))
    billing, bug = report.scores
    assert (billing.tp, billing.fp, billing.fn, billing.tn) == (3, 1, 1, 1)
    assert (billing.precision, billing.recall, billing.f1) == (0.75, 0.75, 0.75)
    assert (bug.tp, bug.fp, bug.fn, bug.tn) == (3, 0, 0, 3) and bug.f1 == 1.0
    assert [r.case.name for r in report.mismatches] == ["invoice", "crash only"]
    assert report.confusions() == [("billing", None, 1), (None, "billing", 1)]
    assert report.micro.f1 == pytest.approx(2 * 6 / (2 * 6 + 1 + 1))
    assert report.macro_f1 == pytest.approx((0.75 + 1.0) / 2)


def test_tag_score_edges() -> None:
    assert TagScore("x", 0, 0, 0, 5).f1 is None  # never expected nor returned: no score, not zero
    assert TagScore("x", 0, 2, 0, 5).recall is None and TagScore("x", 0, 2, 0, 5).f1 == 0.0
    assert TagScore("x", 0, 0, 3, 5).precision is None and TagScore("x", 0, 0, 3, 5).f1 == 0.0


def test_confusion_pairs_a_missed_tag_with_what_came_instead(tmp_path: Path) -> None:
    tagger = CompiledTagger.from_source(KEYWORDS, tags=["billing", "bug"])
    report = check_cases(tagger, read_cases(_cases(tmp_path, _case("refund", ["bug"]), _case("refund", ["bug"]))))
    assert report.confusions() == [("bug", "billing", 2)]


# -- the command ----------------------------------------------------------------------------------


def test_check_the_shipped_example_passes(capsys) -> None:
    code, out, err = cli(capsys, "check", str(TOPICS), "--cases", str(TOPIC_CASES), "--tags-file", str(TOPIC_TAGS))
    assert code == 0, out + err
    assert out.startswith(f"check {TOPICS} on 7 cases from {TOPIC_CASES}: 7 pass, 0 mismatch, 0 errors\n")
    assert out.endswith("ok: every case got the expected tags\n")


def test_check_reports_scores_confusions_and_every_mismatch(capsys, keywords: Path, tmp_path: Path) -> None:
    cases = _cases(tmp_path, *MIXED)
    code, out, _ = cli(capsys, "check", str(keywords), "--cases", str(cases), "--tags", "billing,bug")
    assert code == 1
    assert "6 cases from" in out and ": 4 pass, 2 mismatch, 0 errors" in out
    assert "  billing        0.75    0.75  0.75      3     1     1        4" in out
    assert "  missed billing: 1 case" in out and "  extra billing: 1 case" in out
    assert "line 5  invoice  event case-5\n  expected   billing\n  got        (none)\n  input      user: my invoice" in out
    assert "line 6  crash only" in out and "  reasoning  billing: refund\n             bug: crash" in out
    assert out.endswith("FAILED: 2 cases did not get the expected tags\n")


def test_min_f1_tolerates_some_mismatches(capsys, keywords: Path, tmp_path: Path) -> None:
    cases = _cases(tmp_path, *MIXED)
    code, out, _ = cli(capsys, "check", str(keywords), "--cases", str(cases), "--tags", "billing,bug", "--min-f1", "0.7")
    assert code == 0 and out.endswith("ok: every tag's F1 is at least 0.7\n")
    code, out, _ = cli(capsys, "check", str(keywords), "--cases", str(cases), "--tags", "billing,bug", "--min-f1", "0.8")
    assert code == 1 and out.endswith("FAILED: F1 below 0.8 for billing 0.75\n")


def test_a_tagger_error_always_fails(capsys, keywords: Path, tmp_path: Path) -> None:
    cases = _cases(tmp_path, _case("boom", []), _case("refund", ["billing"]))
    code, out, _ = cli(capsys, "check", str(keywords), "--cases", str(cases), "--min-f1", "0")
    assert code == 1
    # The error says where the tagger failed, as `run` does.
    assert "  error      Runtime error: Error('boom') (line 5, column 29)\n" in out
    assert out.endswith("FAILED: the tagger failed on 1 case\n")


def test_check_json(capsys, keywords: Path, tmp_path: Path) -> None:
    cases = _cases(tmp_path, *MIXED)
    code, out, _ = cli(capsys, "check", str(keywords), "--cases", str(cases), "--tags", "billing,bug", "--json")
    body = json.loads(out)
    assert code == 1 and body["passed"] is False and body["cases"] == 6
    assert body["tags"][0] == {"tag": "billing", "precision": 0.75, "recall": 0.75, "f1": 0.75,
                               "tp": 3, "fp": 1, "fn": 1, "tn": 1, "support": 4}
    invoice = body["mismatches"][0]
    assert (invoice["line"], invoice["expected"], invoice["got"]) == (5, ["billing"], [])
    assert invoice["properties"]["$ai_input"][0]["content"] == "my invoice is wrong"


# Tags billing on 'refund', through a call PostHog's Python VM does not have.
NOT_IN_POSTHOG = "return (tryBase64Decode('aGk=') == 'hi' and input ilike '%refund%') ? ['billing'] : []"


def test_check_shows_where_posthog_would_answer_differently(capsys, tmp_path: Path) -> None:
    tagger = tmp_path / "b64.hog"
    tagger.write_text(NOT_IN_POSTHOG)
    cases = _cases(tmp_path, _case("I want a refund", ["billing"]), _case("hello", ["billing"], name="missed"))
    code, out, _ = cli(capsys, "check", str(tagger), "--cases", str(cases), "--tags", "billing")
    assert code == 1  # the mismatch; the divergence alone does not fail the check
    finding = "PostHog's Python VM has no tryBase64Decode (only its TypeScript VM does)"
    # The mismatch block carries its posthog line; the passing case is listed in its own section.
    mismatch = out.split("mismatches:\n", 1)[1].split("\n\n", 1)[0]
    assert mismatch.startswith("line 2  missed  event case-2\n") and f"\n  posthog    {finding}" in mismatch
    section = out.split("PostHog would answer these cases differently:\n", 1)[1]
    assert section.startswith(f"line 1  event case-1\n  posthog    {finding}")

    code, out, _ = cli(capsys, "check", str(tagger), "--cases", str(cases), "--tags", "billing", "--json")
    body = json.loads(out)
    assert [case["line"] for case in body["posthog_divergences"]] == [1, 2]
    assert body["posthog_divergences"][0]["posthog_divergences"][0].startswith(finding)
    assert body["mismatches"][0]["posthog_divergences"] == body["posthog_divergences"][1]["posthog_divergences"]


def test_check_without_divergences_has_no_posthog_section(capsys, keywords: Path, tmp_path: Path) -> None:
    cases = _cases(tmp_path, *MIXED)
    code, out, _ = cli(capsys, "check", str(keywords), "--cases", str(cases), "--tags", "billing,bug", "--json")
    body = json.loads(out)
    assert code == 1 and body["posthog_divergences"] == []
    assert all("posthog_divergences" not in m for m in body["mismatches"])
    code, out, _ = cli(capsys, "check", str(keywords), "--cases", str(cases), "--tags", "billing,bug")
    assert code == 1 and "posthog" not in out.lower()


def test_uuid_cases_come_from_a_database(capsys, keywords: Path, tmp_path: Path) -> None:
    db = tmp_path / "events.duckdb"
    assert cli(capsys, "load", str(EVENTS), "--db", str(db))[0] == 0
    refund_uuid = "d2d7e6b5-0a43-4a4b-9d8d-000000000000"
    dump = tmp_path / "one.jsonl"
    dump.write_text(json.dumps({"uuid": refund_uuid, "event": "$ai_generation", "timestamp": "2026-11-01T00:00:00Z",
                                "properties": {"$ai_input": "refund me"}}) + "\n")
    assert cli(capsys, "load", str(dump), "--db", str(db))[0] == 0
    cases = _cases(tmp_path, json.dumps({"uuid": refund_uuid, "tags": ["billing"]}))
    code, out, err = cli(capsys, "check", str(keywords), "--cases", str(cases), "--db", str(db))
    assert code == 0, out + err
    missing = _cases(tmp_path, json.dumps({"uuid": "nope", "tags": []}))
    code, _, err = cli(capsys, "check", str(keywords), "--cases", str(missing), "--db", str(db))
    assert code == 1 and err == f"hog-test: error: {missing}: line 1: no event with uuid nope in {db}\n"
    code, _, err = cli(capsys, "check", str(keywords), "--cases", str(missing), "--db", str(tmp_path / "none.duckdb"))
    assert code == 1 and ": no such file (create one with" in err


@pytest.mark.parametrize(("line", "message"), [
    ("{not json", "line 3: not valid JSON at column 2: Expecting property name enclosed in double quotes"),
    ("[1, 2]", 'line 3: expected an object like {"event": {...}, "tags": [...]}'),
    ('{"properties": {}}', 'line 3: missing "tags" (the tags the event should get; [] for none)'),
    ('{"properties": {}, "tags": "billing"}', 'line 3: "tags" must be a list of tag names'),
    ('{"properties": {}, "uuid": "u", "tags": []}', 'line 3: give exactly one of "event", "properties" or "uuid"'),
    ('{"tags": []}', 'line 3: missing the event: give "event", "properties" or "uuid"'),
    ('{"properties": {}, "tags": [], "expected": []}', "line 3: unknown key 'expected'"),
    ('{"properties": {}, "tags": ["travel"]}', "line 3: expects 'travel', which is not a configured tag (billing, bug)"),
    ('{"properties": [1], "tags": []}', 'line 3: "properties" must be an object, got an array'),
    ('{"event": {"properties": "{x"}, "tags": []}', 'line 3: "properties" is a string but not valid JSON'),
    ('{"event": {"properties": {}, "timestamp": "soon"}, "tags": []}', "line 3: \"timestamp\" is not an ISO 8601"),
    ('{"properties": {}, "tags": [], "name": 3}', 'line 3: "name" must be a string'),
])
def test_bad_case_files_name_the_line(capsys, keywords: Path, tmp_path: Path, line: str, message: str) -> None:
    cases = _cases(tmp_path, "// a comment, then a good case, then the bad one", _case("refund", ["billing"]), line)
    code, out, err = cli(capsys, "check", str(keywords), "--cases", str(cases), "--tags", "billing,bug")
    assert code == 1 and out == ""
    assert err.startswith(f"hog-test: error: {cases}: {message}") and err.count("\n") == 1


def test_case_file_errors(capsys, keywords: Path, tmp_path: Path) -> None:
    code, _, err = cli(capsys, "check", str(keywords), "--cases", str(tmp_path / "none.jsonl"))
    assert code == 1 and err == f"hog-test: error: {tmp_path / 'none.jsonl'}: no such file\n"
    empty = _cases(tmp_path, "", "# nothing")
    code, _, err = cli(capsys, "check", str(keywords), "--cases", str(empty))
    assert code == 1 and "no cases (expected one JSON object per line)" in err
    code, _, err = cli(capsys, "check", str(keywords), "--cases", str(empty), "--min-f1", "2")
    assert code == 2 and err == "hog-test: error: --min-f1: must be between 0 and 1, got 2\n"


def test_read_cases_raises_case_file_error(tmp_path: Path) -> None:
    with pytest.raises(CaseFileError, match=r"line 1: not valid JSON at column 2"):
        read_cases(_cases(tmp_path, "{"))


def test_check_as_a_real_process(tmp_path: Path) -> None:
    env = {**os.environ, "HOG_TAGGER_DB": str(tmp_path / "proc.duckdb")}
    done = subprocess.run([sys.executable, "-m", "hogtest", "check", str(TOPICS), "--cases", str(TOPIC_CASES),
                           "--tags-file", str(TOPIC_TAGS), "--json"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["passed"] is True


def test_argparse_usage_errors_are_one_line(capsys) -> None:
    code, _, err = cli(capsys, "check", str(TOPICS))
    assert code == 2
    assert err == "hog-test check: error: the following arguments are required: --cases (see 'hog-test check --help')\n"
