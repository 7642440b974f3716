"""Checks on the repository itself: lint-clean, and the README's commands are the ones CI runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_reports_nothing() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _readme_quickstart_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section, flags=re.S)


def test_readme_has_exactly_two_setup_commands() -> None:
    commands = _readme_quickstart_commands()
    assert len(commands) == 2, commands
    assert all("\n" not in c for c in commands), "each set-up command is one line"


def test_ci_runs_the_readme_test_command() -> None:
    test_command = _readme_quickstart_commands()[1]
    ci_script = (ROOT / ".ci" / "run").read_text()
    assert test_command in ci_script


def test_no_test_reads_outside_the_repository() -> None:
    """The suite must pass on a clone with nothing beside it (CI runs it from such a copy)."""
    offenders = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if re.search(r"""["']shared["']\s*/|/\s*["']shared/reference|\.\./shared""", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


# grammar <- hogvm <- sampler <- (taggers_api, engines) <- hogtest: nothing imports a layer above it.
LAYERS = {
    "grammar": {"hogvm", "sampler", "taggers_api", "engines", "hogtest"},
    "hogvm": {"sampler", "taggers_api", "engines", "hogtest"},
    "sampler": {"taggers_api", "engines", "hogtest"},
    "taggers_api": {"engines", "hogtest"},
    "engines": {"taggers_api", "hogtest"},
}


def test_no_layer_imports_a_layer_above_it() -> None:
    offenders = []
    for package, above in LAYERS.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                match = re.match(r"\s*(?:from|import)\s+([A-Za-z_]+)", line)
                if match and match.group(1) in above:
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
