"""Errors of the sampler: bad event dumps and unusable databases. Both carry a one-line message."""

from __future__ import annotations


class SamplerError(Exception):
    """Base class of the sampler's own errors (not of Hog errors, which come from `hogvm`)."""


class StoreError(SamplerError):
    """The event database cannot be opened or queried (missing, locked by another process, corrupt)."""


class NotADatabaseError(StoreError):
    """A path given as the event database is some other file (a dump, most likely)."""

    def __init__(self, path: object, kind: str) -> None:
        super().__init__(f"{path} is {kind}, not a DuckDB event database")
        self.path = path
        self.kind = kind


class LoadError(SamplerError):
    """A dump could not be loaded. The message names the file, the line or row, and the problem."""
