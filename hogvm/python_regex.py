"""Regular expressions in Python's `re` dialect, for the builtins PostHog's Python VM runs through `re`.

PostHog's Python VM implements `match(text, pattern)` and `extractRegex(text, pattern)` with the
standard library's `re`, so a tagger sees `re`'s semantics there: Unicode `\\w`, `\\d`, `\\s` and
`\\b`, lookaround, backreferences, possessive quantifiers, atomic groups, and `re`'s errors for a
bad pattern. (The `=~` operators and LIKE keep RE2: see hogvm/regex.py.)

`re` itself backtracks with no time limit and holds the interpreter while it does, so one pattern
like `(a|aa)+$` could stall a server. We run patterns with the `regex` package instead: a
well-kept, `re`-compatible engine whose matching takes a per-call `timeout` (and releases the GIL
with `concurrent=True`), so a catastrophic pattern ends in a Hog timeout error within the run's
time limit.

`regex` is not `re` everywhere, so a pattern goes through three steps:

1. `re.compile` validates it: exactly the patterns `re` rejects are rejected, with `re`'s message
   (`regex` would accept `\\p{L}`, variable-width lookbehind, fuzzy `a{e<=1}`, `(?V1)`...).
2. `translate` rewrites the constructs whose meaning differs between the two engines: `\\w \\W \\d
   \\D \\s \\S \\b \\B` become explicit character sets computed from this Python's `str.isalnum`,
   `isdecimal` and `isspace` (what `re` uses; `regex` has its own, newer Unicode tables, and counts
   combining marks as word characters); a `{` that is not a quantifier becomes `\\{` (`regex`
   would read `{e<=1}` as a fuzzy constraint); `[`, `&`, `~`, `|`, `#` and whitespace inside a
   set are escaped (`regex` reads `[[:alpha:]]` as a POSIX class).
3. `regex` compiles and runs the result, each search bounded by the time the run has left.

What remains different is confined to characters newer than this Python's Unicode database
(case folding of letters added since) and, under `(?i)`, ten such characters inside `[...\\w...]`.
"""

from __future__ import annotations

import contextlib
import functools
import re
import sys
import warnings
from typing import Any

import regex

from hogvm.errors import HogVMException

# `re` warns about sets that may change meaning in future versions; its behaviour today is what
# PostHog's VM has, and the warning must not reach a host's logs once per pattern.
warnings.filterwarnings("ignore", category=FutureWarning, message=r"Possible (nested set|set )")

_CACHE_SIZE = 512
_cache: dict[str, Any] = {}


class RegexTimeout(Exception):
    """The search ran past the time it was given."""


# --- character sets as `re` defines them ------------------------------------------------------


def _ranges(test: Any) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    start = -1
    for code in range(sys.maxunicode + 2):
        inside = code <= sys.maxunicode and test(chr(code))
        if inside and start < 0:
            start = code
        elif not inside and start >= 0:
            found.append((start, code - 1))
            start = -1
    return found


def _escape(code: int) -> str:
    return f"\\U{code:08x}" if code > 0xFFFF else f"\\u{code:04x}"


def _set_body(ranges: list[tuple[int, int]]) -> str:
    return "".join(_escape(a) if a == b else f"{_escape(a)}-{_escape(b)}" for a, b in ranges)


_ASCII_BODIES = {"w": "a-zA-Z0-9_", "d": "0-9", "s": " \\t\\n\\r\\f\\v"}


@functools.cache
def _unicode_body(kind: str) -> str:
    """The members of `re`'s Unicode `\\w`, `\\d` or `\\s` as the inside of a `[...]` set."""
    tests = {"w": lambda ch: ch.isalnum() or ch == "_", "d": str.isdecimal, "s": str.isspace}
    return _set_body(_ranges(tests[kind]))


def _body(kind: str, ascii_only: bool) -> str:
    return _ASCII_BODIES[kind] if ascii_only else _unicode_body(kind)


# --- translation ------------------------------------------------------------------------------

_QUANTIFIER = re.compile(r"\{(\d*)(,(\d*))?\}")
_FLAGS = re.compile(r"\(\?([aiLmsux]*)(?:-([imsx]*))?([:)])")


class _Scope:
    """The flags that change how `translate` reads the pattern: verbose and ASCII."""

    __slots__ = ("ascii_only", "verbose")

    def __init__(self, verbose: bool, ascii_only: bool) -> None:
        self.verbose = verbose
        self.ascii_only = ascii_only


def translate(pattern: str) -> str:
    """`pattern` (already accepted by `re`) rewritten so that `regex` matches exactly what `re`
    matches. See the module docstring for what changes."""
    out: list[str] = []
    scopes = [_Scope(False, False)]
    i, n = 0, len(pattern)
    while i < n:
        scope = scopes[-1]
        char = pattern[i]
        if char == "\\":
            i = _escape_outside(pattern, i, scope, out)
            continue
        if char == "[":
            i = _set(pattern, i, scope, out)
            continue
        if char == "(":
            i = _group(pattern, i, scopes, out)
            continue
        if char == ")":
            if len(scopes) > 1:
                scopes.pop()
            out.append(char)
        elif char == "{":
            quantifier = _QUANTIFIER.match(pattern, i)
            if quantifier is None or quantifier.group(0) == "{}":
                out.append("\\{")
            else:
                low, comma, high = quantifier.group(1), quantifier.group(2), quantifier.group(3)
                out.append(f"{{{low or 0},{high or ''}}}" if comma else f"{{{low}}}")
                i = quantifier.end()
                continue
        elif scope.verbose and char == "#":
            end = pattern.find("\n", i)
            end = n if end < 0 else end + 1
            out.append(pattern[i:end])
            i = end
            continue
        else:
            out.append(char)
        i += 1
    return "".join(out)


def _escape_outside(pattern: str, i: int, scope: _Scope, out: list[str]) -> int:
    """An escape outside a set, at `pattern[i] == '\\\\'`; returns where the next token starts."""
    letter = pattern[i + 1] if i + 1 < len(pattern) else ""
    lower = letter.lower()
    if lower in ("w", "d", "s"):
        body = _body(lower, scope.ascii_only)
        # (?-i:...): a set of letters under (?i) would also take their case variants, which
        # `re`'s category test never does.
        out.append(f"(?-i:[{'^' if letter.isupper() else ''}{body}])")
        return i + 2
    if lower == "b":
        word = f"[{_body('w', scope.ascii_only)}]"
        if letter == "b":  # between a word character and a non-word one (never in an empty text)
            out.append(f"(?-i:(?:(?<={word})(?!{word})|(?<!{word})(?={word})))")
        else:  # not at a boundary, and, as in `re`, never in an empty text
            out.append(f"(?-i:(?:(?=[\\s\\S])|(?<=[\\s\\S]))(?:(?<={word})(?={word})|(?<!{word})(?!{word})))")
        return i + 2
    if letter == "N" and i + 2 < len(pattern) and pattern[i + 2] == "{":
        end = pattern.index("}", i) + 1
        out.append(pattern[i:end])
        return end
    out.append(pattern[i : i + 2])
    return i + 2


def _set(pattern: str, i: int, scope: _Scope, out: list[str]) -> int:
    """A `[...]` set starting at `pattern[i]`; returns the index after its closing `]`."""
    out.append("[")
    i += 1
    if i < len(pattern) and pattern[i] == "^":
        out.append("^")
        i += 1
    first = True
    while i < len(pattern):
        char = pattern[i]
        if char == "]" and not first:
            out.append("]")
            return i + 1
        first = False
        if char == "\\":
            letter = pattern[i + 1]
            if letter in "wds":
                out.append(_body(letter, scope.ascii_only))
                i += 2
                continue
            if letter in "WDS":
                # the complement of a class, as ranges that fit inside this set
                out.append(_complement_body(letter.lower(), scope.ascii_only))
                i += 2
                continue
            if letter == "N" and i + 2 < len(pattern) and pattern[i + 2] == "{":
                end = pattern.index("}", i) + 1
                out.append(pattern[i:end])
                i = end
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if char in "[&~|#" or char.isspace():
            out.append(_escape(ord(char)))
        elif char == "]":  # a leading ']' is a member
            out.append("\\]")
        else:
            out.append(char)
        i += 1
    raise HogVMException("Invalid regex pattern: unterminated character set")  # re rejected it first


@functools.cache
def _complement_body(kind: str, ascii_only: bool) -> str:
    if ascii_only:
        members = {"w": lambda ch: ch.isascii() and (ch.isalnum() or ch == "_"),
                   "d": lambda ch: "0" <= ch <= "9", "s": lambda ch: ch in " \t\n\r\f\v"}[kind]
    else:
        members = {"w": lambda ch: ch.isalnum() or ch == "_", "d": str.isdecimal, "s": str.isspace}[kind]
    return _set_body(_ranges(lambda ch: not members(ch)))


def _group(pattern: str, i: int, scopes: list[_Scope], out: list[str]) -> int:
    """An opening parenthesis at `pattern[i]`: a comment, inline flags, or a group."""
    scope = scopes[-1]
    if pattern.startswith("(?#", i):  # a comment runs to the first ')'
        end = pattern.index(")", i) + 1
        out.append(pattern[i:end])
        return end
    flags = _FLAGS.match(pattern, i)
    if flags is not None:
        on, off, end = flags.group(1), flags.group(2) or "", flags.group(3)
        verbose = ("x" in on or scope.verbose) and "x" not in off
        ascii_only = "a" in on or scope.ascii_only
        if end == ")":  # global flags (at the start: `re` rejects them elsewhere)
            for each in scopes:
                each.verbose, each.ascii_only = verbose, ascii_only
        else:
            scopes.append(_Scope(verbose, ascii_only))
        out.append(flags.group(0))
        return flags.end()
    if pattern.startswith("(?P=", i):  # a named backreference, not a group
        end = pattern.index(")", i) + 1
        out.append(pattern[i:end])
        return end
    if pattern.startswith("(?(", i):  # a conditional: copy its condition
        end = pattern.index(")", i + 3) + 1
        out.append(pattern[i:end])
        scopes.append(_Scope(scope.verbose, scope.ascii_only))
        return end
    if pattern.startswith("(?P<", i):
        end = pattern.index(">", i) + 1
        out.append(pattern[i:end])
        scopes.append(_Scope(scope.verbose, scope.ascii_only))
        return end
    scopes.append(_Scope(scope.verbose, scope.ascii_only))
    out.append("(")
    return i + 1


# --- compiling and matching -------------------------------------------------------------------


def compile_pattern(pattern: str) -> Any:
    """The `regex` program for a Python-`re` pattern, from the cache when possible. A pattern `re`
    rejects raises HogVMException with `re`'s message."""
    compiled = _cache.get(pattern)
    if compiled is not None:
        return compiled
    try:
        re.compile(pattern)
    except re.error as error:
        raise HogVMException(f"Invalid regex pattern: {error}") from None
    except (RecursionError, OverflowError, MemoryError) as error:
        raise HogVMException(f"Invalid regex pattern: {type(error).__name__}") from None
    try:
        compiled = regex.compile(translate(pattern), regex.VERSION0)
    except (regex.error, RecursionError, OverflowError, MemoryError, ValueError) as error:
        raise HogVMException(f"Invalid regex pattern: {error}") from None
    if len(_cache) >= _CACHE_SIZE:
        with contextlib.suppress(KeyError, RuntimeError, StopIteration):
            del _cache[next(iter(_cache))]
    _cache[pattern] = compiled
    return compiled


def search(pattern: str, text: str, timeout: float | None) -> Any:
    """The first match of `pattern` in `text` (a `regex` match object) or None. RegexTimeout if
    it takes longer than `timeout` seconds (None: no limit)."""
    compiled = compile_pattern(pattern)
    try:
        return compiled.search(text, concurrent=True, timeout=timeout)
    except TimeoutError:
        raise RegexTimeout from None


def matches(pattern: str, text: str, timeout: float | None) -> bool:
    return search(pattern, text, timeout) is not None


def extract(pattern: str, text: str, timeout: float | None) -> str | None:
    """The first group of the first match (the whole match if the pattern has no group); None
    when nothing matches, '' when the group took no part in the match."""
    found = search(pattern, text, timeout)
    if found is None:
        return None
    if found.re.groups >= 1:
        return found.group(1) or ""
    return found.group(0)
