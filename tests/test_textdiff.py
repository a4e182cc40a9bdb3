"""Word differences of long texts: still word by word where a sentence changed, bounded work
where the texts have little in common, and never a character lost or added."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from notifiers import textdiff
from notifiers.textdiff import mark_html, mark_text

SENTENCES = [
    "Le 14 mai 2024, l’OTAN a accueilli la République de Corée à Bruxelles.",
    "Il a principalement été question du partenariat OTAN-République de Corée.",
    "Les ministres des Affaires étrangères se réunissent à Washington.",
    "Mis à jour le 23 mai 2024.",
    "La coopération en cyberdéfense et dans l’espace sera renforcée.",
    "Les Alliés saluent la contribution de Séoul à la sécurité de l’Indo-Pacifique.",
]


def article(count: int) -> str:
    """About `count` sentences of NATO-style French prose, in paragraphs of four."""
    sentences = [SENTENCES[i % len(SENTENCES)].replace("2024", str(1990 + i))
                 for i in range(count)]
    return "\n\n".join(" ".join(sentences[i:i + 4]) for i in range(0, count, 4))


def sides(before: str, after: str) -> tuple[str, str]:
    """Both texts back from `mark_html`: tags dropped, entities decoded."""
    old, new = mark_html(before, after)
    return (html.unescape(re.sub(r"</?(del|ins)>", "", str(old))),
            html.unescape(re.sub(r"</?(del|ins)>", "", str(new))))


class TestLongTexts:
    """Past the word budget, sentences are compared first, then words inside changed ones."""

    def test_one_date_changed_in_a_long_article_is_marked_alone(self) -> None:
        before = article(60)
        assert len(textdiff._tokens(before)) ** 2 > textdiff.WORD_BUDGET
        after = before.replace("Mis à jour le 23 mai 2011.", "Mis à jour le 24 mai 2011.")
        assert after != before
        marked = mark_text(before, after)
        assert "Mis à jour le [-23-]{+24+} mai 2011." in marked
        assert marked.count("[-") == 1 and marked.count("{+") == 1

    def test_a_sentence_added_in_the_middle(self) -> None:
        before = article(40)
        cut = before.index("Mis à jour le 23 mai 2011.")
        added = "Une déclaration commune a été signée. "
        after = before[:cut] + added + before[cut:]
        assert mark_text(before, after).count("{+") == 1
        assert "{+Une déclaration commune a été signée.+}" in mark_text(before, after)

    def test_texts_with_nothing_in_common_are_replaced_whole(self) -> None:
        before, after = "Corée " * 700, "Japon. " * 600
        assert mark_text(before, after) == f"[-{before.strip()}-] {{+{after.strip()}+}} "

    def test_repetitive_texts_keep_every_character(self) -> None:
        before = "TITRE <!channel> " * 300
        after = before[::-1]
        assert sides(before, after) == (before, after)


class TestNoTextLost:
    """Whatever the texts, the marked versions give back exactly what was compared."""

    @settings(max_examples=60, deadline=None)
    @given(st.lists(st.sampled_from(SENTENCES + ["\n\n", " ", "Corée", "…", "!"]), max_size=120),
           st.lists(st.sampled_from(SENTENCES + ["\n\n", " ", "Japon", ";"]), max_size=120))
    def test_both_sides_are_given_back(self, a: list[str], b: list[str]) -> None:
        before, after = " ".join(a), " ".join(b)
        assert sides(before, after) == (before, after)
