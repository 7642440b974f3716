"""The Ray engine (`pip install 'hog-tagger[ray]'`): Ray Data reads the dumps, maps batches through
an actor pool whose actors each hold the prepared tagger, and writes the `$ai_tag` rows as Parquet.

- JSON Lines are read as text (`read_text`), one row per line, and decoded by the batch function,
  exactly as the local engine decodes them (Ray's JSON reader would make `properties` a struct with
  every key of every row); Parquet is read by `read_parquet`. Paths or any URI Ray's readers take.
- Each actor runs `BatchTagger` (the same batch function as the local engine) and reports its
  batch's counts to one small collector actor, which the driver reads for progress and summary.
- The rows are written by `write_parquet` into the run's staging directory beside the output; the
  driver then sorts them into the output as the local engine's rows are, so both engines give the
  same bytes. On a cluster, that directory must be on storage every node and the driver share
  (the driver checks that every row written is there).

`address` joins an existing cluster (`ray start --head` prints it; `auto` finds a local one);
without it, a local Ray instance is started for the run and stopped after it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from engines.batch import BatchTagger
from engines.local import EngineError
from engines.output import TagSink
from engines.sources import CHUNK_EVENTS, dump_format, expand_dumps
from engines.stats import TagStats

try:
    import ray
    import ray.data
except ImportError:  # pragma: no cover - depends on the install
    ray = None

ProgressCallback = Callable[[int, int | None, str, TagStats], None]
_PROGRESS_INTERVAL_S = 0.5


def run_ray(paths: Sequence[str | Path], tagger: BatchTagger, sink: TagSink, *, workers: int | None,
            address: str | None, progress: ProgressCallback | None = None) -> tuple[TagStats, int]:
    """Tag the dumps at `paths` on Ray; rows are staged for `sink`. Returns counts and pool size."""
    if ray is None:
        raise EngineError("the Ray engine needs Ray Data: pip install 'hog-tagger[ray]'")
    started_here = not ray.is_initialized()
    if started_here:
        _start_ray(address, workers)
    try:
        return _run(paths, tagger, sink, workers=workers, progress=progress)
    finally:
        if started_here:
            ray.shutdown()


def _start_ray(address: str | None, workers: int | None) -> None:
    # Ray's own logs and progress bars would bury ours; errors still come through.
    options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                               "logging_level": logging.ERROR, "configure_logging": True}
    try:
        if address:
            ray.init(address=address, **options)
        else:
            ray.init(num_cpus=workers, **options)
    except Exception as exc:  # Ray raises many kinds (connection, authentication, version mismatch)
        where = f"the Ray cluster at {address}" if address else "a local Ray instance"
        raise EngineError(f"cannot start or join {where}: {str(exc).splitlines()[0]}") from None


def _run(paths: Sequence[str | Path], tagger: BatchTagger, sink: TagSink, *, workers: int | None,
         progress: ProgressCallback | None) -> tuple[TagStats, int]:
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    if hasattr(context, "use_datasource_v2"):
        # The v2 Parquet reader lists files in a task that needs a whole CPU, which the actors,
        # created first, already hold: the run would never start.
        context.use_datasource_v2 = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)

    size = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    collector = _Collector.remote()
    # The actors hold one CPU each; reads and writes take none, or with every CPU held by an actor
    # they would wait for ever (they are I/O, and Ray would not fuse them into the actors).
    tagged = _read(paths).map_batches(
        RayBatchTagger, fn_constructor_kwargs={"tagger": tagger, "collector": collector},
        batch_format="pyarrow", batch_size=CHUNK_EVENTS, compute=ray.data.ActorPoolStrategy(size=size),
        num_cpus=1)

    stop = threading.Event()
    watcher = threading.Thread(target=_watch, args=(collector, progress, stop), daemon=True,
                               name="hog-tagger-ray-progress")
    watcher.start()
    # Without an output the rows are still written (somewhere thrown away): writing is what runs
    # the pipeline, and an aggregate such as count() would need a CPU the actors hold.
    staging = sink.staging.directory if sink.staging is not None else Path(tempfile.mkdtemp(prefix="hog-tagger-ray-"))
    try:
        written = _write_parts(tagged, staging)
    except ray.exceptions.RayError as exc:
        raise EngineError(f"the Ray run failed: {_first_line(exc)}") from None
    finally:
        stop.set()
        watcher.join()
        if sink.staging is None:
            shutil.rmtree(staging, ignore_errors=True)
    stats = ray.get(collector.stats.remote())
    if sink.staging is not None and written != stats.tagged:
        raise EngineError(f"Ray's workers tagged {stats.tagged} events but {written} rows are in "
                          f"{staging}: on a multi-node cluster the output's "
                          "directory must be on storage every node shares")
    return stats, size


def _read(paths: Sequence[str | Path]) -> Any:
    """One dataset over every dump: text lines for JSON Lines, columns for Parquet."""
    files = expand_dumps(paths)
    texts = [p for p in files if dump_format(p) == "jsonl"]
    tables = [p for p in files if dump_format(p) == "parquet"]
    datasets = []
    try:
        if texts:
            datasets.append(ray.data.read_text(texts, num_cpus=0))
        if tables:
            datasets.append(ray.data.read_parquet(tables, num_cpus=0))
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise EngineError(f"Ray cannot read the dumps: {_first_line(exc)}") from None
    if len(datasets) == 2:
        # One schema for both: Parquet rows go through as JSON-free columns, lines as `text`.
        raise EngineError("the Ray engine reads JSON Lines or Parquet dumps in one run, not both")
    return datasets[0]


def _write_parts(tagged: Any, staging: Path) -> int:
    """Ray writes Parquet into a temporary directory, renamed when whole: a killed run leaves
    no half directory among the parts."""
    final = staging / f"ray-{uuid.uuid4().hex[:12]}"
    partial = final.with_name(final.name + ".tmp")
    tagged.write_parquet(str(partial), ray_remote_args={"num_cpus": 0})
    os.replace(partial, final)
    return sum(pq.ParquetFile(part).metadata.num_rows for part in final.glob("*.parquet"))


def _watch(collector: Any, progress: ProgressCallback | None, stop: threading.Event) -> None:
    while progress is not None and not stop.wait(_PROGRESS_INTERVAL_S):
        with contextlib.suppress(Exception):  # progress is best effort; the run reports real failures
            stats = ray.get(collector.stats.remote(), timeout=_PROGRESS_INTERVAL_S)
            progress(stats.events + stats.resumed + stats.outside_window, None, "events", stats)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().split("\n", 1)[0]


class RayBatchTagger:
    """Ray Data's callable class: constructed once per actor (preparing the tagger once), then
    called per batch. Counts go to the collector; rows go on to the writer."""

    def __init__(self, tagger: BatchTagger, collector: Any) -> None:
        self.tagger = tagger
        self.collector = collector

    def __call__(self, batch: pa.Table) -> pa.Table:
        result = self.tagger(batch)
        ray.get(self.collector.add.remote(result.stats))
        return result.rows


if ray is not None:
    @ray.remote(num_cpus=0)
    class _Collector:
        """Counts from every batch, merged (in any order: the totals are the same)."""

        def __init__(self) -> None:
            self.total = TagStats()

        def add(self, stats: TagStats) -> None:
            self.total.merge(stats)

        def stats(self) -> TagStats:
            return self.total
