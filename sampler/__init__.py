"""The test_hog harness: events in DuckDB, PostHog's `test_hog` answer, tagger models, `hog-test`.

    >>> from sampler import test_hog
    >>> test_hog("return ['support']", tags=["support"]).model_dump()

Submodules load on first use, so `import sampler` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sampler.api import handle_test_hog_request, test_hog
    from sampler.errors import LoadError, SamplerError, StoreError
    from sampler.extract import extract_event_io, extract_text_from_messages
    from sampler.models import (
        HogTaggerConfig,
        LLMTaggerConfig,
        ModelConfiguration,
        TagDefinition,
        Tagger,
        TaggerCondition,
        TaggerType,
        TestHogRequest,
        TestHogResponse,
        TestHogResult,
        validate_tagger_config,
    )
    from sampler.runner import run_hog_tagger
    from sampler.sampling import sample_events
    from sampler.seed import default_db_path, default_store, open_default_store
    from sampler.store import EventStore, LoadReport

# public name -> module that defines it
_LAZY = {
    "test_hog": "sampler.api",
    "handle_test_hog_request": "sampler.api",
    "LoadError": "sampler.errors",
    "SamplerError": "sampler.errors",
    "StoreError": "sampler.errors",
    "extract_event_io": "sampler.extract",
    "extract_text_from_messages": "sampler.extract",
    "HogTaggerConfig": "sampler.models",
    "LLMTaggerConfig": "sampler.models",
    "ModelConfiguration": "sampler.models",
    "TagDefinition": "sampler.models",
    "Tagger": "sampler.models",
    "TaggerCondition": "sampler.models",
    "TaggerType": "sampler.models",
    "TestHogRequest": "sampler.models",
    "TestHogResponse": "sampler.models",
    "TestHogResult": "sampler.models",
    "validate_tagger_config": "sampler.models",
    "run_hog_tagger": "sampler.runner",
    "sample_events": "sampler.sampling",
    "default_db_path": "sampler.seed",
    "default_store": "sampler.seed",
    "open_default_store": "sampler.seed",
    "EventStore": "sampler.store",
    "LoadReport": "sampler.store",
}

__all__ = [
    "EventStore",
    "HogTaggerConfig",
    "LLMTaggerConfig",
    "LoadError",
    "LoadReport",
    "ModelConfiguration",
    "SamplerError",
    "StoreError",
    "TagDefinition",
    "Tagger",
    "TaggerCondition",
    "TaggerType",
    "TestHogRequest",
    "TestHogResponse",
    "TestHogResult",
    "default_db_path",
    "default_store",
    "extract_event_io",
    "extract_text_from_messages",
    "handle_test_hog_request",
    "open_default_store",
    "run_hog_tagger",
    "sample_events",
    "test_hog",
    "validate_tagger_config",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sampler' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
