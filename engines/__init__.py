"""Batch tagging engines: one tagger over every event of a database or of dumps.

Layers: `grammar` <- `hogvm` <- `sampler` <- `engines` <- `hogtest`. Everything here runs the one
tagging pipeline of `sampler.pipeline` (`PreparedTagger`); an engine only decides where batches run.

- `batch.py`: `tag_batch` / `BatchTagger`, the plain batch function (events in, `$ai_tag` rows
  and counts out), tested without Ray;
- `events.py`, `rows.py`, `stats.py`: reading events from a batch, the fixed `$ai_tag` row schema,
  mergeable outcome counts;
- `sources.py`: the local engine's inputs (a DuckDB database, JSON Lines and Parquet dumps), read
  in bounded chunks;
- `output.py`: staged parts, the sorted atomic output file, `--resume`, `--into-db`;
- `local.py`: worker processes on this machine; `ray_engine.py`: Ray Data on a local instance or
  a cluster (the `ray` extra);
- `job.py`: one run from options to summary.
"""
