"""Running `hog-test` in-process: `cli(capsys, *args) -> (code, out, err)`, and a private default database.

A test module imports both: `from tests.cli_support import cli, use_private_default_db` (the
fixture, named `private_default_db` in tests, is autouse).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from hogtest.main import main


def cli(capsys: pytest.CaptureFixture[str], *args: str, stdin: str | None = None,
        monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True, name="private_default_db")
def use_private_default_db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Commands that fall back to the default database get one of their own, never the user's."""
    path = tmp_path / "default.duckdb"
    monkeypatch.setenv("HOG_TAGGER_DB", str(path))
    return path
