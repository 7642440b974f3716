"""Which tagger a command means, and how a command compiles it.

`resolve_tagger(reference)` is the one place that decides which source a TAGGER names;
`compile_tagger_source` is the one way every command (`run`, `compile`, `fuzz`, `check`, `diff`,
`run --watch`) compiles a tagger: warnings printed, `--strict` honoured, and the source map kept
so that runtime errors carry their line and column.

Today a reference is a Hog source file (or `-` for standard input). Saved taggers (an id of the
Taggers API's storage) are meant to resolve here too, once that storage is available: the
commands that take a TAGGER (`fuzz`, `check`, `diff`) then accept ids without further change.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from hogtest.errors import EXIT_USAGE, CliError
from hogtest.options import compile_for_command, display_name, read_text, tags_option
from sampler.tagging import CompiledTagger

if TYPE_CHECKING:
    from hogvm import CompiledHog


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


def compile_tagger_source(source: str, name: str, err: TextIO, *, strict: bool = False) -> CompiledHog:
    """Compile a tagger's source, its names checked against a tagger's globals: each warning printed
    on `err` as `NAME:LINE:COLUMN: warning: ...`, a compile error (or, with `strict`, a warning) a
    `CliError` pointing at the source."""
    from sampler.runner import TAGGER_GLOBAL_NAMES

    return compile_for_command(source, name, err, globals=TAGGER_GLOBAL_NAMES, strict=strict)


def load_tagger(reference: str, args: argparse.Namespace, err: TextIO) -> CompiledTagger:
    """Resolve and compile a tagger (`--strict` as the command was given it); `--tags`/`--tags-file`
    override the tags it was saved with."""
    found = resolve_tagger(reference)
    compiled = compile_tagger_source(found.source, reference, err, strict=getattr(args, "strict", False))
    chosen = tags_option(getattr(args, "tags", None), getattr(args, "tags_file", None))
    tags = tuple(tag["name"] for tag in chosen) if chosen or found.tags is None else found.tags
    return CompiledTagger.from_compiled(compiled, found.source, tags=tags, name=found.name)


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
