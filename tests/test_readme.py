"""Every snippet of the README runs as written: the Python blocks, the shell blocks (outside the
Quickstart, whose install commands CI runs, and the server's section, which test_api_readme.py runs),
and the `exec` example's output."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(language: str, text: str = README) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)\n```", text, flags=re.S)


def without_section(title: str, text: str) -> str:
    before, rest = text.split(f"## {title}\n", 1)
    return before + "\n## " + rest.split("\n## ", 1)[1]


# Sections whose snippets talk to a running server: tests/test_api_readme.py and
# tests/test_live_readme.py run them against one on a free port.
SERVER_SECTIONS = ("Serve the Taggers API", "Live tagging: PostHog's SDKs send, taggers tag")


def outside_servers(text: str = README) -> str:
    for title in SERVER_SECTIONS:
        text = without_section(title, text)
    return text


def outside_quickstart() -> str:
    """The README but its Quickstart (install commands CI runs) and the server sections."""
    return outside_servers(without_section("Quickstart", README))


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh directory holding the repository's examples and fixtures, as a checkout would."""
    for name in ("examples", "fixtures"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOG_TAGGER_DB", str(tmp_path / "default.duckdb"))
    return tmp_path


def test_there_are_snippets_to_check() -> None:
    assert len(blocks("python", outside_servers())) >= 4
    assert len(blocks("sh", outside_quickstart())) >= 2


@pytest.mark.parametrize("number", range(len(blocks("python", outside_servers()))))
def test_python_snippet_runs(number: int, workdir: Path) -> None:
    code = blocks("python", outside_servers())[number]
    exec(compile(code, f"README.md python block {number + 1}", "exec"), {"__name__": "readme"})


@pytest.mark.parametrize("number", range(len(blocks("sh", outside_quickstart()))))
def test_shell_snippet_runs(number: int, workdir: Path) -> None:
    script = blocks("sh", outside_quickstart())[number]
    prelude = f'set -euo pipefail\nhog-test() {{ "{sys.executable}" -m hogtest "$@"; }}\n'
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(["bash", "-c", prelude + script], cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, f"{script}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"


def test_the_exec_example_prints_what_the_readme_shows(workdir: Path) -> None:
    program = next(block for block in blocks("hog") if "fn check(value)" in block)
    shown = next(block for block in blocks("text") if block.startswith("$ hog-test exec checks.hog"))
    (workdir / "checks.hog").write_text(program + "\n")
    done = subprocess.run([sys.executable, "-m", "hogtest", "exec", "checks.hog"], cwd=workdir, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60, check=False)
    assert done.returncode == 1
    assert (done.stdout + done.stderr).splitlines() == shown.splitlines()[1:]


def test_every_javascript_habit_in_the_table_gets_a_warning_or_a_hint() -> None:
    from hogvm import HogError
    from hogvm.compiler import compile_hog_with_warnings
    from sampler.runner import TAGGER_GLOBAL_NAMES

    section = README.split("## Hog for JavaScript developers", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    flagged_rows = rows[:9]  # the README says: the first nine rows are flagged, the last three are semantics
    assert len(rows) == 12
    prelude = "let x := 0\nlet a := 1\nlet b := 2\nlet i := 0\n"
    for row in flagged_rows:
        for snippet in re.findall(r"`([^`]+)`", row.split("|")[1]):
            source = prelude + snippet.replace("{ ... }", "{ return a }")
            try:
                warnings = compile_hog_with_warnings(source, globals=TAGGER_GLOBAL_NAMES).warnings
            except HogError as error:
                assert "(Hog" in error.message, (snippet, error.message)
            else:
                assert warnings, snippet
