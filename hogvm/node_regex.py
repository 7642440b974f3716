"""Regexes as PostHog's Node services run them: RE2 through node-re2 (`createTrackedRE2(regex).test`).

node-re2 takes `String()` of both pattern and text, converts the text to UTF-8 (a lone surrogate
becomes U+FFFD) and rewrites JavaScript spellings in the pattern to RE2's (`node_re2_pattern`);
matching is then RE2's, through the VM's one compiled-pattern cache (hogvm/regex.py).
"""

from __future__ import annotations

import re
from typing import Any

from hogvm import node_values as js
from hogvm.operators import like as like_strings
from hogvm.regex import regex_search

_UNICODE_CLASSES = {
    "Uppercase_Letter": "Lu", "Lowercase_Letter": "Ll", "Titlecase_Letter": "Lt", "Cased_Letter": "LC",
    "Modifier_Letter": "Lm", "Other_Letter": "Lo", "Letter": "L", "Nonspacing_Mark": "Mn",
    "Spacing_Mark": "Mc", "Enclosing_Mark": "Me", "Mark": "M", "Decimal_Number": "Nd",
    "Letter_Number": "Nl", "Other_Number": "No", "Number": "N", "Connector_Punctuation": "Pc",
    "Dash_Punctuation": "Pd", "Open_Punctuation": "Ps", "Close_Punctuation": "Pe",
    "Initial_Punctuation": "Pi", "Final_Punctuation": "Pf", "Other_Punctuation": "Po",
    "Punctuation": "P", "Math_Symbol": "Sm", "Currency_Symbol": "Sc", "Modifier_Symbol": "Sk",
    "Other_Symbol": "So", "Symbol": "S", "Space_Separator": "Zs", "Line_Separator": "Zl",
    "Paragraph_Separator": "Zp", "Separator": "Z", "Control": "Cc", "Format": "Cf", "Surrogate": "Cs",
    "Private_Use": "Co", "Unassigned": "Cn", "Other": "C",
}


_HEX = re.compile(r"[0-9A-Fa-f]{1,4}")


def node_re2_pattern(pattern: str) -> str:
    """The pattern RE2 compiles for `new RE2(pattern)` in node-re2: JavaScript spellings become
    RE2's (`\\uXXXX` and `\\u{...}` to `\\x{...}`, `\\cX` to a control code, `\\p{Letter}` to
    `\\pL`, `(?<name>` to `(?P<name>`), `/` is escaped and an empty pattern is `(?:)`."""
    if not pattern:
        return "(?:)"
    out: list[str] = []
    i, size = 0, len(pattern)
    while i < size:
        char = pattern[i]
        if char == "\\" and i + 1 < size:
            following = pattern[i + 1]
            if following == "c" and i + 2 < size and "A" <= pattern[i + 2] <= "Z":
                out.append(f"\\x{ord(pattern[i + 2]) - 64:02X}")
                i += 3
            elif following == "u" and i + 2 < size and (_HEX.match(pattern, i + 2) or pattern[i + 2] == "{"):
                if pattern[i + 2] == "{":
                    out.append("\\x")
                    i += 2
                else:
                    digits = _HEX.match(pattern, i + 2).group(0)  # type: ignore[union-attr]
                    out.append("\\x{" + digits + "}")
                    i += 2 + len(digits)
            elif following in "pP" and i + 2 < size and pattern[i + 2] == "{" and "}" in pattern[i + 3:]:
                end = pattern.index("}", i + 3)
                name = pattern[i + 3:end]
                name = _UNICODE_CLASSES.get(name, name)
                if name.startswith("Script=") and len(name) > 7:
                    name = name[7:]
                elif name.startswith("sc=") and len(name) > 3:
                    name = name[3:]
                out.append("\\" + following + (name if len(name) == 1 else "{" + name + "}"))
                i = end + 1
            else:
                out.append(char + following)
                i += 2
        elif char == "/":
            out.append("\\/")
            i += 1
        elif pattern.startswith("(?<", i) and not pattern.startswith(("(?<=", "(?<!"), i):
            out.append("(?P<")
            i += 3
        else:
            out.append(char)
            i += 1
    return "".join(out)


def re2_test(pattern: Any, text: Any) -> bool:
    """`new RE2(pattern).test(text)`: String() of both, surrogates as node's UTF-8 carries them."""
    return regex_search(node_re2_pattern(js.js_utf8_safe(js.js_string(pattern))), js.js_utf8_safe(js.js_string(text)))


def like(text: Any, pattern: Any, case_insensitive: bool) -> bool:
    """The TS VM's `like`: String(pattern) with `%` and `_` as wildcards, searched by RE2 in
    String(text) (null is the text 'null'); no special case for empty text or pattern."""
    return like_strings(js.js_utf8_safe(js.js_string(text)), js.js_utf8_safe(js.js_string(pattern)), case_insensitive)
