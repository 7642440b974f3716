"""The LALR(1) parse table of `hog.lark`, stored as JSON, and the loop that runs it.

Lark computes the table from the grammar (about 2 s); `python -m grammar.lalr` stores it in
`hog_table.json` (with the SHA-256 of the grammar it came from), so parsing needs neither Lark
nor the computation at run time: loading the table takes a few milliseconds. When the stored
table does not match `hog.lark` (the grammar was edited), it is recomputed in memory.

The table keeps, for each state, the action per symbol (shift to a state, or reduce by a rule),
and for each rule what Lark's tree builder would do with the children: insert `None` for absent
`[optional]` parts (Lark's `maybe_placeholders`), pass a lone child through for `?rule`s, and
call the callback named after the rule's alias or name.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

GRAMMAR_PATH = Path(__file__).with_name("hog.lark")
TABLE_PATH = Path(__file__).with_name("hog_table.json")
START = "program"


class UnexpectedToken(Exception):
    """The parser met `token` in a state where only `expected` (terminal names) could follow."""

    def __init__(self, token: Any, expected: set[str]) -> None:
        super().__init__(token.type)
        self.token = token
        self.expected = expected


def grammar_digest(grammar_text: str) -> str:
    return hashlib.sha256(grammar_text.encode()).hexdigest()


# ---------------------------------------------------------------------------- computing the table


def compute_table(grammar_text: str) -> dict[str, Any]:
    """The JSON-ready table of `grammar_text`, computed by Lark."""
    from lark import Lark
    from lark.lexer import Lexer

    class _NoLexer(Lexer):  # we lex ourselves; Lark only needs a lexer class to build the parser
        __future_interface__ = 2

        def __init__(self, lexer_conf: Any) -> None:
            pass

        def lex(self, lexer_state: Any, parser_state: Any) -> Any:
            raise RuntimeError("Hog sources are tokenised by grammar/lexer.py, never by Lark")

    lark_parser = Lark(grammar_text, parser="lalr", lexer=_NoLexer, start=START, maybe_placeholders=True)
    lalr = lark_parser.parser.parser.parser  # ParsingFrontend -> LALR_Parser -> _Parser
    table = lalr.parse_table
    rule_index: dict[Any, int] = {}
    rules: list[list[Any]] = []
    states: list[dict[str, int]] = []
    for state in range(len(table.states)):
        row: dict[str, int] = {}
        for symbol, (action, arg) in table.states[state].items():
            if action.name == "Shift":
                row[symbol] = arg
                continue
            if arg not in rule_index:
                rule_index[arg] = len(rules)
                rules.append(_describe_rule(arg))
            row[symbol] = -1 - rule_index[arg]  # reductions are negative
        states.append(row)
    return {
        "grammar_sha256": grammar_digest(grammar_text),
        "start": table.start_states[START],
        "end": table.end_states[START],
        "rules": rules,
        "states": states,
    }


def _describe_rule(rule: Any) -> list[Any]:
    """[size, nonterminal, callback name, passes a lone child through, Nones to insert]."""
    size = len(rule.expansion)
    if any(not sym.is_term and sym.name.startswith("_") for sym in rule.expansion):
        raise ValueError(f"inlined _rules are not supported by the table loop: {rule}")
    empty = rule.options.empty_indices
    nones = None
    if empty:  # Lark's encoding: a False per child, a True per absent optional part
        runs = "".join("1" if flag else "0" for flag in empty).split("0")
        nones = [len(run) for run in runs]
        if not any(nones):
            nones = None
    expand1 = bool(rule.options.expand1) and not rule.alias
    return [size, rule.origin.name, rule.alias or rule.origin.name, expand1, nones]


def write_table() -> Path:
    TABLE_PATH.write_text(json.dumps(compute_table(GRAMMAR_PATH.read_text()), separators=(",", ":")) + "\n")
    return TABLE_PATH


def load_table(grammar_text: str) -> dict[str, Any] | None:
    """The stored table if it was computed from `grammar_text`, else None."""
    try:
        table = json.loads(TABLE_PATH.read_text())
    except (OSError, ValueError):
        return None
    if table.get("grammar_sha256") != grammar_digest(grammar_text):
        return None
    return table


# ---------------------------------------------------------------------------- running it


class Parser:
    """An LALR(1) driver over a table; reductions call `builder`'s methods by rule name."""

    __slots__ = ("actions", "end_state", "start_state")

    def __init__(self, table: dict[str, Any], builder: object) -> None:
        reductions = [_reduction(rule, builder) for rule in table["rules"]]
        # Per state, symbol -> next state (int: a shift) or (size, nonterminal, callback) (a
        # reduction; callback None when the rule just passes its only child through).
        self.actions: list[dict[str, int | tuple]] = [
            {symbol: action if action >= 0 else reductions[-1 - action] for symbol, action in row.items()}
            for row in table["states"]
        ]
        self.start_state: int = table["start"]
        self.end_state: int = table["end"]

    def parse(self, tokens: list[Any], end_token: Any) -> Any:
        actions = self.actions
        states = [self.start_state]
        values: list[Any] = []
        for token in tokens:
            kind = token.type
            while True:
                action = actions[states[-1]].get(kind)
                if type(action) is int:
                    states.append(action)
                    values.append(token)
                    break
                if action is None:
                    raise UnexpectedToken(token, _terminals(actions[states[-1]]))
                size, origin, callback = action
                if callback is None:  # unit reduction: the value stays, only the state changes
                    states[-1] = actions[states[-2]][origin]
                    continue
                if size:
                    children = values[-size:]
                    del states[-size:]
                    del values[-size:]
                else:
                    children = []
                values.append(callback(children))
                states.append(actions[states[-1]][origin])
        end_state = self.end_state
        while True:  # at the end of input, reduce until the start rule is complete
            action = actions[states[-1]].get("$END")
            if action is None or type(action) is int:
                raise UnexpectedToken(end_token, _terminals(actions[states[-1]]))
            size, origin, callback = action
            if callback is None:
                states[-1] = actions[states[-2]][origin]
            else:
                if size:
                    children = values[-size:]
                    del states[-size:]
                    del values[-size:]
                else:
                    children = []
                values.append(callback(children))
                states.append(actions[states[-1]][origin])
            if states[-1] == end_state:
                return values[-1]


def _terminals(row: dict[str, Any]) -> set[str]:
    return {symbol for symbol in row if symbol.isupper() or symbol == "$END"}


def _reduction(rule: list[Any], builder: object) -> tuple[int, str, Callable[[list], Any] | None]:
    size, origin, name, expand1, nones = rule
    if expand1 and size == 1 and nones is None:
        return size, origin, None
    method = getattr(builder, name)
    if nones is None and not expand1:
        return size, origin, method

    def call(children: list) -> Any:
        if nones is not None:
            children = _with_placeholders(children, nones)
        if expand1 and len(children) == 1:
            return children[0]
        return method(children)

    return size, origin, call


def _with_placeholders(children: list, nones: list[int]) -> list:
    """`children` with `nones[i]` Nones before child i (and `nones[-1]` after the last)."""
    out: list = []
    for child, count in zip(children, nones, strict=False):
        if count:
            out.extend([None] * count)
        out.append(child)
    if nones[-1]:
        out.extend([None] * nones[-1])
    return out


if __name__ == "__main__":
    print(f"wrote {write_table()}")
