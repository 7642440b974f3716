"""`hog-test run --watch`: real file writes, real re-runs; every wait has a deadline so CI cannot hang."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hogtest.main import build_parser
from hogtest.run import cmd_run
from hogtest.watch import run_watching
from tests.cli_support import cli, use_private_default_db  # noqa: F401 - an autouse fixture

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "fixtures" / "events" / "events.jsonl"
NOW = "2026-11-27T12:00:00Z"
DEADLINE_S = 30.0


class Stream:
    """A text stream written by the watching thread and read by the test."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parts: list[str] = []

    def write(self, text: str) -> int:
        with self._lock:
            self._parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def text(self) -> str:
        with self._lock:
            return "".join(self._parts)


def wait_for(condition: Callable[[], bool], what: str, deadline_s: float = DEADLINE_S) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def tagger(tmp_path: Path) -> Path:
    path = tmp_path / "watched" / "tagger.hog"
    path.parent.mkdir()
    path.write_text("return ['first']")
    return path


def test_reruns_on_every_save_and_survives_a_compile_error(tagger: Path) -> None:
    tags_file = tagger.parent / "tags.json"
    tags_file.write_text('["first", "second", "third"]')
    args = build_parser().parse_args(["run", str(tagger), "--events", str(EVENTS), "--now", NOW,
                                      "--sample-count", "1", "--tags-file", str(tags_file), "--watch"])
    out, err, stop = Stream(), Stream(), threading.Event()
    result: list[int] = []
    watcher = threading.Thread(target=lambda: result.append(run_watching(args, out, err, cmd_run, stop_event=stop)))
    watcher.start()
    try:
        wait_for(lambda: "watching tagger.hog, tags.json for changes" in err.text(), "the first run")
        assert "run 1 at" in out.text() and "tags       first" in out.text()

        tagger.write_text("return [")  # a save with a syntax error: reported, the watch goes on
        wait_for(lambda: "run 2 at" in out.text() and err.text().count("watching") == 2, "the second run")
        assert "· tagger.hog changed ──" in out.text()
        assert f"hog-test: error: {tagger}:1:9: Unexpected end of input" in err.text()
        assert "\n  return [\n          ^\n" in err.text()  # the caret under the error, as `run` shows it

        (tagger.parent / "notes.txt").write_text("not watched")  # another file in the same directory
        tagger.write_text("return ['second']")
        wait_for(lambda: "tags       second" in out.text(), "the third run")
        tags_file.write_text('["third"]')  # the tags file is watched too
        wait_for(lambda: "run 4 at" in out.text() and err.text().count("watching") == 4, "the run after the tags change")
        assert "tags       (none)" in out.text().split("run 4 at")[1]  # 'second' is no longer configured
        assert out.text().count("── hog-test run") == 4  # notes.txt caused no run
    finally:
        stop.set()
        watcher.join(timeout=DEADLINE_S)
    assert not watcher.is_alive() and result == [0]
    assert err.text().endswith("stopped watching\n")
    assert "\x1b[2J" not in out.text()  # not a terminal: runs are separated, not cleared


def test_a_terminal_is_cleared_before_each_run(tagger: Path) -> None:
    class Terminal(Stream):
        def isatty(self) -> bool:
            return True

    args = build_parser().parse_args(["run", str(tagger), "--events", str(EVENTS), "--now", NOW, "--watch"])
    out, err, stop = Terminal(), Stream(), threading.Event()
    watcher = threading.Thread(target=run_watching, args=(args, out, err, cmd_run), kwargs={"stop_event": stop})
    watcher.start()
    try:
        wait_for(lambda: "watching" in err.text(), "the first run")
        tagger.write_text("return ['again']")
        wait_for(lambda: out.text().count("\x1b[2J\x1b[H") == 2 and err.text().count("watching") == 2, "a cleared re-run")
    finally:
        stop.set()
        watcher.join(timeout=DEADLINE_S)
    assert not watcher.is_alive()
    assert out.text().startswith("\x1b[2J\x1b[H── hog-test run ")


def test_a_save_during_a_run_runs_again(tagger: Path) -> None:
    args = build_parser().parse_args(["run", str(tagger), "--events", str(EVENTS), "--now", NOW, "--watch"])
    out, err, stop = Stream(), Stream(), threading.Event()

    def save_during_the_first_run(*run_args: object) -> int:
        if "run 1 at" in out.text() and "run 2 at" not in out.text():
            tagger.write_text("return ['saved mid-run']")
        return cmd_run(*run_args)  # type: ignore[arg-type]

    watcher = threading.Thread(target=run_watching, args=(args, out, err, save_during_the_first_run),
                               kwargs={"stop_event": stop})
    watcher.start()
    try:
        wait_for(lambda: "tags       saved mid-run" in out.text(), "the run the mid-run save caused")
    finally:
        stop.set()
        watcher.join(timeout=DEADLINE_S)
    assert not watcher.is_alive()


@pytest.mark.parametrize(("args", "message"), [
    (["-", "--watch"], "--watch needs a tagger file to watch, not standard input"),
    (["missing.hog", "--watch"], "missing.hog: no such file"),
])
def test_watch_usage_errors(capsys, args: list[str], message: str) -> None:
    code, _, err = cli(capsys, "run", *args)
    assert code == 2 and err == f"hog-test: error: {message}\n"


def test_watch_without_watchfiles_says_how_to_install(capsys, monkeypatch, tagger: Path) -> None:
    monkeypatch.setitem(sys.modules, "watchfiles", None)
    code, _, err = cli(capsys, "run", str(tagger), "--watch")
    assert code == 1
    assert err == ("hog-test: error: hog-test run --watch needs watchfiles, which is not installed: "
                   "pip install 'hog-tagger[authors]'\n")


def test_watch_as_a_real_process_stops_cleanly_on_ctrl_c(tagger: Path, tmp_path: Path) -> None:
    env = {**os.environ, "HOG_TAGGER_DB": str(tmp_path / "proc.duckdb"), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hogtest", "run", str(tagger), "--events", str(EVENTS), "--now", NOW,
         "--sample-count", "1", "--watch"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )
    out, err = Stream(), Stream()
    readers = [threading.Thread(target=lambda s=source, d=sink: [d.write(line) for line in s], daemon=True)
               for source, sink in ((proc.stdout, out), (proc.stderr, err))]
    for reader in readers:
        reader.start()
    try:
        wait_for(lambda: "watching tagger.hog" in err.text(), "the first run")
        tagger.write_text("print('edited'); return ['edited']")
        wait_for(lambda: "reasoning  edited" in out.text(), "a run after the edit")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=DEADLINE_S) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=DEADLINE_S)
    for reader in readers:
        reader.join(timeout=DEADLINE_S)
    assert err.text().endswith("stopped watching\n") and "Traceback" not in err.text()
    assert "KeyboardInterrupt" not in err.text()
    assert out.text().count("── hog-test run") == 2
