"""Regular expressions in Python's `re` dialect, for the builtins PostHog's Python VM runs through `re`.

PostHog's Python VM implements `match(text, pattern)` and `extractRegex(text, pattern)` with the
standard library's `re`, so a tagger sees `re`'s semantics there: Unicode `\\w`, `\\d`, `\\s` and
`\\b`, lookaround, backreferences, possessive quantifiers, atomic groups, `re`'s case folding and
`re`'s errors for a bad pattern. (The `=~` operators and LIKE keep RE2: see hogvm/regex.py.)

`re` itself backtracks with no time limit and holds the interpreter while it does, so one pattern
like `(a|aa)+$` could stall a server. So `re` only validates the pattern (exactly the patterns it
rejects are rejected, with its message) and parses it; two other engines run it, each given the
pattern rewritten from `re`'s parse into explicit terms (hogvm/python_regex_emit.py): every
character matcher as the exact code points `re` accepts there (hogvm/python_regex_sets.py), every
anchor spelled out. Then:

1. **RE2** (linear time, no timeout needed) runs it when it can say the same thing: no lookaround,
   backreference, conditional, atomic group or possessive repeat, counts up to 1000, and the text
   is one where RE2's anchors mean what `re`'s do: `\\b` over Unicode words needs a text without
   non-ASCII word characters, `$` (without MULTILINE) a text that does not end with a newline,
   `\\B` a non-empty ASCII text (RE2 tests it between bytes, so inside a multi-byte character),
   and any text with a lone surrogate (not UTF-8) goes to `regex`. For the
   groups of `extractRegex`, a repeated part that can match empty also goes to `regex` (RE2 and
   backtracking engines fill such groups differently). RE2's leftmost-first search finds the match
   a backtracking engine finds, with the same groups.
2. **`regex`** (the `re`-compatible backtracking engine) runs everything else, each search bounded
   by the time the run has left (`timeout`, releasing the GIL), so a catastrophic pattern ends in
   a Hog timeout error within the run's time limit. `regex` unrolls the minimum of a counted
   repetition in memory (`\\w{10000}` would take 800 MB): a repetition that cannot fit in the text
   is written as a failure, and a program still estimated above `_MEMORY_BUDGET` is refused with
   `RegexTooLarge`. On a text without characters whose `\\w \\d \\s` membership differs between
   `re` and `regex` (`_classes_agree`), those classes and `\\b` are spelled as `regex`'s own: `regex`
   tests an explicit set range by range, and `\\b` over 700 ranges costs milliseconds per search.
   A case-insensitive backreference compares characters by `regex`'s case folding,
   not `re`'s lower case: when the text holds characters the two read differently (`s` and `ſ`,
   `i` and `İ`), those characters are renamed, in the text and in the program, to stand-ins whose
   case rules in `regex` are exactly `re`'s for them (see `_case_renaming`).
"""

from __future__ import annotations

import contextlib
import functools
import re
import warnings
from re import _constants as sre_constants
from typing import Any, NamedTuple

import re2
import regex
from regex import _regex

from grammar.errors import HogError
from hogvm import python_regex_emit as emit
from hogvm import python_regex_sets as sets
from hogvm.errors import HogVMException

# `re` warns about sets that may change meaning in future versions; its behaviour today is what
# PostHog's VM has, and the warning must not reach a host's logs once per pattern.
warnings.filterwarnings("ignore", category=FutureWarning, message=r"Possible (nested set|set )")

_CACHE_SIZE = 512
_cache: dict[str, Program] = {}

# `regex` programs are refused above this estimate of their size in memory (bytes; see RegexWriter).
_MEMORY_BUDGET = 64 << 20
_RE2_MAX_PROGRAM_MEMORY = 8 << 20
_UNANCHORED = re2._Anchor.UNANCHORED
_NO_MATCH = (-1, -1)
# re's Unicode word characters outside ASCII: where RE2's ASCII `\b` would read a text differently.
_NON_ASCII_WORD = re.compile(r"[^\W\x00-\x7f]")


class RegexTimeout(Exception):
    """The search ran past the time it was given."""


class RegexTooLarge(HogError):
    """The pattern cannot be run safely on this text (its program would be too large). Not a
    HogVMException: extractRegex must not read it as an invalid pattern."""


class Found(NamedTuple):
    """A match: its span and every group's text (None for a group that took no part)."""

    span: tuple[int, int]
    groups: tuple[str | None, ...]


def _re2_options() -> Any:
    options = re2.Options()
    options.max_mem = _RE2_MAX_PROGRAM_MEMORY
    options.log_errors = False
    return options


_RE2_OPTIONS = _re2_options()


class Program:
    """One pattern: `re`'s parse, its RE2 renderings (when RE2 can say it) and `regex` renderings."""

    def __init__(self, pattern: str) -> None:
        self.tree = emit.parse(pattern)
        self.groups = self.tree.state.groups - 1
        self.needs = emit.Needs()
        self.re2: dict[str, Any] = {}
        try:
            self.re2["none"] = self._re2("none")
        except (emit.NotExpressible, re2.error):
            self.re2 = {}
        self._needs_bound = False  # the unbounded program would be too large: one per text length
        # by (native classes, length bound)
        self._programs: dict[tuple[bool, int | None], tuple[Any, list[emit.Backref]]] = {}

    # --- RE2 ---

    def _re2(self, capture: str) -> Any:
        writer = emit.RE2Writer(capture)
        source = writer.write(self.tree)
        self.needs = writer.needs
        return re2.compile(source, options=_RE2_OPTIONS)._regexp

    def re2_program(self, capture: str) -> Any:
        """The RE2 program keeping `capture` groups ("none", "first", "all"), or None."""
        if not self.re2:
            return None
        program = self.re2.get(capture)
        if program is None:
            try:
                program = self.re2[capture] = self._re2(capture)
            except (emit.NotExpressible, re2.error):
                return None
        return program

    def re2_text(self, text: str, groups: bool) -> bytes | None:
        """`text` as RE2 reads it, if RE2 finds there exactly what `re` finds; else None."""
        if not self.re2:
            return None
        needs = self.needs
        if groups and needs.nullable_repeat:
            return None
        if needs.end_of_text and text.endswith("\n"):
            return None
        ascii_text = text.isascii()
        # RE2's `\\B` is a test between bytes: it matches inside a multi-byte UTF-8 character
        if needs.non_boundary and (not text or not ascii_text):
            return None
        if needs.unicode_boundary and not ascii_text and _NON_ASCII_WORD.search(text) is not None:
            return None
        if ascii_text:
            return text.encode("ascii")
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate
            return None

    # --- regex ---

    def regex_program(self, text_length: int, renaming: dict[int, int] | None = None,
                      native_classes: bool = False) -> tuple[Any, list[emit.Backref]]:
        """The `regex` program for a text of `text_length` characters, and its case-insensitive
        backreferences. `native_classes`: the text is one where `regex`'s own classes are `re`'s
        (see `_classes_agree`). RegexTooLarge when it would not fit in the memory budget."""
        bound = 1 << max(4, text_length.bit_length()) if self._needs_bound else None
        key = (native_classes, bound)
        if renaming is None and key in self._programs:
            return self._programs[key]
        writer = emit.RegexWriter(max_length=bound, renaming=renaming, native_classes=native_classes)
        source = writer.write(self.tree)
        if writer.estimate > _MEMORY_BUDGET and bound is None:
            # leave out the repetitions that cannot fit in a text this long, cap the others
            self._needs_bound = True
            bound = 1 << max(4, text_length.bit_length())
            key = (native_classes, bound)
            writer = emit.RegexWriter(max_length=bound, renaming=renaming, native_classes=native_classes)
            source = writer.write(self.tree)
        if writer.estimate > _MEMORY_BUDGET:
            raise RegexTooLarge(f"Regex pattern too large to run safely: its program would need about "
                                f"{writer.estimate >> 20} MiB (at most {_MEMORY_BUDGET >> 20} MiB)")
        try:
            program = (regex.compile(source, regex.VERSION0), writer.backrefs)
        except (regex.error, RecursionError, OverflowError, MemoryError, ValueError) as error:
            raise HogVMException(f"Invalid regex pattern: {error}") from None
        if renaming is None and len(self._programs) < 16:
            self._programs[key] = program
        return program

    def regex_search(self, text: str, timeout: float | None) -> Any:
        native = _classes_agree(text)
        compiled, backrefs = self.regex_program(len(text), native_classes=native)
        if backrefs:
            renaming = _case_renaming(text, backrefs)
            if renaming:
                compiled, _ = self.regex_program(len(text), renaming)
                text = text.translate(renaming)
        try:
            return compiled.search(text, concurrent=True, timeout=timeout)
        except TimeoutError:
            raise RegexTimeout from None


@functools.cache
def _class_differences() -> frozenset[str]:
    """The characters whose `\\w`, `\\d` or `\\s` membership differs between `re` and `regex`
    (their Unicode tables differ: `²` is `re`'s `\\w` only, combining marks `regex`'s). About 30,000,
    held as a set: `re` or `regex` take 30 to 400 times longer to find one in a text."""
    differ: list[sets.Ranges] = []
    for kind, name in ((sre_constants.CATEGORY_WORD, "\\w"), (sre_constants.CATEGORY_DIGIT, "\\d"),
                       (sre_constants.CATEGORY_SPACE, "\\s")):
        ours = sets.category(kind, False)
        native = sets.ask_engine(regex.compile(name + "+", regex.VERSION0))
        differ.append(sets.union(sets.minus(ours, native), sets.minus(native, ours)))
    return frozenset(chr(code) for low, high in sets.union(*differ) for code in range(low, high + 1))


def _classes_agree(text: str) -> bool:
    """True if every character of `text` is in `regex`'s `\\w`, `\\d` and `\\s` exactly when it is in
    `re`'s: on such a text the two engines' classes and word boundaries answer alike."""
    return _class_differences().isdisjoint(text)


# --- case-insensitive backreferences ----------------------------------------------------------------

_IGNORECASE = regex.VERSION0 | regex.IGNORECASE


def _regex_cases(code: int) -> frozenset[int]:
    """The characters `regex` takes as equal to `code` under IGNORECASE (backreferences included)."""
    return frozenset((code, *_regex.get_all_cases(_IGNORECASE, code)))


def _re_cases(code: int, ascii_only: bool) -> frozenset[int]:
    """The characters `re`'s case-insensitive backreference takes as equal to `code`."""
    cases = sets.case_tables(ascii_only)
    return frozenset(cases.preimage(cases.tolower(code)))


def _stand_in_pools() -> dict[int, list[tuple[int, ...]]]:
    """Groups of characters `regex` takes as equal among themselves and to nothing else, by size:
    stand-ins for letters whose case rules differ. (Scripts with plain one-to-one case pairs, the
    three-form digraphs, and private-use characters, which have no case.)"""
    pairs = [(upper, upper + offset) for first, last, offset in
             ((0x10400, 0x10427, 0x28), (0x104B0, 0x104D3, 0x28), (0x10C80, 0x10CB2, 0x40),
              (0x1E900, 0x1E921, 0x22)) for upper in range(first, last + 1)]
    triples = [(0x1C4, 0x1C5, 0x1C6), (0x1C7, 0x1C8, 0x1C9), (0x1CA, 0x1CB, 0x1CC), (0x1F1, 0x1F2, 0x1F3)]
    pools: dict[int, list[tuple[int, ...]]] = {1: [(code,) for code in range(0xF0000, 0xF0400)], 2: [], 3: []}
    for group in pairs + triples:
        if all(_regex_cases(member) == frozenset(group) for member in group):
            pools[len(group)].append(group)
    return pools


_pools: dict[int, list[tuple[int, ...]]] = {}


def _case_renaming(text: str, backrefs: list[emit.Backref]) -> dict[int, int] | None:
    """A renaming of characters of `text` under which `regex`'s case-insensitive equality between
    its characters is `re`'s, or None when the text needs none (always so for an ASCII text).

    A character whose equals among the text's characters differ between the engines is renamed,
    with every character `re` takes as its equal, to one group of stand-ins (`_stand_in_pools`)."""
    if text.isascii():
        return None
    modes = {backref.ascii_only for backref in backrefs}
    if len(modes) > 1:
        raise RegexTooLarge("Regex pattern not supported: case-insensitive backreferences in both "
                            "ASCII and Unicode mode")
    ascii_only = modes.pop()
    alphabet = set(map(ord, set(text)))
    renamed: dict[int, list[int]] = {}  # re's lower case -> the text's characters with it
    for code in alphabet:
        wanted = _re_cases(code, ascii_only)
        if _regex_cases(code) & alphabet != wanted & alphabet:
            renamed[min(wanted)] = sorted(wanted & alphabet)
    if not renamed:
        return None
    if not _pools:
        _pools.update(_stand_in_pools())
    renaming: dict[int, int] = {}
    taken: set[int] = set()
    for members in renamed.values():
        group = next((group for size in range(len(members), 4) for group in _pools.get(size, [])
                      if alphabet.isdisjoint(group) and taken.isdisjoint(group)), None)
        if group is None:
            raise RegexTooLarge("Regex pattern not supported on this text: too many letters whose "
                                "case rules differ between engines")
        taken.update(group)
        renaming.update(zip(members, group, strict=False))
    return renaming


# --- compiling and matching -------------------------------------------------------------------------


def compile_pattern(pattern: str) -> Program:
    """The program for a Python-`re` pattern, from the cache when possible. A pattern `re` rejects
    raises HogVMException with `re`'s message."""
    program = _cache.get(pattern)
    if program is not None:
        return program
    try:
        re.compile(pattern)
    except re.error as error:
        raise HogVMException(f"Invalid regex pattern: {error}") from None
    except (RecursionError, OverflowError, MemoryError) as error:
        raise HogVMException(f"Invalid regex pattern: {type(error).__name__}") from None
    try:
        program = Program(pattern)
    except (RecursionError, MemoryError) as error:
        raise HogVMException(f"Invalid regex pattern: {type(error).__name__}") from None
    if len(_cache) >= _CACHE_SIZE:
        with contextlib.suppress(KeyError, RuntimeError, StopIteration):
            del _cache[next(iter(_cache))]
    _cache[pattern] = program
    return program


def matches(pattern: str, text: str, timeout: float | None) -> bool:
    """True if `pattern` matches anywhere in `text`. RegexTimeout past `timeout` seconds."""
    program = compile_pattern(pattern)
    encoded = program.re2_text(text, groups=False)
    if encoded is not None:
        return program.re2["none"].Match(_UNANCHORED, encoded, 0, len(encoded))[0] != _NO_MATCH
    return program.regex_search(text, timeout) is not None


def extract(pattern: str, text: str, timeout: float | None) -> str | None:
    """The first group of the first match (the whole match if the pattern has no group); None
    when nothing matches, '' when the group took no part in the match."""
    program = compile_pattern(pattern)
    encoded = program.re2_text(text, groups=True)
    if encoded is not None:
        found = program.re2_program("first")
        if found is not None:
            spans = found.Match(_UNANCHORED, encoded, 0, len(encoded))
            if spans[0] == _NO_MATCH:
                return None
            start, end = spans[1] if program.groups >= 1 else spans[0]
            if start < 0:
                return ""
            return encoded[start:end].decode("utf-8")
    match = program.regex_search(text, timeout)
    if match is None:
        return None
    if program.groups >= 1:
        return _original(text, match, 1) or ""
    return _original(text, match, 0)


def _original(text: str, match: Any, group: int) -> str | None:
    # a renamed text was searched: take the group's characters from the original
    start, end = match.span(group)
    return None if start < 0 else text[start:end]


def search(pattern: str, text: str, timeout: float | None, engine: str = "auto") -> Found | None:
    """The first match with all its groups, for tests and diagnostics. `engine`: "auto" (the
    engine `extractRegex` would use), "regex", or "re2" (LookupError where RE2 cannot answer)."""
    program = compile_pattern(pattern)
    encoded = None if engine == "regex" else program.re2_text(text, groups=engine == "auto")
    found = None if encoded is None else program.re2_program("all")
    if found is not None:
        spans = found.Match(_UNANCHORED, encoded, 0, len(encoded))
        if spans[0] == _NO_MATCH:
            return None
        start, end = spans[0]
        return Found((len(encoded[:start].decode("utf-8")), len(encoded[:end].decode("utf-8"))),
                     tuple(None if low < 0 else encoded[low:high].decode("utf-8") for low, high in spans[1:]))
    if engine == "re2":
        raise LookupError("RE2 cannot answer for this pattern and text")
    match = program.regex_search(text, timeout)
    if match is None:
        return None
    return Found(match.span(), tuple(_original(text, match, group) for group in range(1, program.groups + 1)))
