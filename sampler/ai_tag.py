"""The `$ai_tag` event a Hog tagger's run produces, as PostHog's tagger workflow captures it
(`emit_tagger_event_activity` in `posthog/temporal/llm_analytics/run_tagger.py`).

Properties, for a Hog tagger: `$ai_tagger_id`, `$ai_tagger_name`, `$ai_tagger_type` (`hog`),
`$ai_tags`, `$ai_tag_count`, `$ai_tag_reasoning` (what the tagger printed), `$ai_tagger_start_time`,
`$ai_target_event_id` (the generation's uuid), `$ai_target_event_type`, `$ai_trace_id` (the
generation's, or null), and `capture_internal: true`, which PostHog's `capture_internal` adds. The
`distinct_id` is the generation's. LLM attribution (`$ai_model`, `$ai_provider`, tokens, key) is
only on LLM taggers' events.

Where we differ, so that a batch run gives the same bytes every time: PostHog lets capture pick
a random uuid and stamps the event with the wall clock; here the uuid is a UUIDv5 of tagger id,
tagger version and target uuid (a re-run replaces rather than duplicates), and the time is the
one the caller gives (live tagging: now) or else the generation's own timestamp, used for both
`timestamp` and `$ai_tagger_start_time`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

AI_TAG_EVENT = "$ai_tag"
# Fixed namespace of hog-tagger's `$ai_tag` uuids (a random UUID chosen once; never change it).
AI_TAG_NAMESPACE = uuid.UUID("5d0b6c1e-6f1a-4c2e-9a57-3f0f4a3c8e21")


def ai_tag_uuid(tagger_id: str, version: str, target_uuid: str) -> str:
    return str(uuid.uuid5(AI_TAG_NAMESPACE, f"{tagger_id}/{version}/{target_uuid}"))


def iso_utc(moment: datetime) -> str:
    """Python's `isoformat()` of the moment in UTC, as PostHog writes its tagger timestamps."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()


def build_ai_tag_event(
    *,
    tagger_id: str,
    tagger_name: str,
    version: str,
    target: Mapping[str, Any],
    target_properties: Mapping[str, Any],
    tags: Sequence[str],
    reasoning: str,
    when: datetime,
) -> dict[str, Any]:
    """The `$ai_tag` event, in the event store's columns (ready to load back into it)."""
    moment = iso_utc(when)
    properties = {
        "$ai_tagger_id": tagger_id,
        "$ai_tagger_name": tagger_name,
        "$ai_tagger_type": "hog",
        "$ai_tags": list(tags),
        "$ai_tag_count": len(tags),
        "$ai_tag_reasoning": reasoning,
        "$ai_tagger_start_time": moment,
        "$ai_target_event_id": target["uuid"],
        "$ai_target_event_type": target["event"],
        "$ai_trace_id": target_properties.get("$ai_trace_id"),
        "capture_internal": True,
    }
    return {
        "uuid": ai_tag_uuid(tagger_id, version, str(target["uuid"])),
        "event": AI_TAG_EVENT,
        "distinct_id": target["distinct_id"],
        "timestamp": moment,
        "properties": properties,
        "person_id": target.get("person_id"),
        "elements_chain": "",
    }
