"""The one error type subcommands raise: a one-line message, with its exit code.

`details` (a source line with a caret under the error) is printed on the lines after the message."""

from __future__ import annotations

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # as a shell reports a process stopped by Ctrl-C


class CliError(Exception):
    """A failure to report as one line (plus optional detail lines), with its exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE, details: str = "") -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.details = details
