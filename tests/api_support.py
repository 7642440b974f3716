"""A real Taggers API server for the API tests: `hog-test serve` in its own process, on a free
loopback port, over a database prepared beforehand (DuckDB lets one process hold the file, so
keys and events are set up before the server starts).

    world = build_world(tmp_path)             # database with events, projects, keys
    with ApiServer(world.db) as server:       # `python -m hogtest serve --db ... --port ...`
        server.client(world.keys["rw"]).get("/api/environments/1/taggers/")
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def generations(project: int, count: int, *, now: datetime | None = None) -> list[dict]:
    """Recent `$ai_generation` events (capture shape) whose input names their project."""
    moment = now or datetime.now(UTC)
    return [{
        "uuid": str(uuid.uuid4()),
        "event": "$ai_generation",
        "distinct_id": f"user-{project}-{n}",
        "timestamp": (moment - timedelta(minutes=n + 1)).isoformat(),
        "properties": {"$ai_input": [{"role": "user", "content": f"project {project} question {n} about a refund"}],
                       "$ai_output_choices": [{"role": "assistant", "content": f"answer {n}"}],
                       "$ai_trace_id": f"trace-{project}-{n}", "$ai_model": "gpt-4o"},
    } for n in range(count)]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@dataclass
class World:
    db: Path
    keys: dict[str, str] = field(default_factory=dict)  # role -> secret
    key_ids: dict[str, str] = field(default_factory=dict)
    provider_keys: dict[str, str] = field(default_factory=dict)  # name -> id
    tokens: dict[int, str] = field(default_factory=dict)  # project -> phc_ token


def build_world(directory: Path, *, events_per_project: int = 12) -> World:
    """Projects 1, 2 (with recent generations) and 3 (empty); keys for every role the tests need."""
    from sampler.registry import Registry
    from sampler.store import EventStore

    world = World(directory / "api.duckdb")
    with EventStore(world.db) as store:
        registry = Registry(store)
        for project in (1, 2, 3):
            registry.ensure_project(project)
            world.tokens[project] = registry.project(project).api_token
        for project in (1, 2):
            dump = write_jsonl(directory / f"p{project}.jsonl", generations(project, events_per_project))
            store.load([dump], project_id=project)
        roles = {
            "rw": (["tagger:read", "tagger:write"], [1]),
            "read": (["tagger:read"], [1]),
            "write": (["tagger:write"], [1]),
            "star": (["*"], None),
            "p2": (["tagger:read", "tagger:write"], [2]),
            "p13": (["tagger:read", "tagger:write"], [1, 3]),
            "revoked": (["*"], None),
        }
        for role, (scopes, projects) in roles.items():
            key, secret = registry.create_key(scopes=scopes, projects=projects, email=f"{role}@example.com",
                                              label=role)
            world.keys[role], world.key_ids[role] = secret, key.id
        registry.revoke_key(world.key_ids["revoked"])
        world.provider_keys["openai"] = registry.add_provider_key(1, "Team OpenAI key", "openai").id
        world.provider_keys["other-project"] = registry.add_provider_key(2, "Project 2 key", "openai").id
    return world


class ApiServer:
    """`hog-test serve` as a child process; `stop()` ends it with SIGTERM, `kill()` with SIGKILL."""

    def __init__(self, db: Path, *, workers: int = 2, queue: int = 0, tagger_timeout: float = 1.0,
                 extra: tuple[str, ...] = ()) -> None:
        self.db = db
        self.args = ["--workers", str(workers), "--queue", str(queue), "--tagger-timeout", str(tagger_timeout),
                     "--log-level", "warning", *extra]
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.log = db.with_suffix(".server.log")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ApiServer:
        if self.process is not None:
            raise RuntimeError("this server is already running")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        for _attempt in range(3):  # a free port can be taken between probing and binding
            self.port = free_port()
            with self.log.open("ab") as log:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "hogtest", "serve", "--db", str(self.db), "--port", str(self.port),
                     *self.args], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
            if self._wait_healthy():
                return self
            self.kill()
        raise RuntimeError(f"the API server did not start:\n{self.log.read_text(errors='replace')[-3000:]}")

    def _wait_healthy(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/_health", timeout=1.0).status_code == 200:
                    return True
            time.sleep(0.05)
        return False

    def client(self, key: str | None = None, **options: object) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=options.pop("timeout", 30.0),
                            **options)  # type: ignore[arg-type]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=20)
        self.process = None

    def __enter__(self) -> ApiServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@contextlib.contextmanager
def running(db: Path, **options: object) -> Iterator[ApiServer]:
    server = ApiServer(db, **options)  # type: ignore[arg-type]
    try:
        yield server.start()
    finally:
        server.stop()


LLM_CONFIG = {"prompt": "Which product areas does this conversation touch?",
              "tags": [{"name": "billing", "description": "Billing related"}, {"name": "analytics"}],
              "min_tags": 0, "max_tags": 2}


def llm_tagger(**overrides: object) -> dict:
    return {"name": "Feature tagger", "description": "Tags product features", "enabled": True,
            "tagger_config": LLM_CONFIG, **overrides}


def hog_tagger(source: str = "return ['billing']", **overrides: object) -> dict:
    return {"name": "Hog tagger", "tagger_type": "hog", "tagger_config": {"source": source}, **overrides}


def module_server(tag: str, *, events_per_project: int = 12, **server_options: object) -> tuple[object, object]:
    """The `world` and `server` fixtures of a test module: one database and one server per module.

        world, server = module_server("api-list", workers=2)
    """

    @pytest.fixture(scope="module", name="world")
    def world_fixture(tmp_path_factory: pytest.TempPathFactory) -> World:
        return build_world(tmp_path_factory.mktemp(tag), events_per_project=events_per_project)

    @pytest.fixture(scope="module", name="server")
    def server_fixture(world: World) -> Iterator[ApiServer]:
        with running(world.db, **server_options) as server:
            yield server

    return world_fixture, server_fixture


def module_client(role: str) -> object:
    """An `api` fixture: an HTTP client of the module's server with the key of `role`."""

    @pytest.fixture(scope="module", name="api")
    def client_fixture(server: ApiServer, world: World) -> Iterator[httpx.Client]:
        with server.client(world.keys[role]) as client:
            yield client

    return client_fixture


def kill_during_burst(server: ApiServer, open_client: Callable[[], httpx.Client],
                      send: Callable[[httpx.Client, int, int], list], *, senders: int, at_least: int,
                      timeout: float) -> list:
    """SIGKILL `server` while `senders` threads keep sending: each thread opens a client and calls
    `send(client, sender, n)` for n = 1, 2, ..., which answers what that request got acknowledged
    (nothing when it was refused). The kill comes once `at_least` items are acknowledged; all the
    acknowledged items are returned."""
    acknowledged: list = []
    lock, stop = threading.Lock(), threading.Event()

    def burst(sender: int) -> None:
        with open_client() as client:
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    items = send(client, sender, n)
                except httpx.HTTPError:
                    return  # the server is gone
                with lock:
                    acknowledged.extend(items)

    threads = [threading.Thread(target=burst, args=(sender,)) for sender in range(senders)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    while len(acknowledged) < at_least and time.monotonic() < deadline:
        time.sleep(0.01)
    server.kill()  # SIGKILL, mid-burst
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert len(acknowledged) >= at_least
    return acknowledged
