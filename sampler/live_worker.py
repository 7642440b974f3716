"""What a tagger worker process does for live tagging: one saved tagger over a batch of events,
through the shared pipeline (`sampler.pipeline`), nothing else.

The tagger arrives as the API's JSON with its version; the prepared form (decoded bytecode,
compiled conditions) is kept per process, so a worker prepares each version of a tagger once.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sampler import runner
from sampler.pipeline import PreparedTagger, TagOutcome, prepare_tagger

_PREPARED: OrderedDict[tuple[str, str], PreparedTagger] = OrderedDict()
_KEEP = 64  # prepared taggers kept per worker


def tag_batch(tagger: Mapping[str, Any], version: str, events: Sequence[Mapping[str, Any]], *, now: datetime,
              timeout: float) -> list[TagOutcome]:
    """The pipeline's outcome for each event, in order (it never raises for an event)."""
    runner.TAGGER_TIMEOUT_S = timeout  # the pipeline reads it on every run
    prepared = _prepared(tagger, version)
    return [prepared(event, now=now) for event in events]


def _prepared(tagger: Mapping[str, Any], version: str) -> PreparedTagger:
    key = (str(tagger["id"]), version)
    found = _PREPARED.get(key)
    if found is None:
        found = prepare_tagger(tagger, version=version)
        _PREPARED[key] = found
        while len(_PREPARED) > _KEEP:
            _PREPARED.popitem(last=False)
    else:
        _PREPARED.move_to_end(key)
    return found
