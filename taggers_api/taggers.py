"""What each endpoint does, between the HTTP layer (routes) and the library (models, registry, pool).

Each function takes validated identity (`Caller`) and the raw JSON body; validation is the models'
(`sampler.tagger_input`), storage the registry's, tagger runs the pool's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sampler.api import answer_test_hog, parse_test_hog_request
from sampler.registry import StoredTagger, TaggerQuery, to_json_bytes
from sampler.sampling import sample_events
from sampler.tagger_input import parse_list_filters, parse_tagger_body, prepare_tagger_write
from taggers_api import errors
from taggers_api.auth import Caller
from taggers_api.pagination import page_body, page_window
from taggers_api.services import Services

# A tagger that outlives (events + 1) runs of its time limit plus this margin is stopped by force.
HARD_DEADLINE_MARGIN_S = 10.0


def list_page(services: Services, caller: Caller, params: Mapping[str, str], url: str) -> bytes:
    """A page as JSON, spliced from each tagger's JSON made when it was saved."""
    filters = parse_list_filters(params)
    limit, offset = page_window(params, services.settings.page_size)
    page = services.registry.list_taggers(caller.project.id, TaggerQuery(**filters, limit=limit, offset=offset))
    head = to_json_bytes(page_body(url, page.count, limit, offset, []))
    assert head.endswith(b'"results":[]}')
    return head[:-2] + b",".join(tagger.api_json for tagger in page.taggers) + b"]}"


def retrieve(services: Services, caller: Caller, tagger_id: str) -> StoredTagger:
    tagger = services.registry.get_tagger(caller.project.id, tagger_id)
    if tagger is None:
        raise errors.not_found()
    return tagger


def create(services: Services, caller: Caller, body: Any) -> StoredTagger:
    fields = prepare_tagger_write(parse_tagger_body(body, partial=False), None)
    return services.registry.create_tagger(caller.project.id, fields, created_by=caller.user.id)


def update(services: Services, caller: Caller, tagger_id: str, body: Any, *, partial: bool) -> StoredTagger:
    """PATCH (`partial`) or PUT; both reach soft-deleted taggers, so `deleted` can be set back."""
    existing = services.registry.get_tagger(caller.project.id, tagger_id, include_deleted=True)
    if existing is None:
        raise errors.not_found()
    changes = prepare_tagger_write(parse_tagger_body(body, partial=partial),
                                   {"tagger_type": existing.tagger_type, "conditions": existing.conditions})
    updated = services.registry.update_tagger(caller.project.id, existing.id, changes)
    if updated is None:
        raise errors.not_found()
    return updated


def test_hog(services: Services, caller: Caller, body: Any) -> tuple[int, dict[str, Any]] | Any:
    """Validate and sample (here), then hand the source and events to a worker.

    Returns `(status, body)` for a rejected request, else the worker's future of the same. Raises
    APIError 503 when every worker place is taken.
    """
    from sampler.pool import PoolBusy

    request = parse_test_hog_request(body)
    if isinstance(request, dict):
        return 400, request
    events = sample_events(services.store, request.sample_count, project_id=caller.project.id)
    timeout = services.settings.tagger_timeout
    try:
        return services.pool.submit(
            answer_test_hog, request.source, events, {tag.name for tag in request.tags}, timeout=timeout,
            deadline_s=(len(events) + 1) * timeout + HARD_DEADLINE_MARGIN_S,
        )
    except PoolBusy as busy:
        raise errors.workers_busy(busy.capacity, busy.retry_after) from None


test_hog.__test__ = False  # type: ignore[attr-defined]
