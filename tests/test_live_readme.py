"""The README's "Live tagging" section, run as written: the key and token set-up with bash,
`hog-test serve`, the tagger's curl, both Python snippets (the OpenAI one against a local stand-in
for OpenAI's API, named by the OpenAI client's own OPENAI_BASE_URL), the curl commands that read
the `$ai_tag` events back, and `hog-test events` once the server has stopped. Only the port
changes (the README's 8000 becomes a free one)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from tests.api_support import ROOT, free_port
from tests.test_api_readme import (  # noqa: F401
    README_PORT,
    bash,
    json_values,
    pytestmark,
    shell_env,
    start_readme_server,
)

SECTION = "## Live tagging: PostHog's SDKs send, taggers tag"


def section_blocks() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(sh|python)\n(.*?)```", section, flags=re.S)


class _OpenAI(BaseHTTPRequestHandler):
    """OpenAI's chat completions, answered on the loopback interface."""

    asked: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).asked.append(request["messages"][-1]["content"])
        body = json.dumps({"id": "chatcmpl-readme", "object": "chat.completion", "created": 1_800_000_000,
                           "model": request["model"], "choices": [{"index": 0, "finish_reason": "stop",
                           "message": {"role": "assistant", "content": "I can help with that."}}],
                           "usage": {"prompt_tokens": 9, "completion_tokens": 6, "total_tokens": 15}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def openai_api() -> Iterator[str]:
    _OpenAI.asked.clear()  # the test runs once per VM tier in one process
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OpenAI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_live_tagging_section_works_as_written(shell_env: dict[str, str], tmp_path: Path,  # noqa: F811
                                               openai_api: str) -> None:
    blocks = section_blocks()
    assert [kind for kind, _ in blocks] == ["sh", "sh", "python", "python", "sh", "sh", "sh"]
    (_, setup), (_, create), (_, capture), (_, wrapped), (_, read_back), (_, status), (_, table) = blocks
    port = str(free_port())
    env = dict(shell_env)

    def local(text: str) -> str:
        return text.replace(f"127.0.0.1:{README_PORT}", f"127.0.0.1:{port}")

    serve_line = "hog-test serve &"
    assert serve_line in setup.splitlines()
    printed = bash(setup.replace(serve_line, "") + 'echo "$POSTHOG_PERSONAL_API_KEY $POSTHOG_PROJECT_TOKEN"', env,
                   tmp_path).split()
    assert printed[0].startswith("phx_") and printed[1].startswith("phc_")
    env["POSTHOG_PERSONAL_API_KEY"], env["POSTHOG_PROJECT_TOKEN"] = printed
    server = start_readme_server(serve_line, port, env, tmp_path)
    try:
        [tagger] = json_values(bash(local(create), env, tmp_path))
        assert tagger["name"] == "Refunds" and tagger["enabled"] is True

        python_env = {**env, "OPENAI_API_KEY": "sk-readme", "OPENAI_BASE_URL": openai_api}
        for code in (capture, wrapped):
            assert f"127.0.0.1:{README_PORT}" in code
            done = subprocess.run([sys.executable, "-c", local(code)], env=python_env, cwd=tmp_path,
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
        assert _OpenAI.asked == ["I want a refund"]

        headers = {"Authorization": f"Bearer {env['POSTHOG_PERSONAL_API_KEY']}"}
        deadline = time.monotonic() + 60
        while True:
            live = httpx.get(f"http://127.0.0.1:{port}/api/environments/1/live_tagging/", headers=headers).json()
            if live["tagged_generations"] >= 2:
                break
            assert time.monotonic() < deadline, live
            time.sleep(0.1)

        [page] = json_values(bash(local(read_back), env, tmp_path))
        tags = sorted(page["results"], key=lambda e: e["distinct_id"])
        assert [e["distinct_id"] for e in tags] == ["user-1", "user-2"]
        for event in tags:
            assert event["event"] == "$ai_tag" and event["properties"]["$ai_tags"] == ["refund"]
            assert event["properties"]["$ai_tag_reasoning"] == "model gpt-4o-mini"
            assert event["properties"]["$ai_tagger_id"] == tagger["id"]
        [shown] = json_values(bash(local(status), env, tmp_path))
        assert shown["taggers"][0]["name"] == "Refunds" and shown["taggers"][0]["tagged"] == 2
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    lines = bash(table, env, tmp_path).splitlines()
    assert lines[0].split()[:4] == ["TARGET", "EVENT", "TAGGER", "TAGS"] and len(lines) == 3
    assert all(line.split()[1:4] == ["Refunds", "refund", "model"] for line in lines[1:])
