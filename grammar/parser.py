"""Hog source -> `grammar.ast` nodes.

`grammar/lexer.py` turns the source into tokens, the LALR(1) table of `hog.lark` (computed by
Lark, run by `grammar/lalr.py`) reduces them, and `_Builder`'s callbacks build AST nodes during
the reductions: no parse tree is ever materialised. Operators arrive as flat runs that
`_Climber` orders by PostHog's precedence. Desugaring happens exactly where PostHog's parser
does it: `a ?? b` -> `ifNull(a, b)`, `c ? a : b` -> `if(c, a, b)`, `a || b` -> `concat(a, b)`,
`-x` -> `0 - x`, f-strings -> `concat(...)`, `interval 5 day` -> `toIntervalDay(5)`, `case` ->
`if`/`multiIf`.

The parser is made once per process, on the first parse (never at `import grammar`).

Limits, each rejected with a `HogSyntaxError` rather than a Python exception:
- `MAX_SOURCE_LENGTH` characters of source;
- `lexer.MAX_NESTING` levels of brackets, braces, f-strings and tags, and the same depth of AST
  nodes (chains such as `- - - x` or `x -> y -> z -> ...` nest without brackets).
"""

from __future__ import annotations

import math
import re
import threading
from typing import Any

from grammar import ast, lalr
from grammar.errors import HogSyntaxError
from grammar.lexer import MAX_NESTING, Token, tokenize, unescape
from grammar.operators import (
    Between,
    Climber,
    IsNull,
    Ternary,
    mark_start,
    reset_starts,
    start_of,
)

__all__ = ["MAX_NESTING", "MAX_SOURCE_LENGTH", "parse_expression", "parse_program"]

MAX_SOURCE_LENGTH = 1 << 20  # 1 MiB of text: far beyond any tagger, small enough to parse quickly



def parse_program(source: str) -> ast.Program:
    """Parse a Hog program. Raises `HogSyntaxError` (with 1-based line and column) if invalid."""
    tokens = _tokens_of(source)
    program = _run_parser(source, tokens)
    if len(tokens) + 2 > MAX_NESTING:  # an AST is at most len(tokens) + 2 nodes deep
        _check_depth(program, source)
    return program


def parse_expression(source: str) -> ast.Expr:
    """Parse a single Hog expression (handy in tests and tools)."""
    program = parse_program(source)
    decls = program.declarations
    if len(decls) != 1 or not isinstance(decls[0], ast.ExprStatement) or decls[0].expr is None:
        raise HogSyntaxError("Expected exactly one expression", line=1, column=1, source=source)
    return decls[0].expr


# ---------------------------------------------------------------------------- the LALR driver

_END = Token("$END", "", 0, 0, 0)
_parser: lalr.Parser | None = None
_parser_lock = threading.Lock()


def _lalr_parser() -> lalr.Parser:
    """The process-wide parser, made on first use from the stored table (or, if `hog.lark`
    changed since the table was stored, from a freshly computed one)."""
    global _parser
    if _parser is None:
        with _parser_lock:
            if _parser is None:
                grammar_text = lalr.GRAMMAR_PATH.read_text()
                table = lalr.load_table(grammar_text) or lalr.compute_table(grammar_text)
                _parser = lalr.Parser(table, _Builder())
    return _parser


def _tokens_of(source: str) -> list[Token]:
    if not isinstance(source, str):
        raise HogSyntaxError(f"Hog source must be a str, not {type(source).__name__}")
    if len(source) > MAX_SOURCE_LENGTH:
        raise HogSyntaxError(
            f"Source too long ({len(source)} characters; at most {MAX_SOURCE_LENGTH})"
        )
    return tokenize(source)


def _run_parser(source: str, tokens: list[Token]) -> ast.Program:
    reset_starts()
    try:
        return _lalr_parser().parse(tokens, _END)
    except HogSyntaxError as error:
        if error.source is None:
            error.source = source
        raise
    except lalr.UnexpectedToken as error:
        raise _describe_parse_error(error, source, tokens) from None
    except (RecursionError, MemoryError):
        raise HogSyntaxError("Program too large or too deeply nested to parse", source=source) from None
    except Exception as error:  # a bug in a callback: still report a HogSyntaxError, never crash
        raise HogSyntaxError(f"Internal parser error ({type(error).__name__}: {error})",
                             source=source) from error
    finally:
        reset_starts()


# ---------------------------------------------------------------------------- error messages

_TOKEN_NAMES = {
    "LPAREN": "'('", "LPAREN_LAMBDA": "'('", "RPAREN": "')'", "LBRACKET": "'['",
    "RBRACKET": "']'", "LBRACE": "'{'", "LBRACE_BLOCK": "'{'", "RBRACE": "'}'", "COMMA": "','",
    "SEMICOLON": "';'", "DOT": "'.'", "NULL_PROPERTY": "'?.'", "COLON": "':'",
    "COLONEQUALS": "':='", "DOUBLECOLON": "'::'", "ARROW": "'->'", "QUERY": "'?'",
    "NULLISH": "'??'", "CONCAT": "'||'", "PLUS": "'+'", "DASH": "'-'", "ASTERISK": "'*'",
    "SLASH": "'/'", "PERCENT": "'%'", "EQ": "'='", "EQ_DOUBLE": "'=='", "NOT_EQ": "'!='",
    "LT": "'<'", "LT_EQ": "'<='", "GT": "'>'", "GT_EQ": "'>='", "REGEX": "'=~'",
    "IREGEX": "'=~*'", "NOT_REGEX": "'!~'", "NOT_IREGEX": "'!~*'", "IDENTIFIER": "a name",
    "QUOTED_IDENTIFIER": "a name", "LAMBDA_PARAM": "a name", "INT": "a number",
    "FLOAT": "a number", "STRING": "a string", "INTERVAL_STRING": "a string",
    "FSTRING_START": "an f-string", "FSTRING_END": "the end of the f-string",
    "TAG_OPEN": "a HogQLX tag", "TAG_NAME": "a tag name", "TAG_GT": "'>'",
    "TAG_SELF_CLOSE": "'/>'", "TAG_CLOSE_OPEN": "'</'", "TAG_CLOSE_GT": "'>'", "UNIT": "a time unit",
    "$END": "end of input",
}
# Tokens that can start an expression: when the parser expects one of them, say "an expression".
_EXPRESSION_STARTS = frozenset({"STRING"})  # names and numbers also follow `.`; strings do not
_NAME_TOKENS = frozenset({"IDENTIFIER", "QUOTED_IDENTIFIER", "LAMBDA_PARAM"})
_STATEMENT_KEYWORDS = frozenset({"LET", "WHILE", "RETURN", "FN", "THROW", "TRY"})


def _token_name(kind: str, text: str | None = None) -> str:
    if kind in _TOKEN_NAMES:
        return _TOKEN_NAMES[kind]
    if text is not None:
        return f"'{text}'"
    return f"'{kind.lower().replace('_', ' ')}'"


def _describe_parse_error(error: lalr.UnexpectedToken, source: str, tokens: list[Token]) -> HogSyntaxError:
    token = error.token
    expected = error.expected

    if token.type == "$END":  # point just past the last non-blank text, not at trailing newlines
        line, column = _end_position(source.rstrip())
        found = "end of input"
    else:
        line, column = token.line, token.column
        found = _found(token)
    if token.type == "SELECT":
        message = "SQL queries (select ...) are not supported in Hog programs here"
        return HogSyntaxError(message, line=line, column=column, source=source)

    if "IDENTIFIER" in expected and not expected & _EXPRESSION_STARTS:
        wanted = "a name"
    elif expected & _EXPRESSION_STARTS:
        wanted = "an expression" if not expected & _STATEMENT_KEYWORDS else "a statement or expression"
        closer = _innermost_closer(tokens, token)
        extras = [_token_name(closer)] if closer in expected else []
        if extras and not expected & _STATEMENT_KEYWORDS:
            wanted += " or " + " or ".join(extras)
    else:
        closer = _innermost_closer(tokens, token)
        closers = {"RPAREN", "RBRACKET", "RBRACE"} - {closer}
        names = sorted({_token_name(k) for k in expected if k != "$END" and k not in closers})
        if "$END" in expected:
            names.append("end of input")
        wanted = " or ".join(names[:6]) if names else "nothing more"
        if len(names) > 6:
            wanted = "one of " + ", ".join(names[:6]) + ", ..."
    hint = _habit_hint(tokens, token)
    return HogSyntaxError(f"Unexpected {found} — expected {wanted}{hint}", line=line, column=column,
                          source=source)


_COMPOUND_OPERATORS = frozenset({"PLUS", "DASH", "ASTERISK", "SLASH", "PERCENT"})


def _habit_hint(tokens: list[Token], failed: Token) -> str:
    """What to write instead, when the failure looks like a JavaScript habit (`===`, `+=`, `=>`,
    `let x = 1`, `i++`), as `" (hint)"`; else ''. (`const`, `var` and `function` parse, as names:
    hogvm/lint.py warns about them.)"""
    index = next((i for i, token in enumerate(tokens) if token is failed), len(tokens))
    before = tokens[max(index - 2, 0):index]
    prev = before[-1] if before else None
    prev2 = before[-2] if len(before) == 2 else None
    if prev is None:
        return ""

    def touching(left: Token, right: Token) -> bool:
        return right.start_pos == left.start_pos + len(left.value)

    kind = failed.type
    hint = ""
    if kind == "EQ" and touching(prev, failed):
        if prev.type == "EQ_DOUBLE":
            hint = "Hog has no '===': compare with '=='"
        elif prev.type == "NOT_EQ":
            hint = "Hog has no '!==': compare with '!='"
        elif prev.type in _COMPOUND_OPERATORS:
            hint = f"Hog has no '{prev.value}=': write `x := x {prev.value} value`"
    elif kind == "EQ" and prev.type in _NAME_TOKENS and prev2 is not None and prev2.type == "LET":
        hint = f"Hog assigns with ':=': let {prev.value} := ..."
    elif kind == "GT" and prev.type == "EQ" and touching(prev, failed):
        hint = "Hog's lambdas use '->': x -> x * 2"
    elif (prev2 is not None and prev.type == prev2.type and prev.type in ("PLUS", "DASH")
          and touching(prev2, prev)):
        hint = f"Hog has no '{prev.value * 2}': write `i := i {prev.value} 1`"
    return f" ({hint})" if hint else ""


_CLOSER_OF = {"LPAREN": "RPAREN", "LPAREN_LAMBDA": "RPAREN", "LBRACKET": "RBRACKET",
              "LBRACE": "RBRACE", "LBRACE_BLOCK": "RBRACE", "FSTRING_LBRACE": "RBRACE",
              "TAG_LBRACE": "RBRACE"}


def _found(token: Token) -> str:
    kind = token.type
    if kind in ("IDENTIFIER", "QUOTED_IDENTIFIER", "LAMBDA_PARAM"):
        return f"name '{token.value}'"
    if kind in ("INT", "FLOAT"):
        return f"number {token.value}"
    if kind in ("STRING", "INTERVAL_STRING"):
        text = token.value
        return f"string {text}" if len(text) <= 40 else f"string {text[:37]}...'"
    if kind in _TOKEN_NAMES:
        return _TOKEN_NAMES[kind]
    return f"'{token.value}'"


def _innermost_closer(tokens: list[Token], failed: Token) -> str | None:
    """The closing bracket the parser is inside of when it fails at `failed`."""
    stack: list[str] = []
    for token in tokens:
        if token is failed:
            break
        kind = token.type
        if kind in _CLOSER_OF:
            stack.append(_CLOSER_OF[kind])
        elif kind in ("RPAREN", "RBRACKET", "RBRACE") and stack:
            stack.pop()
    return stack[-1] if stack else None


def _end_position(source: str) -> tuple[int, int]:
    line = source.count("\n") + 1
    column = len(source) - (source.rfind("\n") + 1) + 1
    return line, column


# ---------------------------------------------------------------------------- depth guard


def _check_depth(program: ast.Program, source: str) -> None:
    """Reject ASTs nested deeper than MAX_NESTING (the recursion here is bounded by it)."""
    deepest = _deepest_node(program, 1)
    if deepest is not None:
        raise HogSyntaxError(f"Nesting too deep (more than {MAX_NESTING} levels)", line=deepest.line,
                             column=deepest.column, source=source)


def _deepest_node(node: ast.Node, depth: int) -> ast.Node | None:
    """A node deeper than MAX_NESTING below `node` (at `depth`), or None."""
    if depth > MAX_NESTING:
        return node
    for name in _child_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, ast.Node):
            found = _deepest_node(value, depth + 1)
            if found is not None:
                return found
        elif type(value) is list:
            for item in value:
                if isinstance(item, ast.Node):
                    found = _deepest_node(item, depth + 1)
                elif type(item) is tuple:  # Dict items
                    found = _deepest_node(item[0], depth + 1) or _deepest_node(item[1], depth + 1)
                else:
                    continue
                if found is not None:
                    return found
    return None


# Fields that never hold nodes (names, operators, flags, positions).
_LEAF_FIELDS = frozenset({"line", "column", "value", "chain", "op", "name", "params", "args",
                          "distinct", "is_null_comparison_style", "nullish", "negated", "index",
                          "type_name", "key_var", "value_var", "var", "type", "kind"})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(cls: type) -> tuple[str, ...]:
    names = _CHILD_FIELDS.get(cls)
    if names is None:
        names = tuple(f for f in cls.__dataclass_fields__ if f not in _LEAF_FIELDS)
        if cls is ast.Call:  # Call.args and Call.params hold expressions (Lambda.args are names)
            names = ("args", "params")
        elif cls is ast.ExprCall:
            names = ("expr", "args")
        elif cls is ast.HogQLXAttribute:
            names = ("value",)
        _CHILD_FIELDS[cls] = names
    return names


# ---------------------------------------------------------------------------- tree building

_INTERVAL_UNITS = {
    "second": "Second", "minute": "Minute", "hour": "Hour", "day": "Day", "week": "Week",
    "month": "Month", "quarter": "Quarter", "year": "Year", "yyyy": "Year",
}
_INTERVAL_STRING = re.compile(r"\s*(-?\d+)\s+([A-Za-z]+?)s?\s*")
_TRIM_FUNCTIONS = {"leading": "trimLeft", "trailing": "trimRight", "both": "trim"}


def _name(token: Token) -> str:
    if token.type == "QUOTED_IDENTIFIER":
        text = token.value
        return unescape(text[1:-1], text[0])
    return token.value


def _number(token: Token) -> int | float:
    text = token.value
    kind = token.type
    if kind == "INT":
        prefix = text[:2].lower()
        if prefix == "0x":
            return int(text, 16)
        if prefix == "0b":
            return int(text[2:], 2)
        return int(text)
    if kind == "INF":
        return math.inf
    if kind == "NAN":
        return math.nan
    if text[:2].lower() == "0x":
        return float.fromhex(text)
    return float(text)


def _expressions(items: list | None) -> list:
    """Children of `expr_list`: expressions at even positions, the optional trailing comma last."""
    return [] if items is None else items


class _Builder:
    """Reduction callbacks, one per rule (or alias) of hog.lark; each gets the rule's children
    (tokens and built values, with None for an absent `[optional]` part)."""

    # ---------------------------------------------------------------- statements

    def program(self, c: list) -> ast.Program:
        return ast.Program(declarations=_statements(c[0]), line=1, column=1)

    def block(self, c: list) -> ast.Block:
        start = c[0]
        return ast.Block(declarations=_statements(c[1]), line=start.line, column=start.column)

    def list_start(self, c: list) -> list:
        return [c[0]]

    def list_add(self, c: list) -> list:
        items = c[0]
        items.append(c[-1])
        return items

    def name_start(self, c: list) -> list[str]:
        return [_name(c[0])]

    def name_add(self, c: list) -> list[str]:
        names = c[0]
        names.append(_name(c[-1]))
        return names

    def var_decl(self, c: list) -> ast.VariableDeclaration:
        let = c[0]
        return ast.VariableDeclaration(name=_name(c[1]), expr=c[3], line=let.line, column=let.column)

    def var_assignment(self, c: list) -> ast.VariableAssignment:
        left = c[0]
        line, column = start_of(left)
        return ast.VariableAssignment(left=left, right=c[2], line=line, column=column)

    def expr_stmt(self, c: list) -> ast.ExprStatement:
        expr = c[0]
        line, column = start_of(expr)
        return ast.ExprStatement(expr=expr, line=line, column=column)

    def empty_stmt(self, c: list) -> ast.ExprStatement:
        # PostHog keeps a lone `;` only where a statement is required (`while (x) ;`), as an
        # expression statement without an expression; blocks and programs drop it.
        semi = c[0]
        return ast.ExprStatement(expr=None, line=semi.line, column=semi.column)  # type: ignore[arg-type]

    def return_stmt(self, c: list) -> ast.ReturnStatement:
        kw = c[0]
        return ast.ReturnStatement(expr=c[1], line=kw.line, column=kw.column)

    def throw_stmt(self, c: list) -> ast.ThrowStatement:
        kw = c[0]
        return ast.ThrowStatement(expr=c[1], line=kw.line, column=kw.column)

    def if_stmt(self, c: list) -> ast.IfStatement:
        kw = c[0]
        return ast.IfStatement(expr=c[2], then=c[4], else_=c[6], line=kw.line, column=kw.column)

    def while_stmt(self, c: list) -> ast.WhileStatement:
        kw = c[0]
        return ast.WhileStatement(expr=c[2], body=c[4], line=kw.line, column=kw.column)

    def for_stmt(self, c: list) -> ast.ForStatement:
        kw = c[0]
        return ast.ForStatement(initializer=c[2], condition=c[4], increment=c[6], body=c[8],
                                line=kw.line, column=kw.column)

    def for_in_stmt(self, c: list) -> ast.ForInStatement:
        kw = c[0]
        first, second = _name(c[3]), c[5]
        if second is None:
            key_var, value_var = None, first
        else:
            key_var, value_var = first, _name(second)
        return ast.ForInStatement(key_var=key_var, value_var=value_var, expr=c[7], body=c[9],
                                  line=kw.line, column=kw.column)

    def func_stmt(self, c: list) -> ast.Function:
        kw = c[0]
        return ast.Function(name=_name(c[1]), params=c[3] or [], body=c[5], line=kw.line,
                            column=kw.column)

    def names(self, c: list) -> list[str]:
        return c[0]

    def try_stmt(self, c: list) -> ast.TryCatchStatement:
        kw = c[0]
        return ast.TryCatchStatement(try_stmt=c[1], catches=c[2] or [], finally_stmt=c[-1],
                                     line=kw.line, column=kw.column)

    def catch_clause(self, c: list) -> ast.CatchClause:
        kw = c[0]
        names = [_name(t) for t in c[1:-1] if t is not None and t.type not in _CATCH_PUNCTUATION]
        var = names[0] if names else None
        type_ = names[1] if len(names) > 1 else None
        return ast.CatchClause(var=var, type=type_, body=c[-1], line=kw.line, column=kw.column)

    # ---------------------------------------------------------------- operator runs

    def expr(self, c: list) -> ast.Expr:
        run = c[0]
        if len(run) == 1:
            return run[0]
        return Climber(run).expression()

    def run_start(self, c: list) -> list:
        operand = c[0]
        return operand[:] if type(operand) is list else [operand]

    def run_binary(self, c: list) -> list:
        run, op, operand = c
        run.append(op)
        if type(operand) is list:
            run.extend(operand)
        else:
            run.append(operand)
        return run

    def run_is_null(self, c: list) -> list:
        run = c[0]
        run.append(IsNull(c[1], negated=len(c) == 4, null=c[-1]))
        return run

    def run_ternary(self, c: list) -> list:
        run = c[0]
        run.append(Ternary(c[2], c[4]))
        return run

    def run_between(self, c: list) -> list:
        run, keyword, bound, operand = c[0], c[1], c[2], c[4]
        low = bound[0] if len(bound) == 1 else Climber(bound).expression()
        run.append(Between(keyword, low))
        if type(operand) is list:
            run.extend(operand)
        else:
            run.append(operand)
        return run

    def prefixed(self, c: list) -> list:
        op, operand = c
        return [op, *operand] if type(operand) is list else [op, operand]

    def not_call(self, c: list) -> ast.Call:
        # `not(x)`, `not(a, b)`, `not()`: PostHog prefers the function call to `not` + parentheses
        kw = c[0]
        if len(c) == 3:
            args = []
        elif len(c) == 4:
            args = [c[2]]
        else:
            args = [c[2], *(c[4] or [])]
        return ast.Call(name=kw.value, args=args, line=kw.line, column=kw.column)

    def signed_number(self, c: list) -> ast.Constant:
        sign, number = c
        value = -number.value if sign.type == "DASH" else number.value
        return ast.Constant(value=value, line=sign.line, column=sign.column)

    # ---------------------------------------------------------------- postfix

    def expr_call(self, c: list) -> ast.ExprCall:
        callee = c[0]
        line, column = start_of(callee)
        return ast.ExprCall(expr=callee, args=_expressions(c[2]), line=line, column=column)

    def index(self, c: list) -> ast.ArrayAccess:
        obj = c[0]
        nullish = c[1].type == "NULL_PROPERTY"
        line, column = start_of(obj)
        return ast.ArrayAccess(array=obj, property=c[3] if nullish else c[2], nullish=nullish,
                               line=line, column=column)

    def slice(self, c: list) -> ast.ArraySlice:
        obj = c[0]
        line, column = start_of(obj)
        return ast.ArraySlice(array=obj, start_expr=c[2], end_expr=c[4], line=line, column=column)

    def tuple_access(self, c: list) -> ast.TupleAccess:
        obj, op, index = c
        line, column = start_of(obj)
        return ast.TupleAccess(tuple=obj, index=int(index.value), nullish=op.type == "NULL_PROPERTY",
                               line=line, column=column)

    def member(self, c: list) -> ast.ArrayAccess:
        obj, op, name = c
        prop = ast.Constant(value=_name(name), line=name.line, column=name.column)
        line, column = start_of(obj)
        return ast.ArrayAccess(array=obj, property=prop, nullish=op.type == "NULL_PROPERTY",
                               line=line, column=column)

    def type_cast(self, c: list) -> ast.TypeCast:
        expr = c[0]
        line, column = start_of(expr)
        return ast.TypeCast(expr=expr, type_name=_name(c[2]).lower(), line=line, column=column)

    # ---------------------------------------------------------------- primaries

    def field_start(self, c: list) -> ast.Field | ast.Constant:
        token = c[0]
        text = _name(token)
        if token.type == "IDENTIFIER":
            lower = text.lower()
            if lower == "true" or lower == "false":
                return ast.Constant(value=lower == "true", line=token.line, column=token.column)
        return ast.Field(chain=[text], line=token.line, column=token.column)

    def field_extend(self, c: list) -> ast.Field:
        base, name = c[0], c[2]
        if type(base) is ast.Constant:  # `true.x`: only a lone `true`/`false` is a constant
            base = ast.Field(chain=["true" if base.value else "false"], line=base.line,
                             column=base.column)
        base.chain.append(_name(name))
        return base

    def number(self, c: list) -> ast.Constant:
        token = c[0]
        return ast.Constant(value=_number(token), line=token.line, column=token.column)

    def string(self, c: list) -> ast.Constant:
        token = c[0]
        return ast.Constant(value=unescape(token.value[1:-1], "'"), line=token.line, column=token.column)

    def null(self, c: list) -> ast.Constant:
        token = c[0]
        return ast.Constant(value=None, line=token.line, column=token.column)

    def parens(self, c: list) -> ast.Expr:
        inner = c[1]
        mark_start(inner, c[0])
        return inner

    def dict(self, c: list) -> ast.Dict:
        start = c[0]
        items = c[1] if len(c) == 3 else []
        return ast.Dict(items=items, line=start.line, column=start.column)

    def kv_pairs(self, c: list) -> list:
        return c[0]

    def kv_pair(self, c: list) -> tuple:
        return (c[0], c[2])

    def placeholder(self, c: list) -> ast.Placeholder:
        start = c[0]
        return ast.Placeholder(expr=c[1], line=start.line, column=start.column)

    def expr_list(self, c: list) -> list:
        return c[0]

    def call(self, c: list) -> ast.Call:
        name = c[0]
        text = _name(name)
        if text.lower() == "sql":
            raise HogSyntaxError(
                "SQL queries (sql(...)) are not supported in Hog programs here",
                line=name.line, column=name.column,
            )
        if c[4] is not None:  # f(params)(args)
            return ast.Call(name=text, args=_expressions(c[5]), params=_expressions(c[2]),
                            line=name.line, column=name.column)
        return ast.Call(name=text, args=_expressions(c[2]), line=name.line, column=name.column)

    def distinct_call(self, c: list) -> ast.Call:
        name = c[0]
        return ast.Call(name=_name(name), args=c[3], distinct=True, line=name.line,
                        column=name.column)

    def if_call(self, c: list) -> ast.Call:
        name = c[0]
        return ast.Call(name=name.value, args=[c[2]], line=name.line, column=name.column)

    def keyword_call(self, c: list) -> ast.Call:
        name = c[0]
        return ast.Call(name=name.value, args=_expressions(c[2]), line=name.line, column=name.column)

    def array(self, c: list) -> ast.Array:
        start = c[0]
        items = c[-2]
        return ast.Array(exprs=items or [], line=start.line, column=start.column)

    def tuple(self, c: list) -> ast.Tuple:
        start = c[0]
        return ast.Tuple(exprs=[c[1], *_expressions(c[3])], line=start.line, column=start.column)

    def lambda_expr(self, c: list) -> ast.Lambda:
        start = c[0]
        if type(start) is list:  # `x -> ...`, `a, b -> ...`: a list of LAMBDA_PARAM tokens
            args, body = [_name(t) for t in start], c[-1]
            start = start[0]
        elif start.type == "LPAREN_LAMBDA":
            args, body = c[1] or [], c[4]
        else:  # `lambda a, b: ...`
            args, body = c[1], c[3]
        return ast.Lambda(args=args, expr=body, line=start.line, column=start.column)

    def case_expr(self, c: list) -> ast.Call:
        start, subject, branches, default = c[0], c[1], c[2], c[-2]
        if default is None:
            default = ast.Constant(value=None, line=start.line, column=start.column)
        flat = [part for branch in branches for part in branch]
        if subject is not None:
            return ast.Call(name="_caseWithExpression", args=[subject, *flat, default],
                            line=start.line, column=start.column)
        name = "if" if len(branches) == 1 else "multiIf"
        return ast.Call(name=name, args=[*flat, default], line=start.line, column=start.column)

    def case_branch(self, c: list) -> tuple:
        return (c[1], c[3])

    def interval(self, c: list) -> ast.Call:
        start, expr, unit = c
        name = "toInterval" + _INTERVAL_UNITS[unit.value.lower()]
        return ast.Call(name=name, args=[expr], line=start.line, column=start.column)

    def interval_string(self, c: list) -> ast.Call:
        start, text = c
        value = unescape(text.value[1:-1], "'")
        m = _INTERVAL_STRING.fullmatch(value)
        unit = m and _INTERVAL_UNITS.get(m.group(2).lower())
        if not unit:
            raise HogSyntaxError(
                f"Unsupported interval '{value}': expected a count and a unit, like '5 days'",
                line=text.line, column=text.column,
            )
        count = ast.Constant(value=int(m.group(1)), line=text.line, column=text.column)
        return ast.Call(name="toInterval" + unit, args=[count], line=start.line, column=start.column)

    def cast(self, c: list) -> ast.TypeCast:
        start = c[0]
        return ast.TypeCast(expr=c[2], type_name=_name(c[4]).lower(), line=start.line,
                            column=start.column)

    def trim(self, c: list) -> ast.Call:
        start, side, chars = c[0], c[2], c[3]
        pattern = ast.Constant(value=unescape(chars.value[1:-1], "'"), line=chars.line,
                               column=chars.column)
        return ast.Call(name=_TRIM_FUNCTIONS[side.value.lower()], args=[c[5], pattern], line=start.line,
                        column=start.column)

    # ---------------------------------------------------------------- templates and tags

    def fstring(self, c: list) -> ast.Expr:
        start = c[0]
        parts = []
        for part in c[1] or ():
            if type(part) is Token:
                parts.append(ast.Constant(value=unescape(part.value, "'"), line=part.line,
                                          column=part.column))
            else:
                parts.append(part)
        if not parts:
            return ast.Constant(value="", line=start.line, column=start.column)
        if len(parts) == 1:  # the piece itself, not a string: `f'{x}'` is `x`
            mark_start(parts[0], start)
            return parts[0]
        return ast.Call(name="concat", args=parts, line=start.line, column=start.column)

    def fstring_expr(self, c: list) -> ast.Expr:
        return c[1]

    def tag(self, c: list) -> ast.HogQLXTag:
        start, name = c[0], c[1]
        attributes = c[2] or []
        if len(c) > 4:  # <name ...>children</name>
            closing = c[-2]
            if closing.value != name.value:
                raise HogSyntaxError(
                    f"Closing tag </{closing.value}> does not match opening tag <{name.value}>",
                    line=closing.line, column=closing.column,
                )
            children = []
            for child in c[4] or ():
                if type(child) is Token:
                    text = child.value
                    if not text.strip() and ("\n" in text or "\r" in text):
                        continue  # layout between tags on separate lines is not content
                    children.append(ast.Constant(value=text, line=child.line, column=child.column))
                else:
                    children.append(child)
            if children:
                gt = c[3]
                attributes.append(ast.HogQLXAttribute(name="children", value=children,
                                                      line=gt.line, column=gt.column))
        return ast.HogQLXTag(kind=name.value, attributes=attributes, line=start.line,
                             column=start.column)

    def tag_attribute(self, c: list) -> ast.HogQLXAttribute:
        name = c[0]
        if c[1] is None:
            value: Any = ast.Constant(value=True, line=name.line, column=name.column)
        elif len(c) == 3:
            text = c[2]
            value = ast.Constant(value=unescape(text.value[1:-1], "'"), line=text.line,
                                 column=text.column)
        else:
            value = c[3]
        return ast.HogQLXAttribute(name=name.value, value=value, line=name.line, column=name.column)

    def tag_expr_child(self, c: list) -> ast.Expr:
        return c[1]


_CATCH_PUNCTUATION = frozenset({"LPAREN", "RPAREN", "COLON"})


def _statements(declarations: list | None) -> list:
    if not declarations:
        return []
    return [d for d in declarations if type(d) is not ast.ExprStatement or d.expr is not None]
