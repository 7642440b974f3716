"""Which tagger a command means: `resolve_tagger(reference)` is the one place that decides.

Today a reference is a Hog source file (or `-` for standard input). Saved taggers (an id of the
Taggers API's storage) are meant to resolve here too, once that storage is available: the
commands that take a TAGGER (`fuzz`, `check`, `diff`) then accept ids without further change.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from hogtest.errors import EXIT_USAGE, CliError
from hogtest.options import compile_source, display_name, read_text, tags_option
from sampler.tagging import CompiledTagger


@dataclass(frozen=True)
class TaggerSource:
    name: str  # for messages: the file name, or the saved tagger's name and id
    source: str
    tags: tuple[str, ...] | None  # the tagger's own configured tags (saved taggers); None for files


def resolve_tagger(reference: str) -> TaggerSource:
    """The source of the tagger `reference` names: a `.hog` file, or `-` for standard input."""
    if reference == "-" or Path(reference).exists():
        return TaggerSource(display_name(reference), read_text(reference), None)
    raise CliError(f"{reference}: no such tagger file", EXIT_USAGE)


def load_tagger(reference: str, args: argparse.Namespace) -> CompiledTagger:
    """Resolve and compile a tagger; `--tags`/`--tags-file` override the tags it was saved with."""
    found = resolve_tagger(reference)
    bytecode = compile_source(found.source, found.name)
    chosen = tags_option(getattr(args, "tags", None), getattr(args, "tags_file", None))
    tags = tuple(tag["name"] for tag in chosen) if chosen or found.tags is None else found.tags
    return CompiledTagger(bytecode, tags, found.name, found.source)


def add_tags_options(parser: argparse.ArgumentParser) -> None:
    """`--tags a,b | --tags-file FILE.json`, as `hog-test run` takes them."""
    tags = parser.add_mutually_exclusive_group()
    tags.add_argument("--tags", metavar="a,b", help="the configured tag names, comma-separated")
    tags.add_argument("--tags-file", metavar="FILE.json", help="a JSON list of tag names or {name, description}")


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
