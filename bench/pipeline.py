"""The tagging pipeline on one core: what deciding (conditions, rollout) and emitting cost on top of
running the tagger itself.

    python bench/pipeline.py [--events 20000] [--tagger bench/taggers/topics.hog]

Events are the shipped sample generations, repeated with fresh uuids. Reported, per event:
- reference: `run_hog_tagger` alone on the same events (the least any pipeline must spend);
- pipeline: `PreparedTagger(event)` with two conditions (a property filter at 100%, and a
  match-all condition at 50% rollout), building each `$ai_tag`;
- conditions only: the same tagger with conditions that never match (decision cost alone).
The ratio pipeline / reference is the pipeline's overhead; events/s is 1 / pipeline time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sampler.pipeline import prepare_tagger  # noqa: E402
from sampler.runner import run_hog_tagger  # noqa: E402

CONDITIONS = [
    {"id": "openai", "rollout_percentage": 100, "properties": [{"key": "$ai_provider", "value": "openai"}]},
    {"id": "sampled", "rollout_percentage": 50, "properties": [{"key": "$ai_model", "operator": "is_set"}]},
]
NEVER = [{"id": "never", "rollout_percentage": 100, "properties": [{"key": "$ai_provider", "value": "nobody"}]},
         {"id": "never2", "rollout_percentage": 100, "properties": [{"key": "$ai_model", "operator": "is_not_set"}]}]


def sample_events(count: int) -> list[dict]:
    base = [json.loads(line) for line in (ROOT / "fixtures/events/events.jsonl").read_text().splitlines()]
    base = [e for e in base if e["event"] == "$ai_generation"]
    return [{**base[i % len(base)], "uuid": str(uuid.UUID(int=i + 1, version=4))} for i in range(count)]


def per_event_us(fn, events: list[dict], repeats: int = 3) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        for event in events:
            fn(event)
        timings.append((time.perf_counter() - started) / len(events) * 1e6)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--tagger", type=Path, default=ROOT / "bench/taggers/topics.hog")
    args = parser.parse_args()
    source = args.tagger.read_text()
    tagger = {"name": "bench", "enabled": True, "tagger_type": "hog",
              "tagger_config": {"source": source, "tags": [{"name": n} for n in ("billing", "refusal", "code")]}}
    events = sample_events(args.events)

    prepared = prepare_tagger({**tagger, "conditions": CONDITIONS})
    deciding = prepare_tagger({**tagger, "conditions": NEVER})
    names = prepared.valid_tag_names
    program = prepared.program

    reference = per_event_us(lambda e: run_hog_tagger(program, e, names), events)
    pipeline = per_event_us(prepared, events)
    conditions = per_event_us(deciding, events)
    tagged = sum(prepared(e).tagged for e in events)
    print(f"events: {len(events)}, tagged by the pipeline: {tagged} ({tagged / len(events):.0%})")
    print(f"reference run_hog_tagger: {reference:8.1f} us/event")
    print(f"pipeline (2 conditions):  {pipeline:8.1f} us/event  ({1e6 / pipeline:,.0f} events/s on one core)")
    print(f"deciding only:            {conditions:8.1f} us/event")
    print(f"pipeline / reference:     {pipeline / reference:8.2f}x (fewer than all events run the tagger)")


if __name__ == "__main__":
    main()
