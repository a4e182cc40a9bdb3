"""Reading and writing watch queries: the tree, the printed form, errors that say where."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.fold import fold
from monitor.query import (
    FIELDS,
    OPERATORS,
    And,
    Field,
    Near,
    Node,
    Not,
    Or,
    QueryError,
    Ref,
    Term,
    check_refs,
    parse,
    to_text,
)

BOUNDED = settings(max_examples=300, deadline=None)


class TestParse:
    """Operators, precedence, fields and NEAR/n build the tree they say."""

    def test_issue_example(self) -> None:
        node = parse('"République de Corée" AND (cyber OR exercice) AND NOT title:sport')
        assert node == And((Term("République de Corée", True),
                            Or((Term("cyber"), Term("exercice"))),
                            Not(Field("title", Term("sport")))))

    def test_and_binds_tighter_than_or(self) -> None:
        assert parse("a OR b AND c") == Or((Term("a"), And((Term("b"), Term("c")))))

    def test_not_applies_to_what_follows(self) -> None:
        assert parse("NOT a AND b") == And((Not(Term("a")), Term("b")))

    def test_near_binds_tighter_than_and(self) -> None:
        assert parse("a NEAR/3 b AND c") == And((Near(Term("a"), Term("b"), 3), Term("c")))

    def test_near_sides_may_be_sets_and_groups_of_terms(self) -> None:
        assert parse('(a OR "b c") NEAR/0 @korea') == Near(
            Or((Term("a"), Term("b c", True))), Ref("korea"), 0)

    @pytest.mark.parametrize("name", FIELDS)
    def test_every_field(self, name: str) -> None:
        assert parse(f"{name}:x") == Field(name, Term("x"))

    def test_field_on_a_group_phrase_and_set(self) -> None:
        assert parse('title:(a OR "b c") AND page:@korea') == And((
            Field("title", Or((Term("a"), Term("b c", True)))), Field("page", Ref("korea"))))

    def test_lower_case_words_are_terms_not_operators(self) -> None:
        assert parse('"and" OR not') == Or((Term("and", True), Term("not")))

    def test_words_keep_their_punctuation(self) -> None:
        assert parse("C++ OR U.S. OR l’OTAN OR F-35 OR 10:30") == Or(tuple(
            Term(t) for t in ("C++", "U.S.", "l’OTAN", "F-35", "10:30")))

    def test_escapes_in_phrases(self) -> None:
        assert parse(r'"say \"hi\" \\ bye"') == Term('say "hi" \\ bye', True)

    def test_refs_are_listed_and_checked(self) -> None:
        node = parse("@korea AND (@cyber OR x)")
        check_refs(node, {"korea": ["Corée"], "cyber": ["cyber"]})
        with pytest.raises(QueryError, match="at column 13: @cyber is not a .terms. set"):
            check_refs(node, {"korea": ["Corée"]})


class TestErrors:
    """A query that cannot be read names the column and says what was expected there."""

    @pytest.mark.parametrize(("query", "column", "says"), [
        ("", 1, "the query is empty"),
        ("a AND", 6, 'expected a word, a "phrase", @name, NOT, a field: or "(", found the end'),
        ("a b", 3, "expected AND, OR, NEAR/n or the end of the query, found 'b'"),
        ("a or b", 3, "operators are upper-case: OR"),
        ("(a OR b", 8, 'or ")" to close the "(" of column 1'),
        ("a)", 2, 'this ")" closes nothing'),
        ('a AND "Corée', 7, 'this phrase has no closing "'),
        ("a NEAR b", 3, "NEAR needs a distance in words, as NEAR/5"),
        ("a NEAR/x b", 3, "NEAR needs a distance"),
        ("a NEAR/2000 b", 3, "at most NEAR/1000"),
        ("a NEAR/2 b NEAR/2 c", 12, "NEAR/n joins two terms"),
        ("title:a NEAR/2 b", 9, "put a field before the whole: title:(a NEAR/3 b)"),
        ("a NEAR/2 NOT b", 10, "expected a word, a \"phrase\", @name or \"(\" after NEAR/n"),
        ("(a AND b) NEAR/2 c", 11, "an OR of those before NEAR/n"),
        ("titel:sport", 1, "'titel' is not a field; fields are title:, summary:"),
        ("title:NOT x", 7, 'right after title:'),
        ("a AND @", 7, "expected a [terms] name after @"),
        ("a AND -", 7, "'-' has no word to look for"),
        ('"’ – "', 1, "has no word to look for"),
        ("NOT", 4, "found the end of the query"),
    ])
    def test_message(self, query: str, column: int, says: str) -> None:
        with pytest.raises(QueryError) as caught:
            parse(query)
        assert caught.value.column == column
        assert str(caught.value).startswith(f"at column {column}: ")
        assert says in str(caught.value)


# Words the printer writes bare: no operator, no field prefix, no quote or parenthesis.
WORDS = st.text("abcdeéœ’-+.0", min_size=1, max_size=6).filter(
    lambda w: bool(fold(w)) and w not in OPERATORS and not w.startswith("NEAR"))
PHRASES = st.text('ab éÉ"\\-’():@', min_size=1, max_size=10).filter(lambda p: bool(fold(p)))
REFS = st.sampled_from(["korea", "k2", "a.b", "x_y-z"]).map(Ref)


def _terms() -> st.SearchStrategy[Node]:
    return st.one_of(WORDS.map(Term), PHRASES.map(lambda p: Term(p, True)), REFS)


def _proximity() -> st.SearchStrategy[Node]:
    return st.one_of(_terms(), st.lists(_terms(), min_size=2, max_size=3).map(
        lambda c: Or(tuple(c))))


def _extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.one_of(
        children.map(Not),
        st.lists(children, min_size=2, max_size=3).map(lambda c: And(tuple(c))),
        st.lists(children, min_size=2, max_size=3).map(lambda c: Or(tuple(c))),
        st.tuples(st.sampled_from(FIELDS), children).map(lambda f: Field(*f)),
        st.tuples(_proximity(), _proximity(), st.integers(0, 20)).map(lambda n: Near(*n)))


QUERIES = st.recursive(_terms(), _extend, max_leaves=12)


class TestRoundTrip:
    """Printing a query and reading it back gives the same query."""

    @BOUNDED
    @given(QUERIES)
    def test_print_then_parse(self, node: Node) -> None:
        assert parse(to_text(node)) == node

    @BOUNDED
    @given(st.lists(st.sampled_from(["a", "b", '"c d"', "AND", "OR", "NOT", "(", ")",
                                     "title:", "NEAR/2", "@k", " "]), max_size=12))
    def test_any_text_parses_back_to_itself_or_says_where(self, parts: list[str]) -> None:
        text = " ".join(parts)
        try:
            node = parse(text)
        except QueryError as error:
            assert 1 <= error.column <= len(text) + 1
            return
        assert parse(to_text(node)) == node
