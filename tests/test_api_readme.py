"""The README's "Serve the Taggers API" commands, run as written with bash and curl against a live
server: the key set-up, `hog-test serve`, and PostHog's curl examples. Only the port is changed
(the README's 8000 becomes a free one) and `$TAGGER_ID` is set from the create's answer, as the
README tells the reader to."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.api_support import ROOT, free_port

pytestmark = pytest.mark.skipif(shutil.which("curl") is None or shutil.which("bash") is None,
                                reason="the README's examples are curl commands run by bash")

README_PORT = "8000"


def section_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Serve the Taggers API", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.S)


def json_values(text: str) -> list[object]:
    """Every JSON value printed one after another (curl prints bodies without newlines)."""
    decoder, values, position = json.JSONDecoder(), [], 0
    text = text.strip()
    while position < len(text):
        value, position = decoder.raw_decode(text, position)
        values.append(value)
        while position < len(text) and text[position].isspace():
            position += 1
    return values


@pytest.fixture
def shell_env(tmp_path: Path) -> dict[str, str]:
    """A shell where `hog-test` is this checkout's, with a private default database."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    launcher = bin_dir / "hog-test"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m hogtest "$@"\n')
    launcher.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(ROOT),
            "HOG_TAGGER_DB": str(tmp_path / "default.duckdb")}


def bash(script: str, env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run(["bash", "-c", "set -euo pipefail\n" + script], capture_output=True, text=True,
                            env=env, cwd=cwd, timeout=120)
    assert result.returncode == 0, f"{script}\n---\n{result.stderr}"
    return result.stdout


def start_readme_server(serve_line: str, port: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    """The README's `hog-test serve &` line, on `port`, in its own process group; waits until it answers."""
    server = subprocess.Popen(["bash", "-c", f"exec {serve_line.rstrip(' &')} --port {port}"], env=env, cwd=cwd,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/_health", timeout=1).status_code == 200:
                return server
        if time.monotonic() > deadline or server.poll() is not None:
            os.killpg(server.pid, signal.SIGTERM)
            raise AssertionError("the README's server did not start")
        time.sleep(0.1)


def test_readme_commands_work_as_written(shell_env: dict[str, str], tmp_path: Path) -> None:
    setup, list_, create, retrieve_update, test_hog, delete = section_blocks()
    port = str(free_port())
    env = dict(shell_env)

    # 1. Key set-up, then the server (the README's `hog-test serve &`, on our port).
    serve_line = "hog-test serve &"
    assert serve_line in setup.splitlines()
    key = bash(setup.replace(serve_line, "") + 'echo "$POSTHOG_PERSONAL_API_KEY"', env, tmp_path).strip()
    assert key.startswith("phx_")
    env["POSTHOG_PERSONAL_API_KEY"] = key
    server = start_readme_server(serve_line, port, env, tmp_path)
    try:

        def run(block: str) -> str:
            assert f"127.0.0.1:{README_PORT}" in block
            return bash(block.replace(f"127.0.0.1:{README_PORT}", f"127.0.0.1:{port}"), env, tmp_path)

        # 2. PostHog's examples.
        [listed] = json_values(run(list_))
        assert listed == {"count": 0, "next": None, "previous": None, "results": []}

        [created] = json_values(run(create))
        assert created["name"] == "Billing" and created["tagger_type"] == "hog"
        assert created["tagger_config"]["bytecode"][:2] == ["_H", 1]
        assert created["conditions"][0]["bytecode"] and created["conditions"][0]["bytecode_error"] is None
        env["TAGGER_ID"] = created["id"]

        retrieved, updated = json_values(run(retrieve_update))
        assert retrieved == created
        assert updated["description"] == "Conversations about payments"

        [tried] = json_values(run(test_hog))
        results = tried["results"]  # the default database's sample events are recent
        assert len(results) == 5 and all(r["error"] is None for r in results)
        assert all(r["reasoning"].startswith("model ") for r in results)
        assert any(r["tags"] == ["billing"] for r in results)

        output = run(delete)
        assert output.startswith("HTTP/1.1 405")
        [soft_deleted] = json_values(output.split("\n\n", 1)[1])  # after the 405 and its headers
        assert soft_deleted["deleted"] is True
        assert json_values(run(list_))[0]["count"] == 0
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
