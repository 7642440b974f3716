"""`hog-test keys`, `hog-test projects`, `hog-test load --project` and `hog-test serve`'s options."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from sampler.registry import Registry, hash_key
from sampler.store import EventStore
from tests.api_support import generations, write_jsonl
from tests.cli_support import cli, use_private_default_db  # noqa: F401  (the autouse fixture applies here too)


def test_keys_create_prints_the_key_once_on_the_last_line(capsys, tmp_path: Path) -> None:
    db = str(tmp_path / "k.duckdb")
    code, out, err = cli(capsys, "keys", "create", "--project", "1", "--scopes", "tagger:read,tagger:write",
                         "--email", "ada@example.com", "--label", "laptop", "--db", db)
    assert code == 0, err
    secret = out.splitlines()[-1]
    assert re.fullmatch(r"phx_[0-9A-Za-z]{40,}", secret)
    assert "ada@example.com" in out and "tagger:read, tagger:write" in out and "project 1" in out
    with EventStore(db) as store:
        registry = Registry(store)
        key, user = registry.authenticate(secret)
        assert (key.scopes, key.projects, key.label, user.email) == (("tagger:read", "tagger:write"), (1,), "laptop",
                                                                     "ada@example.com")
        with store.cursor() as cur:
            stored = cur.execute("SELECT secure_value, mask_value FROM personal_api_keys").fetchall()
    assert stored == [(hash_key(secret), f"phx_...{secret[-4:]}")]  # only the hash and the mask are kept
    for file in tmp_path.glob("k.duckdb*"):
        assert secret.encode() not in file.read_bytes()

    code, listed, _ = cli(capsys, "keys", "list", "--db", db)
    assert code == 0 and secret not in listed and f"phx_...{secret[-4:]}" in listed
    assert listed.splitlines()[1].endswith("UTC  active")  # its last use (authenticate, above) is shown
    _, out, _ = cli(capsys, "keys", "create", "--scopes", "tagger:read", "--db", db)
    assert cli(capsys, "keys", "list", "--db", db)[1].splitlines()[2].split()[-2:] == ["never", "active"]


def test_keys_for_several_or_all_projects_and_new_projects(capsys, tmp_path: Path) -> None:
    db = str(tmp_path / "k.duckdb")
    code, out, err = cli(capsys, "keys", "create", "--project", "2,3", "--project", "5", "--scopes", "*", "--db", db)
    assert code == 0 and "project 2, 3, 5" in out
    assert err.count("created project") == 3  # projects are created with their key
    code, out, _ = cli(capsys, "keys", "create", "--scopes", "tagger:read", "--db", db)
    assert code == 0 and "every project" in out


def test_keys_revoke_by_id_or_secret(capsys, tmp_path: Path) -> None:
    db = str(tmp_path / "k.duckdb")
    _, out, _ = cli(capsys, "keys", "create", "--scopes", "tagger:read", "--db", db)
    key_id = out.split()[2]
    code, out, _ = cli(capsys, "keys", "revoke", key_id, "--db", db)
    assert code == 0 and out.startswith(f"revoked key {key_id}")
    code, _, err = cli(capsys, "keys", "revoke", key_id, "--db", db)
    assert code == 1 and err.strip() == f"hog-test: error: key {key_id} was already revoked"
    _, out, _ = cli(capsys, "keys", "create", "--scopes", "tagger:read", "--db", db)
    secret = out.splitlines()[-1]
    assert cli(capsys, "keys", "revoke", secret, "--db", db)[0] == 0
    _, listed, _ = cli(capsys, "keys", "list", "--db", db)
    assert listed.count("revoked") == 2
    with EventStore(db) as store:
        assert Registry(store).authenticate(secret) is None


@pytest.mark.parametrize(("args", "message"), [
    (["--scopes", "tagger:admin"], "unknown scope 'tagger:admin'; choose from tagger:read, tagger:write, query:read, *"),
    (["--scopes", ","], "a key needs at least one scope; choose from tagger:read, tagger:write, query:read, *"),
    (["--scopes", "*", "--project", "one"], "--project takes project numbers, not 'one'"),
    (["--scopes", "*", "--project", "0"], "project ids are whole numbers from 1 to 2147483647, not 0"),
    (["--scopes", "*", "--email", "not an email"], "not an email address: 'not an email'"),
    (["--scopes", "*", "--label", "x" * 41], "a key's label is 1 to 40 characters"),
])
def test_keys_create_errors_are_one_line(capsys, tmp_path: Path, args: list[str], message: str) -> None:
    code, _, err = cli(capsys, "keys", "create", *args, "--db", str(tmp_path / "k.duckdb"))
    assert code in (1, 2) and err == f"hog-test: error: {message}\n"


def test_revoke_unknown_key(capsys, tmp_path: Path) -> None:
    code, _, err = cli(capsys, "keys", "revoke", "nope", "--db", str(tmp_path / "k.duckdb"))
    assert code == 1 and err == "hog-test: error: no key 'nope' (see `hog-test keys list`)\n"


def test_load_into_a_project_and_projects_list(capsys, tmp_path: Path) -> None:
    db = str(tmp_path / "p.duckdb")
    dump = write_jsonl(tmp_path / "e.jsonl", generations(2, 4))
    code, out, err = cli(capsys, "load", str(dump), "--db", db, "--project", "2")
    assert code == 0 and "4 events added to project 2" in out and "created project 2 (token phc_" in err
    # The same events may belong to another project too: identity is the uuid within a project.
    assert "4 events added, 8 in total" in cli(capsys, "load", str(dump), "--db", db)[1]
    assert "0 events added to project 2" in cli(capsys, "load", str(dump), "--db", db, "--project", "2")[1]
    code, out, _ = cli(capsys, "projects", "list", "--db", db)
    assert code == 0
    rows = [line.split() for line in out.splitlines()]
    assert rows[0] == ["ID", "NAME", "TOKEN", "EVENTS", "TAGGERS"]
    assert rows[1][0] == "1" and rows[1][-2:] == ["4", "0"] and rows[1][-3].startswith("phc_")
    assert rows[2][0] == "2" and rows[2][-2:] == ["4", "0"]
    with EventStore(db) as store:
        tokens = {p.id: p.api_token for p in Registry(store).projects()}
        assert Registry(store).project_by_token(tokens[2]).id == 2
    assert tokens[1] != tokens[2]


def test_a_failed_load_creates_no_project_and_no_file(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"uuid": "u1", "event": "$ai_generation"\n')
    fresh = tmp_path / "fresh.duckdb"
    code, _, err = cli(capsys, "load", str(bad), "--db", str(fresh), "--project", "3")
    assert code == 1 and not fresh.exists()
    assert err.endswith("bad.jsonl: line 1: malformed JSON (Expecting ',' delimiter)\n")
    db = str(tmp_path / "p.duckdb")
    assert cli(capsys, "load", str(write_jsonl(tmp_path / "e.jsonl", generations(1, 2))), "--db", db)[0] == 0
    assert cli(capsys, "load", str(bad), "--db", db, "--project", "3")[0] == 1
    assert [row.split()[0] for row in cli(capsys, "projects", "list", "--db", db)[1].splitlines()] == ["ID", "1"]
    code, _, err = cli(capsys, "load", str(bad), "--db", str(fresh), "--project", "0")
    assert code == 1 and "project ids are whole numbers from 1" in err and not fresh.exists()


def test_default_database_is_used_without_db(capsys) -> None:
    code, out, _ = cli(capsys, "projects", "list")
    assert code == 0 and "Default project" in out
    assert Path(os.environ["HOG_TAGGER_DB"]).exists()  # the private default database of test_cli


@pytest.mark.parametrize("args", [["--workers", "0"], ["--queue", "-1"], ["--tagger-timeout", "0"],
                                  ["--max-body-bytes", "10"], ["--port", "70000"]])
def test_serve_rejects_bad_options_in_one_line(capsys, tmp_path: Path, args: list[str]) -> None:
    code, _, err = cli(capsys, "serve", "--db", str(tmp_path / "s.duckdb"), *args)
    assert code == 2 and err.count("\n") == 1 and err.startswith("hog-test: error: ")
