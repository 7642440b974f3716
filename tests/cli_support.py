"""Running `hog-test` in-process for the authoring-tool tests: `cli(capsys, *args) -> (code, out, err)`."""

from __future__ import annotations

from pathlib import Path

import pytest

from hogtest.main import main


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def private_default_db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Commands that fall back to the default database get one of their own, never the user's."""
    path = tmp_path / "default.duckdb"
    monkeypatch.setenv("HOG_TAGGER_DB", str(path))
    return path
