"""Small pieces of the commands' readable reports."""

from __future__ import annotations

import textwrap

LABEL_WIDTH = 10


def field_line(label: str, text: str) -> str:
    """`  label      text`, continuation lines indented under the text (as `hog-test run` prints)."""
    indent = " " * (LABEL_WIDTH + 3)
    body = textwrap.indent(text, indent).lstrip(" ")
    return f"  {label:<{LABEL_WIDTH}} {body}"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
