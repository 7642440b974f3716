"""Optional dependencies of some commands, imported when used, with a one-line hint when missing."""

from __future__ import annotations

import importlib
from types import ModuleType

from hogtest.errors import CliError

EXTRA = "authors"


def require(module: str, package: str, feature: str) -> ModuleType:
    """Import `module` for `feature`, or fail with how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise CliError(
            f"{feature} needs {package}, which is not installed: pip install 'hog-tagger[{EXTRA}]'"
        ) from None
