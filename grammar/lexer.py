"""The Hog lexer: source text -> a list of Lark tokens for the LALR grammar in `hog.lark`.

Hog's lexing is modal (f-strings and HogQLX tags switch lexer modes, `{` inside them switches
back to code, and these nest arbitrarily), so it is hand-written rather than a Lark lexer.
Besides splitting text into tokens it resolves, with one token of context, the few spots where
PostHog's ANTLR parser relies on unbounded lookahead that an LALR(1) parser does not have:

- `{` is tokenised as `LBRACE_BLOCK` where a statement block starts and as `LBRACE` where a dict
  or placeholder starts (see `_classify`);
- `not in`, `not like`, `not ilike`, `not between`, `in cohort` after an operand become single
  operator tokens, so `a not between` and `a not in` need no lookahead;
- `.` + digits after an operand is tuple access (`a.1.2`), not a float; so is `?.` + digits
  (`a?.1.2` is two tuple accesses, not `a?.` and the float `1.2`).

Positions are 1-based lines and columns, as `HogSyntaxError` reports them.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from grammar.errors import HogSyntaxError

# Deeper bracket nesting than this is rejected before parsing: the AST consumers (compiler,
# printers) are recursive, and no real program nests anywhere near this deep.
MAX_NESTING = 200

# Keywords with a syntactic role in the grammar; every other word is an IDENTIFIER (PostHog's
# many SQL keywords are all valid identifiers in Hog code). Keys are lower-case: keywords are
# case-insensitive.
KEYWORDS: dict[str, str] = {
    "let": "LET", "fn": "FN", "fun": "FN", "if": "IF", "else": "ELSE", "while": "WHILE",
    "for": "FOR", "in": "IN", "return": "RETURN", "throw": "THROW", "try": "TRY",
    "catch": "CATCH", "finally": "FINALLY", "and": "AND", "or": "OR", "not": "NOT", "is": "IS",
    "null": "NULL", "like": "LIKE", "ilike": "ILIKE", "between": "BETWEEN", "cohort": "COHORT",
    "case": "CASE", "when": "WHEN", "then": "THEN", "end": "END", "interval": "INTERVAL",
    "cast": "CAST", "as": "AS", "lambda": "LAMBDA", "inf": "INF", "infinity": "INF", "nan": "NAN",
    "trim": "TRIM", "leading": "LEADING", "trailing": "TRAILING", "both": "BOTH", "from": "FROM",
    "distinct": "DISTINCT", "array": "ARRAY", "select": "SELECT",
    "second": "UNIT", "minute": "UNIT", "hour": "UNIT", "day": "UNIT", "week": "UNIT",
    "month": "UNIT", "quarter": "UNIT", "year": "UNIT", "yyyy": "UNIT",
}

# Tokens after which an operand has just ended: a following `{` starts a new statement, and a
# following `not in` / `.1` continues the expression.
_OPERAND_END = frozenset({
    "IDENTIFIER", "QUOTED_IDENTIFIER", "INT", "FLOAT", "STRING", "FSTRING_END", "NULL", "INF",
    "NAN", "RPAREN", "RBRACKET", "RBRACE", "TAG_SELF_CLOSE", "TAG_CLOSE_GT", "END", "UNIT",
})
# Tokens after which `{` opens a block: statement boundaries and statement keywords.
_BLOCK_AFTER = _OPERAND_END | {"SEMICOLON", "ELSE", "TRY", "FINALLY", "CATCH", "LBRACE_BLOCK"}
# Tokens that only appear in statements, never inside a dict or placeholder expression.
_STATEMENT_ONLY = frozenset({"LET", "FN", "WHILE", "RETURN", "THROW", "TRY", "SEMICOLON",
                             "COLONEQUALS", "LBRACE_BLOCK"})
_OPERAND_START = frozenset({
    "IDENTIFIER", "QUOTED_IDENTIFIER", "INT", "FLOAT", "STRING", "FSTRING_START", "NULL", "INF",
    "NAN", "LBRACE", "LBRACE_BLOCK", "IF", "FOR", "TAG_OPEN",
})
# Keywords PostHog never accepts as names, not even after `.`.
_RESERVED = frozenset({"LET", "FN", "WHILE", "TRY", "CATCH", "FINALLY", "THROW", "LAMBDA", "INF",
                       "NAN", "NULL"})
_MERGE_AFTER_NOT = {"IN": "NOT_IN", "LIKE": "NOT_LIKE", "ILIKE": "NOT_ILIKE", "BETWEEN": "NOT_BETWEEN"}
_COHORT_ID = frozenset({"INT", "STRING", "IDENTIFIER", "LPAREN", "DASH", "QUOTED_IDENTIFIER"})
_OPENERS = frozenset({"LPAREN", "LBRACKET", "LBRACE", "LBRACE_BLOCK", "FSTRING_LBRACE", "TAG_LBRACE"})
# Token types that can name a lambda parameter (keywords usable as identifiers included).
_NAME_TYPES = frozenset({"IDENTIFIER", "QUOTED_IDENTIFIER", "UNIT", "COHORT", "FROM", "LEADING",
                         "TRAILING", "BOTH", "DISTINCT"})
_CLOSERS = frozenset({"RPAREN", "RBRACKET", "RBRACE"})
# Tokens after which a list of expressions (or of lambda parameters) can start.
_LIST_STARTS = frozenset({"LPAREN", "LBRACKET", "LBRACE", "LBRACE_BLOCK", "FSTRING_LBRACE",
                          "TAG_LBRACE", "SEMICOLON", "RBRACE", "COLONEQUALS", "COMMA"})

_WHITESPACE = "[ \t\r\n\x0b\x0c\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
# Escapes PostHog's lexer accepts inside quotes; any other backslash sequence is an error.
_ESCAPE = r"\\[bfrnt0av\\]|\\x[0-9a-fA-F]{2}"

# One match skips whitespace and comments, then takes at most one token (no token: end of input,
# or a character no token starts with).
_CODE = re.compile(
    rf"(?:{_WHITESPACE}|//[^\n\r]*|--[^\n\r]*|#[^\n\r]*|/\*.*?\*/)*"
    r"(?:(?P<fstring>[fF]')"
    rf"|(?P<string>'(?:[^'\\]|{_ESCAPE}|\\'|'')*')"
    rf"|(?P<quoted>`(?:[^`\\]|{_ESCAPE}|\\'|``)*`|\"(?:[^\"\\]|{_ESCAPE}|\\\"|\"\")*\")"
    r"|(?P<number>0[xX][0-9a-fA-F]+(?:\.[0-9a-fA-F]*)?[pP][+-]?[0-9]+|0[xX][0-9a-fA-F]+"
    r"|0[bB][0-9]+|0[oO][0-9]+|[0-9]+\.[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?"
    r"|[0-9]+(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<word>[A-Za-z_$][A-Za-z0-9_$]*)"
    r"|(?P<op>!~\*|=~\*|!~|=~|~\*|~|!=|<>|<=|>=|==|=|->|::|:=|:|\|\||\?\?|\?\.|\?|<|>|[.,;()\[\]{}+\-*/%]))?",
    re.DOTALL,
)
_OPERATORS = {
    "!~*": "NOT_IREGEX", "=~*": "IREGEX", "!~": "NOT_REGEX", "=~": "REGEX", "~*": "IREGEX",
    "~": "REGEX", "!=": "NOT_EQ", "<>": "NOT_EQ", "<=": "LT_EQ", ">=": "GT_EQ", "==": "EQ_DOUBLE",
    "=": "EQ", "->": "ARROW", "::": "DOUBLECOLON", ":=": "COLONEQUALS", ":": "COLON",
    "||": "CONCAT", "??": "NULLISH", "?.": "NULL_PROPERTY", "?": "QUERY", "<": "LT", ">": "GT",
    ".": "DOT", ",": "COMMA", ";": "SEMICOLON", "(": "LPAREN", ")": "RPAREN", "[": "LBRACKET",
    "]": "RBRACKET", "{": "LBRACE", "}": "RBRACE", "+": "PLUS", "-": "DASH", "*": "ASTERISK",
    "/": "SLASH", "%": "PERCENT",
}
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")
_SPACE_QUOTE = re.compile(r"[ \t\r\n]*'")
_DIGITS = re.compile("[0-9]+")
_TUPLE_INDEX = re.compile(rf"\.{_WHITESPACE}*([0-9]+)")
_INDEX_THEN_DOT = re.compile(r"([0-9]+)\.[0-9]*")  # `1.2` after `?.`: index 1, then `.2`
_FSTRING_TEXT = re.compile(rf"(?:[^\\'{{]|{_ESCAPE}|\\'|\\\{{|'')+")
_TAG_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_TAG_TEXT = re.compile(r"[^<{]+")
_TAG_SPACE = re.compile(r"[ \t\r\n]+")
_TAG_STRING = re.compile(rf"'(?:[^'\\]|{_ESCAPE}|\\'|'')*'")

_UNESCAPES = {"b": "\b", "f": "\f", "r": "\r", "n": "\n", "t": "\t", "0": "", "a": "\a",
              "v": "\v", "\\": "\\", "'": "'", '"': '"', "`": "`", "{": "{"}
# Per quote character: a backslash escape, or the quote doubled. One pass, left to right, so an
# escaped quote never pairs up with its neighbour.
_UNESCAPE_RE = {quote: re.compile(r"\\([bfrnt0av\\'\"`{])|" + re.escape(quote * 2)) for quote in "'\"`"}


def _unescape_match(m: re.Match[str]) -> str:
    escaped = m.group(1)
    return _UNESCAPES[escaped] if escaped is not None else m.group()[0]


def unescape(text: str, quote: str) -> str:
    """The value of quoted text (without its quotes) delimited by `quote`. As PostHog does,
    `\\0` is dropped, `\\xHH` kept verbatim and a doubled quote is one quote."""
    if "\\" in text or quote * 2 in text:
        return _UNESCAPE_RE[quote].sub(_unescape_match, text)
    return text


class Token:
    """A lexed token: `type` is the grammar's terminal name, `value` the source text, `line` and
    `column` 1-based, `start_pos` the offset. (Lark's own Token, a str subclass, costs several
    times more to create; the parser only needs these five fields.)"""

    __slots__ = ("column", "line", "start_pos", "type", "value")

    def __init__(self, type: str, value: str, start_pos: int, line: int, column: int) -> None:
        self.type = type
        self.value = value
        self.start_pos = start_pos
        self.line = line
        self.column = column

    def __repr__(self) -> str:
        return f"Token({self.type}, {self.value!r}, {self.line}:{self.column})"


class _Positions:
    """Maps string offsets to 1-based (line, column)."""

    __slots__ = ("starts",)

    def __init__(self, source: str) -> None:
        starts = [0]
        find = source.find
        i = find("\n")
        while i >= 0:
            starts.append(i + 1)
            i = find("\n", i + 1)
        self.starts = starts

    def __call__(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


def _describe_char(ch: str) -> str:
    if ch == "\x00":
        return "NUL byte"
    if "\ud800" <= ch <= "\udfff":
        return f"lone surrogate U+{ord(ch):04X}"
    if ch.isprintable():
        return f"character '{ch}' (U+{ord(ch):04X})"
    return f"character U+{ord(ch):04X}"


def tokenize(source: str) -> list[Token]:
    """Split `source` into tokens. Raises `HogSyntaxError` for text no token matches."""
    bad = _FORBIDDEN.search(source)
    if bad is not None:  # NUL and lone surrogates, even inside strings: nothing downstream wants them
        line, column = _Positions(source)(bad.start())
        raise HogSyntaxError(f"Unexpected {_describe_char(bad.group())}", line=line, column=column,
                             source=source)
    if source.startswith("\ufeff"):  # a byte-order mark is not part of the text (nor of columns)
        source = source[1:]
    lexer = _Lexer(source)
    tokens = lexer.run()
    return _classify(_merge_operators(tokens))


class _Lexer:
    def __init__(self, source: str) -> None:
        self.source = source
        self.position = _Positions(source)
        self.tokens: list[Token] = []
        self.line = 1  # line of offset `scanned`, whose line starts at offset `line_start`
        self.line_start = 0
        self.scanned = 0
        # Lexer modes, innermost last: "code" (opened by `{`), "fstring", "tag_open",
        # "tag_close", "tag_text". The bottom "code" level is implicit (an empty stack).
        self.modes: list[str] = []
        # Start offsets of the constructs whose end we still wait for, for error messages.
        self.opened_at: list[int] = []

    def error(self, message: str, offset: int) -> HogSyntaxError:
        line, column = self.position(offset)
        return HogSyntaxError(message, line=line, column=column, source=self.source)

    def emit(self, kind: str, value: str, start: int) -> None:
        # Tokens come in source order, so lines are counted incrementally between tokens.
        scanned = self.scanned
        if start > scanned:
            newlines = self.source.count("\n", scanned, start)
            if newlines:
                self.line += newlines
                self.line_start = self.source.rfind("\n", scanned, start) + 1
            self.scanned = start
        self.tokens.append(Token(kind, value, start, self.line, start - self.line_start + 1))

    def push(self, mode: str, start: int) -> None:
        if len(self.modes) >= MAX_NESTING:
            raise self.error(f"Nesting too deep (more than {MAX_NESTING} levels)", start)
        self.modes.append(mode)
        self.opened_at.append(start)

    def pop(self) -> None:
        self.modes.pop()
        self.opened_at.pop()

    def run(self) -> list[Token]:
        source = self.source
        end = len(source)
        pos = 0
        bracket_depth = 0
        while pos < end:
            mode = self.modes[-1] if self.modes else "code"
            if mode == "code":
                pos, bracket_depth = self.lex_code(pos, bracket_depth)
            elif mode == "fstring":
                pos = self.lex_fstring(pos)
            elif mode == "tag_text":
                pos = self.lex_tag_text(pos)
            else:
                pos = self.lex_tag(pos, mode)
        if self.modes:
            mode, start = self.modes[-1], self.opened_at[-1]
            if mode == "fstring":
                raise self.error("Unterminated f-string", start)
            if mode == "code":
                # An unclosed `{` in code is a parse error at the end of input; inside an
                # f-string or tag it means the enclosing construct is unterminated.
                outer = [m for m in self.modes if m != "code"]
                if outer and outer[-1] == "fstring":
                    index = len(self.modes) - 1 - self.modes[::-1].index("fstring")
                    raise self.error("Unterminated f-string", self.opened_at[index])
                return self.tokens
            raise self.error("Unterminated HogQLX tag", start)
        return self.tokens

    # ------------------------------------------------------------------ code mode

    def lex_code(self, pos: int, bracket_depth: int) -> tuple[int, int]:
        """Lex code until the input ends or a construct switches the lexer mode."""
        source = self.source
        end = len(source)
        tokens = self.tokens
        match = _CODE.match
        emit = self.emit
        while True:
            m = match(source, pos)
            kind = m.lastgroup
            if kind is None:  # only blanks and comments matched
                pos = m.end()
                if pos < end:
                    self.unknown_text(pos)
                return pos, bracket_depth
            start = m.start(kind)
            text = m.group(kind)
            pos = m.end()
            if kind == "word":
                keyword = KEYWORDS.get(text.lower())
                if keyword is None:
                    if text[0] in "dtDT" and text.lower() in ("date", "timestamp") and _SPACE_QUOTE.match(source, pos):
                        raise self.error(f"{text.lower()} '...' literals are not supported; use "
                                         f"to{'Date' if text[0] in 'dD' else 'DateTime'}('...')", start)
                    emit("IDENTIFIER", text, start)
                elif keyword not in _RESERVED and tokens and tokens[-1].type in ("DOT", "NULL_PROPERTY"):
                    emit("IDENTIFIER", text, start)  # after `.` a keyword is a member name: `x.date`
                else:
                    emit(keyword, text, start)
            elif kind == "op":
                if text == "." and tokens and tokens[-1].type in _OPERAND_END:
                    index = _TUPLE_INDEX.match(source, start)
                    if index is not None:  # `a.1.2`: two tuple accesses, not `a` and the float `.1`
                        emit("DOT", ".", start)
                        emit("INT", index.group(1), index.start(1))
                        pos = index.end()
                        continue
                token_type = _OPERATORS[text]
                if token_type in ("LPAREN", "LBRACKET"):
                    bracket_depth += 1
                    if bracket_depth + len(self.modes) > MAX_NESTING:
                        raise self.error(f"Nesting too deep (more than {MAX_NESTING} levels)", start)
                elif token_type in ("RPAREN", "RBRACKET"):
                    bracket_depth -= 1
                elif token_type == "LBRACE":
                    self.push("code", start)
                    if bracket_depth + len(self.modes) > MAX_NESTING:
                        raise self.error(f"Nesting too deep (more than {MAX_NESTING} levels)", start)
                elif token_type == "RBRACE":
                    emit("RBRACE", text, start)
                    if self.modes:
                        self.pop()
                        if self.modes and self.modes[-1] != "code":
                            return pos, bracket_depth  # back in an f-string or a tag
                    continue
                elif token_type == "SLASH" and source.startswith("/*", start):
                    raise self.error("Unterminated comment: '/*' has no closing '*/'", start)
                elif token_type == "LT" and self.is_tag_start(start + 1):
                    emit("TAG_OPEN", "<", start)
                    self.push("tag_open", start)
                    return pos, bracket_depth
                emit(token_type, text, start)
            elif kind == "number":
                if text[0] == "." and tokens and tokens[-1].type in _OPERAND_END:
                    digits = _DIGITS.match(text, 1)  # `a.1.2` after an operand: tuple access
                    emit("DOT", ".", start)
                    emit("INT", digits.group(), start + 1)
                    pos = start + digits.end()
                    continue
                if tokens and tokens[-1].type == "NULL_PROPERTY":
                    index = _INDEX_THEN_DOT.fullmatch(text)
                    if index is not None:  # `a?.1.2`: the index, then `.2` lexed after an operand
                        emit("INT", index.group(1), start)
                        pos = index.end(1) + start
                        continue
                self.lex_number(text, start)
            elif kind == "string":
                emit("STRING", text, start)
            elif kind == "quoted":
                emit("QUOTED_IDENTIFIER", text, start)
            else:  # fstring
                if text[0] == "F":
                    raise self.error("F'...' full-text templates are not supported in Hog programs", start)
                emit("FSTRING_START", text, start)
                self.push("fstring", start)
                return pos, bracket_depth

    def unknown_text(self, pos: int) -> None:
        """Raise the error for text at `pos` that starts no token."""
        source = self.source
        ch = source[pos]
        if ch == "'":
            raise self.error(self.bad_quote_message(pos, "'", "string literal"), pos)
        if ch in "`\"":
            raise self.error(self.bad_quote_message(pos, ch, "quoted identifier"), pos)
        if source.startswith("/*", pos):
            raise self.error("Unterminated comment: '/*' has no closing '*/'", pos)
        raise self.error(f"Unexpected {_describe_char(ch)}", pos)

    def lex_number(self, text: str, pos: int) -> None:
        if text[:2] in ("0o", "0O"):
            raise self.error(f"Octal literals with a '0o' prefix are not supported: '{text}'", pos)
        if text[:2] in ("0b", "0B") and not set(text[2:]) <= {"0", "1"}:
            raise self.error(f"Invalid binary literal '{text}'", pos)
        is_float = ("." in text or "e" in text or "E" in text) and text[:2] not in ("0x", "0X")
        is_float = is_float or "p" in text or "P" in text
        if not is_float and len(text) > 4000:
            raise self.error(f"Number literal too long ({len(text)} digits; at most 4000)", pos)
        self.emit("FLOAT" if is_float else "INT", text, pos)

    def bad_quote_message(self, pos: int, quote: str, what: str) -> str:
        source = self.source
        i = pos + 1
        while i < len(source):
            ch = source[i]
            if ch == "\\":
                nxt = source[i + 1: i + 2]
                if nxt and nxt not in "bfrnt0av\\x'\"`{":
                    return f"Invalid escape sequence '\\{nxt}' in {what}"
                if nxt == "x" and not re.fullmatch(r"[0-9a-fA-F]{2}", source[i + 2: i + 4]):
                    return f"Invalid escape sequence '\\x' in {what} (expected two hex digits)"
                i += 2
                continue
            if ch == quote:
                if source[i + 1: i + 2] == quote:
                    i += 2
                    continue
                break
            i += 1
        return f"Unterminated {what}"

    def is_tag_start(self, pos: int) -> bool:
        """PostHog's rule for `<` opening a HogQLX tag: a name follows directly, and after it
        comes `>`, `/`, or whitespace then a name character, `>` or `/`."""
        source = self.source
        m = _TAG_NAME.match(source, pos)
        if m is None:
            return False
        i = m.end()
        if i >= len(source):
            return False
        ch = source[i]
        if ch in ">/":
            return True
        if not ch.isspace():
            return False
        while i < len(source) and source[i].isspace():
            i += 1
        return i < len(source) and (source[i].isalnum() or source[i] in "_>/")

    # ------------------------------------------------------------------ f-strings

    def lex_fstring(self, pos: int) -> int:
        source = self.source
        ch = source[pos]
        if ch == "'" and not source.startswith("''", pos):  # `''` is a quote in the text
            self.emit("FSTRING_END", ch, pos)
            self.pop()
            return pos + 1
        if ch == "{":
            self.emit("FSTRING_LBRACE", ch, pos)
            self.push("code", pos)
            return pos + 1
        m = _FSTRING_TEXT.match(source, pos)
        if m is None:  # a backslash not starting a known escape
            nxt = source[pos + 1: pos + 2]
            if not nxt:
                raise self.error("Unterminated f-string", self.opened_at[-1])
            raise self.error(f"Invalid escape sequence '\\{nxt}' in f-string", pos)
        self.emit("FSTRING_TEXT", m.group(), pos)
        return m.end()

    # ------------------------------------------------------------------ HogQLX tags

    def lex_tag(self, pos: int, mode: str) -> int:
        source = self.source
        m = _TAG_SPACE.match(source, pos)
        if m is not None:
            return m.end()
        ch = source[pos]
        if ch == ">":
            tag_start = self.opened_at[-1]
            self.pop()
            if mode == "tag_open":
                self.emit("TAG_GT", ch, pos)
                self.push("tag_text", tag_start)  # an unterminated tag is reported at its '<'
            else:
                self.emit("TAG_CLOSE_GT", ch, pos)
            return pos + 1
        m = _TAG_NAME.match(source, pos)
        if m is not None:
            self.emit("TAG_NAME", m.group(), pos)
            return m.end()
        if mode == "tag_open":
            if source.startswith("/>", pos):
                self.emit("TAG_SELF_CLOSE", "/>", pos)
                self.pop()
                return pos + 2
            if ch == "=":
                self.emit("EQ", ch, pos)
                return pos + 1
            if ch == "{":
                self.emit("TAG_LBRACE", ch, pos)
                self.push("code", pos)
                return pos + 1
            if ch == "'":
                m = _TAG_STRING.match(source, pos)
                if m is None:
                    raise self.error(self.bad_quote_message(pos, "'", "string literal"), pos)
                self.emit("STRING", m.group(), pos)
                return m.end()
        raise self.error(f"Unexpected {_describe_char(ch)} in a HogQLX tag", pos)

    def lex_tag_text(self, pos: int) -> int:
        source = self.source
        ch = source[pos]
        if ch == "{":
            self.emit("TAG_LBRACE", ch, pos)
            self.push("code", pos)
            return pos + 1
        if ch == "<":
            if source.startswith("</", pos):
                self.emit("TAG_CLOSE_OPEN", "</", pos)
                self.pop()
                self.push("tag_close", pos)
                return pos + 2
            self.emit("TAG_OPEN", ch, pos)
            self.push("tag_open", pos)
            return pos + 1
        m = _TAG_TEXT.match(source, pos)
        assert m is not None
        self.emit("TAG_TEXT", m.group(), pos)
        return m.end()


def _merge_operators(tokens: list[Token]) -> list[Token]:
    """Fuse `not in`, `not like`, `not ilike`, `not between` and `[not] in cohort N` after an
    operand into single operator tokens."""
    if not any(t.type in ("NOT", "IN") for t in tokens):
        return tokens
    out: list[Token] = []
    prev_type = None
    i, n = 0, len(tokens)
    while i < n:
        tok = tokens[i]
        kind = tok.type
        if prev_type in _OPERAND_END and kind in ("NOT", "IN"):
            fused = None
            if kind == "IN":
                fused = "IN"
            elif i + 1 < n and tokens[i + 1].type in _MERGE_AFTER_NOT:
                fused = _MERGE_AFTER_NOT[tokens[i + 1].type]
                i += 1
            if (fused in ("IN", "NOT_IN") and i + 2 < n and tokens[i + 1].type == "COHORT"
                    and tokens[i + 2].type in _COHORT_ID):
                fused += "_COHORT"
                i += 1
            if fused is not None:
                tok.type = kind = fused
        out.append(tok)
        prev_type = kind
        i += 1
    return out


def _classify(tokens: list[Token]) -> list[Token]:
    """Resolve, in place, what LALR(1) cannot see from one token of lookahead.

    Lambda parameters: before `->`, a `( names )` opener becomes LPAREN_LAMBDA and bare names
    (`x -> ...`, `a, b -> ...`, greedy as in PostHog) become LAMBDA_PARAM.

    Braces: each code `{` becomes LBRACE_BLOCK (a statement block) or stays LBRACE (a dict or a
    placeholder), as PostHog's backtracking parser decides:
    - after a statement boundary or a statement keyword: a block, unless its top level holds a
      `key: value` colon and nothing that only statements contain (`{'a': 1}` as a statement);
      a `;` inside parentheses (the clauses of a `for` head) is no statement boundary;
    - after `->`: a dict or placeholder, unless its top level contains statement-only tokens or
      two juxtaposed expressions (then it is the lambda's block body);
    - anywhere else: a dict or placeholder.
    """
    n = len(tokens)
    matching: dict[int, int] = {}
    opener_of: dict[int, int] = {}
    stack: list[int] = []
    in_parens: set[int] = set()  # `{` whose innermost enclosing bracket is a `(`
    for i, tok in enumerate(tokens):
        kind = tok.type
        if kind in _OPENERS or kind == "FSTRING_START":
            if kind == "LBRACE" and stack and tokens[stack[-1]].type == "LPAREN":
                in_parens.add(i)
            stack.append(i)
        elif (kind in _CLOSERS or kind == "FSTRING_END") and stack:
            j = stack.pop()
            matching[j] = i
            opener_of[i] = j
    prev_type = None
    for i in range(n):
        tok = tokens[i]
        kind = tok.type
        if kind == "ARROW" and i:
            _mark_lambda_params(tokens, i - 1, opener_of)
        elif kind == "INTERVAL" and i + 1 < n and tokens[i + 1].type == "STRING" and (
            i + 2 >= n or tokens[i + 2].type != "UNIT"
        ):
            _retype(tokens, i + 1, "INTERVAL_STRING")  # `interval '5 days'`, not `interval '5' day`
        elif kind == "LBRACE" and (prev_type is None or prev_type in _BLOCK_AFTER or prev_type == "ARROW") and (
            prev_type != "SEMICOLON" or i not in in_parens
        ):
            colon, statement_only = _scan_top_level(tokens, i + 1, matching.get(i, n), matching)
            if statement_only or (prev_type != "ARROW" and not colon):
                tok.type = "LBRACE_BLOCK"
        prev_type = tokens[i].type
    return tokens


def _retype(tokens: list[Token], i: int, kind: str) -> None:
    tokens[i].type = kind


def _mark_lambda_params(tokens: list[Token], last: int, opener_of: dict[int, int]) -> None:
    """`last` is the token before `->`."""
    kind = tokens[last].type
    if kind == "RPAREN":
        start = opener_of.get(last)
        if start is not None and all(
            t.type in _NAME_TYPES or t.type == "COMMA" for t in tokens[start + 1:last]
        ):
            _retype(tokens, start, "LPAREN_LAMBDA")
        return
    i = last
    if kind == "COMMA":  # `a, b, -> ...`: PostHog allows a trailing comma
        i -= 1
    if i < 0 or tokens[i].type not in _NAME_TYPES:
        return
    _retype(tokens, i, "LAMBDA_PARAM")
    # Earlier `name,` pairs belong to the lambda (`f(a, b -> b)` is one lambda) when the list of
    # names starts a bracket or an argument: `f(x::Int, y -> y)` keeps `x::Int` as an argument.
    first = i
    while first >= 2 and tokens[first - 1].type == "COMMA" and tokens[first - 2].type in _NAME_TYPES:
        first -= 2
    while first < i and first > 0 and tokens[first - 1].type not in _LIST_STARTS:
        first += 2  # that name is the tail of an expression, not a parameter
    for j in range(first, i, 2):
        _retype(tokens, j, "LAMBDA_PARAM")


def _scan_top_level(tokens: list[Token], start: int, stop: int, matching: dict[int, int]) -> tuple[bool, bool]:
    """(has a dict colon, has statement-only content) at the top nesting level of tokens[start:stop]."""
    colon = False
    ternaries = 0
    prev_type = None
    i = start
    while i < stop:
        kind = tokens[i].type
        if kind in _STATEMENT_ONLY:
            return colon, True
        if prev_type in _OPERAND_END and kind in _OPERAND_START:
            return colon, True  # two expressions side by side: statements
        if kind in ("QUERY", "LAMBDA"):
            ternaries += 1
        elif kind == "COLON":
            if ternaries:
                ternaries -= 1
            else:
                colon = True
        if (kind in _OPENERS or kind == "FSTRING_START") and i in matching:
            # `{ { null; } }`: a brace holding statements is a block, so the outer one is too
            if (kind == "LBRACE" and prev_type != "ARROW"
                    and _scan_top_level(tokens, i + 1, matching[i], matching)[1]):
                return colon, True
            i = matching[i]
            prev_type = tokens[i].type
            i += 1
            continue
        prev_type = kind
        i += 1
    return colon, False
