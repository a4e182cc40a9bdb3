"""The watch query language: parsed into a tree, printed back, errors that say where.

    '"République de Corée" AND (cyber OR exercice) AND NOT title:sport'

Words and "phrases" are looked for as whole words, folded as keywords are; `@name` is a set of
`[terms]`; AND binds tighter than OR; NOT, fields (`title:`) and `a NEAR/n b` (at most n words
between, either order, in one field) apply to what follows. `monitor/match.py` compiles trees.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from monitor.fold import fold

FIELDS = ("title", "summary", "content", "page", "link", "feed")
DEFAULT_FIELDS = ("title", "summary", "content")  # where a term without a field is looked for
OPERATORS = ("AND", "OR", "NOT")
MAX_DISTANCE = 1000


class QueryError(ValueError):
    """A query that cannot be read: `column` (1-based) is where, the message says what was
    expected there."""

    def __init__(self, column: int, message: str) -> None:
        super().__init__(f"at column {column}: {message}")
        self.column = column


@dataclass(frozen=True, slots=True)
class Term:
    """A word (`phrase` False) or a quoted phrase, as written."""

    text: str
    phrase: bool = False
    column: int = 0  # where it was written; not part of its identity

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Term) and (self.text, self.phrase) == (other.text, other.phrase)

    def __hash__(self) -> int:
        return hash((self.text, self.phrase))


@dataclass(frozen=True, slots=True)
class Ref:
    """`@name`: any term of the `[terms]` set `name`."""

    name: str
    column: int = 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ref) and self.name == other.name

    def __hash__(self) -> int:
        return hash(self.name)


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Field:
    """`title:child`: the terms of `child` are looked for in that field only."""

    name: str
    child: Node


@dataclass(frozen=True, slots=True)
class Near:
    """`left NEAR/distance right`; each side a term, a `@name` or a group of those ORed."""

    left: Node
    right: Node
    distance: int


Node = Term | Ref | Not | And | Or | Field | Near

_TOKEN = re.compile(r'\s*(?:(?P<open>\()|(?P<close>\))|(?P<phrase>"(?:[^"\\]|\\.)*"?)'
                    r'|(?P<word>[^\s()"]+))')
_FIELD = re.compile(r"([A-Za-z]+):(.*)", re.DOTALL)
_NEAR = re.compile(r"NEAR/(\d+)")
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # open close phrase word field near op ref end
    text: str
    column: int


def _tokens(query: str) -> Iterator[_Token]:
    position = 0
    while True:
        match = _TOKEN.match(query, position)
        if match is None or match.lastgroup is None:
            yield _Token("end", "", len(query.rstrip()) + 1)
            return
        kind, text, column = match.lastgroup, match.group(match.lastgroup), match.start(
            match.lastgroup) + 1
        position = match.end()
        if kind == "phrase":
            if not _closed(text):
                raise QueryError(column, 'this phrase has no closing "')
            yield _Token("phrase", re.sub(r"\\(.)", r"\1", text[1:-1], flags=re.DOTALL), column)
        elif kind == "word":
            yield from _word(text, column)
        else:
            yield _Token(kind, text, column)


def _closed(text: str) -> bool:
    """Whether the phrase token `text` ends with an unescaped quote."""
    body = text[1:]
    escaped = False
    for i, char in enumerate(body):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            return i == len(body) - 1
    return False


def _word(text: str, column: int) -> Iterator[_Token]:
    """A bare run of characters: an operator, NEAR/n, a field prefix, @name or a word."""
    if text in OPERATORS:
        yield _Token("op", text, column)
        return
    if text.startswith("NEAR"):
        near = _NEAR.fullmatch(text)
        if near is None:
            raise QueryError(column, f"{text!r}: NEAR needs a distance in words, as NEAR/5")
        yield _Token("near", near.group(1), column)
        return
    if text.startswith("@"):
        if not _NAME.fullmatch(text[1:]):
            raise QueryError(column, f"{text!r}: expected a [terms] name after @")
        yield _Token("ref", text[1:], column)
        return
    field = _FIELD.fullmatch(text)
    if field is not None:
        name, rest = field.groups()
        if name not in FIELDS:
            raise QueryError(column, f"{name!r} is not a field; fields are "
                             f"{', '.join(f + ':' for f in FIELDS)} (quote the term to look "
                             "for a colon)")
        yield _Token("field", name, column)
        if rest:
            yield from _word(rest, column + len(name) + 1)
        return
    yield _Token("word", text, column)


class _Parser:
    """Recursive descent over the tokens: or → and → unary → near → primary."""

    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _tokens(query)
        self.token = next(self.tokens)

    def advance(self) -> _Token:
        token, self.token = self.token, next(self.tokens)
        return token

    def found(self) -> str:
        token = self.token
        if token.kind == "end":
            return "the end of the query"
        shown = {"phrase": f'"{token.text}"', "field": f"{token.text}:",
                 "near": f"NEAR/{token.text}", "ref": f"@{token.text}"}.get(token.kind, token.text)
        return f"{shown!r}" if token.kind != "phrase" else shown

    def fail(self, expected: str) -> QueryError:
        hint = ""
        if self.token.kind == "word" and self.token.text.upper() in OPERATORS + ("NEAR",):
            hint = f" (operators are upper-case: {self.token.text.upper()})"
        elif self.token.kind in ("word", "phrase", "ref", "field", "open") \
                and "AND" in expected:
            hint = '; join terms with AND or OR, or quote words to look for them together'
        return QueryError(self.token.column, f"expected {expected}, found {self.found()}{hint}")

    def parse(self) -> Node:
        if self.token.kind == "end":
            raise QueryError(1, "the query is empty; expected a word, a \"phrase\", @name, "
                             "a field: or \"(\"")
        node = self.disjunction()
        if self.token.kind != "end":
            expected = "AND, OR, NEAR/n or the end of the query"
            raise self.fail(expected if self.token.kind != "close" else
                            'AND, OR or the end of the query (this ")" closes nothing)')
        return node

    def disjunction(self) -> Node:
        children = [self.conjunction()]
        while self.token.kind == "op" and self.token.text == "OR":
            self.advance()
            children.append(self.conjunction())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def conjunction(self) -> Node:
        children = [self.unary()]
        while self.token.kind == "op" and self.token.text == "AND":
            self.advance()
            children.append(self.unary())
        return children[0] if len(children) == 1 else And(tuple(children))

    def unary(self) -> Node:
        if self.token.kind == "op" and self.token.text == "NOT":
            self.advance()
            return Not(self.unary())
        return self.near()

    def near(self) -> Node:
        left = self.primary("a word, a \"phrase\", @name, NOT, a field: or \"(\"")
        if self.token.kind != "near":
            return left
        near = self.advance()
        distance = int(near.text)
        if distance > MAX_DISTANCE:
            raise QueryError(near.column, f"NEAR/{distance} is too far; at most "
                             f"NEAR/{MAX_DISTANCE}")
        _proximity_operand(left, near.column, "before")
        column = self.token.column
        right = self.primary("a word, a \"phrase\", @name or \"(\" after NEAR/n")
        _proximity_operand(right, column, "after")
        if self.token.kind == "near":
            raise QueryError(self.token.column, "NEAR/n joins two terms; to chain, write "
                             "(a NEAR/n b) AND (b NEAR/n c)")
        return Near(left, right, distance)

    def primary(self, expected: str) -> Node:
        token = self.token
        if token.kind == "word":
            self.advance()
            if not fold(token.text):
                raise QueryError(token.column, f"{token.text!r} has no word to look for")
            return Term(token.text, False, token.column)
        if token.kind == "phrase":
            self.advance()
            if not fold(token.text) or "\x00" in token.text:
                raise QueryError(token.column, f'"{token.text}" has no word to look for')
            return Term(token.text, True, token.column)
        if token.kind == "ref":
            self.advance()
            return Ref(token.text, token.column)
        if token.kind == "open":
            self.advance()
            node = self.disjunction()
            if self.token.kind != "close":
                raise self.fail(f'AND, OR, NEAR/n or ")" to close the "(" of column '
                                f"{token.column}")
            self.advance()
            return node
        if token.kind == "field":
            self.advance()
            if self.token.kind not in ("word", "phrase", "ref", "open", "field"):
                raise self.fail(f'a word, a "phrase", @name or "(" right after {token.text}:')
            return Field(token.text, self.primary(expected))
        raise self.fail(expected)


def _proximity_operand(node: Node, column: int, side: str) -> None:
    """NEAR/n measures between terms: each side is a term, @name or an OR of those."""
    alternatives = node.children if isinstance(node, Or) else (node,)
    if not all(isinstance(a, Term | Ref) for a in alternatives):
        raise QueryError(column, f"expected a word, a \"phrase\", @name or an OR of those "
                         f"{side} NEAR/n; put a field before the whole: title:(a NEAR/3 b)")


def parse(query: str) -> Node:
    """The tree of `query`, or QueryError saying at which column and what was expected."""
    return _Parser(query).parse()


def check_refs(node: Node, terms: Mapping[str, object]) -> None:
    """QueryError for the first `@name` of `node` that is not a set of `terms`."""
    for ref in refs(node):
        if ref.name not in terms:
            known = ", ".join(f"@{name}" for name in terms) or "none is defined"
            raise QueryError(ref.column, f"@{ref.name} is not a [terms] set (known: {known})")


def refs(node: Node) -> Iterator[Ref]:
    """Every `@name` of `node`, in query order."""
    if isinstance(node, Ref):
        yield node
    elif isinstance(node, Not | Field):
        yield from refs(node.child)
    elif isinstance(node, And | Or):
        for child in node.children:
            yield from refs(child)
    elif isinstance(node, Near):
        yield from refs(node.left)
        yield from refs(node.right)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_text(node: Node) -> str:
    """`node` written as a query; `parse(to_text(node)) == node`."""
    if isinstance(node, Term):
        return _quote(node.text) if node.phrase else node.text
    if isinstance(node, Ref):
        return f"@{node.name}"
    if isinstance(node, Not):
        child = node.child
        return f"NOT {to_text(child) if isinstance(child, Not) else _unary(child)}"
    if isinstance(node, Field):
        return f"{node.name}:{_unary(node.child)}"
    if isinstance(node, Near):
        return f"{_unary(node.left)} NEAR/{node.distance} {_unary(node.right)}"
    if isinstance(node, And):
        return " AND ".join(_unary(c) if isinstance(c, And | Or) else to_text(c)
                            for c in node.children)
    return " OR ".join(f"({to_text(c)})" if isinstance(c, Or) else to_text(c)
                       for c in node.children)


def _unary(node: Node) -> str:
    """`node` as the operand of NOT, a field or NEAR: grouped unless it is one term."""
    text = to_text(node)
    return f"({text})" if isinstance(node, And | Or | Near | Not) else text
