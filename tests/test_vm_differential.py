"""Differential fuzzing: random well-typed Hog programs must print and return the same on our VM
and on PostHog's TypeScript VM.

The generator stays inside the part of Hog where PostHog's two VMs agree with each other, so any
difference is ours to explain. It leaves out, on purpose: `/` and `%` (float printing, the sign
of `%`), `+` on strings, ordering or equality of containers (identity in JavaScript), truthiness
of containers, floats, and closures that outlive the frame of a variable they capture (PostHog
shares upvalues by stack slot; see the divergence tests in test_vm.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hogvm import compile_hog, execute_bytecode
from hogvm.errors import HogError

WORDS = ["a", "b", "hog", "Tag", "x y", ""]


class ProgramBuilder:
    """Draws one program: statements over typed variables (int, str, bool, array of ints)."""

    def __init__(self, draw: Any) -> None:
        self.draw = draw
        self.vars: dict[str, list[str]] = {"int": [], "str": [], "bool": [], "arr": []}
        self.counter = 0
        self.lines: list[str] = []

    def fresh(self) -> str:
        self.counter += 1
        return f"v{self.counter}"

    def choice(self, options: list[Any]) -> Any:
        return self.draw(st.sampled_from(options))

    def integer(self, depth: int = 0) -> str:
        options = ["literal", "literal"]
        if self.vars["int"]:
            options += ["var", "var"]
        if depth < 3:
            options += ["plus", "minus", "times", "ternary", "length", "index"]
        kind = self.choice(options)
        if kind == "literal":
            return str(self.draw(st.integers(-9, 20)))
        if kind == "var":
            return self.choice(self.vars["int"])
        if kind == "plus":
            return f"({self.integer(depth + 1)} + {self.integer(depth + 1)})"
        if kind == "minus":
            return f"({self.integer(depth + 1)} - {self.integer(depth + 1)})"
        if kind == "times":
            return f"({self.integer(depth + 2)} * {self.integer(depth + 2)})"
        if kind == "ternary":
            return f"({self.boolean(depth + 1)} ? {self.integer(depth + 1)} : {self.integer(depth + 1)})"
        if kind == "length":
            return f"length({self.array(depth + 1)})"
        # indexing a literal array with a constant in range, counted from either end
        items = self.draw(st.lists(st.integers(-5, 5), min_size=1, max_size=4))
        position = self.draw(st.integers(1, len(items))) * self.choice([1, -1])
        return f"{items}[{position}]"

    def string(self, depth: int = 0) -> str:
        options = ["literal"]
        if self.vars["str"]:
            options.append("var")
        if depth < 3:
            options += ["concat", "fstring", "upper", "lower", "tostring"]
        kind = self.choice(options)
        if kind == "literal":
            return repr(self.choice(WORDS))
        if kind == "var":
            return self.choice(self.vars["str"])
        if kind == "concat":
            return f"concat({self.string(depth + 1)}, {self.integer(depth + 1)}, {self.string(depth + 1)})"
        if kind == "fstring":
            return f"f'<{{{self.string(depth + 1)}}}:{{{self.integer(depth + 1)}}}>'"
        if kind == "tostring":
            return f"toString({self.integer(depth + 1)})"
        return f"{kind}({self.string(depth + 1)})"

    def boolean(self, depth: int = 0) -> str:
        options = ["literal", "compare", "compare"]
        if self.vars["bool"]:
            options.append("var")
        if depth < 3:
            options += ["and", "or", "not", "in", "like", "streq"]
        kind = self.choice(options)
        if kind == "literal":
            return self.choice(["true", "false"])
        if kind == "var":
            return self.choice(self.vars["bool"])
        if kind == "compare":
            operator = self.choice(["<", "<=", ">", ">=", "=", "!="])
            return f"({self.integer(depth + 1)} {operator} {self.integer(depth + 1)})"
        if kind in ("and", "or"):
            return f"({self.boolean(depth + 1)} {kind} {self.boolean(depth + 1)})"
        if kind == "not":
            return f"(not {self.boolean(depth + 1)})"
        if kind == "in":
            return f"({self.integer(depth + 1)} in {self.array(depth + 1)})"
        if kind == "like":
            pattern = self.choice(["%a%", "h_g", "%", "T%", "%y"])
            return f"({self.string(depth + 1)} {self.choice(['like', 'ilike', 'not like'])} '{pattern}')"
        return f"({self.string(depth + 1)} = {self.string(depth + 1)})"

    def array(self, depth: int = 0) -> str:
        options = ["literal"]
        if self.vars["arr"]:
            options += ["var", "var"]
        if depth < 3:
            options += ["push", "map", "filter"]
        kind = self.choice(options)
        if kind == "literal":
            size = self.draw(st.integers(0, 4))
            return "[" + ", ".join(self.integer(depth + 1) for _ in range(size)) + "]"
        if kind == "var":
            return self.choice(self.vars["arr"])
        if kind == "push":
            return f"arrayPushBack({self.array(depth + 1)}, {self.integer(depth + 1)})"
        if kind == "map":
            return f"arrayMap(x -> x * 2 + {self.draw(st.integers(0, 3))}, {self.array(depth + 1)})"
        return f"arrayFilter(x -> x > {self.draw(st.integers(-3, 3))}, {self.array(depth + 1)})"

    def value(self, kind: str) -> str:
        return {"int": self.integer, "str": self.string, "bool": self.boolean, "arr": self.array}[kind]()

    def statement(self, depth: int = 0) -> None:
        kinds = ["let", "let", "print"]
        if any(self.vars.values()):
            kinds.append("assign")
        if depth < 2:
            kinds += ["if", "while", "fn"]
        kind = self.choice(kinds)
        if kind == "let":
            var_type = self.choice(list(self.vars))
            name = self.fresh()
            self.lines.append(f"let {name} := {self.value(var_type)}")
            self.vars[var_type].append(name)
        elif kind == "print":
            self.lines.append(f"print({self.value(self.choice(list(self.vars)))})")
        elif kind == "assign":
            var_type = self.choice([t for t, names in self.vars.items() if names])
            self.lines.append(f"{self.choice(self.vars[var_type])} := {self.value(var_type)}")
        elif kind == "if":
            self.lines.append(f"if ({self.boolean()}) {{")
            self.block(depth)
            self.lines.append("} else {")
            self.block(depth)
            self.lines.append("}")
        elif kind == "while":
            counter = self.fresh()
            self.lines.append(f"let {counter} := 0")
            self.lines.append(f"while ({counter} < {self.draw(st.integers(0, 4))}) {{")
            self.lines.append(f"{counter} := {counter} + 1")
            self.block(depth)
            self.lines.append("}")
        else:  # a function of one int, reading outer variables that outlive it, called twice
            name = self.fresh()
            body_value = self.integer(1)
            self.lines.append(f"fn {name}(p) {{ return p + {body_value} }}")
            self.lines.append(f"print({name}({self.integer(1)}), {name}({self.integer(1)}))")

    def block(self, depth: int) -> None:
        saved = {kind: list(names) for kind, names in self.vars.items()}
        for _ in range(self.draw(st.integers(1, 3))):
            self.statement(depth + 1)
        self.vars = saved  # the block's variables end with it

    def program(self) -> str:
        for _ in range(self.draw(st.integers(1, 8))):
            self.statement()
        kind = self.choice([kind for kind, names in self.vars.items() if names] or ["int"])
        self.lines.append(f"return {self.value(kind)}")
        return "\n".join(self.lines)


@st.composite
def programs(draw: Any) -> str:
    return ProgramBuilder(draw).program()


def run_ours(bytecode: list[Any]) -> dict[str, Any]:
    try:
        result = execute_bytecode(bytecode, max_steps=200_000)
    except HogError as error:
        return {"ok": False, "error": str(error)}
    return {"ok": True, "result": result.result, "stdout": result.stdout}


@pytest.mark.oracle
@pytest.mark.fuzz
@settings(max_examples=150)
@given(programs())
def test_random_programs_behave_the_same_on_posthogs_typescript_vm(node_vm: Any, source: str) -> None:
    bytecode = compile_hog(source)
    ours = run_ours(bytecode)
    theirs = node_vm.run(bytecode)
    assert ours["ok"] == theirs["ok"], (source, ours, theirs)
    if ours["ok"]:
        assert ours["stdout"] == theirs["stdout"], source
        assert ours["result"] == theirs["result"], source
