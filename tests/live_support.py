"""Helpers of the capture and live tagging tests: events as SDKs send them, reading events back
over the events API, and waiting for live tagging."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

EVENTS = "/api/environments/{project}/events/"
LIVE = "/api/environments/{project}/live_tagging/"


def generation(text: str = "I want a refund", *, distinct_id: str = "user-1", **properties: Any) -> dict[str, Any]:
    """An `$ai_generation` in capture's shape, with a uuid."""
    return {"event": "$ai_generation", "uuid": str(uuid.uuid4()), "distinct_id": distinct_id,
            "timestamp": datetime.now(UTC).isoformat(),
            "properties": {"$ai_input": [{"role": "user", "content": text}],
                           "$ai_output_choices": [{"role": "assistant", "content": "Sure."}],
                           "$ai_trace_id": f"trace-{uuid.uuid4().hex[:8]}", "$ai_model": "gpt-4o-mini",
                           "$ai_provider": "openai", **properties}}


def events(api: httpx.Client, project: int = 1, **params: Any) -> list[dict[str, Any]]:
    """Every matching event (following `next`), newest first."""
    found: list[dict[str, Any]] = []
    url: str | None = EVENTS.format(project=project)
    query: dict[str, Any] | None = {"limit": 10_000, **params}
    while url:
        response = api.get(url, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        found.extend(body["results"])
        url, query = body["next"], None
    return found


def tags_by_target(api: httpx.Client, project: int = 1) -> dict[str, list[dict[str, Any]]]:
    """The stored `$ai_tag` events' properties, by target generation."""
    by_target: dict[str, list[dict[str, Any]]] = {}
    for event in events(api, project, event="$ai_tag"):
        by_target.setdefault(event["properties"]["$ai_target_event_id"], []).append(event["properties"])
    return by_target


def wait_until_tagged(api: httpx.Client, project: int = 1, *, generations: int, timeout: float = 60.0
                      ) -> dict[str, Any]:
    """Wait until live tagging is done with `generations` generations of the project; its status."""
    deadline = time.monotonic() + timeout
    while True:
        status = api.get(LIVE.format(project=project)).json()
        if status["tagged_generations"] >= generations and status["pending"] == 0:
            return status
        assert time.monotonic() < deadline, f"live tagging did not finish in {timeout} s: {status}"
        time.sleep(0.05)


def hog(name: str, source: str, *, conditions: list[dict[str, Any]] | None = None, enabled: bool = True,
        tags: list[str] | None = None) -> dict[str, Any]:
    config: dict[str, Any] = {"source": source}
    if tags is not None:
        config["tags"] = [{"name": tag} for tag in tags]
    return {"name": name, "tagger_type": "hog", "enabled": enabled, "tagger_config": config,
            "conditions": conditions if conditions is not None else [{"id": "all", "rollout_percentage": 100,
                                                                      "properties": []}]}
