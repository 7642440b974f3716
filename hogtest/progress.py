"""A one-line progress counter on standard error, drawn only on a terminal (never into a pipe or log)."""

from __future__ import annotations

import time
from typing import TextIO

REDRAW_EVERY_S = 0.1


class TerminalProgress:
    def __init__(self, err: TextIO, label: str) -> None:
        self._err = err
        self._label = label
        self._drawn_at = 0.0
        self.active = bool(getattr(err, "isatty", lambda: False)())

    def update(self, count: int) -> None:
        now = time.monotonic()
        if self.active and now - self._drawn_at > REDRAW_EVERY_S:
            self._drawn_at = now
            self._err.write(f"\r{self._label}: {count} events")
            self._err.flush()

    def clear(self) -> None:
        """Erase the counter, before a report or a note is written."""
        if self.active and self._drawn_at:
            self._err.write("\r\x1b[K")
            self._err.flush()
            self._drawn_at = 0.0
