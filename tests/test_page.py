"""monitor.page: article extraction, page dates and page-revision diffs (following pages)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.page import (
    PAGE_RULES_VERSION,
    PageSnapshot,
    diff_pages,
    extract_page,
    page_fingerprint,
)

PAGES = Path(__file__).parent / "data" / "pages"
URL_FR = "https://www.nato.int/cps/fr/natohq/news_225658.htm"
URL_EN = "https://www.nato.int/cps/en/natohq/news_225655.htm"
BRUSSELS = "Europe/Brussels"


def html(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


def page(source: str | bytes, url: str = URL_FR, timezone: str = BRUSSELS) -> PageSnapshot:
    """Extract a fixture by name, or inline HTML."""
    markup = html(source) if isinstance(source, str) and source.endswith(".html") else source
    return extract_page(markup, url=url, timezone=timezone)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def snapshot(*paragraphs: str, title: str = "Titre",
             modified: datetime | None = None) -> PageSnapshot:
    return PageSnapshot(title=title, paragraphs=paragraphs, published=None, modified=modified,
                        modified_source=None if modified is None else "visible")


def article(body: str, head: str = "") -> str:
    """A small page: header and footer chrome around an article."""
    return (f"<html><head><meta charset='utf-8'>{head}</head><body>"
            "<header><nav><a href='/'>Accueil</a> <a href='/news'>Actualités</a></nav></header>"
            f"<main><article><h1>L’OTAN et la République de Corée</h1>{body}"
            "<p>Le 14 mai 2024, l’OTAN a accueilli la République de Corée à Bruxelles.</p>"
            "</article></main><footer><p>© OTAN 2024</p></footer></body></html>")


LANGUAGES = [("fr", URL_FR), ("en", URL_EN)]


class TestExtraction:
    """The article's title and paragraphs come out, in order, and no site chrome with them."""

    @pytest.mark.parametrize(("lang", "url"), LANGUAGES)
    def test_golden_text(self, lang: str, url: str) -> None:
        expected = html(f"nato-{lang}-original.expected.txt").split("\n\n", 1)
        got = page(f"nato-{lang}-original.html", url)
        assert got.title == expected[0]
        assert got.text == expected[1].strip()

    def test_french_paragraphs_keep_their_characters(self) -> None:
        got = page("nato-fr-original.html")
        assert len(got.paragraphs) == 8
        assert got.paragraphs[0].startswith("Le 14 mai 2024, l’OTAN a accueilli la République")
        assert got.paragraphs[2].endswith("Dacian-Tiberiu Șerban, directeur de la Division "
                                          "Sécurité coopérative, a rencontré son homologue "
                                          "coréenne, conduite par le contre-amiral Dong Goo "
                                          "Kang, directeur de la Division Stratégie et plans de "
                                          "l’État-major général.")
        assert "plan de mise en œuvre militaire" in got.paragraphs[3]

    @pytest.mark.parametrize(("name", "chrome"), [
        ("nato-fr-original.html", [
            "Accueil", "Thèmes", "Rechercher", "English", "cookies", "Tout accepter", "Vu 1234",
            "Facebook", "LinkedIn", "Imprimer", "courriel", "Articles connexes",
            "Comité militaire", "Mis à jour", "14 May. 2024", "Page générée", "© OTAN",
            "Aller au contenu", "web03", "dataLayer"]),
        ("nato-en-original.html", [
            "Home", "Official texts", "cookies", "I agree", "Viewed", "1,234", "Facebook",
            "Print", "E-mail", "comments", "Good to see", "J. Smith", "More news",
            "Military Committee meets", "Last updated", "14 May. 2024", "rendered",
            "Page generated", "© NATO", "NATO_RENDER"]),
    ])
    def test_no_chrome(self, name: str, chrome: list[str]) -> None:
        text = page(name).text
        assert [word for word in chrome if word in text] == []

    def test_inline_markup_does_not_split_words(self) -> None:
        got = page(article("<p>Entretiens avec la République de Co<span>rée</span> "
                           "et ses <b>partenaires</b> de l’<a href='/ip'>Indo-Pacifique</a>.</p>"))
        assert got.paragraphs[0] == ("Entretiens avec la République de Corée et ses partenaires "
                                     "de l’Indo-Pacifique.")

    def test_counter_and_read_also_lines_are_dropped(self) -> None:
        got = page(article("<p>Vu 12 345 fois</p><p>Lire aussi : <a href='/x'>Le sommet</a></p>"
                           "<p>1 234 vues</p>"))
        assert got.paragraphs == ("Le 14 mai 2024, l’OTAN a accueilli la République de Corée à "
                                  "Bruxelles.",)

    def test_undeclared_bytes_are_utf8_and_declared_ones_honoured(self) -> None:
        body = article("<p>Accord conclu à Séoul sur la coopération militaire.</p>")
        assert page(body.replace("<meta charset='utf-8'>", "").encode()).paragraphs[0] == \
            "Accord conclu à Séoul sur la coopération militaire."
        latin = body.replace("utf-8", "windows-1252").encode("cp1252", errors="replace")
        assert "Séoul" in page(latin).paragraphs[0]

    def test_empty_and_pathological_documents(self) -> None:
        assert page("").paragraphs == ()
        assert page(b"\x00\xff not html").title == ""
        nested = "<div>" * 5000 + "<p>Texte tout au fond de la page, très profond.</p>" + \
            "</div>" * 5000
        page(nested)  # no RecursionError

    def test_unknown_timezone_is_a_value_error(self) -> None:
        with pytest.raises(ValueError, match="Mars/Olympus"):
            page("nato-fr-original.html", timezone="Mars/Olympus")


class TestDates:
    """Each date form reads as the right UTC instant; zone-less dates in the given timezone."""

    @pytest.mark.parametrize(("name", "modified", "source", "published"), [
        # 23 May 2024 07:58 in Brussels (CEST) is 05:58Z; a day alone is midnight there.
        ("fr-nato.html", utc(2024, 5, 23, 5, 58), "visible", utc(2024, 5, 13, 22)),
        ("fr-mai.html", utc(2024, 5, 22, 22), "visible", utc(2024, 5, 13, 22)),
        ("fr-numeric.html", utc(2024, 5, 23, 5, 58), "visible", utc(2024, 5, 14, 14, 30)),
        ("en-colon.html", utc(2024, 5, 22, 22), "visible", utc(2024, 5, 13, 22)),
        ("en-last.html", utc(2024, 5, 23, 5, 58), "visible", utc(2024, 5, 13, 22)),
        ("en-on.html", utc(2024, 5, 22, 22), "visible", utc(2024, 5, 13, 22)),
        ("meta.html", utc(2024, 5, 23, 5, 58), "article:modified_time", utc(2024, 5, 14, 14, 30)),
        ("jsonld.html", utc(2024, 5, 23, 5, 58), "json-ld", utc(2024, 5, 14, 14, 30)),
        ("time.html", utc(2024, 5, 23, 5, 58), "time", utc(2024, 5, 14, 14, 30)),
    ])
    def test_date_forms(self, name: str, modified: datetime, source: str,
                        published: datetime) -> None:
        got = page(f"dates/{name}")
        assert (got.modified, got.modified_source, got.published) == (modified, source, published)
        assert got.modified is not None and got.modified.utcoffset() is not None
        assert len(got.paragraphs) == 2  # the date line is not article text

    def test_nato_pages(self) -> None:
        for name in ("nato-fr-original.html", "nato-en-original.html"):
            got = page(name)
            assert (got.modified, got.modified_source) == (utc(2024, 5, 23, 5, 58), "visible")
            assert got.published == utc(2024, 5, 14, 14, 30)  # JSON-LD before the date line

    def test_zone_less_dates_default_to_utc(self) -> None:
        assert page("dates/fr-nato.html", timezone="UTC").modified == utc(2024, 5, 23, 7, 58)
        assert page("dates/fr-nato.html", timezone="Asia/Seoul").modified == \
            utc(2024, 5, 22, 22, 58)

    @pytest.mark.parametrize(("line", "expected"), [
        ("Updated: 23 May 2024 07:58 UTC", utc(2024, 5, 23, 7, 58)),
        ("Updated: 23 May 2024 07:58 +01:00", utc(2024, 5, 23, 6, 58)),
        ("Updated on May 23, 2024 at 7:58 p.m.", utc(2024, 5, 23, 17, 58)),
        ("MàJ le 1er juin 2024 à 9 h 05", utc(2024, 6, 1, 7, 5)),
        ("Dernière mise à jour : 5 févr. 2024", utc(2024, 2, 4, 23)),  # CET in winter
        ("Mis à jour le 05/23/2024", utc(2024, 5, 22, 22)),  # month first only when forced
        ("Mis à jour le 31/02/2024 — Publié le 14 mai 2024", None),  # no such day
    ])
    def test_visible_variants(self, line: str, expected: datetime | None) -> None:
        assert page(article(f"<p class='date'>{line}</p>")).modified == expected

    def test_order_visible_meta_json_ld_time(self) -> None:
        meta = "<meta property='article:modified_time' content='2024-05-02T10:00:00Z'>"
        json_ld = ("<script type='application/ld+json'>{\"@type\": \"NewsArticle\", "
                   "\"dateModified\": \"2024-05-03T10:00:00Z\"}</script>")
        visible = "<p>Mis à jour le 1/05/2024 à 12h00</p>"
        time = "<p><time class='updated' datetime='2024-05-04T10:00:00Z'>4 mai</time></p>"
        sources = [visible, meta, json_ld, time]
        expected = [(utc(2024, 5, 1, 10), "visible"),
                    (utc(2024, 5, 2, 10), "article:modified_time"),
                    (utc(2024, 5, 3, 10), "json-ld"), (utc(2024, 5, 4, 10), "time")]
        for present in range(4):
            head = "".join(s for s in sources[present:] if s in (meta, json_ld))
            body = "".join(s for s in sources[present:] if s not in (meta, json_ld))
            got = page(article(body, head))
            assert (got.modified, got.modified_source) == expected[present]

    def test_json_ld_of_this_page_is_chosen(self) -> None:
        other = ("{\"@type\": \"NewsArticle\", \"url\": \"https://www.nato.int/other.htm\", "
                 "\"dateModified\": \"2023-01-01T00:00:00Z\"}")
        mine = ("{\"@type\": \"NewsArticle\", \"mainEntityOfPage\": {\"@id\": \"" + URL_FR +
                "\"}, \"dateModified\": \"2024-05-23T05:58:00Z\"}")
        head = f"<script type='application/ld+json'>[{other}, {mine}]</script>"
        head += "<script type='application/ld+json'>{broken</script>"
        assert page(article("", head)).modified == utc(2024, 5, 23, 5, 58)

    def test_sentences_and_related_dates_are_not_the_page_date(self) -> None:
        got = page(article("<p>The report was updated on 3 March 2024.</p>"
                           "<aside><p>Updated: 1 June 2023</p></aside>"))
        assert got.modified is None
        assert "The report was updated on 3 March 2024." in got.paragraphs


class TestRevision:
    """A revised page yields page_modified and a page_text holding only the reworded paragraph."""

    @pytest.mark.parametrize(("lang", "url", "old", "new"), [
        ("fr", URL_FR, "Cette collaboration, née en 2005, porte sur différents domaines",
         "Cette collaboration, engagée en 2005, s’étend à plusieurs domaines"),
        ("en", URL_EN, "This cooperation, which began in 2005, covers areas such as",
         "This cooperation, which dates back to 2005, spans areas such as"),
    ])
    def test_revision(self, lang: str, url: str, old: str, new: str) -> None:
        before = page(f"nato-{lang}-original.html", url)
        after = page(f"nato-{lang}-revised.html", url)
        result = diff_pages(before, after)
        assert (result.text_changed, result.date_moved) == (True, True)
        assert [c.field for c in result.changes] == ["page_modified", "page_text"]
        moved, text = result.changes
        assert (moved.before, moved.after) == ("2024-05-23T05:58:00Z", "2024-05-27T08:15:00Z")
        assert text.before is not None and text.after is not None
        changed = [p for p in before.paragraphs if old in p]
        assert text.before.split("\n\n") == ["…", *changed, "…"]
        assert text.after.split("\n\n") == ["…", *[p for p in after.paragraphs if new in p], "…"]
        assert page_fingerprint(before) != page_fingerprint(after)

    def test_non_adjacent_changes_and_title(self) -> None:
        before = snapshot("Un.", "Deux.", "Trois.", "Quatre.", title="Titre")
        after = snapshot("Un.", "Deux bis.", "Trois.", "Quatre bis.", title="Titre")
        text = diff_pages(before, after).changes[0]
        assert (text.before, text.after) == ("…\n\nDeux.\n\n…\n\nQuatre.",
                                             "…\n\nDeux bis.\n\n…\n\nQuatre bis.")
        retitled = diff_pages(before, replace(before, title="Nouveau titre"))
        assert retitled.text_changed
        assert retitled.changes[0].after == "Nouveau titre\n\n…"

    def test_each_side_is_capped(self) -> None:
        long = " ".join(["mot"] * 3000)
        result = diff_pages(snapshot(long + " fin."), snapshot(long + " suite."))
        text = result.changes[0]
        assert text.before is not None and text.after is not None
        assert 0 < len(text.before) <= 4096 and 0 < len(text.after) <= 4096
        assert text.after.endswith("suite.")

    def test_paragraph_added(self) -> None:
        result = diff_pages(snapshot("Un."), snapshot("Un.", "Deux."))
        assert result.text_changed
        assert result.changes[0].after == "…\n\nDeux."


class TestBoilerplateReload:
    """A reload differing only in site chrome (links, counter, render time, banner) is no change."""

    @pytest.mark.parametrize(("lang", "url"), LANGUAGES)
    def test_reload(self, lang: str, url: str) -> None:
        assert html(f"nato-{lang}-original.html") != html(f"nato-{lang}-reload.html")
        before = page(f"nato-{lang}-original.html", url)
        after = page(f"nato-{lang}-reload.html", url)
        result = diff_pages(before, after)
        assert (result.changes, result.text_changed, result.date_moved) == ((), False, False)
        assert page_fingerprint(before) == page_fingerprint(after)


class TestVolatileDate:
    """A modified date that moves while the text stays is reported, with text_changed False."""

    def test_date_only_move(self) -> None:
        original = html("nato-fr-original.html")
        moved = original.replace("Mis à jour le: 23 May. 2024 07:58",
                                  "Mis à jour le: 24 May. 2024 09:30")
        assert moved != original
        before, after = page(original), page(moved)
        result = diff_pages(before, after)
        assert (result.text_changed, result.date_moved) == (False, True)
        assert [c.field for c in result.changes] == ["page_modified"]
        assert result.changes[0].after == "2024-05-24T07:30:00Z"
        assert page_fingerprint(before) == page_fingerprint(after)

    def test_relative_times_in_a_byline(self) -> None:
        original = html("dates/time.html")
        later = original.replace("2024-05-23T07:58", "2024-05-23T09:58").replace(
            "2 hours ago", "3 minutes ago").replace("9 days ago", "10 days ago")
        result = diff_pages(page(original), page(later))
        assert (result.text_changed, result.date_moved) == (False, True)


class TestCosmetic:
    """Differences that vanish under fold, markup and paragraph breaks are not changes."""

    @pytest.mark.parametrize(("old", "new"), [
        ("l’OTAN a accueilli", "l'OTAN a accueilli"),
        ("partenariat OTAN-République", "partenariat OTAN\u2011République"),
        ("renforcement de la résilience", "renforce\u00adment de la rési\u200blience"),
        ("Dacian-Tiberiu Șerban", "Dacian–Tiberiu Şerban"),  # en dash; S with cedilla
    ])
    def test_cosmetic_characters(self, old: str, new: str) -> None:
        original = html("nato-fr-original.html")
        before, after = page(original), page(original.replace(old, new))
        assert before.paragraphs != after.paragraphs  # kept as written, compared folded
        result = diff_pages(before, after)
        assert (result.changes, result.text_changed) == ((), False)
        assert page_fingerprint(before) == page_fingerprint(after)

    @pytest.mark.parametrize(("old", "new"), [
        ("<p>Le 14 mai 2024,", "<p>\n        Le <span>14</span>&nbsp;mai   2024,"),
        ("</p>\n      <figure class=\"image\">", " </p><!-- v2 -->\n<figure class=\"image\">"),
    ])
    def test_markup_and_spacing(self, old: str, new: str) -> None:
        original = html("nato-fr-original.html")
        assert old in original
        assert page(original.replace(old, new)) == page(original)

    def test_paragraph_split_is_not_a_change(self) -> None:
        first, second = "Le 14 mai, l’OTAN a accueilli la Corée.", "Il y fut question de Séoul."
        before, after = snapshot(f"{first} {second}"), snapshot(first, second)
        assert not diff_pages(before, after).text_changed

    def test_ignore_text(self) -> None:
        before, after = snapshot("Bruxelles. Vu 12 fois."), snapshot("Bruxelles. Vu 13 fois.")
        ignore = [re.compile(r"vu \d+ fois")]
        assert diff_pages(before, after).text_changed
        assert diff_pages(before, after, ignore=ignore).changes == ()
        assert page_fingerprint(before, ignore=ignore) == page_fingerprint(after, ignore=ignore)


class TestFingerprint:
    """The fingerprint covers title and folded text, not dates, and names its rules version."""

    def test_fingerprint(self) -> None:
        base = snapshot("L’OTAN accueille la Corée.", modified=utc(2024, 5, 23))
        assert page_fingerprint(base).startswith(f"p{PAGE_RULES_VERSION}:")
        assert page_fingerprint(base) == page_fingerprint(replace(base, modified=utc(2025, 1, 1)))
        assert page_fingerprint(base) == page_fingerprint(
            replace(base, paragraphs=("L'OTAN accueille la Coree.",)))
        assert page_fingerprint(base) != page_fingerprint(replace(base, title="Autre titre"))
        assert page_fingerprint(base) != page_fingerprint(
            replace(base, paragraphs=("L’OTAN accueille le Japon.",)))


class TestArticleArea:
    """The article is found without semantic markup, and a logo h1 does not widen it."""

    def test_logo_h1_and_h2_title(self) -> None:
        body = "".join(f"<p>Paragraphe {i} de l’article sur la coopération avec la Corée.</p>"
                       for i in range(4))
        markup = ("<html><head><meta property='og:title' content='Coopération OTAN-Corée'></head>"
                  "<body><div id='page'><div class='top'><h1><a href='/'>OTAN</a></h1>"
                  "<p class='baseline'>L’actualité de l’Alliance, chaque jour, en français.</p>"
                  "</div><div class='a'><div class='b'><div class='c'><div class='d'>"
                  f"<h2>Coopération OTAN-Corée</h2>{body}</div></div></div></div></div>"
                  "</body></html>")
        got = page(markup)
        assert got.title == "Coopération OTAN-Corée"  # og:title, which the h2 repeats
        assert [p[:12] for p in got.paragraphs] == ["Paragraphe 0", "Paragraphe 1",
                                                    "Paragraphe 2", "Paragraphe 3"]
