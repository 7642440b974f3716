"""Projects, users, personal API keys, provider keys and taggers, in the DuckDB file of the events.

The one module that reads and writes them. Servers and engines hold a `Registry` over an open
`EventStore`:

    registry = Registry(store)
    project = registry.project(1)                          # each project has a public `phc_` token
    key, secret = registry.create_key(scopes=["tagger:read"], projects=[1])   # secret shown once
    registry.authenticate(secret)                          # -> (key, user), or None
    tagger = registry.create_tagger(1, fields, created_by=user.id)
    registry.enabled_taggers(1)                            # what a live pipeline runs
    registry.find_tagger(tagger_id), registry.revision     # a batch engine's --tagger-id; change detection

Keys are stored only as PostHog stores them, `sha256$<hex>` of the secret, with a mask
(`phx_...abcd`) to recognise them by. Taggers are never deleted, only marked `deleted`.

Every write is atomic and durable before it returns: its statements land whole in one committed
transaction. Writes made at the same moment share that transaction (group commit: one fsync for
several writes instead of one each, which is what bounds write throughput); if any of them fails,
each is retried in a transaction of its own, so one bad write never takes others down.

DuckDB lets a single process open the file, so while this process holds it, it is the only writer:
projects, users, keys and taggers are read from an in-memory view, loaded once and updated in
commit order after each commit (reads take no query).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import duckdb

from sampler.drf import field_error
from sampler.errors import SamplerError
from sampler.store import DEFAULT_PROJECT_ID, EVENTS_TABLE, EventStore

SCOPES = ("tagger:read", "tagger:write", "query:read", "*")  # query:read: the events API
DEFAULT_EMAIL = "local-user@localhost"
DEFAULT_PROJECT_NAME = "Default project"
PERSONAL_KEY_PREFIX = "phx_"
PROJECT_TOKEN_PREFIX = "phc_"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS projects (
    id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    api_token VARCHAR NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    uuid UUID NOT NULL UNIQUE,
    distinct_id VARCHAR NOT NULL,
    first_name VARCHAR NOT NULL,
    last_name VARCHAR NOT NULL,
    email VARCHAR NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS personal_api_keys (
    id VARCHAR PRIMARY KEY,
    user_id INTEGER NOT NULL,
    label VARCHAR NOT NULL,
    secure_value VARCHAR NOT NULL UNIQUE,
    mask_value VARCHAR NOT NULL,
    scopes VARCHAR[] NOT NULL,
    scoped_projects INTEGER[],
    created_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS provider_keys (
    id UUID PRIMARY KEY,
    project_id INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    provider VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS taggers (
    id UUID PRIMARY KEY,
    project_id INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    description VARCHAR NOT NULL,
    enabled BOOLEAN NOT NULL,
    tagger_type VARCHAR NOT NULL,
    tagger_config JSON NOT NULL,
    conditions JSON NOT NULL,
    model_configuration JSON,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    created_by INTEGER,
    deleted BOOLEAN NOT NULL
);
"""

_TAGGER_COLUMNS = (
    "id::VARCHAR, project_id, name, description, enabled, tagger_type, tagger_config::VARCHAR, "
    "conditions::VARCHAR, model_configuration::VARCHAR, created_at, updated_at, created_by, deleted"
)
# Columns a write may set, in the order of the table.
_WRITABLE = ("name", "description", "enabled", "tagger_type", "tagger_config", "conditions",
             "model_configuration", "deleted")
_JSON_COLUMNS = ("tagger_config", "conditions", "model_configuration")
ORDER_FIELDS = ("created_at", "updated_at", "name")
KEY_USE_RECORD_INTERVAL_S = 3600  # as PostHog: a key's last use is written at most once an hour


class RegistryError(SamplerError):
    """A request the registry refuses (unknown key to revoke, unknown scope ...); one-line message."""


# -- records ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Project:
    id: int
    name: str
    api_token: str  # the public `phc_` token events are captured with
    created_at: datetime


@dataclass(frozen=True, slots=True)
class User:
    id: int
    uuid: str
    distinct_id: str
    first_name: str
    last_name: str
    email: str
    created_at: datetime

    def basic(self) -> dict[str, Any]:
        """PostHog's `UserBasicSerializer` shape (`created_by` of a tagger)."""
        return {
            "id": self.id, "uuid": self.uuid, "distinct_id": self.distinct_id, "first_name": self.first_name,
            "last_name": self.last_name, "email": self.email, "is_email_verified": None,
            "hedgehog_config": None, "role_at_organization": None,
        }


@dataclass(frozen=True, slots=True)
class PersonalAPIKey:
    id: str
    user_id: int
    label: str
    mask_value: str
    scopes: tuple[str, ...]
    projects: tuple[int, ...] | None  # None: every project
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    def grants(self, scope: str) -> bool:
        """PostHog's rule: `*` grants everything, and `x:write` also grants `x:read`."""
        if "*" in self.scopes or scope in self.scopes:
            return True
        return scope.endswith(":read") and scope.replace(":read", ":write") in self.scopes

    def allows_project(self, project_id: int) -> bool:
        return self.projects is None or project_id in self.projects


@dataclass(frozen=True, slots=True)
class ProviderKey:
    id: str
    project_id: int
    name: str
    provider: str


@dataclass(frozen=True, slots=True)
class StoredTagger:
    """A saved tagger: its API fields plus `project_id`. `tagger_config` holds a Hog tagger's
    compiled `bytecode`; each condition holds its compiled `bytecode` and `bytecode_error`."""

    id: str
    project_id: int
    name: str
    description: str
    enabled: bool
    tagger_type: str
    tagger_config: dict[str, Any]
    conditions: list[dict[str, Any]]
    model_configuration: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    created_by: User | None
    deleted: bool
    api_json: bytes = field(default=b"", repr=False, compare=False)  # api_body() as JSON, made once

    def __post_init__(self) -> None:
        if not self.api_json:
            object.__setattr__(self, "api_json", to_json_bytes(self.api_body()))

    def api_body(self) -> dict[str, Any]:
        """The tagger as PostHog's Taggers API returns it."""
        return {
            "id": self.id, "name": self.name, "description": self.description, "enabled": self.enabled,
            "tagger_type": self.tagger_type, "tagger_config": self.tagger_config, "conditions": self.conditions,
            "model_configuration": self.model_configuration, "created_at": api_datetime(self.created_at),
            "updated_at": api_datetime(self.updated_at),
            "created_by": self.created_by.basic() if self.created_by else None, "deleted": self.deleted,
        }


@dataclass(frozen=True, slots=True)
class TaggerQuery:
    """What `list_taggers` returns: filters, order (`-name` is descending), and a page."""

    enabled: bool | None = None
    ids: tuple[str, ...] | None = None
    search: str | None = None
    order_by: tuple[str, ...] = ("-created_at",)
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True, slots=True)
class TaggerPage:
    count: int  # taggers matching the filters, over all pages
    taggers: list[StoredTagger] = field(default_factory=list)


def to_json_bytes(value: Any) -> bytes:
    """Compact JSON in UTF-8, as the API answers. A lone surrogate (which a tagger can produce) becomes
    its JSON escape, which is what `backslashreplace` writes inside a string, instead of failing."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode(
        "utf-8", "backslashreplace")


def api_datetime(moment: datetime) -> str:
    """ISO 8601 as DRF writes it: UTC as `Z`."""
    text = moment.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def hash_key(secret: str) -> str:
    """PostHog's stored form of a personal API key."""
    return "sha256$" + hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def mask_key(secret: str) -> str:
    return f"{secret[:4]}...{secret[-4:]}"


def random_token(nbytes: int = 32) -> str:
    """A random base62 token, as PostHog makes its tokens."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    number, text = secrets.randbits(nbytes * 8), ""
    while number:
        number, digit = divmod(number, 62)
        text = alphabet[digit] + text
    return text or "0"


def check_project_id(project_id: int) -> int:
    """`project_id`, if it can name a project (DuckDB's INTEGER, from 1); else RegistryError."""
    if project_id < 1 or project_id > 2**31 - 1:
        raise RegistryError(f"project ids are whole numbers from 1 to {2**31 - 1}, not {project_id}")
    return project_id


def _now() -> datetime:
    return datetime.now(UTC)


# -- the registry ----------------------------------------------------------------------------------


class Registry:
    """Everything but the events, in the same database. Safe to share between threads."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self._write_lock = threading.Lock()
        self._pending_lock = threading.Lock()
        self._pending: list[_Write] = []
        self._projects: dict[int, Project] = {}
        self._users: dict[int, User] = {}
        self._keys: dict[str, PersonalAPIKey] = {}  # by secure value
        self._provider_keys: dict[str, ProviderKey] = {}
        self._taggers: dict[int, dict[str, StoredTagger]] = {}  # by project, by id: the read view
        self._revision = 0
        try:
            self._apply([(_SCHEMA, [])])
            self._reload()
            if DEFAULT_PROJECT_ID not in self._projects:
                self._apply([self._project_insert(DEFAULT_PROJECT_ID, DEFAULT_PROJECT_NAME)], self._reload)
            self._load_taggers()
        except duckdb.Error as exc:
            raise SamplerError(f"cannot prepare the database for taggers: {str(exc).splitlines()[0]}") from None

    # -- transactions and caches ---------------------------------------------------------------

    def _apply(self, statements: list[tuple[str, list[Any]]], after: Callable[[], None] | None = None) -> None:
        """Run `statements` as one atomic write, committed before this returns; then `after()`, in
        commit order, to update the in-memory view. Concurrent writes share a commit (see module doc)."""
        job = _Write(statements, after)
        with self._pending_lock:
            self._pending.append(job)
        with self._write_lock:
            if not job.done:  # else a writer before us committed it along with its own
                with self._pending_lock:
                    batch, self._pending = self._pending, []
                self._commit(batch)
        if job.error is not None:
            raise job.error

    def _commit(self, batch: list[_Write]) -> None:
        try:
            with self.store.cursor() as cur:
                cur.execute("BEGIN TRANSACTION")
                try:
                    for sql, params in _merged([statement for job in batch for statement in job.statements]):
                        cur.execute(sql, params)
                    cur.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(duckdb.Error):
                        cur.execute("ROLLBACK")
                    raise
        except Exception as exc:
            if len(batch) > 1:  # find the culprit: each write alone
                for job in batch:
                    self._commit([job])
                return
            batch[0].error, batch[0].done = exc, True
            return
        for job in batch:
            try:
                if job.after is not None:
                    job.after()
            except Exception as exc:  # committed; only the view failed to follow: reload it
                job.error = exc
                self._reload()
                self._load_taggers()
            job.done = True

    def _reload(self) -> None:
        with self.store.cursor() as cur:
            projects = cur.execute("SELECT id, name, api_token, created_at FROM projects").fetchall()
            users = cur.execute("SELECT id, uuid::VARCHAR, distinct_id, first_name, last_name, email, created_at "
                                "FROM users").fetchall()
            keys = cur.execute(
                "SELECT secure_value, id, user_id, label, mask_value, scopes, scoped_projects, created_at, "
                "last_used_at, revoked_at FROM personal_api_keys"
            ).fetchall()
            providers = cur.execute("SELECT id::VARCHAR, project_id, name, provider FROM provider_keys").fetchall()
        self._projects = {row[0]: Project(*row) for row in projects}
        self._users = {row[0]: User(*row) for row in users}
        self._keys = {
            row[0]: PersonalAPIKey(row[1], row[2], row[3], row[4], tuple(row[5]),
                                   None if row[6] is None else tuple(row[6]), *row[7:])
            for row in keys
        }
        self._provider_keys = {row[0]: ProviderKey(*row) for row in providers}

    # -- projects ------------------------------------------------------------------------------

    def project(self, project_id: int) -> Project | None:
        return self._projects.get(project_id)

    def projects(self) -> list[Project]:
        return sorted(self._projects.values(), key=lambda p: p.id)

    def project_by_token(self, api_token: str) -> Project | None:
        """The project a public `phc_` token belongs to (for capture)."""
        return next((p for p in self._projects.values() if secrets.compare_digest(p.api_token, api_token)), None)

    def ensure_project(self, project_id: int, name: str | None = None) -> tuple[Project, bool]:
        """Project `project_id`, created (with a new token) if missing; and whether it was created."""
        check_project_id(project_id)
        existing = self._projects.get(project_id)
        if existing is not None:
            return existing, False
        self._apply([self._project_insert(project_id, name or f"Project {project_id}")], self._reload)
        return self._projects[project_id], True

    @staticmethod
    def _project_insert(project_id: int, name: str) -> tuple[str, list[Any]]:
        return "INSERT INTO projects VALUES (?, ?, ?, ?)", [project_id, name, PROJECT_TOKEN_PREFIX + random_token(), _now()]

    def project_counts(self) -> dict[int, tuple[int, int]]:
        """Per project: (events, taggers not deleted)."""
        with self.store.cursor() as cur:
            events = dict(cur.execute(f"SELECT project_id, count(*) FROM {EVENTS_TABLE} GROUP BY 1").fetchall())
            taggers = dict(cur.execute("SELECT project_id, count(*) FROM taggers WHERE NOT deleted GROUP BY 1")
                           .fetchall())
        return {p: (int(events.get(p, 0)), int(taggers.get(p, 0))) for p in self._projects}

    # -- users ---------------------------------------------------------------------------------

    def user(self, user_id: int | None) -> User | None:
        return None if user_id is None else self._users.get(user_id)

    def ensure_user(self, email: str = DEFAULT_EMAIL) -> User:
        email = email.strip()
        if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
            raise RegistryError(f"not an email address: {email!r}")
        for user in self._users.values():
            if user.email.lower() == email.lower():
                return user
        self._apply([("INSERT INTO users SELECT coalesce(max(id), 0) + 1, ?, ?, ?, ?, ?, ? FROM users",
                      [str(uuid.uuid4()), random_token(24), email.split("@", 1)[0], "", email, _now()])],
                    self._reload)
        return next(user for user in self._users.values() if user.email == email)

    # -- personal API keys ---------------------------------------------------------------------

    def create_key(self, *, scopes: Sequence[str], projects: Iterable[int] | None = None,
                   email: str = DEFAULT_EMAIL, label: str = "hog-test key") -> tuple[PersonalAPIKey, str]:
        """A new personal API key for the user with `email` (created if needed), allowed on
        `projects` (None: all). Returns the key and its secret, which is stored only as a hash."""
        unknown = [s for s in scopes if s not in SCOPES]
        if unknown or not scopes:
            problem = f"unknown scope {unknown[0]!r}" if unknown else "a key needs at least one scope"
            raise RegistryError(f"{problem}; choose from {', '.join(SCOPES)}")
        label = label.strip()
        if not label or len(label) > 40:
            raise RegistryError("a key's label is 1 to 40 characters")
        allowed = None if projects is None else sorted(set(projects))
        for project_id in allowed or []:
            if project_id not in self._projects:
                raise RegistryError(f"no project {project_id}")
        user = self.ensure_user(email)
        secret = PERSONAL_KEY_PREFIX + random_token(35)
        key_id = random_token(9)
        self._apply([("INSERT INTO personal_api_keys VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
                      [key_id, user.id, label, hash_key(secret), mask_key(secret), list(dict.fromkeys(scopes)),
                       allowed, _now()])], self._reload)
        return self._keys[hash_key(secret)], secret

    def keys(self) -> list[tuple[PersonalAPIKey, User | None]]:
        return sorted(((k, self._users.get(k.user_id)) for k in self._keys.values()), key=lambda p: p[0].created_at)

    def revoke_key(self, key_id_or_secret: str) -> PersonalAPIKey:
        """Revoke a key, named by its id or by its secret. Revoking twice is an error."""
        wanted = hash_key(key_id_or_secret)
        key = next((k for h, k in self._keys.items() if k.id == key_id_or_secret or h == wanted), None)
        if key is None:
            raise RegistryError(f"no key {key_id_or_secret!r} (see `hog-test keys list`)")
        if key.revoked_at is not None:
            raise RegistryError(f"key {key.id} was already revoked")
        self._apply([("UPDATE personal_api_keys SET revoked_at = ? WHERE id = ?", [_now(), key.id])], self._reload)
        return next(k for k in self._keys.values() if k.id == key.id)

    def authenticate(self, secret: str) -> tuple[PersonalAPIKey, User] | None:
        """The key (not revoked) and user a secret belongs to, or None."""
        key = self._keys.get(hash_key(secret))
        user = self._users.get(key.user_id) if key else None
        if key is None or user is None or key.revoked_at is not None:
            return None
        moment = _now()
        if key.last_used_at is None or (moment - key.last_used_at).total_seconds() > KEY_USE_RECORD_INTERVAL_S:
            self._apply([("UPDATE personal_api_keys SET last_used_at = ? WHERE id = ?", [moment, key.id])],
                        self._reload)
        return key, user

    # -- provider keys -------------------------------------------------------------------------

    def add_provider_key(self, project_id: int, name: str, provider: str) -> ProviderKey:
        """Register an LLM provider key's name (never its secret) so taggers can refer to it."""
        key_id = str(uuid.uuid4())
        self._apply([("INSERT INTO provider_keys VALUES (?, ?, ?, ?, ?)", [key_id, project_id, name, provider, _now()])],
                    self._reload)
        return self._provider_keys[key_id]

    def _model_configuration(self, project_id: int, config: dict[str, Any] | None) -> dict[str, Any] | None:
        """Check a model configuration's provider key as PostHog does; stored without the key's name."""
        if config is None:
            return None
        key_id = config.get("provider_key_id")
        if key_id:
            key = self._provider_keys.get(key_id)
            if key is None or key.project_id != project_id:
                raise field_error(("model_configuration", "provider_key_id"), "invalid", "Provider key not found",
                                  key_id)
            if key.provider != config["provider"]:
                raise field_error(("model_configuration", "provider"), "invalid",
                                  f"Provider '{config['provider']}' does not match key provider '{key.provider}'",
                                  config["provider"])
        return {"provider": config["provider"], "model": config["model"], "provider_key_id": key_id or None}

    # -- taggers -------------------------------------------------------------------------------

    def create_tagger(self, project_id: int, fields: dict[str, Any], *, created_by: int | None) -> StoredTagger:
        """Save a new tagger from checked fields (see `sampler.tagger_input.prepare_tagger_write`)."""
        values = {name: fields[name] for name in _WRITABLE}
        values["model_configuration"] = self._model_configuration(project_id, values["model_configuration"])
        tagger_id, moment = str(uuid.uuid4()), _now()
        tagger = StoredTagger(
            tagger_id, project_id, values["name"], values["description"], values["enabled"], values["tagger_type"],
            values["tagger_config"], values["conditions"], self._shown_model(values["model_configuration"]), moment,
            moment, self.user(created_by), values["deleted"])
        self._apply([(
            f"INSERT INTO taggers (id, project_id, {', '.join(_WRITABLE)}, created_at, updated_at, created_by) "
            f"VALUES (?, ?, {', '.join('?' * len(_WRITABLE))}, ?, ?, ?)",
            [tagger_id, project_id, *(_column_value(n, values[n]) for n in _WRITABLE), moment, moment, created_by],
        )], lambda: self._remember(tagger))
        return tagger

    def update_tagger(self, project_id: int, tagger_id: str, changes: dict[str, Any]) -> StoredTagger | None:
        """Apply checked changes to a tagger (deleted ones too); None if there is no such tagger."""
        existing = self.get_tagger(project_id, tagger_id, include_deleted=True)
        if existing is None:
            return None
        values = {name: changes[name] for name in _WRITABLE if name in changes}
        if "model_configuration" in values:
            values["model_configuration"] = self._model_configuration(project_id, values["model_configuration"])
        moment, updated = _now(), []

        def after() -> None:  # from the tagger as the commits before this one left it
            current = self._taggers[project_id][existing.id]
            shown = {**values, "updated_at": moment, "api_json": b""}
            if "model_configuration" in values:
                shown["model_configuration"] = self._shown_model(values["model_configuration"])
            updated.append(self._remember(replace(current, **shown)))

        assignments = ", ".join([*(f"{name} = ?" for name in values), "updated_at = ?"])
        self._apply([(f"UPDATE taggers SET {assignments} WHERE id = ?",
                      [*(_column_value(n, v) for n, v in values.items()), moment, existing.id])], after)
        return updated[0]

    def _remember(self, tagger: StoredTagger) -> StoredTagger:
        """Put a committed tagger in the in-memory view, replacing the project's map so that readers
        iterating the old one are undisturbed."""
        self._taggers[tagger.project_id] = {**self._taggers.get(tagger.project_id, {}), tagger.id: tagger}
        self._revision += 1
        return tagger

    def _shown_model(self, stored: dict[str, Any] | None) -> dict[str, Any] | None:
        """A stored model configuration as the API shows it: with its provider key's name."""
        if stored is None:
            return None
        key = self._provider_keys.get(stored.get("provider_key_id") or "")
        return {**stored, "provider_key_name": key.name if key else None}

    def _load_taggers(self) -> None:
        with self.store.cursor() as cur:
            rows = cur.execute(f"SELECT {_TAGGER_COLUMNS} FROM taggers").fetchall()
        by_project: dict[int, dict[str, StoredTagger]] = {}
        for row in rows:
            tagger = self._tagger(row)
            by_project.setdefault(tagger.project_id, {})[tagger.id] = tagger
        self._taggers = by_project

    def get_tagger(self, project_id: int, tagger_id: str, *, include_deleted: bool = False) -> StoredTagger | None:
        """A tagger of a project by id (any text: a malformed id finds nothing)."""
        try:
            key = str(uuid.UUID(tagger_id))
        except (ValueError, TypeError, AttributeError):
            return None
        tagger = self._taggers.get(project_id, {}).get(key)
        return tagger if tagger is not None and (include_deleted or not tagger.deleted) else None

    def find_tagger(self, tagger_id: str, *, include_deleted: bool = False) -> StoredTagger | None:
        """A tagger by id in whichever project holds it (for engines given only `--tagger-id`)."""
        for project_id in list(self._taggers):
            tagger = self.get_tagger(project_id, tagger_id, include_deleted=include_deleted)
            if tagger is not None:
                return tagger
        return None

    @property
    def revision(self) -> int:
        """Grows with every committed tagger write: a pipeline that prepared taggers at one revision
        knows to prepare them again when it changes."""
        return self._revision

    def enabled_taggers(self, project_id: int | None = None) -> list[StoredTagger]:
        """Enabled, not deleted taggers (of one project, or of all), oldest first."""
        projects = [self._taggers.get(project_id, {})] if project_id is not None else list(self._taggers.values())
        found = [t for taggers in projects for t in taggers.values() if t.enabled and not t.deleted]
        return sorted(found, key=lambda t: (t.created_at, t.id))

    def list_taggers(self, project_id: int, query: TaggerQuery | None = None) -> TaggerPage:
        """One page of a project's taggers (not deleted) matching `query`, with the total count."""
        query = query or TaggerQuery()
        found = [t for t in self._taggers.get(project_id, {}).values() if not t.deleted]
        if query.enabled is not None:
            found = [t for t in found if t.enabled is query.enabled]
        if query.ids is not None:
            wanted = set(query.ids)
            found = [t for t in found if t.id in wanted]
        if query.search:
            needle = query.search.lower()
            found = [t for t in found if needle in t.name.lower() or needle in t.description.lower()]
        found.sort(key=lambda t: t.id)  # ties in every order below are broken by id, as PostHog's model orders
        for term in reversed(query.order_by or ("-created_at",)):
            name = term.lstrip("-")
            if name in ORDER_FIELDS:
                found.sort(key=lambda t, n=name: getattr(t, n), reverse=term.startswith("-"))
        return TaggerPage(len(found), found[query.offset:query.offset + query.limit])

    def _tagger(self, row: Sequence[Any]) -> StoredTagger:
        (tagger_id, project_id, name, description, enabled, tagger_type, config, conditions, model_configuration,
         created_at, updated_at, created_by, deleted) = row
        model = self._shown_model(json.loads(model_configuration) if model_configuration else None)
        return StoredTagger(tagger_id, project_id, name, description, enabled, tagger_type, json.loads(config),
                            json.loads(conditions), model, created_at, updated_at, self.user(created_by), deleted)


@dataclass(slots=True)
class _Write:
    statements: list[tuple[str, list[Any]]]
    after: Callable[[], None] | None
    done: bool = False
    error: BaseException | None = None


def _merged(statements: list[tuple[str, list[Any]]]) -> list[tuple[str, list[Any]]]:
    """Consecutive identical single-row INSERTs as one multi-row INSERT (half the cost per row)."""
    merged: list[tuple[str, list[Any]]] = []
    run_sql, rows = "", 0
    for sql, params in statements:
        if merged and sql == run_sql and sql.startswith("INSERT INTO") and " VALUES (" in sql:
            rows += 1
            head, values = sql.split(" VALUES ", 1)
            merged[-1] = (f"{head} VALUES {', '.join([values] * rows)}", merged[-1][1] + list(params))
        else:
            merged.append((sql, list(params)))
            run_sql, rows = sql, 1
    return merged


def _column_value(name: str, value: Any) -> Any:
    if name in _JSON_COLUMNS:
        return None if value is None else json.dumps(value, ensure_ascii=False, allow_nan=False)
    return value
