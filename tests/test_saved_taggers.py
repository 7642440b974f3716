"""A TAGGER argument may name a tagger saved through the Taggers API: `hog-test tag` (also as
`--tagger-id`), `fuzz`, `check` and `diff` resolve it in one place (hogtest/taggers.py) from `--db`,
else the default database. An unknown, deleted or other project's id is a one-line "not found"."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

from sampler.registry import Registry
from sampler.store import EventStore
from sampler.tagger_input import parse_tagger_body, prepare_tagger_write
from tests.cli_support import cli as run_cli
from tests.cli_support import use_private_default_db  # noqa: F401 - an autouse fixture
from tests.tag_support import generations, topic_tagger, write_jsonl

EVENTS = generations(200)
PROJECT_EVENTS = {1: EVENTS[:100], 2: EVENTS[100:]}
BILLING_SOURCE = "print('looked for refunds')\nreturn if(input =~* 'refund', ['billing'], [])"
BILLING = {"name": "Billing", "enabled": True, "tagger_type": "hog",
           "tagger_config": {"source": BILLING_SOURCE, "tags": [{"name": "billing"}, {"name": "unused"}]},
           "conditions": [{"id": "all", "rollout_percentage": 100, "properties": []}]}


def cli(capsys: pytest.CaptureFixture[str], *args: Any) -> tuple[int, str, str]:
    return run_cli(capsys, *map(str, args))


def save(db: Path, project: int, body: dict[str, Any], *, deleted: bool = False) -> dict[str, Any]:
    """Save `body` in `project` as the Taggers API saves a POST; returns the saved tagger's API body."""
    with EventStore(db) as store:
        registry = Registry(store)
        registry.ensure_project(project)
        saved = registry.create_tagger(project, prepare_tagger_write(parse_tagger_body(body, partial=False), None),
                                       created_by=None)
        if deleted:
            saved = registry.update_tagger(project, saved.id, {"deleted": True})
        return saved.api_body()


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Events in projects 1 and 2; the topic tagger and Billing saved in project 2, a deleted one in 1."""
    directory = tmp_path_factory.mktemp("saved")
    db = directory / "events.duckdb"
    with EventStore(db) as store:
        for project, events in PROJECT_EVENTS.items():
            store.load([write_jsonl(directory / f"p{project}.jsonl", events)], project_id=project)
    topics = {key: value for key, value in topic_tagger().items() if key != "id"}
    return {"db": db, "topics": save(db, 2, topics), "billing": save(db, 2, BILLING),
            "deleted": save(db, 1, {**BILLING, "name": "Gone"}, deleted=True)}


@pytest.fixture
def world(prepared: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """The prepared database, copied for one test (runs may write into it)."""
    db = shutil.copy(prepared["db"], tmp_path / "events.duckdb")
    return {**prepared, "db": Path(db), "dir": tmp_path}


def generation_uuids(project: int) -> set[str]:
    return {e["uuid"] for e in PROJECT_EVENTS[project] if e["event"] == "$ai_generation"}


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# -- hog-test tag -----------------------------------------------------------------------------------


def test_tagger_id_runs_the_saved_api_body_on_its_projects_events(capsys, world: dict[str, Any]) -> None:
    topics, db, out = world["topics"], world["db"], world["dir"]
    code, summary, _ = cli(capsys, "tag", "--tagger-id", topics["id"], "--db", db, "--out", out / "saved.jsonl",
                           "--json")
    summary = json.loads(summary)
    assert code == 0
    assert summary["tagger"]["id"] == topics["id"] and summary["tagger"]["name"] == "Topics"
    assert summary["considered"] == len(generation_uuids(2))  # project 2's generations only, as live runs it
    rows = jsonl(out / "saved.jsonl")
    assert len(rows) == summary["tagged"] > 0
    assert {r["properties"]["$ai_tagger_id"] for r in rows} == {topics["id"]}
    assert {r["properties"]["$ai_target_event_id"] for r in rows} <= generation_uuids(2)

    # The same API body from a file, on the same project, is the same run: same bytes.
    (out / "topics.json").write_text(json.dumps(topics), encoding="utf-8")
    assert cli(capsys, "tag", out / "topics.json", "--db", db, "--project", 2, "--out", out / "file.jsonl")[0] == 0
    # A saved id as TAGGER, and --tagger-id with its own --project, resolve the same way.
    assert cli(capsys, "tag", topics["id"], "--db", db, "--out", out / "positional.jsonl")[0] == 0
    assert cli(capsys, "tag", "--tagger-id", topics["id"], "--project", 2, "--db", db,
               "--out", out / "project.jsonl")[0] == 0
    expected = (out / "saved.jsonl").read_bytes()
    assert all((out / name).read_bytes() == expected for name in ("file.jsonl", "positional.jsonl", "project.jsonl"))


def test_a_disabled_saved_tagger_runs_too(capsys, world: dict[str, Any]) -> None:
    disabled = save(world["db"], 2, {**BILLING, "name": "Not yet", "enabled": False})
    code, out, _ = cli(capsys, "tag", "--tagger-id", disabled["id"], "--db", world["db"], "--json")
    assert code == 0 and json.loads(out)["tagged"] == len(generation_uuids(2))


def not_found(tagger_id: str, scope: str) -> str:
    return (f"hog-test: error: tagger {tagger_id}: not found in {scope} (no saved tagger has this id there, or "
            f"it was deleted)\n")


@pytest.mark.parametrize("case", ["unknown", "deleted", "other project", "not a uuid"])
def test_unknown_deleted_or_other_projects_id_is_not_found(capsys, world: dict[str, Any], case: str) -> None:
    db = world["db"]
    tagger_id, extra, scope = {
        "unknown": (str(uuid.uuid4()), [], str(db)),
        "deleted": (world["deleted"]["id"], [], str(db)),
        "other project": (world["topics"]["id"], ["--project", 1], f"project 1 of {db}"),
        "not a uuid": ("billing", [], str(db)),
    }[case]
    code, out, err = cli(capsys, "tag", "--tagger-id", tagger_id, "--db", db, *extra)
    assert (code, out, err) == (2, "", not_found(tagger_id, scope))


def test_saved_tagger_with_tags_or_conditions_options_is_refused(capsys, world: dict[str, Any]) -> None:
    code, _, err = cli(capsys, "tag", world["billing"]["id"], "--db", world["db"], "--tags", "x")
    assert code == 2 and "a tagger JSON or a saved tagger carries its own" in err


def test_the_default_database_holds_saved_taggers_without_db(capsys, private_default_db: Path,
                                                               world: dict[str, Any]) -> None:
    assert cli(capsys, "projects", "list")[0] == 0  # makes and seeds the default database
    saved = save(private_default_db, 1, BILLING)
    dump = write_jsonl(world["dir"] / "dump.jsonl", EVENTS[:50])
    code, out, _ = cli(capsys, "tag", "--tagger-id", saved["id"], "--events", dump, "--json")
    assert code == 0 and json.loads(out)["tagger"]["id"] == saved["id"]
    assert json.loads(out)["considered"] == sum(e["event"] == "$ai_generation" for e in EVENTS[:50])


# -- fuzz, check, diff ------------------------------------------------------------------------------


def cases_file(directory: Path) -> Path:
    cases = [{"properties": {"$ai_input": "I want a refund"}, "tags": ["billing"]},
             {"properties": {"$ai_input": "Plan a trip"}, "tags": []}]
    path = directory / "cases.jsonl"
    path.write_text("".join(json.dumps(case) + "\n" for case in cases), encoding="utf-8")
    return path


def test_check_runs_a_saved_tagger_with_its_own_tags(capsys, world: dict[str, Any]) -> None:
    billing, cases = world["billing"], cases_file(world["dir"])
    code, out, err = cli(capsys, "check", billing["id"], "--cases", cases, "--db", world["db"], "--json")
    report = json.loads(out)
    assert (code, err) == (0, "")
    assert report["tagger"] == f"Billing ({billing['id']})"
    assert {s["tag"] for s in report["tags"]} == {"billing", "unused"}  # the saved tags, unused one too
    # --tags replaces the saved ones.
    code, out, _ = cli(capsys, "check", billing["id"], "--cases", cases, "--db", world["db"], "--tags", "billing",
                       "--json")
    assert code == 0 and {s["tag"] for s in json.loads(out)["tags"]} == {"billing"}


def test_diff_compares_a_saved_tagger_with_a_file_or_another_saved_one(capsys, world: dict[str, Any]) -> None:
    db, billing, directory = world["db"], world["billing"], world["dir"]
    same = directory / "billing.hog"
    same.write_text(BILLING_SOURCE, encoding="utf-8")
    code, out, _ = cli(capsys, "diff", billing["id"], same, "--db", db, "--json")
    assert code == 0 and json.loads(out)["changes"] == []
    wider = save(db, 2, {**BILLING, "name": "Billing v2",
                         "tagger_config": {"source": "return if(input =~* 'refund|plan', ['billing'], [])",
                                           "tags": [{"name": "billing"}]}})
    code, out, _ = cli(capsys, "diff", billing["id"], wider["id"], "--db", db, "--json")
    report = json.loads(out)
    assert code == 1 and report["changes"]
    assert report["old"] == f"Billing ({billing['id']})" and report["new"] == f"Billing v2 ({wider['id']})"
    assert all(change["old"]["tags"] == [] and change["new"]["tags"] == ["billing"] for change in report["changes"])


def test_fuzz_runs_a_saved_tagger(capsys, world: dict[str, Any]) -> None:
    billing = world["billing"]
    code, out, _ = cli(capsys, "fuzz", billing["id"], "--db", world["db"], "--examples", 20, "--seed", 3, "--json")
    assert code == 0 and json.loads(out)["tagger"] == f"Billing ({billing['id']})"


@pytest.mark.parametrize("command", ["fuzz", "check", "diff"])
def test_authoring_tools_say_not_found_in_one_line(capsys, world: dict[str, Any], command: str) -> None:
    missing = str(uuid.uuid4())
    extra = {"fuzz": [], "check": ["--cases", cases_file(world["dir"])], "diff": [world["billing"]["id"]]}[command]
    code, out, err = cli(capsys, command, missing, *extra, "--db", world["db"])
    assert (code, out, err) == (2, "", not_found(missing, str(world["db"])))


def test_a_tagger_json_file_is_a_tagger_for_the_authoring_tools_too(capsys, world: dict[str, Any]) -> None:
    path = world["dir"] / "billing.json"
    path.write_text(json.dumps(world["billing"]), encoding="utf-8")
    code, out, _ = cli(capsys, "check", path, "--cases", cases_file(world["dir"]), "--json")
    assert code == 0 and {s["tag"] for s in json.loads(out)["tags"]} == {"billing", "unused"}
    llm = world["dir"] / "llm.json"
    llm.write_text(json.dumps({"name": "LLM", "tagger_type": "llm", "tagger_config": {"prompt": "p", "tags": []}}))
    code, _, err = cli(capsys, "fuzz", llm, "--examples", 5)
    assert code == 2 and err == f"hog-test: error: {llm}: an LLM tagger has no Hog source to run here\n"
