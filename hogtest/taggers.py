"""Which tagger a command means, and how a command compiles it.

`resolve_tagger(reference)` is the one place that decides which tagger a TAGGER argument names, for
every command that takes one (`tag`, `fuzz`, `check`, `diff`):

- a Hog source file (or `-` for standard input);
- a tagger JSON file (`.json`), in the Taggers API's shape, as `GET .../taggers/{id}/` returns it;
- the id of a tagger saved through the Taggers API, looked up in `--db` (else in the default
  database, where `hog-test serve` keeps taggers without `--db`). An unknown or deleted id is a
  one-line "not found", as the API's 404.

`compile_tagger_source` is the one way every command (`run`, `compile`, `fuzz`, `check`, `diff`,
`run --watch`) compiles a tagger: warnings printed, `--strict` honoured, and the source map kept
so that runtime errors carry their line and column.
"""

from __future__ import annotations

import argparse
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from hogtest.errors import EXIT_USAGE, CliError
from hogtest.options import STDIN, compile_for_command, display_name, parse_json, read_text, tags_option
from sampler.tagging import CompiledTagger

if TYPE_CHECKING:
    from hogvm import CompiledHog
    from sampler.store import EventStore


@dataclass(frozen=True)
class TaggerSource:
    name: str  # for messages: the file name, or the saved tagger's name and id
    source: str | None  # the Hog source; None for an LLM tagger, which has none
    tags: tuple[str, ...] | None  # the tagger's own configured tags (JSON, saved); None for Hog files
    body: dict[str, Any] | None = None  # the tagger as the Taggers API returns it (JSON, saved); None for Hog files
    project_id: int | None = None  # the project a saved tagger belongs to


def resolve_tagger(reference: str, *, db: str | None = None, store: EventStore | None = None,
                   project: int | None = None, saved: bool = False) -> TaggerSource:
    """The tagger `reference` names (see the module docstring). A saved tagger is looked up in
    `store` when the caller has the database open, else in `--db` (`db`) or the default database;
    with `project`, only among that project's taggers. `saved`: the reference can only be an id."""
    if not saved and (reference == STDIN or Path(reference).exists()):
        if reference.endswith(".json"):
            return _tagger_json(reference)
        return TaggerSource(display_name(reference), read_text(reference), None)
    if saved or _is_uuid(reference):
        return _saved_tagger(reference, db=db, store=store, project=project)
    raise CliError(f"{reference}: no such tagger file (nor a saved tagger's id)", EXIT_USAGE)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _tagger_json(name: str) -> TaggerSource:
    body = parse_json(read_text(name), name)
    if not isinstance(body, dict):
        raise CliError(f"{name}: expected a tagger object as the Taggers API returns it", EXIT_USAGE)
    return _from_body(display_name(name), body)


def _from_body(name: str, body: dict[str, Any], project_id: int | None = None) -> TaggerSource:
    config = body.get("tagger_config")
    config = config if isinstance(config, dict) else {}
    source = config.get("source") if body.get("tagger_type", "hog") == "hog" else None
    tags = config.get("tags")
    names = tuple(t["name"] for t in tags if isinstance(t, dict) and isinstance(t.get("name"), str)) \
        if isinstance(tags, list) else ()
    return TaggerSource(name, source if isinstance(source, str) else None, names, body, project_id)


def _saved_tagger(tagger_id: str, *, db: str | None, store: EventStore | None, project: int | None) -> TaggerSource:
    from hogtest.stores import open_store
    from sampler.registry import Registry

    opened = store is None
    store = open_store(db=db) if store is None else store
    try:
        registry = Registry(store)
        found = (registry.get_tagger(project, tagger_id) if project is not None
                 else registry.find_tagger(tagger_id))
        where = str(store.path) if store.path is not None else "the event store"
    finally:
        if opened:
            store.close()
    if found is None:
        scope = f"project {project} of {where}" if project is not None else where
        raise CliError(f"tagger {tagger_id}: not found in {scope} (no saved tagger has this id there, or it "
                       f"was deleted)", EXIT_USAGE)
    return _from_body(f"{found.name} ({found.id})", found.api_body(), found.project_id)


def compile_tagger_source(source: str, name: str, err: TextIO, *, strict: bool = False) -> CompiledHog:
    """Compile a tagger's source, its names checked against a tagger's globals: each warning printed
    on `err` as `NAME:LINE:COLUMN: warning: ...`, a compile error (or, with `strict`, a warning) a
    `CliError` pointing at the source."""
    from sampler.runner import TAGGER_GLOBAL_NAMES

    return compile_for_command(source, name, err, globals=TAGGER_GLOBAL_NAMES, strict=strict)


def load_tagger(reference: str, args: argparse.Namespace, err: TextIO) -> CompiledTagger:
    """Resolve (a saved id in `--db`, when the command has one) and compile a tagger (`--strict` as
    the command was given it); `--tags`/`--tags-file` override the tags it was saved with."""
    found = resolve_tagger(reference, db=getattr(args, "db", None))
    if found.source is None:
        raise CliError(f"{found.name}: an LLM tagger has no Hog source to run here", EXIT_USAGE)
    compiled = compile_tagger_source(found.source, found.name, err, strict=getattr(args, "strict", False))
    chosen = tags_option(getattr(args, "tags", None), getattr(args, "tags_file", None))
    tags = tuple(tag["name"] for tag in chosen) if chosen or found.tags is None else found.tags
    return CompiledTagger.from_compiled(compiled, found.source, tags=tags, name=found.name)


# What a TAGGER argument may be, for every command's --help.
TAGGER_HELP = ("a Hog source file (- for standard input), a tagger JSON as the Taggers API returns it, or a "
               "saved tagger's id (looked up in --db, else the default database)")


def add_tags_options(parser: argparse.ArgumentParser) -> None:
    """`--tags a,b | --tags-file FILE.json`: the configured tags, for every command that runs a tagger."""
    tags = parser.add_mutually_exclusive_group()
    tags.add_argument("--tags", metavar="a,b", help="the configured tag names, comma-separated")
    tags.add_argument("--tags-file", metavar="FILE.json", help="a JSON list of tag names or {name, description}")


def add_strict_option(parser: argparse.ArgumentParser) -> None:
    """`--strict`, for every command that compiles Hog."""
    parser.add_argument("--strict", action="store_true", help="treat compiler warnings as errors")


def whole_number(option: str, text: str, *, minimum: int) -> int:
    """An integer option, checked here so that a bad value is one line (argparse adds its usage)."""
    try:
        value = int(text)
    except ValueError:
        raise CliError(f"{option}: not a whole number: {text!r}", EXIT_USAGE) from None
    if value < minimum:
        raise CliError(f"{option}: must be at least {minimum}, got {value}", EXIT_USAGE)
    return value


def seconds(option: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CliError(f"{option}: not a number of seconds: {text!r}", EXIT_USAGE) from None
    if not 0 < value < float("inf"):
        raise CliError(f"{option}: must be a positive number of seconds, got {text}", EXIT_USAGE)
    return value
