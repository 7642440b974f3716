"""Which reference VM's value semantics a run follows: a table chosen once per run.

`execute_bytecode(..., semantics="python")` (the default) runs with PostHog's Python VM's
semantics, which is where PostHog runs taggers. `semantics="node"` swaps in the behaviour of
PostHog's TypeScript VM (`@posthog/hogvm`) for the operations property-filter bytecode reaches,
which is where PostHog evaluates tagger conditions (hogvm/node_semantics.py lists them).

A `Semantics` is a whole dispatch table plus builtin overrides, built once: the machine reads its
handlers and builtins from it when the run starts (as a Lua state carries its own hooks), so no
handler ever asks which semantics is running.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hogvm.errors import HogVMException
from hogvm.handlers import HANDLERS
from hogvm.handlers.calls import stl_tables

SEMANTICS_NAMES = ("python", "node")


@dataclass(eq=False, slots=True)
class Semantics:
    name: str
    handlers: list[Any]  # opcode -> handler, the whole table
    builtins: dict[str, Any]  # native builtins replaced by name (registry.Builtin)
    _tables: tuple[dict[str, Any], dict[str, Any]] | None = field(default=None, repr=False)

    def tables(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(native builtins by name, bytecode-STL functions by name) for a run."""
        if self._tables is None:
            stl, bytecode_stl = stl_tables()
            self._tables = ({**stl, **self.builtins} if self.builtins else stl, bytecode_stl)
        return self._tables


PYTHON = Semantics("python", HANDLERS, {})


def semantics_named(name: Any) -> Semantics:
    if name == "python" or name is None:
        return PYTHON
    if name == "node":
        from hogvm.node_semantics import NODE

        return NODE
    raise HogVMException(f"semantics must be one of {', '.join(map(repr, SEMANTICS_NAMES))}, got {name!r}")
