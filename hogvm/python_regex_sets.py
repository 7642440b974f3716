"""Which characters one of Python `re`'s single-character matchers accepts, as code-point ranges.

A literal, `.`, a `[...]` set or a class such as `\\w` matches one character; what it accepts
depends on the flags in force (IGNORECASE, ASCII, DOTALL). `re` decides that with its own tables
(`_sre.unicode_tolower`, `unicode_iscased`, the extra cases of `re._casefix`, and `str.isalnum`,
`isdecimal`, `isspace` for the classes), by rules that other engines do not share: `regex` and
RE2 fold case by Unicode's case-folding tables, which pair different letters (`ſ` with `s`,
`ς` with `σ`, `ͅ` with `ι`), and their Unicode tables are newer. So hogvm/python_regex.py never
lets another engine fold case or interpret a class: it gives each matcher as an explicit list of
code-point ranges computed here, by `re`'s rules:

- a literal under IGNORECASE (`re._compiler._compile`): a cased `c` accepts every `t` whose
  lower case is `lower(c)` or one of `lower(c)`'s extra cases; an uncased one only itself;
- a set under IGNORECASE (`_optimize_charset`): its literals and ranges are lowered (with extra
  cases) into a map of the Basic Multilingual Plane; members beyond it stay as they are; if any
  member is cased, a character `t` is tested as `lower(t)`, classes included, else as itself;
- the classes are asked of `re` itself, once, over every code point.

The rule for a set with a range reaching beyond U+FFFF under IGNORECASE also involves
`re`'s simple upper case, which Python does not expose: such a set is computed by running `re`
over every code point (the same answer by construction, at a few milliseconds). The tests check
these rules against `re` exhaustively for a corpus of matchers.
"""

from __future__ import annotations

import _sre
import array
import bisect
import functools
import re
import sys
from collections.abc import Iterable
from re import _casefix, _constants
from typing import Any

Ranges = tuple[tuple[int, int], ...]

LAST = sys.maxunicode
EVERYTHING: Ranges = ((0, LAST),)
NOTHING: Ranges = ()
_BMP_END = 0x10000  # re's case map covers the Basic Multilingual Plane; the rest is kept aside

_C = _constants
_IGNORECASE = _C.SRE_FLAG_IGNORECASE
_ASCII = _C.SRE_FLAG_ASCII
_DOTALL = _C.SRE_FLAG_DOTALL


# --- range arithmetic ---------------------------------------------------------------------------


def normalize(ranges: Iterable[tuple[int, int]]) -> Ranges:
    """Sorted, disjoint and merged (adjacent ranges joined)."""
    merged: list[list[int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    return tuple((low, high) for low, high in merged)


def from_codes(codes: Iterable[int]) -> Ranges:
    return normalize((code, code) for code in codes)


def union(*sets: Ranges) -> Ranges:
    return normalize(pair for ranges in sets for pair in ranges)


def complement(ranges: Ranges) -> Ranges:
    out = []
    start = 0
    for low, high in ranges:
        if low > start:
            out.append((start, low - 1))
        start = high + 1
    if start <= LAST:
        out.append((start, LAST))
    return tuple(out)


def minus(ranges: Ranges, removed: Ranges) -> Ranges:
    return complement(union(complement(ranges), removed))


def intersect(first: Ranges, second: Ranges) -> Ranges:
    return complement(union(complement(first), complement(second)))


def contains(ranges: Ranges, code: int) -> bool:
    index = bisect.bisect_right(ranges, (code, LAST)) - 1
    return index >= 0 and ranges[index][0] <= code <= ranges[index][1]


def codes_in(ranges: Ranges, candidates: Iterable[int]) -> list[int]:
    return [code for code in candidates if contains(ranges, code)]


# --- asking re itself ---------------------------------------------------------------------------


def _every_code_point() -> str:
    # One string holding U+0000..U+10FFFF in order (lone surrogates included), so a run of matches
    # of `X+` in it is a range of code points. Built on demand and not kept (4 MiB).
    return array.array("I", range(LAST + 1)).tobytes().decode("utf-32-le", "surrogatepass")


def ask_engine(compiled: Any) -> Ranges:
    """The code points a compiled `X+` pattern (of `re` or `regex`) matches, one by one."""
    return tuple((found.start(), found.end() - 1) for found in compiled.finditer(_every_code_point()))


def ask_re(matchers: list[str]) -> list[Ranges]:
    """The characters each single-character `re` pattern in `matchers` accepts, by running `re`."""
    everything = _every_code_point()
    return [tuple((found.start(), found.end() - 1) for found in re.finditer(f"(?:{matcher})+", everything))
            for matcher in matchers]


@functools.cache
def _unicode_classes() -> dict[Any, Ranges]:
    word, digit, space = ask_re([r"\w", r"\d", r"\s"])
    return {_C.CATEGORY_WORD: word, _C.CATEGORY_DIGIT: digit, _C.CATEGORY_SPACE: space}


_ASCII_CLASSES: dict[Any, Ranges] = {
    _C.CATEGORY_WORD: normalize([(48, 57), (65, 90), (97, 122), (95, 95)]),
    _C.CATEGORY_DIGIT: ((48, 57),),
    _C.CATEGORY_SPACE: normalize([(9, 13), (32, 32)]),  # Py_ISSPACE: no \x1c-\x1f in ASCII mode
}
_NEGATED_CLASS = {_C.CATEGORY_NOT_WORD: _C.CATEGORY_WORD, _C.CATEGORY_NOT_DIGIT: _C.CATEGORY_DIGIT,
                  _C.CATEGORY_NOT_SPACE: _C.CATEGORY_SPACE}


def category(code: Any, ascii_only: bool) -> Ranges:
    """`\\w \\W \\d \\D \\s \\S` as `re` reads them with (or without) the ASCII flag."""
    positive = _NEGATED_CLASS.get(code, code)
    table = _ASCII_CLASSES if ascii_only else _unicode_classes()
    if positive not in table:
        raise ValueError(f"unknown class {code}")
    members = table[positive]
    return complement(members) if positive is not code else members


def word_characters(ascii_only: bool) -> Ranges:
    return category(_C.CATEGORY_WORD, ascii_only)


# --- re's case tables ---------------------------------------------------------------------------


class _Cases:
    """Lower case, casedness and extra cases as `re` uses them in one mode (Unicode or ASCII)."""

    def __init__(self, tolower: Any, iscased: Any, fixes: dict[int, tuple[int, ...]],
                 changed: list[int], cased: list[int]) -> None:
        self.tolower = tolower
        self.iscased = iscased
        self.fixes = fixes
        self.changed = changed  # the code points whose lower case is another one, ascending
        self.changed_set = frozenset(changed)
        self.cased = cased  # the cased code points, ascending
        self.lowered_from: dict[int, list[int]] = {}
        for code in changed:
            self.lowered_from.setdefault(tolower(code), []).append(code)

    def preimage(self, lower: int) -> list[int]:
        """Every code point whose lower case is `lower`."""
        own = [] if lower in self.changed_set else [lower]
        return own + self.lowered_from.get(lower, [])

    def any_cased(self, low: int, high: int) -> bool:
        index = bisect.bisect_left(self.cased, low)
        return index < len(self.cased) and self.cased[index] <= high


@functools.cache
def _unicode_cases() -> _Cases:
    tolower, iscased = _sre.unicode_tolower, _sre.unicode_iscased
    changed = [code for code in range(LAST + 1) if tolower(code) != code]
    cased = [code for code in range(LAST + 1) if iscased(code)]
    return _Cases(tolower, iscased, _casefix._EXTRA_CASES, changed, cased)


@functools.cache
def _ascii_cases() -> _Cases:
    tolower, iscased = _sre.ascii_tolower, _sre.ascii_iscased
    changed = list(range(65, 91))
    cased = [*range(65, 91), *range(97, 123)]
    return _Cases(tolower, iscased, {}, changed, cased)


def case_tables(ascii_only: bool) -> _Cases:
    return _ascii_cases() if ascii_only else _unicode_cases()


def _cases(flags: int) -> _Cases:
    return case_tables(bool(flags & _ASCII))


def lowered_back(cases: _Cases, lowers: Ranges) -> Ranges:
    """Every code point `t` with `lower(t)` in `lowers`."""
    kept = minus(lowers, from_codes(cases.changed))
    gained = [code for code in cases.changed if contains(lowers, cases.tolower(code))]
    return union(kept, from_codes(gained))


# --- the matchers -------------------------------------------------------------------------------


def literal(code: int, flags: int) -> Ranges:
    """The characters a literal accepts (NOT_LITERAL is the complement)."""
    if not flags & _IGNORECASE:
        return ((code, code),)
    cases = _cases(flags)
    if not cases.iscased(code):
        return ((code, code),)
    lower = cases.tolower(code)
    lowers = (lower, *cases.fixes.get(lower, ()))
    return from_codes(member for each in lowers for member in cases.preimage(each))


def any_character(flags: int) -> Ranges:
    return EVERYTHING if flags & _DOTALL else complement(((10, 10),))


def charset(items: list[tuple[Any, Any]], flags: int) -> Ranges:
    """The characters a `[...]` set accepts: `items` as re's parser gives them (LITERAL, RANGE,
    CATEGORY, a leading NEGATE)."""
    negate = bool(items) and items[0][0] is _C.NEGATE
    members = [(op, value) for op, value in items if op is not _C.NEGATE]
    accepted = _charset_members(members, flags)
    return complement(accepted) if negate else accepted


def _raw(op: Any, value: Any, ascii_only: bool) -> Ranges:
    if op is _C.LITERAL:
        return ((value, value),)
    if op is _C.RANGE:
        return ((value[0], value[1]),)
    if op is _C.CATEGORY:
        return category(value, ascii_only)
    raise ValueError(f"unknown set member {op}")


def _charset_members(members: list[tuple[Any, Any]], flags: int) -> Ranges:
    ascii_only = bool(flags & _ASCII)
    if not flags & _IGNORECASE:
        return union(*(_raw(op, value, ascii_only) for op, value in members))
    cases = _cases(flags)
    tested: list[Ranges] = []  # what lower(t) is tested against, when any member is cased
    hascased = False
    for op, value in members:
        if op is _C.LITERAL:
            lower = cases.tolower(value)
            if lower >= _BMP_END:  # outside the map: kept as written, tested against lower(t)
                tested.append(((value, value),))
                hascased = True
                continue
            tested.append(from_codes((lower, *cases.fixes.get(lower, ()))))
            hascased = hascased or cases.iscased(value)
        elif op is _C.RANGE:
            low, high = value
            if high >= _BMP_END:
                # re keeps such a range as RANGE_UNI_IGNORE, tested with lower(t) and its simple
                # upper case, which Python does not expose: ask re for the whole set.
                return _ask_re_for_set(members, flags)
            inside = ((low, high),)
            moved = cases.changed[bisect.bisect_left(cases.changed, low):bisect.bisect_right(cases.changed, high)]
            lowers = union(minus(inside, from_codes(moved)), from_codes(cases.tolower(code) for code in moved))
            extra = [fix for lower, fixes in cases.fixes.items() if contains(lowers, lower) for fix in fixes]
            tested.append(union(lowers, from_codes(extra)))
            hascased = hascased or cases.any_cased(low, high)
        else:
            tested.append(_raw(op, value, ascii_only))
    if not hascased:  # the set is tested with the character itself (its members are uncased)
        return union(*(_raw(op, value, ascii_only) for op, value in members))
    return lowered_back(cases, union(*tested))


@functools.lru_cache(maxsize=256)
def _ask_re_for_set_cached(source: str) -> Ranges:
    return ask_re([source])[0]


def _ask_re_for_set(members: list[tuple[Any, Any]], flags: int) -> Ranges:
    return _ask_re_for_set_cached(_set_source(members, flags))


def _set_source(members: list[tuple[Any, Any]], flags: int) -> str:
    """A `re` pattern for the set `members` under `flags` (its members written as escapes)."""
    names = {_C.CATEGORY_WORD: "\\w", _C.CATEGORY_NOT_WORD: "\\W", _C.CATEGORY_DIGIT: "\\d",
             _C.CATEGORY_NOT_DIGIT: "\\D", _C.CATEGORY_SPACE: "\\s", _C.CATEGORY_NOT_SPACE: "\\S"}
    parts = []
    for op, value in members:
        if op is _C.LITERAL:
            parts.append(f"\\U{value:08x}")
        elif op is _C.RANGE:
            parts.append(f"\\U{value[0]:08x}-\\U{value[1]:08x}")
        else:
            parts.append(names[value])
    mode = ("i" if flags & _IGNORECASE else "") + ("a" if flags & _ASCII else "")
    return f"(?{mode}:[{''.join(parts)}])" if mode else f"[{''.join(parts)}]"
