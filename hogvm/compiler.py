"""Compile a Hog AST to HogVM bytecode, instruction for instruction what PostHog's compiler emits.

PostHog's bytecode compiler (`posthog/hogql/compiler/bytecode.py`) defines the format in practice:
its slot numbering, jump offsets, scope-exit pops and even its quirks are what PostHog's VMs and
stored bytecode expect. So this module reproduces its lowering exactly, including the order in
which sub-expressions are *compiled* (which decides upvalue numbering) where that differs from the
order they are *emitted* (`multiIf`, `f(params)(args)`, the C-style `for` step).

Where PostHog would emit bytecode that cannot run (cohort operators, `finally`, placeholders) or
crash with a Python error (array slices), we raise a `HogCompileError` pointing at the node.

Deliberate differences, each only for programs where PostHog's bytecode misbehaves:
- `between` keeps its operands in hidden stack slots and is null when one is null, as in PostHog's
  current conformance snapshot (`between.hoge`); we number the slots from the real stack depth, so
  `let ok := x between 1 and 5` and `f(a, x between 1 and 5)` work (the snapshot only shows
  `between` on an empty stack, where both agree).
- a typed catch naming its own variable (`catch (err: RetryError)`) skips to the next catch;
  PostHog's offset lands inside an instruction.
- `if(c, a)` and an even-length `multiIf(...)` push null when nothing matches; PostHog pushes
  nothing, leaving the stack short.
- a C-style `for` without a condition loops (PostHog's JUMP_IF_FALSE pops a missing value), and
  an expression as its initializer or step has its value popped (PostHog keeps one per iteration).

    >>> compile_hog("return 1 + 2")
    ['_H', 1, 33, 2, 33, 1, 6, 38]

`compile_hog_with_warnings` compiles the same bytecode and also returns the warnings of
hogvm/lint.py and a side table from each opcode to its source position (hogvm/positions.py):
while it runs, every opcode is emitted wrapped with the position of the innermost node that emitted
it, and unwrapped (its offset recorded) when the bytecode is assembled.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from grammar import ast
from grammar.errors import HogCompileError, HogError
from hogvm.lint import HogWarning, Linter
from hogvm.opcodes import BYTECODE_MAGIC, BYTECODE_VERSION, Op
from hogvm.positions import SourceMap, SourcePosition
from hogvm.scope import FunctionScope
from hogvm.source_checks import hyphenated_name_error, touching_minus_positions

__all__ = ["MAX_NESTING", "CompiledHog", "compile_hog", "compile_hog_with_warnings", "compile_program"]

# Deepest AST nesting compiled. The parser bounds nesting too; this guard keeps a hand-built AST
# from ending in a RecursionError (each level costs two Python frames here).
MAX_NESTING = 300

COMPARE_OPS: dict[str, Op] = {
    "==": Op.EQ,
    "!=": Op.NOT_EQ,
    ">": Op.GT,
    ">=": Op.GT_EQ,
    "<": Op.LT,
    "<=": Op.LT_EQ,
    "like": Op.LIKE,
    "ilike": Op.ILIKE,
    "not like": Op.NOT_LIKE,
    "not ilike": Op.NOT_ILIKE,
    "in": Op.IN,
    "not in": Op.NOT_IN,
    "=~": Op.REGEX,
    "!~": Op.NOT_REGEX,
    "=~*": Op.IREGEX,
    "!~*": Op.NOT_IREGEX,
}
COHORT_OPS = frozenset({"in cohort", "not in cohort"})

ARITHMETIC_OPS: dict[str, Op] = {
    "+": Op.PLUS,
    "-": Op.MINUS,
    "*": Op.MULTIPLY,
    "/": Op.DIVIDE,
    "%": Op.MOD,
}

# Names the parser produces for `case <expr> when ...` (PostHog lowers it to ClickHouse's
# `transform`); no HogVM has either function, so the program could only fail at run time.
_CASE_WITH_EXPRESSION_CALLS = frozenset({"transform", "_caseWithExpression"})


def compile_hog(source: str) -> list[Any]:
    """Parse and compile Hog source to `["_H", 1, ...]` bytecode, with the source checks of
    PostHog's `compile_hog` (see hogvm/source_checks.py).

    Raises `HogSyntaxError` or `HogCompileError` (with line, column and the source)."""
    from grammar import parse_program

    return compile_program(parse_program(source), source=source)


def compile_program(program: ast.Program, *, source: str | None = None) -> list[Any]:
    """Compile a parsed program to `["_H", 1, ...]` bytecode. Raises `HogCompileError`.

    With the `source` the program was parsed from, errors carry it (for a caret snippet) and the
    source checks of PostHog's `compile_hog` run too (see hogvm/source_checks.py)."""
    bytecode, _ = _compile(program, source, _Compiler(touching_minus_positions(source) if source else frozenset()))
    return bytecode


@dataclass(frozen=True, slots=True)
class CompiledHog:
    """What `compile_hog_with_warnings` returns."""

    bytecode: list[Any]  # exactly what `compile_hog` returns: PostHog's bytecode
    warnings: list[HogWarning]  # likely mistakes, in source order (see hogvm/lint.py)
    source_map: SourceMap  # for `execute_bytecode(..., source_map=...)`: runtime errors get positions


def compile_hog_with_warnings(source: str, *, globals: Collection[str] | None = None,
                              functions: Collection[str] = (), strict: bool = False) -> CompiledHog:
    """Compile like `compile_hog`, and also return warnings and the source map.

    `globals`: the global names the program will run with (a tagger's are `input`, `output`,
    `properties`, `event`, `tags`); None leaves globals unchecked. `functions`: host function
    names. With `strict`, the first warning raises a `HogCompileError` at its position.
    A syntax or compile error carries the warnings found before it (`error.warnings`)."""
    from grammar import parse_program

    linter = Linter(source, globals, functions)
    compiler = _Compiler(touching_minus_positions(source), track=True, lint=linter)
    try:
        bytecode, positions = _compile(parse_program(source), source, compiler)
    except HogError as err:
        err.warnings = tuple(sorted(linter.warnings, key=lambda w: (w.line, w.column)))
        raise
    warnings = sorted(linter.warnings, key=lambda w: (w.line, w.column))
    if strict and warnings:
        first = warnings[0]
        error = HogCompileError(first.message, line=first.line, column=first.column, source=source)
        error.warnings = tuple(warnings)
        raise error
    return CompiledHog(bytecode, warnings, SourceMap(source, positions))


def _compile(program: ast.Program, source: str | None,
             compiler: _Compiler) -> tuple[list[Any], dict[int, SourcePosition]]:
    """The bytecode of `program`, and the source position of each opcode offset if tracked."""
    code: list[Any] = []
    try:
        compiler.emit(program, code)
    except HogCompileError as err:
        if err.source is None:
            err.source = source
        raise
    except RecursionError:
        raise HogCompileError("Nesting too deep: the program is nested beyond what can be compiled",
                              source=source) from None
    except (AttributeError, TypeError, ValueError) as err:  # only a hand-built AST can get here
        raise HogCompileError(f"Malformed syntax tree: {err}", source=source) from err
    # Opcodes are emitted as `Op` members (or `_At` wrappers) for readability; hand out plain
    # ints, as JSON would.
    if not compiler.track:
        return [BYTECODE_MAGIC, BYTECODE_VERSION, *(int(x) if type(x) is Op else x for x in code)], {}
    bytecode: list[Any] = [BYTECODE_MAGIC, BYTECODE_VERSION]
    positions: dict[int, SourcePosition] = {}
    for item in code:
        kind = type(item)
        if kind is _At:
            positions[len(bytecode)] = item.position
            bytecode.append(int(item.op))
        else:
            bytecode.append(int(item) if kind is Op else item)
    return bytecode, positions


class _At:
    """An opcode with the position of the node that emitted it (only while positions are tracked)."""

    __slots__ = ("op", "position")

    def __init__(self, op: Op, position: SourcePosition) -> None:
        self.op = op
        self.position = position


class _Compiler:
    __slots__ = ("function_name", "hyphens", "lint", "nesting", "scope", "temps", "track")

    def __init__(self, hyphens: frozenset[tuple[int, int]] = frozenset(), *, track: bool = False,
                 lint: Linter | None = None) -> None:
        self.scope = FunctionScope()
        self.nesting = 0
        self.hyphens = hyphens  # where a minus touches names on both sides, see source_checks
        # Values the running code has on the stack above the current function's declared locals
        # (-1 while a declared local's initializer runs). Only `between` needs it, to address its
        # hidden operands by slot.
        self.temps = 0
        self.track = track  # record each opcode's source position
        self.function_name: str | None = None  # the Hog function being compiled (None: top level)
        self.lint = lint

    def emit(self, node: ast.Node, out: list[Any], below: int = 0) -> None:
        """Append the code of `node` to `out`, `below` being how many values this node's parent has
        pushed before it runs. Errors raised inside get `node`'s position unless a deeper node
        already gave one (as PostHog's visitor does)."""
        handler = _HANDLERS.get(type(node))
        if handler is None:
            raise _positioned(HogCompileError(_unsupported_message(node)), node)
        self.nesting += 1
        self.temps += below
        start = len(out)
        try:
            if self.nesting > MAX_NESTING:
                raise HogCompileError(f"Nesting too deep: more than {MAX_NESTING} levels of nested expressions")
            handler(self, node, out)
        except HogCompileError as err:
            raise _positioned(err, node) from None
        finally:
            self.nesting -= 1
            self.temps -= below
        if self.track and node.line:
            self.claim(out, start, node, self.function_name)

    @staticmethod
    def claim(code: list[Any], start: int, node: ast.Node, function: str | None) -> None:
        """Give the opcodes of `code[start:]` that no inner node claimed `node`'s position."""
        position = SourcePosition(node.line, node.column, function)
        for i in range(start, len(code)):
            if type(code[i]) is Op:
                code[i] = _At(code[i], position)

    def emit_new(self, node: ast.Node, below: int = 0) -> list[Any]:
        """The code of `node` as a fresh list (for parts whose length a jump needs)."""
        code: list[Any] = []
        self.emit(node, code, below)
        return code

    # ------------------------------------------------------------------ names

    def load_name(self, name: str, out: list[Any]) -> bool:
        """Append the load of local or upvalue `name`; False (nothing appended) if it is neither."""
        slot = self.scope.find_local(name)
        if slot != -1:
            out += (Op.GET_LOCAL, slot)
            return True
        index = self.scope.find_upvalue(name)
        if index != -1:
            out += (Op.GET_UPVALUE, index)
            return True
        return False

    @staticmethod
    def property_chain(chain: list[str | int], out: list[Any]) -> None:
        for element in chain:
            if isinstance(element, int):
                out += (Op.INTEGER, element, Op.GET_PROPERTY)
            else:
                out += (Op.STRING, str(element), Op.GET_PROPERTY)

    # ------------------------------------------------------------------ expressions

    def constant(self, node: ast.Constant, out: list[Any]) -> None:
        value = node.value
        if value is True:
            out.append(Op.TRUE)
        elif value is False:
            out.append(Op.FALSE)
        elif value is None:
            out.append(Op.NULL)
        elif isinstance(value, int):
            out += (Op.INTEGER, value)
        elif isinstance(value, float):
            out += (Op.FLOAT, value)
        elif isinstance(value, str):
            out += (Op.STRING, value)
        else:
            raise HogCompileError(f"Constant type `{type(value).__name__}` is not supported")

    def field(self, node: ast.Field, out: list[Any]) -> None:
        chain = node.chain
        if not chain:
            raise HogCompileError("Empty field name")
        if self.load_name(str(chain[0]), out):
            self.property_chain(chain[1:], out)
            return
        # A global: the chain goes on the stack last element first, so its head ends on top.
        if self.lint is not None:
            self.lint.global_read(node)
        for element in reversed(chain):
            out += (Op.STRING, element)
        out += (Op.GET_GLOBAL, len(chain))

    def and_(self, node: ast.And, out: list[Any]) -> None:
        self.operands(node.exprs, out)
        out += (Op.AND, len(node.exprs))

    def or_(self, node: ast.Or, out: list[Any]) -> None:
        self.operands(node.exprs, out)
        out += (Op.OR, len(node.exprs))

    def operands(self, exprs: list[ast.Expr], out: list[Any], below: int = 0) -> None:
        """Expressions whose values stay on the stack, one above the other."""
        for i, expr in enumerate(exprs):
            self.emit(expr, out, below + i)

    def not_(self, node: ast.Not, out: list[Any]) -> None:
        self.emit(node.expr, out)
        out.append(Op.NOT)

    def compare(self, node: ast.CompareOperation, out: list[Any]) -> None:
        op = COMPARE_OPS.get(node.op)
        if op is None:
            if node.op in COHORT_OPS:
                raise HogCompileError(_cohort_message(node.right))
            raise HogCompileError(f"Unsupported comparison operator `{node.op}`")
        # Binary operators compile the right operand first: the VM pops the left one first.
        self.emit(node.right, out)
        self.emit(node.left, out, 1)
        out.append(op)

    def arithmetic(self, node: ast.ArithmeticOperation, out: list[Any]) -> None:
        op = ARITHMETIC_OPS.get(node.op)
        if op is None:
            raise HogCompileError(f"Unsupported arithmetic operator `{node.op}`")
        if op is Op.MINUS and (node.right.line, node.right.column) in self.hyphens:
            error = hyphenated_name_error(node)  # `a.b-c`
            if error is not None:
                raise error
        self.emit(node.right, out)
        self.emit(node.left, out, 1)
        out.append(op)

    def between(self, node: ast.BetweenExpr, out: list[Any]) -> None:
        """`x [not] between a and b`: null if any operand is null, else `x >= a and x <= b`
        (`x < a or x > b`). Each operand is evaluated once, into a hidden stack slot above a
        result slot; the result is stored into that slot and the operands popped."""
        result = len(self.scope.locals) + self.temps
        value, low, high = result + 1, result + 2, result + 3
        out.append(Op.NULL)
        self.emit(node.expr, out, 1)
        self.emit(node.low, out, 2)
        self.emit(node.high, out, 3)
        low_op, high_op, join = (Op.LT, Op.GT, Op.OR) if node.negated else (Op.GT_EQ, Op.LT_EQ, Op.AND)
        compare = (
            Op.GET_LOCAL, low, Op.GET_LOCAL, value, low_op,
            Op.GET_LOCAL, high, Op.GET_LOCAL, value, high_op,
            join, 2,
        )
        out += (
            Op.GET_LOCAL, low, Op.NULL, Op.NOT_EQ,
            Op.GET_LOCAL, high, Op.NULL, Op.NOT_EQ,
            Op.GET_LOCAL, value, Op.NULL, Op.NOT_EQ,
            Op.AND, 3,
            Op.JUMP_IF_FALSE, len(compare) + 2, *compare, Op.JUMP, 1, Op.NULL,
            Op.SET_LOCAL, result,
            Op.POP, Op.POP, Op.POP,
        )

    def tuple_access(self, node: ast.TupleAccess, out: list[Any]) -> None:
        self.emit(node.tuple, out)
        out += (Op.INTEGER, node.index, Op.GET_PROPERTY_NULLISH if node.nullish else Op.GET_PROPERTY)

    def array_access(self, node: ast.ArrayAccess, out: list[Any]) -> None:
        key = node.property
        # As in PostHog, `false` counts too (it is an int equal to 0 in Python).
        if type(key) is ast.Constant and isinstance(key.value, int) and key.value == 0:
            raise HogCompileError("Array access starts from 1")
        self.emit(node.array, out)
        self.emit(key, out, 1)
        out.append(Op.GET_PROPERTY_NULLISH if node.nullish else Op.GET_PROPERTY)

    def array_slice(self, node: ast.ArraySlice, out: list[Any]) -> None:
        raise HogCompileError(
            "Array slices (`x[start:end]`) have no HogVM bytecode; use substring() for strings "
            "or a loop for arrays"
        )

    def placeholder(self, node: ast.Placeholder, out: list[Any]) -> None:
        raise HogCompileError("Placeholders are not allowed in this context")

    def array(self, node: ast.Array, out: list[Any]) -> None:
        self.operands(node.exprs, out)
        out += (Op.ARRAY, len(node.exprs))

    def tuple(self, node: ast.Tuple, out: list[Any]) -> None:
        self.operands(node.exprs, out)
        out += (Op.TUPLE, len(node.exprs))

    def dict(self, node: ast.Dict, out: list[Any]) -> None:
        for i, (key, value) in enumerate(node.items):
            self.emit(key, out, 2 * i)
            self.emit(value, out, 2 * i + 1)
        out += (Op.DICT, len(node.items))

    def call(self, node: ast.Call, out: list[Any]) -> None:
        name, args = node.name, node.args
        argc = len(args)
        # Calls the compiler lowers inline, by name, before looking for a function of that name.
        if name == "not" and argc == 1:
            self.emit(args[0], out)
            out.append(Op.NOT)
            return
        if name in ("and", "or") and argc > 1:
            self.operands(args, out)
            out += (Op.AND if name == "and" else Op.OR, argc)
            return
        if name == "if" and argc >= 2:
            self.if_call(args, out)
            return
        if name == "multiIf" and argc >= 2:
            self.multi_if(args, out)
            return
        if name == "ifNull" and argc == 2:
            self.emit(args[0], out)
            fallback = self.emit_new(args[1])
            out += (Op.JUMP_IF_STACK_NOT_NULL, len(fallback) + 1, Op.POP, *fallback)
            return
        if name == "sql" and argc == 1:
            raise HogCompileError(
                "sql() builds HogQL query ASTs, which this compiler does not support in Hog programs"
            )

        # `f(params)(args)`: call f with the params, then call its result with the args. The
        # params are compiled first but run second, above the args.
        first = args if node.params is None else node.params
        head: list[Any] = []
        self.operands(first, head, 0 if node.params is None else argc)
        if self.load_name(name, head):
            head += (Op.CALL_LOCAL, len(first))
        else:
            if name in _CASE_WITH_EXPRESSION_CALLS:
                raise HogCompileError(
                    "`case <expr> when ... end` is not supported by HogVM (it needs `transform`); "
                    "write `case when <expr> = ... then ... end` instead"
                )
            if self.lint is not None:
                self.lint.global_call(node, len(first))
            head += (Op.CALL_GLOBAL, name, len(first))
        if node.params is None:
            out += head
            return
        self.operands(args, out)
        out += head
        out += (Op.CALL_LOCAL, argc)

    def if_call(self, args: list[ast.Expr], out: list[Any]) -> None:
        """`if(c, a, b)` as jumps; `if(c, a)` is `if(c, a, null)`.

        (PostHog emits no else branch for `if(c, a)` nor for an even-length `multiIf`, so a false
        condition leaves no value and corrupts the stack; we push the null that was meant.)"""
        if len(args) > 3:
            raise HogCompileError(f"if() takes 2 or 3 arguments, got {len(args)}")
        self.emit(args[0], out)
        then = self.emit_new(args[1])
        otherwise = self.emit_new(args[2]) if len(args) == 3 else [Op.NULL]
        out += (Op.JUMP_IF_FALSE, len(then) + 2, *then, Op.JUMP, len(otherwise), *otherwise)

    def multi_if(self, args: list[ast.Expr], out: list[Any]) -> None:
        """`multiIf(c1, a1, c2, a2, ..., else)` as nested ifs, built (and compiled) from the end."""
        if len(args) <= 3:
            self.if_call(args, out)
            return
        rest = self.emit_new(args[-1]) if len(args) % 2 else [Op.NULL]
        for i in range(len(args) - 2 - len(args) % 2, -1, -2):
            code = self.emit_new(args[i])
            then = self.emit_new(args[i + 1])
            code += (Op.JUMP_IF_FALSE, len(then) + 2, *then, Op.JUMP, len(rest), *rest)
            rest = code
        out += rest

    def expr_call(self, node: ast.ExprCall, out: list[Any]) -> None:
        self.operands(node.args, out)
        self.emit(node.expr, out, len(node.args))
        out += (Op.CALL_LOCAL, len(node.args))

    def lambda_(self, node: ast.Lambda, out: list[Any]) -> None:
        self.closure(node, "lambda", node.args, node.expr, out)

    def hogqlx_tag(self, node: ast.HogQLXTag, out: list[Any]) -> None:
        kind = node.kind
        if self.scope.find_local(kind) != -1 or self.scope.find_upvalue(kind) != -1:
            # A tag naming a function in scope calls it with the attributes as one dict.
            for i, attribute in enumerate(node.attributes):
                self.hogqlx_value(attribute.name, out, 2 * i)
                self.hogqlx_value(attribute.value, out, 2 * i + 1)
            out += (Op.DICT, len(node.attributes))
            self.load_name(kind, out)
            out += (Op.CALL_LOCAL, 1)
            return
        out += (Op.STRING, "__hx_tag", Op.STRING, kind)
        for i, attribute in enumerate(node.attributes):
            self.hogqlx_value(attribute.name, out, 2 * i + 2)
            self.hogqlx_value(attribute.value, out, 2 * i + 3)
        out += (Op.DICT, len(node.attributes) + 1)

    def hogqlx_value(self, value: Any, out: list[Any], below: int) -> None:
        if isinstance(value, ast.Node):
            self.emit(value, out, below)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self.hogqlx_value(item, out, below + i)
            out += (Op.ARRAY, len(value))
        elif isinstance(value, dict):
            for i, (key, item) in enumerate(value.items()):
                self.hogqlx_value(key, out, below + 2 * i)
                self.hogqlx_value(item, out, below + 2 * i + 1)
            out += (Op.DICT, len(value))
        elif isinstance(value, int):  # bools included, as in PostHog
            out += (Op.INTEGER, value)
        elif isinstance(value, float):
            out += (Op.FLOAT, value)
        elif isinstance(value, str):
            out += (Op.STRING, value)
        else:
            out.append(Op.NULL)

    # ------------------------------------------------------------------ functions

    def function(self, node: ast.Function, out: list[Any]) -> None:
        # Declared before its body is compiled, so the body can call itself through an upvalue.
        self.scope.declare(node.name)
        self.closure(node, node.name, node.params, node.body, out)

    def closure(self, node: ast.Node, name: str, params: list[str], body: ast.Node, out: list[Any]) -> None:
        """`CALLABLE name argc upvalueCount bodyLen <body> CLOSURE upvalueCount (isLocal, index)*`."""
        outer, outer_temps, outer_function = self.scope, self.temps, self.function_name
        inner = FunctionScope(outer, params)
        self.scope, self.temps, self.function_name = inner, 0, name
        try:
            code = self.function_body(body)
            if self.track and node.line:  # the implicit return and scope exit belong to the function
                self.claim(code, 0, node, name)
        finally:
            self.scope, self.temps, self.function_name = outer, outer_temps, outer_function
        upvalues = inner.upvalues
        out += (Op.CALLABLE, name, len(params), len(upvalues), len(code), *code, Op.CLOSURE, len(upvalues))
        for upvalue in upvalues:
            out += (upvalue.is_local, upvalue.index)

    def function_body(self, body: ast.Node) -> list[Any]:
        """A body that always ends in RETURN: `NULL RETURN` is added unless it ends in a return."""
        code: list[Any] = []
        if isinstance(body, ast.Block):
            statements = body.declarations
            needs_return = not statements or type(statements[-1]) is not ast.ReturnStatement
            self.block_statements(statements, code, implicit_return=needs_return)
        elif isinstance(body, ast.Placeholder):
            # `x -> {foo}` parses as a placeholder: a block running `foo` and returning null.
            self.scope.open_block()
            self.emit(body.expr, code)
            code += (Op.POP, Op.NULL, Op.RETURN)
            self.scope.close_block(code)
        elif isinstance(body, ast.ReturnStatement):
            self.emit(body, code)
        elif isinstance(body, ast.Statement):
            self.block_statements([body], code, implicit_return=True)
        else:  # an expression body: `x -> x + 1`
            self.emit(body, code)
            code.append(Op.RETURN)
        return code

    def block_statements(self, statements: list[ast.Statement], out: list[Any], *, implicit_return: bool) -> None:
        scope = self.scope
        scope.open_block()
        for statement in statements:
            self.emit(statement, out)
        if implicit_return:
            out += (Op.NULL, Op.RETURN)
        scope.close_block(out)

    # ------------------------------------------------------------------ statements

    def program(self, node: ast.Program, out: list[Any]) -> None:
        self.block_statements(node.declarations, out, implicit_return=False)

    def block(self, node: ast.Block, out: list[Any]) -> None:
        self.block_statements(node.declarations, out, implicit_return=False)

    def expr_statement(self, node: ast.ExprStatement, out: list[Any]) -> None:
        if node.expr is None:  # a lone `;` as a loop or if body
            return
        if self.lint is not None:
            self.lint.expr_statement(node)
        self.emit(node.expr, out)
        out.append(Op.POP)

    def variable_declaration(self, node: ast.VariableDeclaration, out: list[Any]) -> None:
        # Declared first, so the initializer already sees the new (not yet set) slot, as in PostHog.
        self.scope.declare(node.name)
        if node.expr is None:
            out.append(Op.NULL)
        else:
            self.emit(node.expr, out, -1)  # the new slot is filled by this very value

    def variable_assignment(self, node: ast.VariableAssignment, out: list[Any]) -> None:
        target = node.left
        if type(target) is ast.TupleAccess:
            self.emit(target.tuple, out)
            out += (Op.INTEGER, target.index)
            self.emit(node.right, out, 2)
            out.append(Op.SET_PROPERTY)
            return
        if type(target) is ast.ArrayAccess:
            self.emit(target.array, out)
            self.emit(target.property, out, 1)
            self.emit(node.right, out, 2)
            out.append(Op.SET_PROPERTY)
            return
        if type(target) is not ast.Field or not target.chain:
            raise HogCompileError("Can not assign to this type of expression")

        chain = target.chain
        name = str(chain[0])
        slot = self.scope.find_local(name)
        if slot != -1:
            get_op, set_op, index = Op.GET_LOCAL, Op.SET_LOCAL, slot
        else:
            index = self.scope.find_upvalue(name)
            if index == -1:
                raise HogCompileError(f'Variable "{name}" not declared in this scope. Can not assign to globals.')
            get_op, set_op, index = Op.GET_UPVALUE, Op.SET_UPVALUE, index
        if len(chain) == 1:
            self.emit(node.right, out)
            out += (set_op, index)
            return
        # `a.b.c := v`: load a, walk to a.b, then set key c on it.
        out += (get_op, index)
        self.property_chain(chain[1:-1], out)
        last = chain[-1]
        out += (Op.INTEGER, last) if isinstance(last, int) else (Op.STRING, str(last))
        self.emit(node.right, out, 2)
        out.append(Op.SET_PROPERTY)

    def return_statement(self, node: ast.ReturnStatement, out: list[Any]) -> None:
        if node.expr is None:
            out.append(Op.NULL)
        else:
            self.emit(node.expr, out)
        out.append(Op.RETURN)

    def throw_statement(self, node: ast.ThrowStatement, out: list[Any]) -> None:
        self.emit(node.expr, out)
        out.append(Op.THROW)

    def if_statement(self, node: ast.IfStatement, out: list[Any]) -> None:
        self.emit(node.expr, out)
        then = self.emit_new(node.then)
        # An empty else block compiles to nothing, and then no JUMP is emitted for it either.
        otherwise = self.emit_new(node.else_) if node.else_ is not None else []
        out += (Op.JUMP_IF_FALSE, len(then) + (2 if otherwise else 0), *then)
        if otherwise:
            out += (Op.JUMP, len(otherwise), *otherwise)

    def while_statement(self, node: ast.WhileStatement, out: list[Any]) -> None:
        condition = self.emit_new(node.expr)
        body = self.emit_new(node.body)
        out += condition
        out += (Op.JUMP_IF_FALSE, len(body) + 2, *body)
        out += (Op.JUMP, -(len(condition) + len(body) + 4))

    def for_statement(self, node: ast.ForStatement, out: list[Any]) -> None:
        scope = self.scope
        # Only a loop with an initializer has a scope of its own (for its loop variable).
        if node.initializer is not None:
            scope.open_block()
        # Compiled in source order, so the step is compiled before the body it follows.
        initializer = self.loop_clause(node.initializer)
        # No condition loops forever. (PostHog emits none, and its JUMP_IF_FALSE pops a value
        # that is not there.)
        condition = self.emit_new(node.condition) if node.condition is not None else [Op.TRUE]
        increment = self.loop_clause(node.increment)
        body = self.emit_new(node.body)
        out += initializer
        out += condition
        out += (Op.JUMP_IF_FALSE, len(body) + len(increment) + 2, *body, *increment)
        out += (Op.JUMP, -(len(increment) + len(body) + len(condition) + 4))
        if node.initializer is not None:
            scope.close_block(out)

    def loop_clause(self, clause: ast.Node | None) -> list[Any]:
        """A C-style `for` initializer or step: a declaration, an assignment, or an expression whose
        value is dropped. (PostHog leaves that value on the stack, one more every iteration,
        which shifts every slot above it.)"""
        if clause is None:
            return []
        code = self.emit_new(clause)
        if not isinstance(clause, ast.Statement):
            code.append(Op.POP)
        return code

    def for_in_statement(self, node: ast.ForInStatement, out: list[Any]) -> None:
        """`for (let k, v in expr)` over hidden locals: the collection, its keys() and values(),
        a 1-based index and the length, then the loop variables."""
        scope = self.scope
        scope.open_block()
        expr_slot = scope.declare("__H_expr_H__")
        self.emit(node.expr, out, -1)
        keys_slot = -1
        if node.key_var is not None:
            keys_slot = scope.declare("__H_keys_H__")
            out += (Op.GET_LOCAL, expr_slot, Op.CALL_GLOBAL, "keys", 1)
        values_slot = scope.declare("__H_values_H__")
        out += (Op.GET_LOCAL, expr_slot, Op.CALL_GLOBAL, "values", 1)
        index_slot = scope.declare("__H_index_H__")
        out += (Op.INTEGER, 1)
        limit_slot = scope.declare("__H_limit_H__")
        out += (Op.GET_LOCAL, values_slot, Op.CALL_GLOBAL, "length", 1)
        key_slot = -1
        if node.key_var is not None:
            key_slot = scope.declare(node.key_var)
            out.append(Op.NULL)
        value_slot = scope.declare(node.value_var)
        out.append(Op.NULL)

        condition = (Op.GET_LOCAL, limit_slot, Op.GET_LOCAL, index_slot, Op.LT_EQ)
        body: list[Any] = []
        if node.key_var is not None:
            body += (Op.GET_LOCAL, keys_slot, Op.GET_LOCAL, index_slot, Op.GET_PROPERTY, Op.SET_LOCAL, key_slot)
        body += (Op.GET_LOCAL, values_slot, Op.GET_LOCAL, index_slot, Op.GET_PROPERTY, Op.SET_LOCAL, value_slot)
        self.emit(node.body, body)
        increment = (Op.GET_LOCAL, index_slot, Op.INTEGER, 1, Op.PLUS, Op.SET_LOCAL, index_slot)

        out += condition
        out += (Op.JUMP_IF_FALSE, len(body) + len(increment) + 2, *body, *increment)
        out += (Op.JUMP, -(len(increment) + len(body) + len(condition) + 4))
        scope.close_block(out)

    def try_catch_statement(self, node: ast.TryCatchStatement, out: list[Any]) -> None:
        """`TRY <catches> <try body> POP_TRY JUMP <over catches> <catches>`.

        The VM enters the catch area with the thrown error pushed: it becomes local `e`, and
        `e.type` local `type`. Each catch tests `type` (untyped and `Error` catches take anything),
        runs its block and jumps to the end; if none matched, the error is re-thrown."""
        if node.finally_stmt is not None:
            raise HogCompileError("finally blocks are not yet supported")
        if not node.catches:
            raise HogCompileError("try statement must have at least one catch block")
        body = self.emit_new(node.try_stmt)

        scope = self.scope
        catches: list[Any] = []
        exits: list[int] = []  # positions of the JUMP offsets to patch to the common exit
        scope.open_block()
        error_slot = scope.declare("e")
        catches += (Op.GET_LOCAL, error_slot, Op.STRING, "type", Op.GET_PROPERTY)
        type_slot = scope.declare("type")
        for clause in node.catches:
            var = clause.var or "e"
            error_type = clause.type or "Error"
            scope.open_block()
            handler: list[Any] = []
            if var != "e":
                scope.declare(var)
                handler += (Op.GET_LOCAL, error_slot)
            self.emit(clause.body, handler)
            scope.close_block(handler)
            if error_type == "Error":
                catches += handler
            else:
                # Skip the handler and its exit JUMP. (PostHog subtracts the handler's scope-exit
                # pops here, which lands inside that JUMP when the catch names its variable, as in
                # `catch (err: RetryError)`: its bytecode then misbehaves; ours goes to the next catch.)
                skip = len(handler) + 2
                catches += (Op.STRING, error_type, Op.GET_LOCAL, type_slot, Op.EQ, Op.JUMP_IF_FALSE, skip, *handler)
            catches += (Op.JUMP, None)
            exits.append(len(catches) - 1)
        catches += (Op.POP, Op.THROW)  # nothing matched: drop `type`, re-throw `e`
        closed_at = len(catches)
        scope.close_block(catches)
        for position in exits:  # land on the scope-exit pops
            catches[position] = closed_at - position - 1

        out += (Op.TRY, len(body) + 4, *body, Op.POP_TRY, Op.JUMP, len(catches), *catches)


def _positioned(err: HogCompileError, node: ast.Node) -> HogCompileError:
    line = getattr(node, "line", None)  # a foreign object in the tree has no position
    if err.line is None and line:
        err.line, err.column = line, node.column
    return err


# HogQL syntax the parser accepts (as PostHog's does) but no HogVM can run, by AST class name.
_UNSUPPORTED = {
    "TypeCast": "Type casts (`x::type`, `cast(x as type)`) have no HogVM bytecode; "
                "use toInt(), toFloat(), toString() or toDateTime() instead",
}


def _unsupported_message(node: ast.Node) -> str:
    name = type(node).__name__
    return _UNSUPPORTED.get(name, f"Unsupported syntax: {name} can not be compiled to HogVM bytecode")


def _cohort_message(cohort: ast.Expr) -> str:
    detail = ""
    if type(cohort) is ast.Constant:
        value = cohort.value
        detail = f" (cohort id={value})" if isinstance(value, int) else f" (cohort: {value})"
    return f"Can't use cohorts in real-time filters. Please inline the relevant expressions{detail}."


_HANDLERS: dict[type, Callable[[_Compiler, Any, list[Any]], None]] = {
    ast.Constant: _Compiler.constant,
    ast.Field: _Compiler.field,
    ast.And: _Compiler.and_,
    ast.Or: _Compiler.or_,
    ast.Not: _Compiler.not_,
    ast.CompareOperation: _Compiler.compare,
    ast.ArithmeticOperation: _Compiler.arithmetic,
    ast.BetweenExpr: _Compiler.between,
    ast.TupleAccess: _Compiler.tuple_access,
    ast.ArrayAccess: _Compiler.array_access,
    ast.ArraySlice: _Compiler.array_slice,
    ast.Placeholder: _Compiler.placeholder,
    ast.Array: _Compiler.array,
    ast.Tuple: _Compiler.tuple,
    ast.Dict: _Compiler.dict,
    ast.Call: _Compiler.call,
    ast.ExprCall: _Compiler.expr_call,
    ast.Lambda: _Compiler.lambda_,
    ast.HogQLXTag: _Compiler.hogqlx_tag,
    ast.Function: _Compiler.function,
    ast.Program: _Compiler.program,
    ast.Block: _Compiler.block,
    ast.ExprStatement: _Compiler.expr_statement,
    ast.VariableDeclaration: _Compiler.variable_declaration,
    ast.VariableAssignment: _Compiler.variable_assignment,
    ast.ReturnStatement: _Compiler.return_statement,
    ast.ThrowStatement: _Compiler.throw_statement,
    ast.IfStatement: _Compiler.if_statement,
    ast.WhileStatement: _Compiler.while_statement,
    ast.ForStatement: _Compiler.for_statement,
    ast.ForInStatement: _Compiler.for_in_statement,
    ast.TryCatchStatement: _Compiler.try_catch_statement,
}
