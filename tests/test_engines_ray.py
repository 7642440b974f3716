"""The Ray engine on a real Ray cluster (a head node started with `ray start` on a free loopback
port): the same dumps give exactly the local engine's output, bytes and counts."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from engines.job import JobError, TagJob, run_job
from tests.tag_support import TOPIC_TAGS, TOPICS, generations, topic_tagger, write_jsonl, write_parquet

EVENTS = generations(3000)
RAY = Path(sys.executable).with_name("ray")


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A one-node Ray cluster of 2 CPUs, reached on 127.0.0.1 with its own authentication token
    (Ray's token auth, as a real cluster should run), stopped at the end by process id."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    temp_dir = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # Ray's socket paths must stay short
    token = Path(temp_dir) / "token"
    token.write_text(secrets.token_hex(32))
    saved = {name: os.environ.get(name) for name in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN_PATH")}
    os.environ.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN_PATH=str(token))  # for the head and every client
    head = subprocess.Popen(
        [str(RAY), "start", "--head", "--block", f"--port={port}", "--node-ip-address=127.0.0.1", "--num-cpus=2",
         "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp_dir}/ray"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    address = f"127.0.0.1:{port}"
    try:
        _wait_for(address, head)
        yield address
    finally:
        _stop(head)
        shutil.rmtree(temp_dir, ignore_errors=True)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _stop(head: subprocess.Popen[bytes]) -> None:
    """The head and everything it started (Ray's workers run in sessions of their own)."""
    processes = [psutil.Process(head.pid), *psutil.Process(head.pid).children(recursive=True)]
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.terminate()
    _, alive = psutil.wait_procs(processes, timeout=10)
    for process in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(alive, timeout=10)
    head.wait(timeout=10)


def _wait_for(address: str, head: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert head.poll() is None, "ray start exited"
        probe = subprocess.run([str(RAY), "status", f"--address={address}"], capture_output=True, timeout=60)
        if probe.returncode == 0:
            return
        time.sleep(1)
    raise AssertionError(f"no Ray cluster at {address} after 90 s")


@pytest.fixture(scope="module")
def dumps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("ray-dumps")
    return {"jsonl": write_jsonl(base / "events.jsonl.gz", EVENTS),
            "parquet": write_parquet(base / "events.parquet", EVENTS)}


def local(out: Path, dump: Path, **options: Any) -> Any:
    return run_job(TagJob(tagger=options.pop("tagger", topic_tagger()), events=[dump], out=out, workers=2, **options))


def counts(summary: dict[str, Any]) -> dict[str, Any]:
    keep = ("events", "considered", "matched", "in_rollout", "tagged", "resumed", "skipped", "errors",
            "errors_by_kind", "tags", "untagged")
    return {key: summary[key] for key in keep}


def ray_tag(address: str, tagger: Path, *args: Any) -> dict[str, Any]:
    """`hog-test tag TAGGER --engine ray --address ADDRESS ... --json` as a process: its summary."""
    done = subprocess.run([sys.executable, "-m", "hogtest", "tag", str(tagger), *map(str, args), "--engine", "ray",
                           "--address", address, "--json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_hog_file_on_a_cluster_writes_the_local_engines_bytes(cluster: str, dumps: dict[str, Path],
                                                                tmp_path: Path) -> None:
    out = tmp_path / "ray.parquet"
    summary = ray_tag(cluster, TOPICS, "--tags-file", TOPIC_TAGS, "--conditions", _conditions(tmp_path),
                      "--events", dumps["jsonl"], "--out", out)
    assert summary["engine"] == "ray" and summary["workers"] == 2
    reference = local(tmp_path / "local.parquet", dumps["jsonl"], tagger=_as_hog_file())
    assert out.read_bytes() == (tmp_path / "local.parquet").read_bytes()
    assert counts(summary) == counts(reference.as_dict())
    assert reference.stats.tagged > 0


def test_parquet_dump_and_resume_on_a_cluster(cluster: str, dumps: dict[str, Path], tmp_path: Path) -> None:
    reference = local(tmp_path / "local.jsonl", dumps["parquet"])
    tagger = tmp_path / "tagger.json"
    tagger.write_text(json.dumps(topic_tagger()))
    out = tmp_path / "ray.jsonl"
    half = ray_tag(cluster, tagger, "--events", write_parquet(tmp_path / "first.parquet", EVENTS[:1500]), "--out", out)
    resumed = ray_tag(cluster, tagger, "--events", dumps["parquet"], "--out", out, "--resume", "--workers", "1")
    assert resumed["resumed"] == half["tagged"] > 0 and resumed["workers"] == 1
    assert resumed["tagged"] == reference.stats.tagged - half["tagged"]
    assert out.read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    assert not list(tmp_path.glob(".ray.jsonl.*"))


def test_the_ray_engine_reads_dumps_only() -> None:
    from sampler.store import EventStore

    with EventStore() as store, pytest.raises(JobError, match="the Ray engine reads dumps"):
        run_job(TagJob(tagger=topic_tagger(), engine="ray"), store=store)


def _conditions(tmp_path: Path) -> Path:
    path = tmp_path / "conditions.json"
    path.write_text(json.dumps(topic_tagger()["conditions"]))
    return path


def _as_hog_file() -> dict[str, Any]:
    """The tagger the command builds from topics.hog + tags + conditions (named after the file)."""
    return {**topic_tagger(), "id": None, "name": "topics"}
