"""Errors of the sampler: bad event dumps and unusable databases. Both carry a one-line message."""

from __future__ import annotations


class SamplerError(Exception):
    """Base class of the sampler's own errors (not of Hog errors, which come from `hogvm`)."""


class StoreError(SamplerError):
    """The event database cannot be opened or queried (missing, locked by another process, corrupt)."""


class LoadError(SamplerError):
    """A dump could not be loaded. The message names the file, the line or row, and the problem."""
