"""Tier 2, step 2: Python source for one analysed Hog function.

One Hog function becomes one Python function `def f<entry>_<nargs>(m, base, depth, cl, s0, ...)`:
`m` is the running machine, `base` the absolute stack index of the function's first local (tier 1's
frame base), `depth` the call depth, `cl` the running closure, `s0 ...` its arguments.

- Stack positions are Python locals `s<p>` (locals are positions, as in tier 1). Within a block,
  pushing a local or a constant emits nothing: the compile-time stack holds the *atom* (a local's
  name or a constant) and consumers use it directly. A result is held as a pending expression until
  the next instruction: a jump, a `not` or a store takes it in place, anything else stores it.
- Jumps: blocks entered by one forward edge are emitted in place (if/else); every other block is an
  arm of a dispatcher (`while True: if b == <block>: ...`), innermost loops first. Before a
  dispatched jump every position is in its own `s<p>`.
- Each operation has an inline fast path for the common types, exactly tier 1's own fast path, and
  otherwise runs tier 1's handler from `handlers.HANDLERS` on the machine's stack (`runtime.op2`),
  or calls the function of its operands that the handler wraps (in / like / regex: `arith.TESTS`;
  SET_PROPERTY: `stack.store_property`): one implementation of every opcode's semantics. Memory
  charges too cheap to call for (a builtin's result, an array literal) are written out inline, in
  memory.py's units, and call out only when the meter passes its limit.
- Steps are counted per run of instructions (`m.executed += n`) before anything can observe them
  (calls, jumps into the dispatcher, returns, throws); back edges and calls check the limits
  exactly where tier 1 does.
- Captured variables: while a closure's upvalue for position p may be open (`analysis`), p is read
  and written through it (`u<p>`), so closures and the function share one variable.
- Every line records the instruction it belongs to and which values tier 1 would have on its stack
  there (`Line`): an error's position, and the memory meter's measurement of live values, read
  them from the running frames (runtime.py). Nothing in the fast path pays for it.

Sandbox: the source only ever contains identifiers made here (`s3`, `k12`, helper names) and
literal integers; every string, name, float or object from the bytecode is a constant passed in
the function's namespace (`k<n>`), never spliced into code.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from hogvm.handlers import HANDLERS
from hogvm.handlers.arith import TESTS
from hogvm.handlers.calls import MAX_FUNCTION_ARGS
from hogvm.loader import CONST, END, SET_LOCAL_REBIND, SET_LOCAL_REBIND_TOP, TRAP
from hogvm.memory import VALUE_COST
from hogvm.opcodes import NEXT, RETURN, TRY, Op
from hogvm.tier2.analysis import Plan, effect
from hogvm.vm import explain_index_error

MAX_NESTING = 40  # blocks emitted in place nest if/else this deep at most (Python allows 100 levels)
MAX_TAIL = 8  # instructions of a block worth copying into each of its predecessors
SMALL_INT = 1 << 53  # integer constants below this are written as literals


@dataclass(frozen=True, slots=True)
class Atom:
    """A value the compile-time stack holds: a Python local, or a constant."""

    code: str  # a local's name, a literal, or a constant's name in the namespace
    is_var: bool = False
    is_const: bool = False
    value: Any = None  # the constant's value


@dataclass(frozen=True, slots=True)
class Pending:
    """The result of the previous instruction, not stored yet."""

    expr: str  # its value
    test: str  # an expression with the same truthiness (may be cheaper)
    index: int  # the instruction computing it
    below: tuple[Any, ...]  # the stack tier 1 has under its operands while computing it


@dataclass(slots=True)
class State:
    sym: list[Any]  # the compile-time stack: Atom or (on top only) Pending
    steps: int = 0  # instructions run since the last `m.executed += ...`

    def copy(self) -> State:
        return State(list(self.sym), self.steps)


@dataclass(slots=True)
class Line:
    """Where a generated line comes from: the instruction, and tier 1's stack there (one entry per
    value: a local's name, ("u", p) for a captured position, ("k", value) for a constant)."""

    index: int
    stack: tuple[Any, ...] = ()


class ConstantPool:
    """Constants of one compiled chunk, named `k<n>` in its namespace."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self._names: dict[tuple[type, Any], str] = {}

    def name(self, value: Any) -> str:
        try:
            key: tuple[type, Any] = (type(value), value if type(value) is not float else repr(value))
            hash(key)
        except TypeError:
            key = (type(value), id(value))
        found = self._names.get(key)
        if found is None:
            found = self._names[key] = f"k{len(self.values)}"
            self.values[found] = value
        return found

    def atom(self, value: Any) -> Atom:
        if value is None or value is True or value is False:
            return Atom(repr(value), is_const=True, value=value)
        if type(value) is int and -SMALL_INT < value < SMALL_INT:
            return Atom(repr(value) if value >= 0 else f"({value})", is_const=True, value=value)
        return Atom(self.name(value), is_const=True, value=value)


def handler_name(op: int) -> str:
    return f"h{op}"


HANDLER_NAMES = {handler_name(op): handler for op, handler in enumerate(HANDLERS)}
# in / like / regex: the function of the two operands tier 1's handler runs, called directly
TEST_NAMES = {f"t{op}": test for op, test in TESTS.items()}

_NUMBER = ("int", "float")
# Ordering ops: Python's operator when both sides are natively ordered types (tier 1's fast path).
_ORDERING = {Op.LT: "<", Op.LT_EQ: "<=", Op.GT: ">", Op.GT_EQ: ">="}
_EQUALITY = {Op.EQ: "==", Op.NOT_EQ: "!="}
_ARITHMETIC = {Op.PLUS: "+", Op.MINUS: "-"}


class FunctionEmitter:
    """Emits one function. `emit()` returns its source lines with their origins."""

    def __init__(self, plan: Plan, pool: ConstantPool, name: str, builtins: dict[str, Any],
                 bytecode_stl: dict[str, Any], chunk_globals: str | None) -> None:
        self.plan = plan
        self.code = plan.chunk.code
        self.pool = pool
        self.name = name
        self.builtins = builtins  # native builtins by name, for direct calls
        self.bytecode_stl = bytecode_stl  # functions written in Hog, by name, for direct calls
        self.chunk_globals = chunk_globals  # constant name of the chunk's own globals (None: the run's)
        self.out: list[tuple[int, str, Line]] = []
        self.indent = 0
        self.arms: dict[int, list[tuple[int, str, Line]]] = {}
        self.arm_queue: list[int] = []
        self.uses: set[str] = set()

    # -- output -------------------------------------------------------------------------------

    def line(self, text: str, index: int, stack: tuple[Any, ...] = ()) -> None:
        self.out.append((self.indent, text, Line(index, stack)))

    def describe(self, sym: list[Any], count: int) -> tuple[Any, ...]:
        """Tier 1's stack positions 0 .. count-1, as the measurement reads them."""
        items = []
        for position in range(count):
            atom = sym[position]
            if isinstance(atom, Pending):
                raise AssertionError("a pending value is never below another one")
            if atom.is_var and atom.code == f"s{position}" and position in self.plan.captured:
                items.append(("u", position))
            elif atom.is_var:
                items.append(atom.code)
            else:
                items.append(("k", atom.value))
        return tuple(items)

    # -- the compile-time stack ------------------------------------------------------------------

    def materialize(self, st: State) -> None:
        """Store a pending result in its position's local."""
        top = st.sym[-1] if st.sym else None
        if isinstance(top, Pending):
            position = len(st.sym) - 1
            self.line(f"s{position} = {top.expr}", top.index, top.below)
            st.sym[-1] = Atom(f"s{position}", is_var=True)

    def flush(self, st: State, index: int) -> None:
        """Every position in its own local (what a dispatched block and a catch handler expect)."""
        self.materialize(st)
        for position, atom in enumerate(st.sym):
            name = f"s{position}"
            if atom.code != name:
                self.line(f"{name} = {atom.code}", index)
                st.sym[position] = Atom(name, is_var=True)

    def protect(self, st: State, name: str, index: int, keep: int) -> None:
        """Before local `name` changes: store the positions (other than `keep`) that alias it."""
        for position, atom in enumerate(st.sym):
            if position != keep and isinstance(atom, Atom) and atom.is_var and atom.code == name:
                self.line(f"s{position} = {name}", index)
                st.sym[position] = Atom(f"s{position}", is_var=True)

    def pop(self, st: State) -> Any:
        return st.sym.pop()

    def take(self, st: State, count: int) -> list[Atom]:
        """The top `count` atoms, in stack order (deepest first)."""
        self.materialize(st)
        if not count:
            return []
        atoms = st.sym[-count:]
        del st.sym[-count:]
        return atoms

    def count(self, st: State, index: int) -> None:
        if st.steps:
            self.line(f"m.executed += {st.steps}", index)
            st.steps = 0

    # -- functions -----------------------------------------------------------------------------

    def emit(self) -> list[tuple[int, str, Line]]:
        plan = self.plan
        entry = plan.entry
        body = 5 if plan.handlers else 3  # indentation of a dispatched block's code
        self.arm_queue = [entry, *plan.handlers]
        while self.arm_queue:
            start = self.arm_queue.pop()
            if start in self.arms:
                continue
            self.indent = body
            depth = plan.blocks[start].depth
            self.block(start, State([Atom(f"s{p}", is_var=True) for p in range(depth)]), 0)
            self.arms[start] = self.out
            self.out = []

        params = ", ".join(["m", "base", "depth", "cl", *(f"s{p}" for p in range(plan.nargs))])
        origin = Line(entry)
        out: list[tuple[int, str, Line]] = [(0, f"def {self.name}({params}):", origin)]
        out.extend((1, text, origin) for text in (
            *(["upv = cl.upvalues"] if "upv" in self.uses else []),
            *(["maxd = m.max_call_depth"] if "maxd" in self.uses else []),
            *(["fx = m.functions"] if "fx" in self.uses else []),
            *(["stack = m.stack"] if "stack" in self.uses else []),
            *(["mt = m.meter"] if "mt" in self.uses else []),
            *(["out = m.stdout"] if "out" in self.uses else []),
            *(f"u{position} = None" for position in sorted(plan.captured)),
        ))
        if len(self.arms) == 1 and not plan.blocks[entry].preds:
            # straight-line code and forward branches only: no dispatcher
            out.extend((indent - body + 1, text, where) for indent, text, where in self.arms[entry])
            return out
        out.append((1, f"b = {entry}", origin))
        if plan.handlers:
            out.extend(((1, "while True:", origin), (2, "try:", origin)))
        out.append((body - 2, "while True:", origin))
        # innermost loops first: the hottest blocks are found after the fewest comparisons
        order = sorted(self.arms, key=lambda start: (start == entry, -plan.blocks[start].loop_depth, start))
        for position, start in enumerate(order):
            out.append((body - 1, f"{'if' if position == 0 else 'elif'} b == {start}:", Line(start)))
            out.extend(self.arms[start])
        if plan.handlers:
            self.handler_clause(out)
        return out

    def handler_clause(self, out: list[tuple[int, str, Line]]) -> None:
        """Where a thrown Hog error lands in this frame: truncate to the TRY's height, push it."""
        plan = self.plan
        origin = Line(plan.entry)
        out.append((2, "except Throw as thrown:", origin))
        out.append((3, "if thrown.depth != depth:", origin))
        out.append((4, "raise", origin))
        out.append((3, "b = thrown.catch", origin))
        for position, (catch, try_depth) in enumerate(sorted(plan.handlers.items())):
            keyword = "if" if position == 0 else "elif"
            out.append((3, f"{keyword} b == {catch}:", Line(catch)))
            out.append((4, f"s{try_depth} = thrown.error", Line(catch)))
            for captured in sorted(p for p in plan.captured if p >= try_depth):
                out.append((4, f"u{captured} = None", Line(catch)))  # closed by the throw

    # -- blocks --------------------------------------------------------------------------------

    def block(self, start: int, st: State, nesting: int) -> None:
        block = self.plan.blocks[start]
        for index in range(start, block.end):
            op, arg = self.code[index]
            if index in self.plan.failing:  # a local slot past the stack: tier 1's error
                self.materialize(st)
                message = explain_index_error(self.plan.chunk, index, IndexError("list index out of range"))
                self.line(f"fail(m, {self.pool.name(str(message))})", index)
                return
            self.instruction(index, op, arg, st, nesting)
        last = block.end - 1
        op, arg = self.code[last]
        if effect(op, arg).flow in (NEXT, TRY):  # falls through into the next block
            self.goto(block.end, st, last, nesting)

    def goto(self, target: int, st: State, source: int, nesting: int) -> None:
        """Continue at instruction `target` (after `source`): in place when this is the only way in,
        or when the block is a short tail (a loop's step, a return) worth a copy per way in."""
        block = self.plan.blocks[target]
        if (not block.handler and target > source and target != self.plan.entry and nesting < MAX_NESTING
                and block.forward_preds == block.preds and (block.preds == 1 or self.is_short_tail(block))):
            self.block(target, st, nesting + 1)
            return
        self.flush(st, source)
        self.count(st, source)
        if target <= source:  # a back edge: tier 1 checks the limits here
            height = len(st.sym)
            self.line("if m.executed > m.budget:", source)
            self.indent += 1
            self.line(f"m.check_limits(base + {height})", source, self.describe(st.sym, height))
            self.indent -= 1
        self.line(f"b = {target}", source)
        self.line("continue", source)
        self.arm_queue.append(target)

    def is_short_tail(self, block: Any) -> bool:
        """A few instructions ending in a back edge or a return: copied into each predecessor, a
        loop body's merge point costs no dispatch (copies cannot chain: nothing follows them)."""
        if block.end - block.start > MAX_TAIL:
            return False
        op, arg = self.code[block.end - 1]
        flow = effect(op, arg).flow
        return flow == RETURN or (op == Op.JUMP and arg < block.end)

    def branch(self, test: str, st: State, index: int, line: Line, when_true: int, when_false: int,
               nesting: int) -> None:
        if when_true == when_false:
            self.goto(when_true, st, index, nesting)
            return
        self.out.append((self.indent, f"if {test}:", line))
        self.indent += 1
        self.goto(when_true, st.copy(), index, nesting)
        self.indent -= 1
        self.line("else:", index)
        self.indent += 1
        self.goto(when_false, st, index, nesting)
        self.indent -= 1

    # -- instructions --------------------------------------------------------------------------

    def instruction(self, index: int, op: int, arg: Any, st: State, nesting: int) -> None:
        plan = self.plan
        sym = st.sym
        if op not in _TAKES_PENDING:  # the previous result is evaluated before this instruction runs
            self.materialize(st)
        if op != END:
            st.steps += 1  # END is not an instruction of the program (tier 1 does not count it)
        if op == CONST:
            self.materialize(st)
            sym.append(self.pool.atom(arg))
        elif op == Op.GET_LOCAL:
            self.materialize(st)
            if arg in plan.open[index]:
                position = len(sym)
                self.line(f"s{position} = s{arg} if u{arg} is None else u{arg}.value", index)
                sym.append(Atom(f"s{position}", is_var=True))
            else:
                sym.append(sym[arg])
        elif op in (Op.SET_LOCAL, SET_LOCAL_REBIND, SET_LOCAL_REBIND_TOP):
            self.store_local(index, op, arg, st)
        elif op == Op.POP:
            self.materialize(st)
            sym.pop()
        elif op == Op.CLOSE_UPVALUE:
            self.materialize(st)
            position = len(sym) - 1
            if position in plan.open[index]:
                self.line(f"if u{position} is not None:", index)
                self.indent += 1
                self.line(f"close(m, u{position})", index)
                self.line(f"u{position} = None", index)
                self.indent -= 1
            sym.pop()
        elif op == Op.JUMP:
            self.goto(arg, st, index, nesting)
        elif op == Op.JUMP_IF_FALSE:
            if arg == index + 1:  # both ways lead to the same place: only the value's evaluation matters
                self.materialize(st)
                sym.pop()
                self.goto(arg, st, index, nesting)
                return
            cond = sym.pop()
            if isinstance(cond, Pending):
                self.branch(cond.test, st, index, Line(cond.index, cond.below), index + 1, arg, nesting)
            else:
                self.branch(cond.code, st, index, Line(index), index + 1, arg, nesting)
        elif op == Op.JUMP_IF_STACK_NOT_NULL:
            self.materialize(st)
            top = sym[-1]
            test = repr(top.value is not None) if top.is_const else f"{top.code} is not None"
            self.branch(test, st, index, Line(index), arg, index + 1, nesting)
        elif op == Op.RETURN:
            self.materialize(st)
            value = sym.pop()
            self.leave(index, st, value.code)
        elif op == END:
            if plan.root:
                if len(sym) > 1:
                    self.line(f"fail(m, {self.pool.name('Invalid bytecode. More than one value left on stack')})",
                              index)
                    return
                self.materialize(st)
                self.leave(index, st, sym[0].code if sym else "None")
            else:
                self.leave(index, st, "None")
        elif op == Op.CALLABLE:
            self.materialize(st)
            sym.append(self.pool.atom(arg[0]))
            self.goto(arg[1], st, index, nesting)
        elif op == Op.CLOSURE:
            self.closure(index, arg, st)
        elif op == Op.GET_UPVALUE:
            self.materialize(st)
            self.uses.add("upv")
            position = len(sym)
            self.line(f"s{position} = upv[{arg}].value", index, self.describe(sym, position))
            sym.append(Atom(f"s{position}", is_var=True))
        elif op == Op.SET_UPVALUE:
            self.materialize(st)
            self.uses.add("upv")
            value = sym.pop()
            self.line(f"upv[{arg}].value = {value.code}", index, self.describe(sym, len(sym)))
        elif op == Op.CALL_LOCAL:
            self.call_local(index, arg, st)
        elif op == Op.CALL_GLOBAL:
            self.call_global(index, arg, st)
        elif op == Op.GET_GLOBAL:
            names = self.take(st, arg)
            values = ", ".join(atom.code for atom in names)
            below = self.describe(sym, len(sym))
            if self.chunk_globals is None:
                expr = f"get_global(m, {arg}{', ' if names else ''}{values})"
            else:
                expr = f"get_global_of(m, {self.chunk_globals}, {arg}{', ' if names else ''}{values})"
            sym.append(Pending(expr, expr, index, below))
        elif op == Op.THROW:
            if plan.handlers:
                self.flush(st, index)
            self.materialize(st)
            error = sym.pop()
            self.count(st, index)
            height = len(sym)
            self.line(f"throw(m, {error.code}, base + {height})", index, self.describe(sym, height))
        elif op == Op.TRY:
            self.materialize(st)
            self.line(f"m.throw_stack.append((depth, base + {len(sym)}, {arg}))", index)
        elif op == Op.POP_TRY:
            self.materialize(st)
            self.line(f"{handler_name(op)}(m, None)", index, self.describe(sym, len(sym)))
        elif op == TRAP:
            self.line(f"fail(m, {self.pool.name(arg)})", index)
        elif op == Op.NOT:
            value = sym.pop()
            if isinstance(value, Pending):
                sym.append(replace(value, expr=f"(not {value.test})", test=f"(not {value.test})"))
            else:
                sym.append(Pending(f"(not {value.code})", f"(not {value.code})", index,
                                   self.describe(sym, len(sym))))
        elif op == Op.AND or op == Op.OR:
            atoms = self.take(st, arg)
            if not atoms:
                sym.append(self.pool.atom(op == Op.AND))
            else:
                joined = f" {'and' if op == Op.AND else 'or'} ".join(atom.code for atom in atoms)
                sym.append(Pending(f"(not not ({joined}))", f"({joined})", index, self.describe(sym, len(sym))))
        elif op == Op.SET_PROPERTY:
            atoms = self.take(st, 3)
            self.line(f"store_property(m, {', '.join(a.code for a in atoms)})", index,
                      self.describe(sym, len(sym)))
        elif op in _BINARY:
            self.binary(index, op, st)
        elif op == Op.ARRAY or op == Op.TUPLE:  # tier 1's op_array / op_tuple, without the stack
            items_there = self.describe(sym, len(sym))  # stack.charge_container, inline
            self.uses.add("mt")
            self.line(f"mt.used += {VALUE_COST * (arg + 1)}", index, items_there)
            self.line("if mt.used > mt.limit:", index, items_there)
            self.line("    mt.collect()", index, items_there)
            atoms = self.take(st, arg)
            items = ", ".join(atom.code for atom in atoms)
            expr = f"[{items}]" if op == Op.ARRAY else f"({items}{',' if len(atoms) == 1 else ''})"
            sym.append(Pending(expr, expr, index, self.describe(sym, len(sym))))
        elif op == Op.DICT:
            atoms = self.take(st, effect(op, arg).pops)
            values = "".join(f", {atom.code}" for atom in atoms)
            expr = f"op_n(m, {handler_name(op)}, {arg}{values})"
            sym.append(Pending(expr, expr, index, self.describe(sym, len(sym))))
        else:  # IN_COHORT, NOT_IN_COHORT, unknown: tier 1 refuses to run them
            name = plan.chunk.name
            message = f'Unexpected node while running bytecode in chunk "{name}": {op}'
            self.line(f"fail(m, {self.pool.name(message)})", index)

    def store_local(self, index: int, op: int, slot: int, st: State) -> None:
        sym = st.sym
        value = sym.pop()
        top = len(sym)  # the position the value came from
        name = f"s{slot}"
        self.protect(st, name, index, slot)
        is_open = slot in self.plan.open[index]
        closes = op == SET_LOCAL_REBIND or (op == SET_LOCAL_REBIND_TOP and slot == top - 1)
        if isinstance(value, Pending):
            if is_open:  # evaluate it once, before deciding where it goes
                self.line(f"s{top} = {value.expr}", value.index, value.below)
                value = Atom(f"s{top}", is_var=True)
            else:
                self.line(f"{name} = {value.expr}", value.index, value.below)
                sym[slot] = Atom(name, is_var=True)
                return
        if is_open and closes:  # a new binding: closures keep the previous one
            self.line(f"if u{slot} is not None and rebinds(m):", index)
            self.indent += 1
            self.line(f"close(m, u{slot})", index)
            self.line(f"u{slot} = None", index)
            self.indent -= 1
        if is_open:
            self.line(f"if u{slot} is None:", index)
            self.indent += 1
            self.line(f"{name} = {value.code}", index)
            self.indent -= 1
            self.line("else:", index)
            self.indent += 1
            self.line(f"u{slot}.value = {value.code}", index)
            self.indent -= 1
        elif value.code != name:
            self.line(f"{name} = {value.code}", index)
        sym[slot] = Atom(name, is_var=True)

    def leave(self, index: int, st: State, value: str) -> None:
        """RETURN / END: count, close this frame's open upvalues, drop its catch handlers; the root
        program checks the step budget (tier 1's halt)."""
        plan = self.plan
        self.count(st, index)
        if plan.root:
            self.line(f"finish(m, {index})", index)
        else:
            for position in sorted(plan.open[index]):
                self.line(f"if u{position} is not None:", index)
                self.indent += 1
                self.line(f"close(m, u{position})", index)
                self.indent -= 1
            if plan.handlers:
                self.line("if m.throw_stack:", index)
                self.indent += 1
                self.line("drop_handlers(m, depth)", index)
                self.indent -= 1
        self.line(f"return {value}", index)

    def closure(self, index: int, captures: tuple[tuple[bool, int], ...], st: State) -> None:
        self.materialize(st)
        sym = st.sym
        fn = sym.pop()
        position = len(sym)
        local = [(k, slot) for k, (is_local, slot) in enumerate(captures) if is_local]
        for _, slot in local:  # a captured variable lives in its own local from now on
            if slot < position and sym[slot].code != f"s{slot}":
                self.line(f"s{slot} = {sym[slot].code}", index)
                sym[slot] = Atom(f"s{slot}", is_var=True)
        self.uses.add("upv")
        self.line(f"s{position} = make_closure(m, {fn.code}, {self.pool.name(captures)}, base, "
                  f"base + {position}, upv)", index, self.describe(sym, position))
        for k, slot in local:
            self.line(f"if u{slot} is None:", index)
            self.indent += 1
            self.line(f"u{slot} = s{position}.upvalues[{k}]", index)
            self.line(f"u{slot}.value = s{slot}", index)
            self.indent -= 1
        sym.append(Atom(f"s{position}", is_var=True))

    def call_operands(self, index: int, count: int, st: State) -> tuple[list[Atom], int, tuple[Any, ...]]:
        """A call's operands (stack order), its result's position (the callee's base) and tier 1's
        stack below them; the steps so far are counted (the callee or the clock may look)."""
        if self.plan.handlers:  # a throw may land in this frame: every position in its local
            self.flush(st, index)
        operands = self.take(st, count)
        result = len(st.sym)
        self.count(st, index)
        return operands, result, self.describe(st.sym, result)

    def handler_call(self, index: int, op: int, operand: str, result: int, values: list[Atom],
                     below: tuple[Any, ...]) -> None:
        """The call made by tier 1's handler (every case the inline paths leave to it)."""
        self.line(f"s{result} = call(m, {handler_name(op)}, {operand}, base + {result}, depth"
                  f"{''.join(f', {atom.code}' for atom in values)})", index, below)

    def call_local(self, index: int, argc: int, st: State) -> None:
        atoms, result, below = self.call_operands(index, argc + 1, st)
        sym = st.sym
        callee, args = atoms[-1], atoms[:-1]
        arg_list = "".join(f", {atom.code}" for atom in args)
        direct = argc <= MAX_FUNCTION_ARGS and callee.is_var  # a constant is never a closure
        if direct:
            self.uses.add("maxd")
            with_args = self.describe(sym + args, result + argc)
            self.line(f"if type({callee.code}) is Closure and (fn := {callee.code}.callable).arg_count == {argc} "
                      f"and (compiled := fn.compiled) is not None:", index)
            self.indent += 1
            self.line("if depth >= maxd:", index)
            self.line("    depth_exceeded(m)", index)
            self.line("if m.executed > m.budget:", index)
            self.line(f"    m.check_limits(base + {result + argc})", index, with_args)
            self.line(f"s{result} = compiled(m, base + {result}, depth + 1, {callee.code}{arg_list})", index, below)
            self.indent -= 1
            self.line("else:", index)
            self.indent += 1
        self.handler_call(index, Op.CALL_LOCAL, str(argc), result, atoms, below)
        if direct:
            self.indent -= 1
        sym.append(Atom(f"s{result}", is_var=True))

    def call_global(self, index: int, arg: tuple[str, int], st: State) -> None:
        name, argc = arg
        args, result, below = self.call_operands(index, argc, st)
        sym = st.sym
        builtin = self.builtins.get(name)
        direct = builtin is not None and builtin.min_args <= argc and (
            builtin.max_args is None or argc <= builtin.max_args)
        if builtin is None and name in self.bytecode_stl and name != "import":
            # a function written in Hog (arrayMap, ...), unless a host function overrides it
            self.uses.add("fx")
            self.line("if not fx:", index)
            self.line(f"    s{result} = call_bytecode_stl(m, {self.pool.name(name)}, base + {result}, depth"
                      f"{''.join(f', {atom.code}' for atom in args)})", index, below)
            self.line("else:", index)
            self.indent += 1
            self.handler_call(index, Op.CALL_GLOBAL, self.pool.name(arg), result, args, below)
            self.indent -= 1
            sym.append(Atom(f"s{result}", is_var=True))
            return
        if direct:  # a builtin, unless a host function of the same name overrides it
            self.uses.add("fx")
            with_result = self.describe([*sym, Atom(f"s{result}", is_var=True)], result + 1)
            self.line("if not fx:", index)
            self.line("    try:", index)
            self.line(f"        s{result} = {self.pool.name(builtin.fn)}([{', '.join(atom.code for atom in args)}], m)",
                      index, below)
            self.line("    except HogError:", index)
            self.line("        raise", index)
            self.line("    except Exception as error:", index)
            self.line(f"        raise builtin_failure(m, {self.pool.name(name)}, error) from None", index, below)
            self.account_result(f"s{result}", index, with_result, _returns_scalar(builtin.fn))
            self.line("else:", index)
            self.indent += 1
        self.handler_call(index, Op.CALL_GLOBAL, self.pool.name(arg), result, args, below)
        if direct:
            self.indent -= 1
        sym.append(Atom(f"s{result}", is_var=True))

    def account_result(self, value: str, index: int, stack: tuple[Any, ...], scalar: str | None) -> None:
        """calls.account_builtin_result inline (one level in): charge the result, and only call
        out when memory is over the limit, something was printed or the clock may have run out.
        `scalar`: the type a builtin declares it returns (int, bool), tested first; any other
        result still takes the full chain."""
        self.uses.update(("mt", "out"))
        if scalar is not None:
            self.line(f"    if type({value}) is not {scalar}:", index, stack)
            self.indent += 1
        self.line(f"    if (_t := type({value})) is str:", index, stack)
        self.line(f"        mt.used += {VALUE_COST} + len({value})", index, stack)
        self.line("    elif _t is list or _t is tuple:", index, stack)  # memory.shallow_cost, inline
        self.line(f"        mt.used += {VALUE_COST} * (1 + len({value}))", index, stack)
        self.line("    elif _t is dict:", index, stack)
        self.line(f"        mt.used += {VALUE_COST} * (1 + 2 * len({value}))", index, stack)
        if scalar is not None:
            self.indent -= 1
        self.line("    if mt.used > mt.limit or len(out) != m.stdout_charged or monotonic() > m.deadline:", index,
                  stack)
        self.line("        after_builtin(m)", index, stack)

    def binary(self, index: int, op: int, st: State) -> None:
        """`b a -> a op b` (a on top): tier 1's fast path inline, its handler otherwise."""
        left, right = self.take(st, 2)[::-1]  # left: the top (`a`), right: below it (`b`)
        a, b = left.code, right.code
        below = self.describe(st.sym, len(st.sym))
        if op in TESTS:
            expr = f"t{op}({a}, {b})"
            st.sym.append(Pending(expr, expr, index, below))
            return
        expr = f"op2(m, {handler_name(op)}, {b}, {a})"
        for guard, fast in reversed(_fast_paths(op, left, right)):
            expr = f"({fast})" if guard == "True" else f"(({fast}) if {guard} else {expr})"
        st.sym.append(Pending(expr, expr, index, below))


def _returns_scalar(fn: Any) -> str | None:
    """"int" or "bool" when a builtin's return annotation says it answers one (a hint for the order
    of type tests only: a wrong one costs a test, never an answer)."""
    returns = getattr(fn, "__annotations__", {}).get("return")
    return returns if returns in ("int", "bool") else None


# Instructions that use the previous instruction's pending result in place (see Pending).
_TAKES_PENDING = frozenset({Op.JUMP_IF_FALSE, Op.SET_LOCAL, SET_LOCAL_REBIND, SET_LOCAL_REBIND_TOP, Op.NOT})

_BINARY = frozenset({
    Op.PLUS, Op.MINUS, Op.MULTIPLY, Op.DIVIDE, Op.MOD, Op.EQ, Op.NOT_EQ, Op.GT, Op.GT_EQ, Op.LT, Op.LT_EQ,
    Op.LIKE, Op.ILIKE, Op.NOT_LIKE, Op.NOT_ILIKE, Op.IN, Op.NOT_IN, Op.REGEX, Op.NOT_REGEX, Op.IREGEX,
    Op.NOT_IREGEX, Op.GET_PROPERTY, Op.GET_PROPERTY_NULLISH,
})


def _is_number(atom: Atom) -> bool:
    return atom.is_const and type(atom.value) in (int, float)


def _type_is(atom: Atom, *names: str) -> str:
    """A test that `atom`'s type is one of `names` (True when a constant says so)."""
    if atom.is_const:
        return "True" if type(atom.value).__name__ in names else "False"
    return " or ".join(f"type({atom.code}) is {name}" for name in names)


def _both(left: Atom, right: Atom, *names: str) -> str | None:
    tests = [f"({_type_is(atom, *names)})" for atom in (left, right) if not atom.is_const]
    if any(atom.is_const and type(atom.value).__name__ not in names for atom in (left, right)):
        return None
    return " and ".join(tests) or "True"


def _fast_paths(op: int, left: Atom, right: Atom) -> list[tuple[str, str]]:
    """(guard, expression) pairs, tried in order, each covering a subset of tier 1's handler fast path
    exactly (the handler runs when none applies). `left` is the top of the stack (`a`)."""
    a, b = left.code, right.code
    if op in _ARITHMETIC:
        guard = _both(left, right, *_NUMBER)
        return [] if guard is None else [(guard, f"{a} {_ARITHMETIC[op]} {b}")]
    if op == Op.MULTIPLY:  # floats, or a float and an int (tier 1 also multiplies small ints inline)
        if left.is_const or right.is_const:
            const, other = (left, right) if left.is_const else (right, left)
            if other.is_const or type(const.value) is not float:
                return []
            return [(f"({_type_is(other, *_NUMBER)})", f"{a} * {b}")]
        guard = f"(type({a}) is float and (type({b}) is float or type({b}) is int) or type({b}) is float and type({a}) is int)"
        return [(guard, f"{a} * {b}")]
    if op == Op.DIVIDE:  # by a non-zero float
        if right.is_const:
            if type(right.value) is not float or not right.value:
                return []
            return [(f"({_type_is(left, *_NUMBER)})", f"{a} / {b}")]
        return [(f"(type({b}) is float and {b} and ({_type_is(left, *_NUMBER)}))", f"{a} / {b}")]
    if op in _ORDERING:
        symbol = _ORDERING[op]
        for const, other in ((left, right), (right, left)):
            if const.is_const and not other.is_const:
                kind = type(const.value)
                if kind is str:
                    return [(f"type({other.code}) is str", f"{a} {symbol} {b}")]
                if kind is int or kind is float:
                    return [(f"({_type_is(other, *_NUMBER)})", f"{a} {symbol} {b}")]
                return []
        if left.is_const or right.is_const:
            return []
        guard = f"((_t := type({a})) is type({b}) and (_t is int or _t is float or _t is str))"
        return [(guard, f"{a} {symbol} {b}")]
    if op in _EQUALITY:
        symbol = _EQUALITY[op]
        for const, other in ((left, right), (right, left)):
            if const.is_const and not other.is_const:
                kind = type(const.value).__name__
                if kind in ("str", "int", "float", "bool"):
                    return [(f"type({other.code}) is {kind}", f"{a} {symbol} {b}")]
                if const.value is None:
                    return [(f"{other.code} is None", f"{a} {symbol} {b}")]
                return []
        if left.is_const or right.is_const:
            return []
        guard = f"((_t := type({a})) is type({b}) and _t is not list and _t is not dict and _t is not tuple)"
        return [(guard, f"{a} {symbol} {b}")]
    if op == Op.GET_PROPERTY:  # obj (right, below) [key (left, top)], as tier 1's op_get_property
        obj, key = right.code, left.code
        if right.is_const:
            return []
        if left.is_const and type(left.value) is str:
            return [(f"type({obj}) is dict", f"{obj}.get({key})")]
        if left.is_const and type(left.value) is int and 0 < left.value < SMALL_INT:
            return [(f"(type({obj}) is list and len({obj}) >= {key})", f"{obj}[{left.value - 1}]")]
        if left.is_const:
            return []
        return [(f"(type({obj}) is dict and type({key}) is str)", f"{obj}.get({key})"),
                (f"(type({obj}) is list and type({key}) is int and 0 < {key} <= len({obj}))", f"{obj}[{key} - 1]")]
    return []
