"""PostHog's TypeScript HogVM (`@posthog/hogvm` under Node) as a test oracle.

One long-lived `node` process per test session answers JSON requests line by line (see
`node/run_hogvm.js`). `.ci/run` installs the npm package; a missing Node or package is a test
failure, not a skip, because the conformance tests exist to compare against it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

NODE_DIR = Path(__file__).parent / "node"


class NodeOracleUnavailable(RuntimeError):
    pass


class NodeHogVM:
    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise NodeOracleUnavailable("node is not on PATH; install Node.js 20+")
        if not (NODE_DIR / "node_modules" / "@posthog" / "hogvm").exists():
            raise NodeOracleUnavailable(
                f"@posthog/hogvm is not installed; run `npm ci --prefix {NODE_DIR}` (.ci/run does)"
            )
        self._proc = subprocess.Popen(
            [node, str(NODE_DIR / "run_hogvm.js")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        self._lock = threading.Lock()

    def run(self, bytecode: list[Any], globals: dict[str, Any] | None = None, *,
            timeout_ms: int = 5000, memory_limit: int | None = None) -> dict[str, Any]:
        """Run bytecode; returns {ok, result, printed, stdout, error?, errorType?}."""
        request: dict[str, Any] = {"bytecode": bytecode, "globals": globals or {}, "timeout": timeout_ms}
        if memory_limit is not None:
            request["memoryLimit"] = memory_limit
        line = json.dumps(request, allow_nan=True)
        with self._lock:
            assert self._proc.stdin is not None and self._proc.stdout is not None
            self._proc.stdin.write(line + "\n")
            self._proc.stdin.flush()
            reply = self._proc.stdout.readline()
        if not reply:
            raise NodeOracleUnavailable("the node oracle process exited")
        return json.loads(reply)

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.stdin.close()  # type: ignore[union-attr]
            self._proc.wait(timeout=5)
