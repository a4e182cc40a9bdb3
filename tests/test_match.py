"""Matching of watches on item text (DESIGN "Matching", "Watches on revisions")."""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache

import pytest

from monitor.fold import APOSTROPHES, DASHES, INVISIBLE, fold
from monitor.match import Matcher, describe_match, watch_problems

TITLE = ("Entretiens de travail entre les États-majors militaires de l’OTAN et de la "
         "République de Corée sur la coopération")
SUMMARY = ("Le 14 mai 2024, l’OTAN a accueilli la République de Corée dans le cadre d’entretiens "
           "de travail tenus au siège de l’Organisation, à Bruxelles. La délégation était menée "
           "par le général de division Dacian-Tiberiu Șerban, directeur de la Division Sécurité "
           "coopérative.")
CONTENT = ("« Nous souhaitons renforcer notre interaction avec nos partenaires de "
           "l’Indo-Pacifique », a indiqué le général Șerban. NATO hosts military staff talks "
           "with the Republic of Korea.")


@dataclass(frozen=True)
class Watch:
    """A watch as config.toml gives it."""

    name: str
    keywords: tuple[str, ...] = ()
    all: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    regex: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()


def hits(watch: Watch, title: str, summary: str = "", content: str = "",
         only: Collection[str] | None = None) -> tuple[str, ...] | None:
    """The terms `watch` matched in the item, or None when it does not match."""
    return Matcher([watch]).match(title, summary, content, only=only).get(watch.name)


class TestCaseAndAccents:
    """Keywords match whatever the case and the accents, on either side."""

    def test_unaccented_keyword_finds_accented_text(self) -> None:
        assert hits(Watch("k", ("Coree",)), TITLE) == ("Coree",)

    def test_accented_upper_case_keyword_finds_text(self) -> None:
        assert hits(Watch("k", ("RÉPUBLIQUE DE CORÉE",)), "", SUMMARY) == ("RÉPUBLIQUE DE CORÉE",)

    def test_absent_keyword_does_not_match(self) -> None:
        assert hits(Watch("k", ("Corée du Nord",)), TITLE, SUMMARY, CONTENT) is None


class TestApostrophes:
    """Typographic and straight apostrophes are alike, in keywords and in text."""

    def test_straight_keyword_finds_typographic_text(self) -> None:
        assert hits(Watch("k", ("l'OTAN",)), TITLE) == ("l'OTAN",)

    def test_typographic_keyword_finds_straight_text(self) -> None:
        assert hits(Watch("k", ("d’Ukraine",)), "Aide militaire d'Ukraine") == ("d’Ukraine",)

    def test_elided_article_is_part_of_the_term(self) -> None:
        assert hits(Watch("k", ("d’Ukraine",)), "La guerre contre l’Ukraine") is None


class TestWordSeparators:
    """A hyphen, a space and a line break between words are alike."""

    @pytest.mark.parametrize("text", ["l’Indo-Pacifique", "l’Indo Pacifique",
                                      "l’Indo–Pacifique", "l’Indo-\nPacifique", "Indo - Pacifique"])
    def test_hyphenated_keyword_finds_every_spelling(self, text: str) -> None:
        assert hits(Watch("k", ("Indo-Pacifique",)), text) == ("Indo-Pacifique",)

    def test_spaced_keyword_finds_hyphenated_text(self) -> None:
        assert hits(Watch("k", ("Indo Pacific",)), "", "partners in the Indo-Pacific") is not None

    def test_punctuation_between_words_is_not_a_separator(self) -> None:
        assert hits(Watch("k", ("Indo-Pacifique",)), "Indo, Pacifique et Atlantique") is None

    def test_multi_word_keyword_does_not_span_two_fields(self) -> None:
        watch = Watch("k", ("République de Corée",))
        assert hits(watch, "Visite de la République de", "Corée à Bruxelles") is None


class TestWholeWords:
    """Keywords match whole words only, whatever characters they begin or end with."""

    def test_acronym_inside_a_word_does_not_match(self) -> None:
        assert hits(Watch("k", ("ROK",)), "Talks broken off", "Rokeach said") is None

    @pytest.mark.parametrize("text", ["the ROK Navy", "(ROK)", "«ROK»", "ROK’s fleet", "ROK-US"])
    def test_acronym_between_punctuation_matches(self, text: str) -> None:
        assert hits(Watch("k", ("ROK",)), text) == ("ROK",)

    def test_word_prefix_does_not_match(self) -> None:
        assert hits(Watch("k", ("Corée",)), "la péninsule coréenne") is None

    def test_term_ending_in_punctuation(self) -> None:
        watch = Watch("k", ("U.S.",))
        assert hits(watch, "the U.S. Army") == ("U.S.",)
        assert hits(watch, "made in the U.S.A. in 2024") is None

    def test_term_ending_in_symbols(self) -> None:
        watch = Watch("k", ("C++",))
        assert hits(watch, "un module en C++, audité") == ("C++",)
        assert hits(watch, "ABC++ est un autre langage") is None

    def test_term_with_digits(self) -> None:
        watch = Watch("k", ("F-35",))
        assert hits(watch, "livraison de F-35 à la Pologne") == ("F-35",)
        assert hits(watch, "livraison de F-35A à la Pologne") is None


class TestFields:
    """Title, summary and content are all looked at."""

    @pytest.mark.parametrize("field", [0, 1, 2])
    def test_keyword_found_in_any_field(self, field: int) -> None:
        texts = ["Sans rapport", "Rien ici", "Toujours rien"]
        texts[field] = SUMMARY
        assert hits(Watch("k", ("Bruxelles",)), *texts) == ("Bruxelles",)


class TestAll:
    """Each `all` term must also appear, and is reported."""

    def test_all_terms_present(self) -> None:
        watch = Watch("k", ("République de Corée",), all=("OTAN", "Bruxelles"))
        assert hits(watch, TITLE, SUMMARY) == ("République de Corée", "OTAN", "Bruxelles")

    def test_one_all_term_missing(self) -> None:
        watch = Watch("k", ("République de Corée",), all=("OTAN", "Séoul"))
        assert hits(watch, TITLE, SUMMARY) is None


class TestExclude:
    """No `exclude` term may appear."""

    def test_excluded_term_present(self) -> None:
        watch = Watch("k", ("Corée",), exclude=("Corée du Nord", "Bruxelles"))
        assert hits(watch, "Corée : réunion à Bruxelles") is None

    def test_excluded_term_absent(self) -> None:
        watch = Watch("k", ("Corée",), exclude=("Corée du Nord",))
        assert hits(watch, "Corée du Sud : réunion à Bruxelles") == ("Corée",)

    def test_excluded_term_counts_as_whole_words_only(self) -> None:
        watch = Watch("k", ("NATO",), exclude=("sport",))
        assert hits(watch, "NATO and transport logistics") == ("NATO",)


class TestRegex:
    """Regexes run on the folded text, any-of with keywords, and report their pattern."""

    def test_regex_matches_folded_text(self) -> None:
        watch = Watch("k", regex=(r"\bcoree du (sud|nord)\b",))
        assert hits(watch, "Tension en Corée du Nord") == (r"\bcoree du (sud|nord)\b",)

    def test_regex_that_does_not_match(self) -> None:
        assert hits(Watch("k", regex=(r"\bcoree du (sud|nord)\b",)), TITLE, SUMMARY) is None

    def test_regex_ignores_case(self) -> None:
        assert hits(Watch("k", regex=(r"\bOTAN\b",)), TITLE) == (r"\bOTAN\b",)

    def test_anchors_apply_to_each_field(self) -> None:
        watch = Watch("k", regex=(r"^mis a jour le \d+",))
        assert hits(watch, TITLE, "Mis à jour le 23 mai 2024 07:58") is not None
        assert hits(watch, TITLE + " Mis à jour le 23 mai") is None

    def test_regex_or_keyword_suffices(self) -> None:
        watch = Watch("k", ("Japon",), regex=(r"\bseoul\b", r"\bcoree\b"))
        assert hits(watch, TITLE) == (r"\bcoree\b",)
        assert hits(watch, "Le Japon et l’OTAN") == ("Japon",)

    @pytest.mark.parametrize("pattern", [r"(?:otan|nato) (?:summit|sommet)", r"sommets?",
                                         r"\bsom+et\b", r"(sommet){1,2}", r"(?i:SOMMET)"])
    def test_every_shape_of_pattern_still_matches(self, pattern: str) -> None:
        assert hits(Watch("k", regex=(pattern,)), "Le NATO Sommet de Vilnius") == (pattern,)


class TestExact:
    """Exact terms keep case and accents, as whole words, on the text as written."""

    def test_exact_case(self) -> None:
        watch = Watch("k", exact=("US",))
        assert hits(watch, "US forces in the Indo-Pacific") == ("US",)
        assert hits(watch, "Between us, the USA and the Us") is None

    def test_exact_accents(self) -> None:
        watch = Watch("k", exact=("Séoul",))
        assert hits(watch, "Réunion à Séoul") == ("Séoul",)
        assert hits(watch, "Reunion a Seoul") is None

    def test_exact_ignores_typography(self) -> None:
        watch = Watch("k", exact=("Dacian-Tiberiu Șerban", "NATO"))
        assert hits(watch, "Dacian Tiberiu Şerban said NATO’s partners") == (
            "Dacian-Tiberiu Șerban", "NATO")

    def test_exact_spots_words_hidden_by_invisible_characters(self) -> None:
        assert hits(Watch("k", exact=("NATO",)), "N\u00adA\u200bTO partners") == ("NATO",)

    def test_exact_is_any_of_with_keywords(self) -> None:
        watch = Watch("k", ("Japon",), exact=("US",))
        assert hits(watch, "US and ROK drills") == ("US",)
        assert hits(watch, "Le Japon et l’OTAN") == ("Japon",)


class TestEmptyKeywords:
    """Without keywords a watch matches every item, unless regexes or exact terms decide."""

    def test_no_terms_match_everything(self) -> None:
        assert hits(Watch("k"), "Anything at all") == ()

    def test_no_keywords_still_obey_all_and_exclude(self) -> None:
        watch = Watch("k", all=("OTAN",), exclude=("Russie",))
        assert hits(watch, TITLE) == ("OTAN",)
        assert hits(watch, TITLE, "la Russie") is None

    def test_regexes_alone_decide(self) -> None:
        assert hits(Watch("k", regex=(r"\bseoul\b",)), TITLE) is None

    def test_exact_terms_alone_decide(self) -> None:
        assert hits(Watch("k", exact=("ROK",)), TITLE) is None


class TestTerms:
    """Matched terms come as configured, in config order, without repeats."""

    def test_config_order_not_text_order(self) -> None:
        watch = Watch("k", ("Indo-Pacifique", "Republic of Korea", "Corée"),
                      all=("Corée", "NATO"), regex=(r"\bserban\b",), exact=("NATO",))
        assert hits(watch, TITLE, SUMMARY, CONTENT) == (
            "Indo-Pacifique", "Republic of Korea", "Corée", "NATO", r"\bserban\b")

    def test_overlapping_keywords_both_reported(self) -> None:
        watch = Watch("k", ("République de Corée", "Corée"))
        assert hits(watch, TITLE) == ("République de Corée", "Corée")

    def test_watches_in_config_order_and_only(self) -> None:
        matcher = Matcher([Watch("b", ("OTAN",)), Watch("a", ("Corée",)), Watch("c", ("Japon",))])
        assert list(matcher.match(TITLE, "", "")) == ["b", "a"]
        assert matcher.match(TITLE, "", "", only=["a", "c"]) == {"a": ("Corée",)}
        assert matcher.match(TITLE, "", "", only=()) == {}


class TestProblems:
    """A watch that can never work is refused with every reason, naming its key."""

    def test_bad_terms_listed(self) -> None:
        watch = Watch("k", ("OTAN", "’"), regex=("(otan", "coré?e"), exact=("–",))
        problems = watch_problems(watch)
        assert [p.split(":")[0] for p in problems] == ["keywords[1]", "exact[0]", "regex[0]",
                                                      "regex[1]"]
        with pytest.raises(ValueError, match="watch 'k': keywords\\[1\\]"):
            Matcher([watch])

    def test_good_watch_has_none(self) -> None:
        assert watch_problems(Watch("k", ("OTAN",), regex=(r"\bcoree\b", r"\W\D"))) == []


class TestDescribeMatch:
    """A revision says whether the watched terms were added, kept or removed."""

    def test_added(self) -> None:
        assert describe_match({}, {"korea": ("Corée",)}) == ("added", {"korea": ("Corée",)})

    def test_kept_with_other_terms(self) -> None:
        status, terms = describe_match({"korea": ("Corée",)}, {"korea": ("Indo-Pacifique",)})
        assert (status, terms) == ("kept", {"korea": ("Indo-Pacifique",)})

    def test_removed_reports_previous_terms(self) -> None:
        assert describe_match({"korea": ("Corée",)}, {}) == ("removed", {"korea": ("Corée",)})

    def test_added_wins_over_removed(self) -> None:
        status, terms = describe_match({"korea": ("Corée",)}, {"japan": ("Japon",)})
        assert (status, terms) == ("added", {"korea": ("Corée",), "japan": ("Japon",)})

    def test_kept_wins_over_removed(self) -> None:
        status, _ = describe_match({"korea": ("Corée",), "japan": ("Japon",)},
                                   {"korea": ("Corée",)})
        assert status == "kept"

    def test_nothing_matched(self) -> None:
        with pytest.raises(ValueError):
            describe_match({}, {})


TRICKY = [("mise en œuvre", "mise en oeuvre"), ("Straße", "Strasse"), ("Șerban", "Şerban"),
          ("cyberdéfense", "cyber\u00addéfense"), ("Corée", "Co\u200brée"), ("l’OTAN", "l'OTAN"),
          ("Indo–Pacifique", "Indo-Pacifique"), ("Corée\u00a0du Sud", "Corée du Sud"),
          ("Corée\u2028du Sud", "Corée du Sud"), ("ŒUVRE", "oeuvre")]


class TestFoldAgreement:
    """A keyword written one way finds text written the other way, for tricky characters."""

    @pytest.mark.parametrize(("one", "other"), TRICKY)
    def test_both_ways(self, one: str, other: str) -> None:
        assert fold(one) == fold(other)
        assert hits(Watch("k", (one,)), f"Texte : {other}.") == (one,)
        assert hits(Watch("k", (other,)), f"Texte : {one}.") == (other,)


@cache
def reference_table() -> dict[int, str | None]:
    """The translation table `fold` was first written with."""
    table: dict[int, str | None] = {c: None for c in range(0x80, 0x30000)
                                    if unicodedata.category(chr(c)) == "Mn"}
    table |= {ord(c): None for c in INVISIBLE} | {ord(c): " " for c in DASHES + APOSTROPHES}
    return table | {ord(c): r for c, r in {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ø": "o",
                                           "Ø": "o", "đ": "d", "Đ": "d", "ł": "l", "Ł": "l",
                                           "ß": "ss", "ẞ": "ss", "ı": "i"}.items()}


def reference_fold(text: str) -> str:
    """`fold` as first written, one str.translate: what the faster `fold` must still return."""
    text = unicodedata.normalize("NFKD", text).translate(reference_table()).casefold()
    return re.sub(r"\s+", " ", text).strip()


class TestFoldSpeedUp:
    """The faster `fold` returns what the original one did, for every character."""

    def test_every_code_point(self) -> None:
        # Starters around each character keep NFKD from reordering across the samples.
        for start in range(0, min(sys.maxunicode, 0x2FFFF) + 1, 4096):
            sample = "".join(f"a{chr(c)}b{chr(c)}-’ " for c in range(start, start + 4096)
                             if not 0xD800 <= c <= 0xDFFF)
            assert fold(sample) == reference_fold(sample), hex(start)

    def test_realistic_text(self) -> None:
        text = f"{TITLE}\n\n  {SUMMARY}\u2028{CONTENT}\u00a0— Ⅳ ½ ﬁn ǅ "
        assert fold(text) == reference_fold(text)
