"""Dumps and taggers for the batch-tagging tests: generated generations in every shape a dump takes."""

from __future__ import annotations

import gzip
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
TOPICS = ROOT / "examples" / "taggers" / "topics.hog"
TOPIC_TAGS = ROOT / "examples" / "taggers" / "topics.tags.json"
START = datetime(2026, 11, 1, tzinfo=UTC)

_QUESTIONS = ["Can I get a refund for my annual plan?", "Write SQL for users created last week",
              "I forgot my password", "Plan a 3 day trip to Lisbon", "The export hangs at 99%",
              "What's the weather in Oslo?", "Tell me a joke"]
_ANSWERS = ["Refund started.", "SELECT 1;", "I'm sorry, but I can't help with that.", "Day 1: Alfama."]


def generations(count: int, *, seed: int = 7, others_every: int = 5) -> list[dict[str, Any]]:
    """`count` events, mostly `$ai_generation` (every `others_every`-th is a `$pageview`), over 10 days."""
    rng = random.Random(seed)
    events = []
    for n in range(count):
        name = "$pageview" if others_every and n % others_every == others_every - 1 else "$ai_generation"
        properties = {
            "$ai_provider": rng.choice(["openai", "anthropic", "openrouter"]),
            "$ai_model": rng.choice(["gpt-4o-mini", "claude-sonnet-4"]),
            "$ai_trace_id": str(uuid.UUID(int=rng.getrandbits(128))),
            "$ai_input": [{"role": "user", "content": f"{rng.choice(_QUESTIONS)} (#{n})"}],
            "$ai_output_choices": [{"role": "assistant", "content": rng.choice(_ANSWERS)}],
            "$ai_is_error": rng.random() < 0.05,
            "$ai_http_status": 200,
        }
        when = START + timedelta(seconds=rng.randrange(0, 10 * 86400))
        events.append({"uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "event": name,
                       "distinct_id": f"user_{n % 97}", "timestamp": when.isoformat().replace("+00:00", "Z"),
                       "properties": properties, "person_id": None, "elements_chain": ""})
    return events


def write_jsonl(path: Path, events: list[dict[str, Any]]) -> Path:
    opener: Any = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8") as handle:
        for event in events:
            handle.write(json.dumps(event) + "\n")
    return path


def write_parquet(path: Path, events: list[dict[str, Any]]) -> Path:
    """PostHog's batch-export shape: `properties` as JSON text, `timestamp` as a timestamp."""
    table = pa.table({
        "uuid": [e["uuid"] for e in events],
        "event": [e["event"] for e in events],
        "distinct_id": [e["distinct_id"] for e in events],
        "timestamp": pa.array([datetime.fromisoformat(e["timestamp"]) for e in events], pa.timestamp("us", tz="UTC")),
        "properties": [json.dumps(e["properties"]) for e in events],
        "person_id": [e["person_id"] for e in events],
        "elements_chain": [e["elements_chain"] for e in events],
    })
    pq.write_table(table, path, row_group_size=max(1, len(events) // 3))
    return path


def topic_tagger(*, conditions: list[dict[str, Any]] | None = None, source: str | None = None) -> dict[str, Any]:
    """The example topic tagger in the Taggers API's shape."""
    return {"id": "6c1f3a0e-2b7d-4c59-9e8a-1d2f3b4c5d6e", "name": "Topics", "enabled": True, "tagger_type": "hog",
            "tagger_config": {"source": source or TOPICS.read_text(), "tags": json.loads(TOPIC_TAGS.read_text())},
            "conditions": conditions if conditions is not None else [
                {"id": "openai", "rollout_percentage": 100,
                 "properties": [{"key": "$ai_provider", "value": "openai", "operator": "exact", "type": "event"}]},
                {"id": "gpt", "rollout_percentage": 60,
                 "properties": [{"key": "$ai_model", "value": "gpt", "operator": "icontains", "type": "event"}]},
            ]}
