"""Hypothesis strategies for Hog programs that compile and run.

Programs are generated as ASTs with a scope: only declared variables are read, loops are bounded
by a counter the body cannot touch, functions are declared before they are called and never
recurse. Two flavours:

- `runnable_programs(typed=True)`: every operation gets operands of the type it expects (ints,
  ASCII strings, bools, int lists, string-keyed int dicts), and the generator stays clear of the
  documented Python-VM/TypeScript-VM divergences (`/` and `%`, floats, `jsonStringify`, string
  `+`, closures made in loops and called later, `arraySort`). Used for the differential test against
  PostHog's TypeScript VM.
- `runnable_programs(typed=False)`: anything goes (floats, nulls, mixed types, `/` by zero, any
  STL function with a valid argument count and arbitrary arguments). Used to check that running
  never fails with anything but a `HogError`.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from grammar import ast

TYPES = ("int", "str", "bool", "list", "dict")
ASCII_TEXT = string.ascii_letters + string.digits + " _-'\\.,:%{}"
DICT_KEYS = ("a", "b", "key", "x y")

STL_SPEC = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "reference" / "stl.json").read_text()
)["functions"]
# Builtins a fuzzed program may call with arbitrary arguments: not the ones that block or reach
# the host (`sleep`, `run`), nor `print` (its output is the point of other tests).
FUZZABLE_STL = sorted(name for name in STL_SPEC if name not in {"sleep", "run", "print"})
BYTECODE_STL = {"arrayMap": 2, "arrayFilter": 2, "arrayExists": 2, "arrayCount": 2, "arrayReduce": 3}


def C(value: Any) -> ast.Constant:
    return ast.Constant(value)


def F(*chain: str) -> ast.Field:
    return ast.Field(chain=list(chain))


def call(name: str, *args: ast.Expr) -> ast.Call:
    return ast.Call(name=name, args=list(args))


@dataclass
class _Scope:
    variables: dict[str, str] = field(default_factory=dict)  # name -> type
    read_only: set[str] = field(default_factory=set)  # loop counters and loop variables
    functions: dict[str, int] = field(default_factory=dict)  # int -> int functions: name -> arity
    in_loop: bool = False  # declared inside a loop body
    closure: bool = False  # the parameters of a lambda


class _Generator:
    def __init__(self, draw: st.DrawFn, typed: bool) -> None:
        self.draw = draw
        self.typed = typed
        self.scopes = [_Scope()]
        self.counter = 0
        self.in_loop = 0
        self.in_closure = 0

    # -------------------------------------------------------- scope

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def declare(self, name: str, type_: str, read_only: bool = False) -> None:
        self.scopes[-1].variables[name] = type_
        if read_only:
            self.scopes[-1].read_only.add(name)

    def visible(self, type_: str | None = None, writable: bool = False) -> list[str]:
        names: dict[str, str] = {}
        read_only: set[str] = set()
        innermost_closure = max((i for i, s in enumerate(self.scopes) if s.closure), default=-1)
        for i, scope in enumerate(self.scopes):
            # PostHog's VMs find an upvalue by stack slot, closed ones included, so a closure over
            # a variable whose slot was used before (a loop body's, a finished block's, another
            # call's parameter) can see a stale value (tests/test_vm_divergences.py). A typed
            # program's lambdas capture only top-level variables and read their own parameters.
            if self.typed and self.in_closure and i != 0 and i != innermost_closure:
                continue
            names.update(scope.variables)
            read_only |= scope.read_only
        return sorted(n for n, t in names.items()
                      if (type_ is None or t == type_) and not (writable and n in read_only))

    def functions(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for scope in self.scopes:
            out.update(scope.functions)
        return out

    def pick(self, options: list[Any]) -> Any:
        return self.draw(st.sampled_from(options))

    def chance(self, p: float = 0.5) -> bool:
        return self.draw(st.integers(0, 99)) < p * 100

    # -------------------------------------------------------- expressions

    def expr(self, type_: str, depth: int) -> ast.Expr:
        if not self.typed and self.chance(0.15):
            return self.wild(depth)
        leaf = depth <= 0 or self.chance(0.3)
        return getattr(self, f"{type_}_expr")(depth - 1, leaf)

    def var_or(self, type_: str, literal: ast.Expr) -> ast.Expr:
        names = self.visible(type_)
        if names and self.chance(0.6):
            return F(self.pick(names))
        return literal

    def int_literal(self) -> ast.Expr:
        return C(self.draw(st.integers(-20, 100)))

    def str_literal(self) -> ast.Expr:
        return C(self.draw(st.text(ASCII_TEXT, max_size=8)))

    def int_expr(self, d: int, leaf: bool) -> ast.Expr:
        if leaf:
            return self.var_or("int", self.int_literal())
        kind = self.pick(["add", "sub", "mul", "neg", "len_s", "len_l", "if", "nullish", "fn",
                          "lambda", "reduce", "index", "toint", "count"])
        i = lambda: self.expr("int", d)  # noqa: E731 - a local shorthand
        if kind == "add":
            return ast.ArithmeticOperation(left=i(), op="+", right=i())
        if kind == "sub":
            return ast.ArithmeticOperation(left=i(), op="-", right=i())
        if kind == "mul":
            return ast.ArithmeticOperation(left=i(), op="*", right=C(self.draw(st.integers(-3, 3))))
        if kind == "neg":
            return ast.ArithmeticOperation(left=C(0), op="-", right=i())
        if kind == "len_s":
            return call("length", self.expr("str", d))
        if kind == "len_l":
            return call("length", self.expr("list", d))
        if kind == "if":
            return call("if", self.expr("bool", d), i(), i())
        if kind == "nullish":
            return call("ifNull", self.pick([C(None), i()]), i())
        if kind == "fn" and self.functions():
            name, arity = self.pick(sorted(self.functions().items()))
            return call(name, *[i() for _ in range(arity)])
        if kind == "lambda":
            param = self.fresh("p")
            body = self.closure_body({param: "int"}, lambda: ast.ArithmeticOperation(left=F(param), op="+", right=i()))
            return ast.ExprCall(expr=ast.Lambda(args=[param], expr=body), args=[i()])
        if kind == "reduce":
            acc, item = self.fresh("acc"), self.fresh("x")
            body = ast.ArithmeticOperation(left=F(acc), op="+", right=F(item))
            return call("arrayReduce", ast.Lambda(args=[acc, item], expr=body), self.expr("list", d), i())
        if kind == "index":
            return call("indexOf", self.expr("list", d), i())
        if kind == "toint":
            return call("toInt", call("toString", i()))
        if kind == "count":
            item = self.fresh("x")
            cond = self.closure_body({item: "int"}, lambda: ast.CompareOperation(left=F(item), op=">", right=i()))
            return call("arrayCount", ast.Lambda(args=[item], expr=cond), self.expr("list", d))
        return self.int_expr(d, True)

    def str_expr(self, d: int, leaf: bool) -> ast.Expr:
        if leaf:
            return self.var_or("str", self.str_literal())
        kind = self.pick(["concat", "fstring", "upper", "lower", "reverse", "tostring", "substring",
                          "replace", "if", "trim", "join"])
        s = lambda: self.expr("str", d)  # noqa: E731
        if kind == "concat":
            return call("concat", s(), self.pick([s, lambda: self.expr("int", d)])())
        if kind == "fstring":
            return call("concat", self.str_literal(), self.expr("int", d), s())
        if kind in ("upper", "lower", "reverse", "trim"):
            return call(kind, s())
        if kind == "tostring":
            return call("toString", self.expr("int", d))
        if kind == "substring":
            return call("substring", s(), C(self.draw(st.integers(1, 4))), C(self.draw(st.integers(0, 4))))
        if kind == "replace":
            return call("replaceAll", s(), C(self.pick(["a", " ", "1"])), s())
        if kind == "if":
            return call("if", self.expr("bool", d), s(), s())
        return call("arrayStringConcat", self.expr("list", d), C(self.pick(["", ", ", "-"])))

    def bool_expr(self, d: int, leaf: bool) -> ast.Expr:
        if leaf:
            return self.var_or("bool", C(self.draw(st.booleans())))
        kind = self.pick(["cmp", "scmp", "and", "or", "not", "in", "like", "regex", "empty", "null"])
        if kind == "cmp":
            op = self.pick(["==", "!=", "<", "<=", ">", ">="])
            return ast.CompareOperation(left=self.expr("int", d), op=op, right=self.expr("int", d))
        if kind == "scmp":
            op = self.pick(["==", "!=", "<", ">"])
            return ast.CompareOperation(left=self.expr("str", d), op=op, right=self.expr("str", d))
        if kind in ("and", "or"):
            parts = [self.expr("bool", d) for _ in range(self.draw(st.integers(2, 3)))]
            parts = [p for p in parts if not isinstance(p, ast.And if kind == "and" else ast.Or)] or [C(True), C(False)]
            if len(parts) == 1:
                parts.append(C(kind == "and"))
            return ast.And(exprs=parts) if kind == "and" else ast.Or(exprs=parts)
        if kind == "not":
            return ast.Not(expr=self.bool_expr(d, True))
        if kind == "in":
            return ast.CompareOperation(left=self.expr("int", d), op=self.pick(["in", "not in"]),
                                        right=self.expr("list", d))
        if kind == "like":
            pattern = self.draw(st.text("ab%_ ", max_size=4))
            return ast.CompareOperation(left=self.expr("str", d), op=self.pick(["like", "ilike", "not like"]),
                                        right=C(pattern))
        if kind == "regex":
            pattern = self.pick(["a", "^a", "[0-9]+", "b$", "a.c", "(ab)+"])
            # Never an empty text: `'' !~ p` is false in Python, true in TypeScript (a divergence).
            text = call("concat", C(self.pick(["a", "b", "1"])), self.expr("str", d))
            return ast.CompareOperation(left=text, op=self.pick(["=~", "!~", "=~*"]), right=C(pattern))
        if kind == "empty":
            return call(self.pick(["empty", "notEmpty"]), self.expr("str", d))
        return ast.CompareOperation(left=self.expr("int", d), op=self.pick(["==", "!="]), right=C(None),
                                    is_null_comparison_style=True)

    def list_expr(self, d: int, leaf: bool) -> ast.Expr:
        if leaf:
            return self.var_or("list", ast.Array(exprs=[self.int_literal() for _ in range(self.draw(st.integers(0, 4)))]))
        # No arraySort: the TypeScript VM sorts numbers as strings (tests/test_vm_divergences.py).
        kind = self.pick(["literal", "map", "filter", "push", "reverse", "range"])
        lst = lambda: self.expr("list", d)  # noqa: E731
        if kind == "literal":
            return ast.Array(exprs=[self.expr("int", d) for _ in range(self.draw(st.integers(0, 3)))])
        if kind == "map":
            x = self.fresh("x")
            body = self.closure_body({x: "int"}, lambda: ast.ArithmeticOperation(
                left=F(x), op=self.pick(["+", "-"]), right=self.expr("int", d)))
            return call("arrayMap", ast.Lambda(args=[x], expr=body), lst())
        if kind == "filter":
            x = self.fresh("x")
            cond = ast.CompareOperation(left=F(x), op=self.pick([">", "<", "=="]), right=self.int_literal())
            return call("arrayFilter", ast.Lambda(args=[x], expr=cond), lst())
        if kind == "push":
            return call(self.pick(["arrayPushBack", "arrayPushFront"]), lst(), self.expr("int", d))
        if kind == "reverse":
            return call("arrayReverse", lst())
        return call("range", C(self.draw(st.integers(0, 5))))

    def dict_expr(self, d: int, leaf: bool) -> ast.Expr:
        keys = self.draw(st.lists(st.sampled_from(DICT_KEYS), max_size=3, unique=True))
        literal = ast.Dict(items=[(C(k), self.expr("int", d) if not leaf else self.int_literal()) for k in keys])
        return self.var_or("dict", literal) if leaf else literal

    def wild(self, depth: int) -> ast.Expr:
        """Anything: a random constant, a random operator on random operands, any STL call."""
        kind = self.pick(["const", "arith", "cmp", "stl", "access", "container"]) if depth > 0 else "const"
        if kind == "const":
            value = self.draw(st.one_of(st.none(), st.booleans(), st.integers(-(2**64), 2**64),
                                        st.floats(), st.text(max_size=6)))
            return C(value)
        sub = lambda: self.expr(self.pick(list(TYPES)), depth - 1) if self.chance() else self.wild(depth - 1)  # noqa: E731
        if kind == "arith":
            return ast.ArithmeticOperation(left=sub(), op=self.pick(["+", "-", "*", "/", "%"]), right=sub())
        if kind == "cmp":
            ops = ["==", "!=", "<", "<=", ">", ">=", "like", "ilike", "in", "not in", "=~", "!~*"]
            return ast.CompareOperation(left=sub(), op=self.pick(ops), right=sub())
        if kind == "stl":
            name = self.pick(FUZZABLE_STL + sorted(BYTECODE_STL))
            if name in BYTECODE_STL:
                argc = BYTECODE_STL[name]
            else:
                spec = STL_SPEC[name]
                argc = self.draw(st.integers(spec["minArgs"], spec["maxArgs"] if spec["maxArgs"] is not None
                                             else spec["minArgs"] + 3))
            return call(name, *[sub() for _ in range(argc)])
        if kind == "access":
            return ast.ArrayAccess(array=sub(), property=sub(), nullish=self.chance())
        return self.pick([ast.Array, ast.Tuple])(exprs=[sub() for _ in range(self.draw(st.integers(1, 3)))])

    # -------------------------------------------------------- statements

    def closure_body(self, params: dict[str, str], make: Any) -> Any:
        """Generate a lambda body with `make()`, its parameters in scope."""
        self.in_closure += 1
        self.scopes.append(_Scope(dict(params), set(params), closure=True))
        try:
            return make()
        finally:
            self.scopes.pop()
            self.in_closure -= 1

    def block(self, depth: int, extra: dict[str, str] | None = None, read_only: bool = True) -> ast.Block:
        self.scopes.append(_Scope(dict(extra or {}), set(extra or {}) if read_only else set(),
                                  in_loop=self.in_loop > 0))
        body = [self.statement(depth) for _ in range(self.draw(st.integers(0, 3)))]
        self.scopes.pop()
        return ast.Block(declarations=body)

    def statement(self, depth: int) -> ast.Statement:
        kinds = ["let", "let", "assign", "print", "print", "dict_write"]
        if depth > 0:
            kinds += ["if", "while", "for", "forin", "forkv", "try"]
            if not self.in_loop:
                kinds += ["fn"]
        kind = self.pick(kinds)
        return getattr(self, f"{kind}_stmt")(depth)

    def let_stmt(self, depth: int) -> ast.Statement:
        type_ = self.pick(list(TYPES))
        value = self.expr(type_, 2)
        name = self.fresh("v")
        self.declare(name, type_)
        return ast.VariableDeclaration(name=name, expr=value)

    def assign_stmt(self, depth: int) -> ast.Statement:
        names = [n for n in self.visible(writable=True) if not n.startswith("f")]
        if not names:
            return self.print_stmt(depth)
        name = self.pick(names)
        type_ = self.visible_type(name)
        return ast.VariableAssignment(left=F(name), right=self.expr(type_, 2))

    def visible_type(self, name: str) -> str:
        for scope in reversed(self.scopes):
            if name in scope.variables:
                return scope.variables[name]
        raise KeyError(name)

    def dict_write_stmt(self, depth: int) -> ast.Statement:
        names = self.visible("dict")
        if not names:
            return self.let_stmt(depth)
        target = ast.ArrayAccess(array=F(self.pick(names)), property=C(self.pick(list(DICT_KEYS))))
        return ast.VariableAssignment(left=target, right=self.expr("int", 1))

    def print_stmt(self, depth: int) -> ast.Statement:
        args = [self.expr(self.pick(list(TYPES)), 2) for _ in range(self.draw(st.integers(1, 2)))]
        return ast.ExprStatement(expr=call("print", *args))

    def if_stmt(self, depth: int) -> ast.Statement:
        else_ = self.block(depth - 1) if self.chance() else None
        return ast.IfStatement(expr=self.expr("bool", 2), then=self.block(depth - 1), else_=else_)

    def _loop_body(self, depth: int, extra: dict[str, str]) -> ast.Block:
        self.in_loop += 1
        body = self.block(depth - 1, extra)
        self.in_loop -= 1
        return body

    def while_stmt(self, depth: int) -> ast.Statement:
        counter = self.fresh("c")
        limit = self.draw(st.integers(0, 3))
        body = self._loop_body(depth, {counter: "int"})
        step = ast.VariableAssignment(left=F(counter), right=ast.ArithmeticOperation(left=F(counter), op="+", right=C(1)))
        body.declarations.append(step)
        loop = ast.WhileStatement(expr=ast.CompareOperation(left=F(counter), op="<", right=C(limit)), body=body)
        return ast.Block(declarations=[ast.VariableDeclaration(name=counter, expr=C(0)), loop])

    def for_stmt(self, depth: int) -> ast.Statement:
        counter = self.fresh("i")
        return ast.ForStatement(
            initializer=ast.VariableDeclaration(name=counter, expr=C(0)),
            condition=ast.CompareOperation(left=F(counter), op="<", right=C(self.draw(st.integers(0, 3)))),
            increment=ast.VariableAssignment(left=F(counter), right=ast.ArithmeticOperation(
                left=F(counter), op="+", right=C(1))),
            body=self._loop_body(depth, {counter: "int"}),
        )

    def forin_stmt(self, depth: int) -> ast.Statement:
        item = self.fresh("x")
        return ast.ForInStatement(key_var=None, value_var=item, expr=self.expr("list", 1),
                                  body=self._loop_body(depth, {item: "int"}))

    def forkv_stmt(self, depth: int) -> ast.Statement:
        key, value = self.fresh("k"), self.fresh("x")
        return ast.ForInStatement(key_var=key, value_var=value, expr=self.expr("dict", 1),
                                  body=self._loop_body(depth, {key: "str", value: "int"}))

    def fn_stmt(self, depth: int) -> ast.Statement:
        name = self.fresh("f")
        params = [self.fresh("p") for _ in range(self.draw(st.integers(0, 2)))]
        self.scopes.append(_Scope({p: "int" for p in params}))
        body = [self.statement(depth - 1) for _ in range(self.draw(st.integers(0, 2)))]
        body.append(ast.ReturnStatement(expr=self.expr("int", 2)))
        self.scopes.pop()
        self.scopes[-1].functions[name] = len(params)
        self.scopes[-1].variables[name] = "fn"
        self.scopes[-1].read_only.add(name)
        return ast.Function(name=name, params=params, body=ast.Block(declarations=body))

    def try_stmt(self, depth: int) -> ast.Statement:
        body = self.block(depth - 1)
        error_type = self.pick(["Error", "RetryError", "NotImplementedError"])
        if self.chance(0.7):
            body.declarations.append(ast.ThrowStatement(expr=call(error_type, self.expr("str", 1))))
        var = self.fresh("e")
        handler = ast.Block(declarations=[ast.ExprStatement(expr=call(
            "print", ast.ArrayAccess(array=F(var), property=C("type")),
            ast.ArrayAccess(array=F(var), property=C("message"))))])
        catches = [ast.CatchClause(var=var, type=self.pick([None, "Error", "RetryError"]), body=handler)]
        if catches[0].type is not None and self.chance():
            catches.append(ast.CatchClause(var=var, type=None, body=handler))
        return ast.TryCatchStatement(try_stmt=body, catches=catches)

    def program(self) -> ast.Program:
        body = [self.statement(2) for _ in range(self.draw(st.integers(1, 4)))]
        body.append(ast.ReturnStatement(expr=self.expr(self.pick(list(TYPES)), 2)))
        return ast.Program(declarations=body)


@st.composite
def runnable_programs(draw: st.DrawFn, typed: bool = True) -> ast.Program:
    return _Generator(draw, typed).program()
