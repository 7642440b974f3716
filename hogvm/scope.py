"""Name resolution for the compiler: locals in stack slots, upvalues captured from enclosing functions.

The model is Lua's (and PostHog's compiler, whose slot numbering we must reproduce exactly):

- Every function body (and the top-level program) has its own `FunctionScope`. A local is a stack
  slot, numbered by declaration order within that function; parameters take the first slots.
- A block opens a nesting level; closing it drops the level's locals in reverse order, each with a
  `POP`, or a `CLOSE_UPVALUE` if some closure captured it (so the closure keeps the value).
- A name that is not a local of the current function is looked up in the enclosing functions. When
  found there it becomes an upvalue of every function in between: `(is_local=True, slot)` for the
  function directly inside the owner, `(is_local=False, upvalue index)` further in.
"""

from __future__ import annotations

from dataclasses import dataclass

from grammar.errors import HogCompileError
from hogvm.opcodes import Op


@dataclass(slots=True)
class Local:
    name: str
    depth: int
    captured: bool = False


@dataclass(frozen=True, slots=True)
class Upvalue:
    is_local: bool  # True: a slot of the enclosing function; False: one of its upvalues
    index: int


class FunctionScope:
    """Locals and upvalues of one function being compiled."""

    __slots__ = ("depth", "enclosing", "locals", "upvalues")

    def __init__(self, enclosing: FunctionScope | None = None, params: tuple[str, ...] | list[str] = ()) -> None:
        self.enclosing = enclosing
        self.locals: list[Local] = []
        self.upvalues: list[Upvalue] = []
        self.depth = 0
        for name in params:
            self.declare(name)

    def open_block(self) -> None:
        self.depth += 1

    def close_block(self, out: list) -> None:
        """Leave the innermost block: append one POP / CLOSE_UPVALUE per local it declared."""
        self.depth -= 1
        locals_ = self.locals
        while locals_ and locals_[-1].depth > self.depth:
            out.append(Op.CLOSE_UPVALUE if locals_.pop().captured else Op.POP)

    def declare(self, name: str) -> int:
        """Add a local in the innermost block and return its slot."""
        for local in reversed(self.locals):
            if local.depth < self.depth:
                break
            if local.name == name:
                raise HogCompileError(f"Variable `{name}` already declared in this scope")
        self.locals.append(Local(name, self.depth))
        return len(self.locals) - 1

    def find_local(self, name: str) -> int:
        """The slot of the innermost local called `name`, or -1."""
        locals_ = self.locals
        for slot in range(len(locals_) - 1, -1, -1):
            if locals_[slot].name == name:
                return slot
        return -1

    def find_upvalue(self, name: str) -> int:
        """The upvalue index through which this function reaches `name` in an enclosing function,
        adding the upvalue (and marking the enclosing local captured) on first use; -1 if `name`
        is no enclosing function's local (then it is a global)."""
        enclosing = self.enclosing
        if enclosing is None:
            return -1
        slot = enclosing.find_local(name)
        if slot != -1:
            enclosing.locals[slot].captured = True
            return self._add_upvalue(Upvalue(True, slot))
        index = enclosing.find_upvalue(name)
        if index != -1:
            return self._add_upvalue(Upvalue(False, index))
        return -1

    def _add_upvalue(self, upvalue: Upvalue) -> int:
        try:
            return self.upvalues.index(upvalue)
        except ValueError:
            self.upvalues.append(upvalue)
            return len(self.upvalues) - 1
