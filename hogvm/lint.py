"""Compile-time warnings for the classic mistakes: code that compiles but will not do what it says.

PostHog's editor flags two of them while compiling (`bytecode.py`): an `=` used as a statement
("You must use ':=' for assignment instead of '='.") and a global it does not know ("Unknown global
variable: x"), and it refuses functions that do not exist ("Hog function `x` is not implemented").
We warn about those, with PostHog's wording, and about what JavaScript habits produce in Hog:

- `break`, `continue`, `const`, `var`, `function` and `undefined` are plain names in Hog: `break`
  alone reads a global called `break`, `const x := 1` reads `const` then assigns an undeclared `x`,
  `function f(a) { ... }` reads `function`, calls `f` and runs the block once;
- `"text"` is a quoted *name* in Hog (strings take single quotes), so `print("hi")` reads a global;
- a builtin called with a number of arguments it does not take (PostHog's arities, `hogvm/stl`);
- a name that is not a local, a known global, a builtin or a host function.

(`===`, `!==`, `+=`, `=>`, `++` and `let x = 1` do not parse at all; their syntax errors say what
to write instead, see grammar/parser.py.)

The compiler calls a `Linter` where it resolves names, so locals, upvalues and globals are told
apart exactly as in the bytecode. Warnings never change the bytecode.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from grammar import ast

# Statements written by JavaScript habit, which Hog reads as a bare global name.
_JS_STATEMENT_WORDS = {
    "break": "Hog has no `break`: end the loop through its condition, or `return` from a function",
    "continue": "Hog has no `continue`: put the rest of the loop body inside an `if`",
    "const": "`const` is not a Hog keyword: declare variables with `let name := value`",
    "var": "`var` is not a Hog keyword: declare variables with `let name := value`",
    "function": "`function` is not a Hog keyword: declare functions with `fn name(a, b) { ... }`",
}
# Globals written by JavaScript habit.
_JS_GLOBALS = {
    "undefined": "Hog has no `undefined`: use `null`",
    "console": "Hog has no `console`: use print(...), which becomes the tagger's reasoning",
    "this": "Hog has no `this`",
}


@dataclass(frozen=True, slots=True)
class HogWarning:
    """A likely mistake at `line`, `column` (1-based). `code` names the kind of mistake."""

    code: str  # 'assignment', 'javascript', 'double-quotes', 'unknown-function', 'arguments', 'unknown-global'
    message: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


class Linter:
    """Collects warnings while the compiler resolves names.

    `globals`: the names the program will be given (None: unknown, so globals are not checked).
    `functions`: names of host functions the program will be given."""

    def __init__(self, source: str | None, globals: Collection[str] | None = None,
                 functions: Collection[str] = ()) -> None:
        from hogvm.stl import BYTECODE_STL, STL  # the arities of every builtin

        self.source_lines = source.split("\n") if source else []  # as the lexer counts lines
        self.globals = None if globals is None else frozenset(globals)
        self.functions = frozenset(functions)
        self.arities: dict[str, tuple[int, int | None]] = {
            name: (builtin.min_args, builtin.max_args) for name, builtin in STL.items()
        }
        for name, (params, _body) in BYTECODE_STL.items():
            self.arities[name] = (len(params), len(params))
        self.warnings: list[HogWarning] = []

    def warn(self, code: str, message: str, node: ast.Node) -> None:
        self.warnings.append(HogWarning(code, message, node.line, node.column))

    # -- hooks the compiler calls ------------------------------------------------------------

    def expr_statement(self, node: ast.ExprStatement) -> None:
        expr = node.expr
        if type(expr) is ast.CompareOperation and expr.op == "==" and not expr.is_null_comparison_style:
            if self._written_as_double_equals(expr):
                self.warn("assignment", "The result of this comparison is not used; to assign, write `name := value`",
                          expr)
            else:
                self.warn("assignment", "You must use ':=' for assignment instead of '='.", expr)
        elif (type(expr) is ast.Field and len(expr.chain) == 1 and expr.chain[0] in _JS_STATEMENT_WORDS
              and not self._quoted(expr)):
            self.warn("javascript", _JS_STATEMENT_WORDS[str(expr.chain[0])], expr)

    def global_read(self, node: ast.Field) -> None:
        """`node` (a name or chain) resolved to no local: it reads a global."""
        name = str(node.chain[0])
        if name in _JS_STATEMENT_WORDS and not self._quoted(node):
            return  # reported by expr_statement when it stands alone; elsewhere it is a real name
        if self._known_global(name):
            return
        if self._quoted(node):
            self.warn("double-quotes", f'"{name}" is a name, not a string: Hog quotes names with double quotes. '
                                       f"For a string, write '{name}'", node)
            return
        if name in _JS_GLOBALS:
            self.warn("javascript", _JS_GLOBALS[name], node)
            return
        if self.globals is None:
            return
        self.warn("unknown-global", f"Unknown global variable: {name}{self._suggestion(name, self._global_names())}",
                  node)

    def global_call(self, node: ast.Call, argc: int) -> None:
        """`name(...)` where `name` is no local: a builtin, a host function or nothing."""
        name = node.name
        if name in self.functions or (self.globals is not None and name in self.globals):
            return
        arity = self.arities.get(name)
        if arity is None:
            hint = self._suggestion(name, list(self.arities) + list(self.functions))
            self.warn("unknown-function", f"Hog function `{name}` is not implemented{hint}", node)
            return
        if node.params is not None:  # f(params)(args): the first list goes to f
            return
        low, high = arity
        if argc < low or (high is not None and argc > high):
            self.warn("arguments", f"Function `{name}` takes {_arity_text(low, high)}, got {argc}", node)

    # -- helpers -----------------------------------------------------------------------------

    def _known_global(self, name: str) -> bool:
        if name in self.arities or name in self.functions:
            return True  # a function used as a value
        return self.globals is not None and name in self.globals

    def _global_names(self) -> list[str]:
        return sorted(self.globals or ())

    @staticmethod
    def _suggestion(name: str, candidates: Collection[str]) -> str:
        import difflib  # only when there is something to suggest: `import hogvm.compiler` stays light

        close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.75)
        return f"; did you mean `{close[0]}`?" if close else ""

    def _char_at(self, line: int, column: int) -> str:
        if not 1 <= line <= len(self.source_lines):
            return ""
        text = self.source_lines[line - 1]
        return text[column - 1] if 1 <= column <= len(text) else ""

    def _quoted(self, node: ast.Node) -> bool:
        """Written as `"name"` (PostHog's quoted identifier)."""
        return self._char_at(node.line, node.column) == '"'

    def _written_as_double_equals(self, node: ast.CompareOperation) -> bool:
        """Whether the operator between the operands is `==` (not `=`), when the source shows it."""
        right = node.right
        if not self.source_lines or right.line != node.line or right.line > len(self.source_lines):
            return False
        between = self.source_lines[right.line - 1][: right.column - 1].rstrip()
        return between.endswith("==")


def _arity_text(low: int, high: int | None) -> str:
    def count(n: int) -> str:
        return f"{n} argument" + ("" if n == 1 else "s")

    if high is None:
        return f"at least {count(low)}"
    if low == high:
        return count(low)
    return f"{low} to {count(high)}"
