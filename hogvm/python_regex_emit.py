"""A Python `re` pattern written out for another engine (`regex`, RE2) with `re`'s exact meaning.

The pattern is read by `re`'s own parser (`re._parser`, the one `re.compile` uses), so escapes,
verbose mode, scoped flags, `{` that is not a quantifier and every other reading are `re`'s. The
tree is then written out in a small, explicit subset of syntax that both target engines read the
same way:

- every single-character matcher (literal, `.`, `[...]`, `\\w`...) becomes the exact set of code
  points `re` accepts under the flags in force there (hogvm/python_regex_sets.py): no inline flags,
  no case folding and no class tables of the target engine are involved;
- anchors become explicit: `re`'s `$` (end, or before a final newline), `^` and `$` under
  MULTILINE, and `\\b`/`\\B` as lookarounds over `re`'s word characters (`regex`), or RE2's own
  `\\A \\z \\b \\B (?m:^) (?m:$)` where they mean the same on the text at hand (see `Needs`);
- groups keep their numbers; structure (alternation, greedy, lazy and possessive repeats, atomic
  groups, lookaround, backreferences, conditionals) is written in the `regex` package's syntax,
  which is `re`'s. A lookbehind becomes a lookahead inside a fixed-width lookbehind, because
  `regex` matches lookbehinds right to left and would fill their groups from the other end.

RE2 has no lookaround, backreferences, conditionals, atomic groups or possessive repeats, and at
most 1000 repetitions: a pattern with any of them raises `NotExpressible` for that target.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from dataclasses import dataclass
from re import _constants, _parser
from typing import Any

from hogvm import python_regex_sets as sets

_C = _constants
_MAXREPEAT = _C.MAXREPEAT
_IGNORECASE, _MULTILINE, _ASCII = _C.SRE_FLAG_IGNORECASE, _C.SRE_FLAG_MULTILINE, _C.SRE_FLAG_ASCII
_TYPE_FLAGS = _parser.TYPE_FLAGS
_RE2_MAX_REPEAT = 1000
_SURROGATES: sets.Ranges = ((0xD800, 0xDFFF),)


class NotExpressible(Exception):
    """The target engine has no construct with this meaning."""


def parse(pattern: str) -> Any:
    """`re`'s parse of a pattern `re.compile` has already accepted."""
    return _parser.parse(pattern, 0)


def _combine(flags: int, add: int, remove: int) -> int:
    # re._compiler._combine_flags: a type flag (ASCII, UNICODE) added replaces the other one
    if add & _TYPE_FLAGS:
        flags &= ~_TYPE_FLAGS
    return (flags | add) & ~remove


@dataclass
class Needs:
    """What an RE2 rendering relies on about the text, checked before each search."""

    unicode_boundary: bool = False  # `\\b`/`\\B` over Unicode words: no non-ASCII word character
    non_boundary: bool = False  # `\\B`: not the empty text (where re never matches it, RE2 does)
    end_of_text: bool = False  # `$` without MULTILINE as `\\z`: the text does not end with '\\n'
    nullable_repeat: bool = False  # a repeated part can match empty: spans and groups may differ


@dataclass
class Backref:
    """A backreference under IGNORECASE: its case rules (`ascii`) are not the target's."""

    ascii_only: bool


class _Writer(ABC):
    """Writes one parse tree for one target; subclasses say how each piece is spelled."""

    def __init__(self, capture: str) -> None:
        self.capture = capture  # "all", "first" (group 1 only) or "none"
        self.out: list[str] = []

    def write(self, tree: Any) -> str:
        self.sequence(tree.data, tree.state.flags)
        return "".join(self.out)

    def sequence(self, items: list[tuple[Any, Any]], flags: int) -> None:
        for op, value in items:
            self.item(op, value, flags)

    def item(self, op: Any, value: Any, flags: int) -> None:
        put = self.out.append
        if op is _C.LITERAL:
            self.leaf(sets.literal(value, flags), single=value if not flags & _IGNORECASE else None)
        elif op is _C.NOT_LITERAL:
            self.leaf(sets.complement(sets.literal(value, flags)))
        elif op is _C.ANY:
            self.leaf(sets.any_character(flags))
        elif op is _C.IN:
            self.leaf(sets.charset(value, flags))
        elif op is _C.AT:
            self.anchor(value, flags)
        elif op is _C.BRANCH:
            put("(?:")
            for index, branch in enumerate(value[1]):
                if index:
                    put("|")
                self.sequence(branch.data, flags)
            put(")")
        elif op is _C.SUBPATTERN:
            group, add, remove, body = value
            keep = group is not None and (self.capture == "all" or (self.capture == "first" and group == 1))
            put(self.open_group(group) if keep else "(?:")
            self.sequence(body.data, _combine(flags, add, remove))
            put(")")
        elif op in (_C.MAX_REPEAT, _C.MIN_REPEAT, _C.POSSESSIVE_REPEAT):
            self.repeat(op, value, flags)
        else:
            self.other(op, value, flags)

    def repeat(self, op: Any, value: Any, flags: int) -> None:
        low, high, body = value
        self.out.append("(?:")
        self.sequence(body.data, flags)
        self.out.append(")")
        self.out.append(f"{{{low},}}" if high == _MAXREPEAT else f"{{{low},{high}}}")
        if op is _C.MIN_REPEAT:
            self.out.append("?")
        elif op is _C.POSSESSIVE_REPEAT:
            self.out.append("+")

    # --- spelled per target ---

    def open_group(self, group: int) -> str:
        return "("

    @abstractmethod
    def leaf(self, ranges: sets.Ranges, single: int | None = None) -> None:
        """One character matcher: the code points `ranges` (`single` when it is one)."""

    @abstractmethod
    def anchor(self, code: Any, flags: int) -> None:
        """`^`, `$`, `\\A`, `\\Z`, `\\b` or `\\B` under `flags`."""

    def other(self, op: Any, value: Any, flags: int) -> None:
        raise NotExpressible(str(op))


# --- the regex package ----------------------------------------------------------------------------


def _regex_code(code: int) -> str:
    if code < 128 and chr(code).isalnum():
        return chr(code)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def regex_set(ranges: sets.Ranges) -> str:
    if not ranges:
        return "[^\\x00-\\U0010ffff]"
    body = "".join(_regex_code(low) if low == high else f"{_regex_code(low)}-{_regex_code(high)}"
                   for low, high in ranges)
    return f"[{body}]"


_ANY = "[\\x00-\\U0010ffff]"


@functools.cache
def _native_classes() -> dict[sets.Ranges, str]:
    """`re`'s Unicode classes (as code-point ranges) and how `regex` spells its own."""
    names = {_C.CATEGORY_WORD: "\\w", _C.CATEGORY_NOT_WORD: "\\W", _C.CATEGORY_DIGIT: "\\d",
             _C.CATEGORY_NOT_DIGIT: "\\D", _C.CATEGORY_SPACE: "\\s", _C.CATEGORY_NOT_SPACE: "\\S"}
    return {sets.category(code, False): name for code, name in names.items()}


class RegexWriter(_Writer):
    """For the `regex` package (VERSION0, no flags). `max_length`: the longest text this program
    will search; a repetition that cannot fit is written as a failure and counts are capped to it,
    since `regex` unrolls the minimum of a counted repetition in memory (`a{2000000000}` would
    exhaust it where `re` runs in a loop)."""

    def __init__(self, capture: str = "all", max_length: int | None = None,
                 renaming: dict[int, int] | None = None, native_classes: bool = False) -> None:
        super().__init__(capture)
        self.max_length = max_length
        self.renaming = renaming  # characters of the text renamed to stand-ins (see python_regex)
        # The text holds no character whose `\\w \\d \\s` membership differs between `re` and
        # `regex`: Unicode classes and `\\b` may be spelled natively (`regex` tests a set of hundreds
        # of ranges range by range, so `\\b` spelled out costs milliseconds per search).
        self.native_classes = native_classes and not renaming
        self.backrefs: list[Backref] = []
        self.estimate = 0  # the compiled program's size in bytes, roughly (repetitions unrolled)

    def renamed(self, ranges: sets.Ranges) -> sets.Ranges:
        """`ranges` as seen in a renamed text: a stand-in is accepted where its original was."""
        if not self.renaming:
            return ranges
        images = sets.from_codes(self.renaming.values())
        accepted = [image for code, image in self.renaming.items() if sets.contains(ranges, code)]
        return sets.union(sets.minus(ranges, images), sets.from_codes(accepted))

    def leaf(self, ranges: sets.Ranges, single: int | None = None) -> None:
        if self.native_classes and single is None:
            native = _native_classes().get(ranges)
            if native is not None:
                self.estimate += 260
                self.out.append(native)
                return
        if self.renaming:
            ranges, single = self.renamed(ranges), None
        # measured: about 260 bytes per character matcher and 110 per range of a set
        self.estimate += 260 + (110 * len(ranges) if single is None else 0)
        self.out.append(_regex_code(single) if single is not None else regex_set(ranges))

    def repeat(self, op: Any, value: Any, flags: int) -> None:
        low, high, body = value
        if self.max_length is not None:
            narrowest = body.getwidth()[0]
            if narrowest and low * narrowest > self.max_length:
                # cannot match in a text this short; the body stays, repeated zero times, to define
                # the groups later backreferences name
                self.out.append("(?!)")
                super().repeat(op, (0, 0, body), flags)
                return
            if narrowest:
                longest = self.max_length // narrowest
                high = min(high, longest)
        before = self.estimate
        super().repeat(op, (low, high, body), flags)
        self.estimate = before + (self.estimate - before) * max(low, 1)

    def anchor(self, code: Any, flags: int) -> None:
        put = self.out.append
        multiline = bool(flags & _MULTILINE)
        if code is _C.AT_BEGINNING:
            put("(?<![^\\n])" if multiline else f"(?<!{_ANY})")
        elif code is _C.AT_BEGINNING_STRING:
            put(f"(?<!{_ANY})")
        elif code is _C.AT_END:
            put("(?![^\\n])" if multiline else f"(?=\\n?(?!{_ANY}))")
        elif code is _C.AT_END_STRING:
            put(f"(?!{_ANY})")
        elif code in (_C.AT_BOUNDARY, _C.AT_NON_BOUNDARY) and self.native_classes and not flags & _ASCII:
            # `regex`'s VERSION0 `\\b` is a change of its `\\w`; `\\B`, as in re, never in the empty text
            put("\\b" if code is _C.AT_BOUNDARY else f"(?:(?={_ANY})|(?<={_ANY}))\\B")
        elif code in (_C.AT_BOUNDARY, _C.AT_NON_BOUNDARY):
            word = regex_set(self.renamed(sets.word_characters(bool(flags & _ASCII))))
            self.estimate += 4 * 110 * word.count("-")
            if code is _C.AT_BOUNDARY:
                put(f"(?:(?<={word})(?!{word})|(?<!{word})(?={word}))")
            else:  # and, as in re, never in the empty text
                put(f"(?:(?={_ANY})|(?<={_ANY}))(?:(?<={word})(?={word})|(?<!{word})(?!{word}))")
        else:
            raise NotExpressible(str(code))

    def other(self, op: Any, value: Any, flags: int) -> None:
        put = self.out.append
        if op is _C.ATOMIC_GROUP:
            put("(?>")
            self.sequence(value.data, flags)
            put(")")
        elif op in (_C.ASSERT, _C.ASSERT_NOT):
            direction, body = value
            negative = op is _C.ASSERT_NOT
            if direction > 0:
                put("(?!" if negative else "(?=")
                self.sequence(body.data, flags)
                put(")")
            else:  # step back by the (fixed) width, then match forwards as re does
                width = body.getwidth()[0]
                put("(?<!" if negative else "(?<=")
                put("(?=")
                self.sequence(body.data, flags)
                put(f"){_ANY}{{{width}}})")
        elif op is _C.GROUPREF:
            if flags & _IGNORECASE:
                self.backrefs.append(Backref(bool(flags & _ASCII)))
                put(f"(?i:\\g<{value}>)")
            else:
                put(f"(?:\\g<{value}>)")
        elif op is _C.GROUPREF_EXISTS:
            group, yes, no = value
            put(f"(?({group})")
            self.sequence(yes.data, flags)
            if no is not None:
                put("|")
                self.sequence(no.data, flags)
            put(")")
        else:
            raise NotExpressible(str(op))


# --- RE2 ------------------------------------------------------------------------------------------


def _re2_code(code: int) -> str:
    if code < 128 and chr(code).isalnum():
        return chr(code)
    return f"\\x{{{code:x}}}"


def re2_set(ranges: sets.Ranges) -> str:
    ranges = sets.minus(ranges, _SURROGATES)  # UTF-8 text never holds them
    if not ranges:
        return "[^\\x{0}-\\x{10ffff}]"
    body = "".join(_re2_code(low) if low == high else f"{_re2_code(low)}-{_re2_code(high)}"
                   for low, high in ranges)
    return f"[{body}]"


class RE2Writer(_Writer):
    """For RE2 (UTF-8, leftmost-first, case-sensitive). `needs` collects what the rendering
    assumes about the text."""

    def __init__(self, capture: str = "all") -> None:
        super().__init__(capture)
        self.needs = Needs()

    def leaf(self, ranges: sets.Ranges, single: int | None = None) -> None:
        self.out.append(_re2_code(single) if single is not None and not 0xD800 <= single <= 0xDFFF
                        else re2_set(ranges))

    def repeat(self, op: Any, value: Any, flags: int) -> None:
        low, high, body = value
        if op is _C.POSSESSIVE_REPEAT:
            raise NotExpressible("possessive repeat")
        if low > _RE2_MAX_REPEAT or (high != _MAXREPEAT and high > _RE2_MAX_REPEAT):
            raise NotExpressible("repeat count")
        if body.getwidth()[0] == 0:
            self.needs.nullable_repeat = True
        super().repeat(op, value, flags)

    def anchor(self, code: Any, flags: int) -> None:
        put = self.out.append
        multiline = bool(flags & _MULTILINE)
        if code is _C.AT_BEGINNING:
            put("(?m:^)" if multiline else "\\A")
        elif code is _C.AT_BEGINNING_STRING:
            put("\\A")
        elif code is _C.AT_END:
            if not multiline:
                self.needs.end_of_text = True
            put("(?m:$)" if multiline else "\\z")
        elif code is _C.AT_END_STRING:
            put("\\z")
        elif code in (_C.AT_BOUNDARY, _C.AT_NON_BOUNDARY):
            if not flags & _ASCII:
                self.needs.unicode_boundary = True
            if code is _C.AT_NON_BOUNDARY:
                self.needs.non_boundary = True
            put("\\b" if code is _C.AT_BOUNDARY else "\\B")
        else:
            raise NotExpressible(str(code))
