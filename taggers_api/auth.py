"""Who is calling, and may they: PostHog's personal API key rules.

The key is read from `Authorization: Bearer phx_...`, else from the `personal_api_key` query
parameter. Then, in PostHog's order: no key is 401 `not_authenticated`; an unknown or revoked key
is 401 `authentication_failed`; a project that does not exist is 404; a project the key is not
allowed on is 403; a key without the action's scope is 403 (`x:write` also grants `x:read`,
`*` grants everything).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.requests import Request

from sampler.registry import PersonalAPIKey, Project, Registry, User
from taggers_api import errors

_BEARER = re.compile(r"^Bearer\s+(\S.+)$")
READ, WRITE = "tagger:read", "tagger:write"


@dataclass(frozen=True, slots=True)
class Caller:
    key: PersonalAPIKey
    user: User
    project: Project


def find_key(request: Request) -> tuple[str, str] | None:
    """The key in the request and where it was found, as PostHog looks for it."""
    header = request.headers.get("authorization")
    if header is not None:
        match = _BEARER.match(header)
        if match:
            return match.group(1).strip(), "Authorization header"
    value = request.query_params.get("personal_api_key")
    if value is not None:
        return value, "query string"
    return None


def authorize(registry: Registry, request: Request, project_id: str, scope: str) -> Caller:
    found = find_key(request)
    if found is None:
        raise errors.not_authenticated()
    secret, source = found
    known = registry.authenticate(secret)
    if known is None:
        raise errors.authentication_failed(source)
    key, user = known
    project = registry.project(int(project_id)) if project_id.isascii() and project_id.isdigit() else None
    if project is None:
        raise errors.not_found("Project not found.")
    if not key.allows_project(project.id):
        raise errors.permission_denied(f"API key does not have access to the requested project: ID {project.id}.")
    if not key.grants(scope):
        raise errors.permission_denied(f"API key missing required scope '{scope}'")
    return Caller(key, user, project)
