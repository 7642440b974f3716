"""The standard-library functions written in Hog itself (`arrayMap`, `arrayFilter`, ...).

Their sources are `hogvm/stl/<name>.hog`; `python -m hogvm.stl.build_bytecode_stl` compiles them
with our own compiler into `bytecode_stl.json`, which is all this module reads, so importing it
needs neither the grammar nor the compiler.

    BYTECODE_STL: dict[str, tuple[tuple[str, ...], list]]
        name -> (parameter names, body bytecode)

The same shape as PostHog's `BYTECODE_STL`. The body has no `_H` header: it is a function body
compiled with the parameters in local slots 0..argc-1, ending in `RETURN`. The VM runs it as a
call frame on chunk `stl/<name>` starting at ip 0, with `stack_start` at the first argument, after
checking the call passes exactly `len(params)` arguments ("Function <name> requires exactly <n>
arguments", as PostHog). A `CALLABLE` inside a body (a lambda) belongs to that chunk. Calls from
a body to other functions, including other bytecode-STL functions, are ordinary `CALL_GLOBAL`s.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

BYTECODE_STL_PATH = Path(__file__).with_name("bytecode_stl.json")


def _load(path: Path = BYTECODE_STL_PATH, prefix: str = "") -> dict[str, tuple[tuple[str, ...], list[Any]]]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {
        name[len(prefix):]: (tuple(entry["args"]), entry["bytecode"])
        for name, entry in raw.items()
        if not name.startswith("$") and name.startswith(prefix) and "/" not in name[len(prefix):]
    }


BYTECODE_STL: dict[str, tuple[tuple[str, ...], list[Any]]] = _load()

# Bodies with the stack layout of PostHog's own compiled functions, where ours differ (arrayMap is
# pre-sized here). The replay that checks a run against PostHog's upvalue model uses them: which
# closures share a captured variable there depends on stack positions.
POSTHOG_LAYOUT: dict[str, tuple[tuple[str, ...], list[Any]]] = _load(prefix="posthog_layout/")


def stl_chunk_name(name: str) -> str:
    """The chunk a bytecode-STL function runs in (PostHog's naming: `stl/<name>`)."""
    return f"stl/{name}"
