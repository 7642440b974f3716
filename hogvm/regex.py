"""Regular expressions for Hog: RE2 semantics, linear-time matching, one compiled-pattern cache.

Hog's regex operators (`=~`, `!~`, `=~*`, `!~*`), `match()`, `extractRegex()` and the LIKE family
all run here. PostHog's Python VM uses RE2 (`google-re2`), as do ClickHouse and PostHog's Node
runtime, so the syntax is RE2's: no backreferences or lookaround, and inline flags such as `(?i)`,
`(?s)`, `(?m)`, `(?U)` work. RE2 never backtracks, so a hostile pattern like `(a+)+$` runs in time
linear in the input instead of stalling the process.

Matching is a *search* (unanchored), as in both reference VMs: `'xabcx' =~ 'abc'` is true.
"""

from __future__ import annotations

import contextlib
from typing import Any

import re2

from hogvm.errors import HogVMException

# Distinct patterns are few in practice (taggers reuse literals); the bound stops a program that
# builds patterns in a loop from growing the cache without limit.
_CACHE_SIZE = 512
_cache: dict[tuple[str, bool], Any] = {}

# RE2 caps the memory one compiled program may use; a huge pattern fails to compile instead.
_MAX_PROGRAM_MEMORY = 8 << 20


def _options(ignore_case: bool) -> Any:
    options = re2.Options()
    options.max_mem = _MAX_PROGRAM_MEMORY
    options.log_errors = False
    if ignore_case:
        options.case_sensitive = False
    return options


_OPTIONS = {False: _options(False), True: _options(True)}


def _describe(error: Exception) -> str:
    detail = error.args[0] if error.args else error
    if isinstance(detail, bytes):
        return detail.decode("utf-8", errors="replace")
    return str(detail)


def compile_pattern(pattern: str, ignore_case: bool = False) -> Any:
    """The compiled RE2 program for `pattern`, from the cache when possible."""
    key = (pattern, ignore_case)
    compiled = _cache.get(key)
    if compiled is not None:
        return compiled
    try:
        compiled = re2.compile(pattern, options=_OPTIONS[ignore_case])
    except re2.error as error:
        raise HogVMException(f"Invalid regex pattern: {_describe(error)}") from None
    except (TypeError, ValueError) as error:  # e.g. a lone surrogate that cannot be UTF-8 encoded
        raise HogVMException(f"Invalid regex pattern: {error}") from None
    if len(_cache) >= _CACHE_SIZE:
        evict_oldest(_cache)
    _cache[key] = compiled
    return compiled


def evict_oldest(cache: dict[Any, Any]) -> None:
    """Drop the oldest entry of a bounded cache."""
    # Another thread may be evicting at the same moment: losing that race is harmless.
    with contextlib.suppress(KeyError, RuntimeError, StopIteration):
        del cache[next(iter(cache))]


# A yes/no search needs only RE2's own Match: the wrapper's `search` also builds a generator, maps
# byte offsets back to characters and a match object (about 4x the cost). Used when this version of
# the wrapper exposes it; the answer is the same either way.
_UNANCHORED = getattr(getattr(re2, "_Anchor", None), "UNANCHORED", None)
_NO_MATCH = (-1, -1)
# What `regex_search` matches with, by pattern, one cache per case mode (a lookup without building a
# key): (RE2's own program, True), or (the compiled wrapper, False) where the wrapper hides it.
_searchers: tuple[dict[str, tuple[Any, bool]], dict[str, tuple[Any, bool]]] = ({}, {})


def _searcher(pattern: str, ignore_case: bool) -> tuple[Any, bool]:
    compiled = compile_pattern(pattern, ignore_case)
    program = getattr(compiled, "_regexp", None)
    searcher = (compiled, False) if program is None or _UNANCHORED is None else (program, True)
    cache = _searchers[ignore_case]
    if len(cache) >= _CACHE_SIZE:
        evict_oldest(cache)
    cache[pattern] = searcher
    return searcher


def regex_search(pattern: str, text: str, ignore_case: bool = False) -> bool:
    """True if `pattern` matches anywhere in `text`."""
    searcher, raw = _searchers[ignore_case].get(pattern) or _searcher(pattern, ignore_case)
    try:
        if not raw:
            return searcher.search(text) is not None
        encoded = text.encode("utf-8")
        return searcher.Match(_UNANCHORED, encoded, 0, len(encoded))[0] != _NO_MATCH
    except UnicodeEncodeError as error:
        raise HogVMException(f"Can not match a regex against this text: {error.reason}") from None


def regex_extract(pattern: str, text: str) -> str | None:
    """The first capture group of the first match (or the whole match if the pattern has no group).

    None when nothing matches; '' when the group did not take part in the match."""
    compiled = compile_pattern(pattern)
    try:
        found = compiled.search(text)
    except UnicodeEncodeError as error:
        raise HogVMException(f"Can not match a regex against this text: {error.reason}") from None
    if found is None:
        return None
    if compiled.groups >= 1:
        return found.group(1) or ""
    return found.group(0)


def like_to_regex(pattern: str) -> str:
    """Translate a SQL LIKE pattern to RE2: `%` is any run of characters, `_` exactly one.

    Everything else is literal. Like both reference VMs, the result is used unanchored: LIKE finds
    the pattern anywhere in the text. (PostHog's RE2-based Python VM escapes `%` before replacing
    it, so there `'abc' like 'a%c'` is false; we follow the documented meaning, as the TS VM does.)"""
    parts: list[str] = []
    literal_start = 0
    for index, char in enumerate(pattern):
        if char == "%" or char == "_":
            if literal_start < index:
                parts.append(re2.escape(pattern[literal_start:index]))
            parts.append(".*" if char == "%" else ".")
            literal_start = index + 1
    if literal_start < len(pattern):
        parts.append(re2.escape(pattern[literal_start:]))
    return "".join(parts)


_like_cache: dict[str, str] = {}


def like_regex_cached(pattern: str) -> str:
    """`like_to_regex` memoised (LIKE patterns are almost always literals in a loop)."""
    translated = _like_cache.get(pattern)
    if translated is None:
        translated = like_to_regex(pattern)
        if len(_like_cache) >= _CACHE_SIZE:
            evict_oldest(_like_cache)
        _like_cache[pattern] = translated
    return translated
