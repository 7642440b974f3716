"""Property tests of the compiler on random syntax trees.

Whatever the tree, compiling either raises `HogCompileError` or returns bytecode that our loader
accepts (every jump lands on an instruction, every body fits) and the disassembler lists; and a
program without loops or calls of unknown functions runs to the same result on our VM and on
PostHog's TypeScript VM.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grammar import ast
from hogvm import HogCompileError, compile_program, disassemble, execute_bytecode
from hogvm.loader import decode_chunk

NAMES = ["a", "b", "f", "e", "type"]

constants = st.builds(ast.Constant, st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["", "x", "a b"]),
))
fields = st.builds(ast.Field, st.lists(st.sampled_from(NAMES), min_size=1, max_size=2))


def _expressions(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    lists = st.lists(children, max_size=3)
    return st.one_of(
        st.builds(ast.ArithmeticOperation, children, st.sampled_from(["+", "-", "*"]), children),
        st.builds(ast.CompareOperation, children, st.sampled_from(["==", "!=", "in", "like"]), children),
        st.builds(ast.And, st.lists(children, min_size=2, max_size=3)),
        st.builds(ast.Or, st.lists(children, min_size=2, max_size=3)),
        st.builds(ast.Not, children),
        st.builds(ast.BetweenExpr, children, children, children, st.booleans()),
        st.builds(ast.Call, st.sampled_from(["if", "multiIf", "ifNull", "concat", "f", "and", "not"]), lists),
        st.builds(ast.ExprCall, children, lists),
        st.builds(ast.Lambda, st.lists(st.sampled_from(NAMES), max_size=2, unique=True), children),
        st.builds(ast.Array, lists),
        st.builds(ast.Tuple, st.lists(children, min_size=2, max_size=3)),
        st.builds(ast.Dict, st.lists(st.tuples(children, children), max_size=2)),
        st.builds(ast.ArrayAccess, children, children, st.booleans()),
        st.builds(ast.TupleAccess, children, st.integers(1, 2)),
        st.builds(ast.HogQLXTag, st.sampled_from(["Tag", "f"]),
                  st.lists(st.builds(ast.HogQLXAttribute, st.sampled_from(["x", "children"]), children), max_size=2)),
    )


expressions = st.recursive(st.one_of(constants, fields), _expressions, max_leaves=12)


def _statements(children: st.SearchStrategy[ast.Statement]) -> st.SearchStrategy[ast.Statement]:
    blocks = st.builds(ast.Block, st.lists(children, max_size=3))
    return st.one_of(
        blocks,
        st.builds(ast.IfStatement, expressions, children, st.none() | children),
        st.builds(ast.WhileStatement, expressions, blocks),
        st.builds(ast.ForStatement, st.none() | simple_statements, st.none() | expressions,
                  st.none() | simple_statements, blocks),
        st.builds(ast.ForInStatement, st.none() | st.sampled_from(NAMES), st.sampled_from(NAMES), expressions, blocks),
        st.builds(ast.Function, st.sampled_from(NAMES), st.lists(st.sampled_from(NAMES), max_size=2), blocks),
        st.builds(ast.TryCatchStatement, blocks, st.lists(st.builds(
            ast.CatchClause, st.none() | st.sampled_from(NAMES), st.none() | st.sampled_from(["Error", "RetryError"]),
            blocks), max_size=2)),
    )


simple_statements = st.one_of(
    st.builds(ast.ExprStatement, expressions),
    st.builds(ast.VariableDeclaration, st.sampled_from(NAMES), st.none() | expressions),
    st.builds(ast.VariableAssignment, st.one_of(fields, expressions), expressions),
    st.builds(ast.ReturnStatement, st.none() | expressions),
    st.builds(ast.ThrowStatement, expressions),
)
statements = st.recursive(simple_statements, _statements, max_leaves=10)
programs = st.builds(ast.Program, st.lists(statements, max_size=5))


@given(programs)
def test_compiled_trees_are_valid_bytecode(program: ast.Program) -> None:
    try:
        bytecode = compile_program(program)
    except HogCompileError as err:
        assert not err.message.startswith("Malformed syntax tree"), err  # a compiler bug, not the tree's
        return
    decode_chunk(bytecode)
    assert disassemble(bytecode) is not None


# Straight-line programs over locals, without calls that could fail by name, run identically.
# Only numbers, booleans and null: PostHog's VMs disagree on `not []` (Python true, JavaScript
# false) and on `false == 'x'` (Python false, JavaScript true); our VM follows Python's.
numbers_and_null = st.builds(ast.Constant, st.one_of(st.none(), st.booleans(), st.integers(-3, 3)))
straight_expressions = st.recursive(
    st.one_of(numbers_and_null, st.builds(ast.Field, st.just(["a"]))),
    lambda children: st.one_of(
        st.builds(ast.CompareOperation, children, st.sampled_from(["==", "!="]), children),
        st.builds(ast.And, st.lists(children, min_size=2, max_size=3)),
        st.builds(ast.Not, children),
        st.builds(ast.Call, st.just("if"), st.lists(children, min_size=3, max_size=3)),
        st.builds(ast.Call, st.just("ifNull"), st.lists(children, min_size=2, max_size=2)),
        st.builds(ast.Call, st.just("multiIf"), st.lists(children, min_size=4, max_size=5)),
        st.builds(ast.ExprCall, st.builds(ast.Lambda, st.just(["x"]), children), st.lists(children, min_size=1,
                                                                                          max_size=1)),
    ),
    max_leaves=10,
)


@pytest.mark.oracle
@settings(max_examples=30)
@given(exprs=st.lists(straight_expressions, min_size=1, max_size=3))
def test_straight_line_programs_agree_with_posthogs_vm(exprs: list[ast.Expr], node_vm: Any) -> None:
    program = ast.Program([
        ast.VariableDeclaration("a", ast.Constant(1)),
        *[ast.ExprStatement(ast.Call("print", [expr])) for expr in exprs],
        ast.ReturnStatement(ast.Array(exprs)),
    ])
    bytecode = compile_program(program)
    ours = execute_bytecode(bytecode)
    theirs = node_vm.run(bytecode)
    assert theirs["ok"], theirs.get("error")
    assert ours.stdout == theirs["stdout"]
    assert ours.result == theirs["result"]
