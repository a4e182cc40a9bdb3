"""Evaluating watch queries: against a plain reference evaluator on generated items, and on
the cases an analyst writes (fields, NEAR/n, [terms], today's keys beside a query, spans)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.match import ItemText, Matcher, watch_problems
from monitor.query import DEFAULT_FIELDS, FIELDS, And, Field, Near, Node, Not, Or, Ref, Term

# Base words, each with spellings that fold to it (case, accents, ligatures).
SPELLINGS = {"coree": ("Corée", "COREE", "corée"), "otan": ("OTAN", "otan", "Otan"),
             "cyber": ("cyber", "Cyber", "CYBER"), "sport": ("sport", "Sport", "SPORT"),
             "seoul": ("Séoul", "seoul", "SÉOUL"), "oeuvre": ("œuvre", "Oeuvre", "ŒUVRE"),
             "ete": ("été", "ÉTÉ", "ete"), "exercice": ("exercice", "Exercice", "EXERCICE")}
BASES = sorted(SPELLINGS)
# How two words of a text are separated; only the first four keep them adjacent for a phrase.
JOINING = (" ", "  ", "\n", " – ", "-", "’")
BREAKING = (", ", ". ", " / ", " (", ") ")
TERMS = {"korea": ("coree seoul", "otan"), "drill": ("exercice", "cyber ete")}


@dataclass(frozen=True)
class Watch:
    name: str
    query: str = ""
    keywords: tuple[str, ...] = ()
    all: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    regex: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()


@dataclass(frozen=True)
class Text:
    """A field as the reference sees it: base words, and whether each joins the next."""

    words: tuple[str, ...]
    joined: tuple[bool, ...]  # joined[i]: words i and i+1 are adjacent for a phrase
    rendered: str


@st.composite
def texts(draw: st.DrawFn) -> Text:
    words = draw(st.lists(st.sampled_from(BASES), max_size=8))
    out, joined = [], []
    for i, word in enumerate(words):
        out.append(draw(st.sampled_from(SPELLINGS[word])))
        if i < len(words) - 1:
            join = draw(st.booleans())
            joined.append(join)
            out.append(draw(st.sampled_from(JOINING if join else BREAKING)))
    return Text(tuple(words), tuple(joined), "".join(out))


def _phrase_bases(text: str) -> tuple[str, ...]:
    return tuple(text.split())


@st.composite
def term_text(draw: st.DrawFn) -> Term:
    bases = draw(st.lists(st.sampled_from(BASES), min_size=1, max_size=2))
    shown = " ".join(draw(st.sampled_from(SPELLINGS[b])) for b in bases)
    return Term(shown, True) if len(bases) > 1 or draw(st.booleans()) else Term(shown)


LEAVES = st.one_of(term_text(), st.sampled_from(sorted(TERMS)).map(Ref))
PROXIMITY = st.one_of(LEAVES, st.lists(LEAVES, min_size=2, max_size=3).map(
    lambda c: Or(tuple(c))))
QUERIES = st.recursive(LEAVES, lambda children: st.one_of(
    children.map(Not),
    st.lists(children, min_size=2, max_size=3).map(lambda c: And(tuple(c))),
    st.lists(children, min_size=2, max_size=3).map(lambda c: Or(tuple(c))),
    st.tuples(st.sampled_from(FIELDS), children).map(lambda f: Field(*f)),
    st.tuples(PROXIMITY, PROXIMITY, st.integers(0, 4)).map(lambda n: Near(*n))), max_leaves=8)


def _base(term: str) -> tuple[str, ...]:
    """A generated term's base words (every spelling of a base folds to the base)."""
    reverse = {s.casefold(): b for b, spellings in SPELLINGS.items() for s in spellings}
    return tuple(reverse.get(w.casefold(), w) for w in term.split())


def occurrences(text: Text, bases: tuple[str, ...]) -> list[tuple[int, int]]:
    """(first, last) word index of each place `bases` occur in `text` as a phrase."""
    found = []
    for i in range(len(text.words) - len(bases) + 1):
        if text.words[i:i + len(bases)] == bases and all(text.joined[i:i + len(bases) - 1]):
            found.append((i, i + len(bases) - 1))
    return found


class Reference:
    """The meaning of a query, written the obvious way over word lists."""

    def __init__(self, fields: Mapping[str, Text]) -> None:
        self.fields = fields

    def alternatives(self, node: Node) -> list[str]:
        if isinstance(node, Term):
            return [node.text]
        if isinstance(node, Ref):
            return list(TERMS[node.name])
        assert isinstance(node, Or)
        return [t for c in node.children for t in self.alternatives(c)]

    def found(self, term: str, scope: Sequence[str]) -> bool:
        return any(occurrences(self.fields[f], _base(term)) for f in scope)

    def holds(self, node: Node, scope: Sequence[str] = DEFAULT_FIELDS) -> bool:
        if isinstance(node, Term | Ref):
            return any(self.found(t, scope) for t in self.alternatives(node))
        if isinstance(node, Not):
            return not self.holds(node.child, scope)
        if isinstance(node, And):
            return all(self.holds(c, scope) for c in node.children)
        if isinstance(node, Or):
            return any(self.holds(c, scope) for c in node.children)
        if isinstance(node, Field):
            return self.holds(node.child, (node.name,))
        assert isinstance(node, Near)
        for name in scope:
            text = self.fields[name]
            left = [o for t in self.alternatives(node.left) for o in occurrences(text, _base(t))]
            right = [o for t in self.alternatives(node.right)
                     for o in occurrences(text, _base(t))]
            for a in left:
                for b in right:
                    gap = b[0] - a[1] - 1 if b[0] > a[1] else a[0] - b[1] - 1
                    if gap <= node.distance:
                        return True
        return False

    def terms(self, node: Node, scope: Sequence[str] = DEFAULT_FIELDS,
              positive: bool = True) -> list[str]:
        """The terms reported: those of positive branches that are found in their fields."""
        if isinstance(node, Term | Ref):
            return [t for t in self.alternatives(node) if positive and self.found(t, scope)]
        if isinstance(node, Not):
            return self.terms(node.child, scope, not positive)
        if isinstance(node, And | Or):
            return [t for c in node.children for t in self.terms(c, scope, positive)]
        if isinstance(node, Field):
            return self.terms(node.child, (node.name,), positive)
        return self.terms(Or((node.left, node.right)), scope, positive)


def _text(fields: Mapping[str, Text]) -> ItemText:
    return ItemText(**{name: fields[name].rendered for name in FIELDS})


ITEMS = st.fixed_dictionaries({name: texts() for name in FIELDS})


class TestAgainstReference:
    """The compiled queries agree with the reference on generated items and queries."""

    @settings(max_examples=100, deadline=None)
    @given(st.lists(QUERIES, min_size=1, max_size=6), st.lists(ITEMS, min_size=1, max_size=3))
    def test_same_watches_and_terms(self, queries: list[Node], items: list[dict[str, Text]]
                                    ) -> None:
        from monitor.query import to_text

        watches = [Watch(f"w{i}", to_text(q)) for i, q in enumerate(queries)]
        matcher = Matcher(watches, TERMS)
        for fields in items:
            reference, text = Reference(fields), _text(fields)
            got = matcher.match(text.title, text.summary, text.content, page=text.page,
                                link=text.link, feed=text.feed)
            expected = {w.name: tuple(dict.fromkeys(reference.terms(q)))
                        for w, q in zip(watches, queries, strict=True) if reference.holds(q)}
            assert got == expected


def run(query: str, title: str = "", summary: str = "", content: str = "", *,
        terms: Mapping[str, Sequence[str]] | None = None, **extra: str) -> tuple[str, ...] | None:
    watch = Watch("w", query)
    return Matcher([watch], terms).match(title, summary, content, **extra).get("w")


class TestCases:
    """What an analyst writes does what it says."""

    ISSUE = '"République de Corée" AND (cyber OR exercice) AND NOT title:sport'

    def test_issue_example(self) -> None:
        assert run(self.ISSUE, "Exercice naval", "La republique de coree et l’OTAN") == (
            "République de Corée", "exercice")
        assert run(self.ISSUE, "Sport : exercice", "République de Corée") is None
        assert run(self.ISSUE, "Exercice", "", "Corée du Sud") is None

    def test_not_in_the_title_still_allows_it_elsewhere(self) -> None:
        assert run(self.ISSUE, "Cyber", "République de Corée, sport") == (
            "République de Corée", "cyber")

    def test_fields_restrict_where_a_term_is_looked_for(self) -> None:
        assert run("title:otan", "", "OTAN") is None
        assert run("summary:otan", "", "OTAN") == ("otan",)
        assert run("page:otan", "OTAN", page="l’OTAN publie") == ("otan",)
        assert run("otan", page="OTAN") is None  # a term alone reads title, summary, content
        assert run("link:natohq AND feed:nato-fr", link="https://www.nato.int/cps/fr/natohq/"
                   "news_225946.htm", feed="nato-fr") == ("natohq", "nato-fr")
        assert run("link:fr", link="https://www.nato.int/cps/en/natohq/x.htm") is None

    def test_near(self) -> None:
        text = "La Corée et ses partenaires ont mené un exercice cyber"
        # Six words between: "et ses partenaires ont mené un".
        assert run("corée NEAR/6 exercice", text) == ("corée", "exercice")
        assert run("corée NEAR/5 exercice", text) is None
        assert run("exercice NEAR/6 corée", text) == ("exercice", "corée")
        assert run("corée NEAR/0 et", text) == ("corée", "et")
        assert run("corée NEAR/30 exercice", "La Corée", "un exercice") is None  # one field

    def test_terms_sets(self) -> None:
        terms = {"korea": ["République de Corée", "Republic of Korea", "Corée du Sud", "ROK"]}
        assert run("@korea AND navy", "ROK Navy", terms=terms) == ("ROK", "navy")
        assert run("title:@korea", "", "Corée du Sud", terms=terms) is None
        assert run("@korea NEAR/2 navy", "the Republic of Korea navy", terms=terms) == (
            "Republic of Korea", "navy")
        problems = watch_problems(Watch("w", "@korae"), terms)
        assert problems == ["query: at column 1: @korae is not a [terms] set (known: @korea)"]

    def test_same_folding_and_whole_words_as_keywords(self) -> None:
        assert run('"Indo-Pacifique" AND l’otan', "l'OTAN et l’Indo Pacifique") == (
            "Indo-Pacifique", "l’otan")
        assert run("ROK", "Talks broken off") is None
        assert run('"C++"', "en C++, audité") == ("C++",)

    def test_not_alone_matches_every_item_without_the_term(self) -> None:
        assert run("NOT sport", "Corée") == ()
        assert run("NOT sport", "Sport") is None

    def test_query_beside_keys_must_hold_too(self) -> None:
        watch = Watch("w", "cyber", keywords=("Corée",), exclude=("sport",))
        matcher = Matcher([watch])
        assert matcher.match("Corée cyber", "", "") == {"w": ("cyber", "Corée")}
        assert matcher.match("Corée", "", "") == {}
        assert matcher.match("cyber", "", "") == {}
        assert matcher.match("Corée cyber sport", "", "") == {}

    def test_bad_query_refused_by_the_matcher(self) -> None:
        with pytest.raises(ValueError, match="watch 'w': query: at column 3: expected AND"):
            Matcher([Watch("w", "a b")])


class TestKeysAsQueries:
    """Today's keys give the same verdicts as the query they stand for."""

    @settings(max_examples=100, deadline=None)
    @given(st.lists(term_text(), max_size=3), st.lists(term_text(), max_size=2),
           st.lists(term_text(), max_size=2), ITEMS)
    def test_keys_equal_query(self, keywords: list[Term], required: list[Term],
                              excluded: list[Term], fields: dict[str, Text]) -> None:
        from monitor.query import to_text

        def quoted(terms: list[Term]) -> list[str]:
            return [to_text(Term(t.text, True)) for t in terms]
        parts = [f"({' OR '.join(quoted(keywords))})"] if keywords else []
        parts += quoted(required)
        if excluded:
            parts.append(f"NOT ({' OR '.join(quoted(excluded))})")
        keys = Watch("keys", keywords=tuple(t.text for t in keywords),
                     all=tuple(t.text for t in required), exclude=tuple(t.text for t in excluded))
        text = _text(fields)
        by_keys = Matcher([keys]).match(text.title, text.summary, text.content)
        if not parts:
            assert "keys" in by_keys
            return
        query = Watch("keys", " AND ".join(parts))
        by_query = Matcher([query]).match(text.title, text.summary, text.content)
        assert set(by_keys) == set(by_query)
        if by_keys:  # same terms, keywords first then `all`
            assert set(by_keys["keys"]) == set(by_query["keys"])


class TestSpans:
    """`locate` says where, in each field's own text, the terms that made a watch match are."""

    def test_spans_in_the_original_text(self) -> None:
        title = "L’OTAN et la République  de Corée — Œuvres"
        content = "Un exercice CYBER ; rien en sport."
        watch = Watch("w", '"republique de coree" AND (cyber OR otan) AND NOT sport')
        matcher = Matcher([watch])
        spans = matcher.locate(("w",), ItemText(title, "", content))
        assert [title[a:b] for a, b in spans["title"]] == ["OTAN", "République  de Corée"]
        assert [content[a:b] for a, b in spans["content"]] == ["CYBER"]  # not "sport"

    def test_spans_of_regexes_exact_terms_and_fields(self) -> None:
        matcher = Matcher([Watch("w", "link:natohq", regex=(r"\bco+ree\b",), exact=("US",))])
        item = ItemText("Corée, US et us", "", "", link="https://nato.int/natohq/x")
        spans = matcher.locate(("w",), item)
        assert [item.title[a:b] for a, b in spans["title"]] == ["Corée", "US"]
        assert [item.link[a:b] for a, b in spans["link"]] == ["natohq"]

    def test_decomposed_accents_stay_inside_the_span(self) -> None:
        title = "Core\u0301e du Sud"
        spans = Matcher([Watch("w", "corée")]).locate(("w",), ItemText(title, "", ""))
        assert [title[a:b] for a, b in spans["title"]] == ["Core\u0301e"]
