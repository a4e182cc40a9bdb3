"""Text reduction, link normalisation and dates: the normal forms that change detection uses."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from monitor.normalize import (
    normalize_link,
    reduce_html,
    reduce_text,
    reduce_title,
    safe_display_link,
    to_utc,
)


class TestReduceHtml:
    """HTML becomes the text a reader sees, with breaks only at block elements."""

    def test_inline_markup_does_not_split_words(self) -> None:
        assert reduce_html("République de Co<span class='hl'>rée</span>") == "République de Corée"

    def test_block_elements_separate_paragraphs(self) -> None:
        html = "<div><p>Premier  paragraphe.</p>\n<p>Second\n paragraphe.</p></div>"
        assert reduce_html(html) == "Premier paragraphe.\n\nSecond paragraphe."

    def test_line_breaks_and_list_items_are_breaks(self) -> None:
        assert reduce_html("a<br>b<ul><li>c</li><li>d</li></ul>") == "a\n\nb\n\nc\n\nd"

    def test_markup_only_edits_give_the_same_text(self) -> None:
        before = "<p>L’OTAN accueille la <b>République de Corée</b>.</p>"
        after = "<div>\n  <p>L’OTAN accueille la <strong>République</strong> de Corée.</p>\n</div>"
        assert reduce_html(before) == reduce_html(after)

    def test_entities_are_decoded(self) -> None:
        html = "l&rsquo;OTAN &amp; la R&eacute;publique&nbsp;de Cor&#233;e &#x2014; &laquo;&raquo;"
        assert reduce_html(html) == "l’OTAN & la République de Corée — «»"

    def test_scripts_styles_and_comments_are_dropped(self) -> None:
        html = ("<style>p{color:red}</style><p>Texte<!-- note -->visible</p>"
                "<script>alert('x')</script><noscript>js</noscript> fin")
        assert reduce_html(html) == "Textevisible\n\nfin"

    def test_table_cells_are_separated_by_a_space(self) -> None:
        assert reduce_html("<table><tr><td>Séoul</td><td>2024</td></tr></table>") == "Séoul 2024"

    def test_result_is_nfc(self) -> None:
        decomposed = "Re\u0301publique de Core\u0301e"
        assert reduce_html(f"<p>{decomposed}</p>") == "République de Corée"
        assert reduce_html(decomposed) == "République de Corée"

    def test_line_breaks_in_html_text_are_spaces(self) -> None:
        assert reduce_html("Un.\n\nDeux.") == reduce_html("Un.\n\n<b>Deux.</b>") == "Un. Deux."

    def test_text_that_only_looks_like_markup_is_kept(self) -> None:
        assert reduce_html("a < b et c > d") == "a < b et c > d"

    def test_empty_and_comment_only_inputs_give_empty_text(self) -> None:
        assert reduce_html("") == ""
        assert reduce_html("<!-- rien -->") == ""
        assert reduce_html("<p>  </p>") == ""

    def test_control_characters_are_dropped(self) -> None:
        assert reduce_html("<p>Co\x00r\x08ée</p>") == "Corée"


class TestReduceText:
    """Plain text is collapsed the same way, keeping paragraph breaks."""

    def test_whitespace_collapses_within_paragraphs(self) -> None:
        assert reduce_text("  Le  14 mai\n2024,\tl’OTAN  ") == "Le 14 mai 2024, l’OTAN"

    def test_blank_lines_separate_paragraphs(self) -> None:
        text = "Un.\r\n\r\nDeux\r\ntrois.\n \n\nQuatre."
        assert reduce_text(text) == "Un.\n\nDeux trois.\n\nQuatre."

    def test_nfc(self) -> None:
        assert reduce_text("Core\u0301e") == "Corée"


class TestReduceTitle:
    """Titles are one line: CR/LF and paragraph breaks become spaces."""

    def test_line_breaks_collapse(self) -> None:
        assert reduce_title("Entretiens\r\nOTAN –\n\nRépublique de Corée") == (
            "Entretiens OTAN – République de Corée")

    def test_html_title(self) -> None:
        assert reduce_title("NATO hosts the <em>Republic\nof Korea</em>", html=True) == (
            "NATO hosts the Republic of Korea")

    def test_plain_title_keeps_angle_brackets(self) -> None:
        assert reduce_title("<b> is bold") == "<b> is bold"


class TestNormalizeLink:
    """One normal form per link, for identity and fingerprint."""

    @pytest.mark.parametrize(("a", "b"), [
        ("http://www.nato.int/cps/fr/natohq/news_225946.htm",
         "https://nato.int/cps/fr/natohq/news_225946.htm"),
        ("HTTPS://WWW.NATO.INT/cps/", "https://nato.int/cps"),
        ("https://nato.int:443/a", "https://nato.int/a"),
        ("http://nato.int:80/a", "https://nato.int/a"),
        ("https://nato.int", "https://nato.int/"),
        ("https://nato.int/a/b/", "https://nato.int/a/b"),
        ("https://nato.int/a/./c/../b", "https://nato.int/a/b"),
        ("https://nato.int/news#comments", "https://nato.int/news"),
        ("https://nato.int/%7Euser/caf%c3%a9", "https://nato.int/~user/café"),
        ("https://nato.int/a b", "https://nato.int/a%20b"),
        ("https://nato.int/n?b=2&a=1", "https://nato.int/n?a=1&b=2"),
        ("  https://nato.int/n\n", "https://nato.int/n"),
        ("https://nato.int/n?utm_source=rss&utm_medium=feed&xtor=RSS-1&at_medium=x&fbclid=1"
         "&gclid=2&mc_cid=3&mc_eid=4&_hsenc=5&_hsmi=6&mkt_tok=7&igshid=8&yclid=9&ref_src=twsrc",
         "https://nato.int/n"),
        ("https://nato.int/n?id=5&UTM_Source=x", "https://nato.int/n?id=5"),
        ("https://bücher.example/a", "https://xn--bcher-kva.example/a"),
    ])
    def test_equivalent_links_normalise_alike(self, a: str, b: str) -> None:
        assert normalize_link(a) == normalize_link(b)

    def test_normal_form(self) -> None:
        link = "http://www.NATO.int:80/cps/fr/natohq/news_225946.htm?selectedLocale=fr&utm_source=rss#top"
        assert normalize_link(link) == "https://nato.int/cps/fr/natohq/news_225946.htm?selectedLocale=fr"

    @pytest.mark.parametrize(("a", "b"), [
        ("https://nato.int/news?id=1", "https://nato.int/news?id=2"),
        ("https://nato.int/News", "https://nato.int/news"),
        ("https://nato.int/a%2Fb", "https://nato.int/a/b"),
        ("https://nato.int:8443/a", "https://nato.int/a"),
        ("https://www2.nato.int/a", "https://nato.int/a"),
        ("https://nato.int/n?ref=home", "https://nato.int/n"),
    ])
    def test_different_resources_stay_different(self, a: str, b: str) -> None:
        assert normalize_link(a) != normalize_link(b)

    def test_escapes_are_upper_cased(self) -> None:
        assert normalize_link("https://nato.int/a%2fb?q=x%2cy") == "https://nato.int/a%2Fb?q=x%2Cy"

    def test_repeated_parameters_keep_their_order(self) -> None:
        assert normalize_link("https://n.int/?b=1&a=2&a=1") == "https://n.int/?a=2&a=1&b=1"

    @pytest.mark.parametrize("url", [
        "javascript:alert(1)", "JavaScript:alert(1)", "mailto:press@hq.nato.int",
        "ftp://nato.int/file", "data:text/html,hi", "/relative/path", "//nato.int/x", "",
        None, "https://", "https://nato.int:99999/a",
    ])
    def test_anything_but_http_is_none(self, url: str | None) -> None:
        assert normalize_link(url) is None


class TestSafeDisplayLink:
    """Display links are the feed's own http(s) links, nothing else."""

    def test_http_links_are_kept_as_given(self) -> None:
        link = "http://www.nato.int/cps/fr/natohq/news_225946.htm?selectedLocale=fr#x"
        assert safe_display_link(f" {link}\n") == link

    def test_tracking_parameters_are_dropped_for_people(self) -> None:
        link = "http://www.nato.int/a.htm?utm_source=rss&selectedLocale=fr&xtor=RSS-3#x"
        assert safe_display_link(link) == "http://www.nato.int/a.htm?selectedLocale=fr#x"
        assert safe_display_link("https://nato.int/a?utm_medium=feed") == "https://nato.int/a"

    @pytest.mark.parametrize("url", [
        "javascript:alert(1)", "data:text/html,x", "mailto:a@b.c", "https:///x", None, "",
        "https://nato.int/a\r\nBcc: x@example.com",
    ])
    def test_unsafe_links_are_none(self, url: str | None) -> None:
        assert safe_display_link(url) is None


class TestToUtc:
    """Dates become UTC instants; a date without a zone is read in the feed's time zone."""

    @pytest.mark.parametrize(("raw", "expected"), [
        ("Thu, 23 May 2024 07:58:00 GMT", datetime(2024, 5, 23, 7, 58, tzinfo=UTC)),
        ("Thu, 23 May 2024 07:58:00 +0200", datetime(2024, 5, 23, 5, 58, tzinfo=UTC)),
        ("Thu, 23 May 2024 07:58:00 EDT", datetime(2024, 5, 23, 11, 58, tzinfo=UTC)),
        ("Thu, 23 May 2024 07:58:00 CEST", datetime(2024, 5, 23, 5, 58, tzinfo=UTC)),
        ("Thu, 23 May 2024 07:58:00 +0200 (CEST)", datetime(2024, 5, 23, 5, 58, tzinfo=UTC)),
        ("2024-05-23T07:58:00Z", datetime(2024, 5, 23, 7, 58, tzinfo=UTC)),
        ("2024-05-23T07:58:00+02:00", datetime(2024, 5, 23, 5, 58, tzinfo=UTC)),
        ("2024-05-23T07:58:00.5-04:00", datetime(2024, 5, 23, 11, 58, 0, 500000, tzinfo=UTC)),
    ])
    def test_dates_with_a_zone_ignore_the_feed_zone(self, raw: str, expected: datetime) -> None:
        assert to_utc(raw, "Asia/Seoul") == expected

    @pytest.mark.parametrize(("raw", "expected"), [
        ("Thu, 23 May 2024 07:58:00", datetime(2024, 5, 23, 5, 58, tzinfo=UTC)),
        ("2024-05-23T07:58:00", datetime(2024, 5, 23, 5, 58, tzinfo=UTC)),
        ("2024-05-23 07:58", datetime(2024, 5, 23, 5, 58, tzinfo=UTC)),
        ("2024-01-23T07:58:00", datetime(2024, 1, 23, 6, 58, tzinfo=UTC)),
        ("2024-05-23", datetime(2024, 5, 22, 22, 0, tzinfo=UTC)),
        ("Thu, 23 May 2024 07:58:00 XYZ", datetime(2024, 5, 23, 5, 58, tzinfo=UTC)),
    ])
    def test_dates_without_a_zone_are_read_in_the_feed_zone(self, raw: str,
                                                             expected: datetime) -> None:
        assert to_utc(raw, "Europe/Brussels") == expected

    def test_feedparser_struct_time_is_already_utc(self) -> None:
        parsed = time.struct_time((2024, 5, 23, 5, 58, 0, 3, 144, 0))
        assert to_utc(parsed, "Europe/Brussels") == datetime(2024, 5, 23, 5, 58, tzinfo=UTC)

    @pytest.mark.parametrize(("raw", "expected"), [
        ("Fri, 2006/09/15 08:19:53 EDT", datetime(2006, 9, 15, 12, 19, 53, tzinfo=UTC)),
        ("2024-05-23T07:58:00 +02:00", datetime(2024, 5, 23, 5, 58, tzinfo=UTC)),
    ])
    def test_other_formats_fall_back_to_feedparser(self, raw: str, expected: datetime) -> None:
        assert to_utc(raw, "Asia/Seoul") == expected

    @pytest.mark.parametrize("raw", ["", "   ", "hier", "Thu, 32 May 2024 07:58:00", None])
    def test_unreadable_dates_are_none(self, raw: str | None) -> None:
        assert to_utc(raw, "UTC") is None

    def test_unknown_feed_zone_is_an_error(self) -> None:
        with pytest.raises(ValueError, match="Mars/Olympus"):
            to_utc("2024-05-23T07:58:00", "Mars/Olympus")
