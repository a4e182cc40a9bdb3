"""The parse step on realistic and damaged feeds: fields, identity, dates, refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.errors import NotAFeedError
from monitor.feedbytes import prepare
from monitor.identity import Candidate, assign_keys, candidate, churn_link
from monitor.parse import parse_feed
from monitor.records import Entry, ParsedFeed

FEEDS = Path(__file__).parent / "data" / "feeds"
RSS = {"content-type": "application/rss+xml; charset=utf-8"}


def parse(name: str, **options: object) -> ParsedFeed:
    options.setdefault("url", "https://feeds.example.org/feed.xml")
    return parse_feed((FEEDS / name).read_bytes(), **options)  # type: ignore[arg-type]


def by_guid(feed: ParsedFeed) -> dict[str | None, Entry]:
    return {e.guid: e for e in feed.entries}


def rss(items: str, channel: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            f'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title>'
            f"<link>https://example.org/</link>{channel}{items}</channel></rss>").encode()


class TestFrenchRss:
    """The NATO-style French RSS feed gives clean, reduced fields."""

    def test_feed_level_fields(self) -> None:
        feed = parse("nato-fr-rss.xml", headers=RSS)
        assert (feed.version, feed.title, feed.link) == (
            "rss20", "OTAN – Actualités", "https://www.nato.int/cps/fr/natohq/news.htm")
        assert feed.ttl_seconds == 15 * 60
        assert feed.warning is None
        assert len(feed.entries) == 6

    def test_seed_article_fields(self) -> None:
        entry = parse("nato-fr-rss.xml", headers=RSS).entries[0]
        assert entry.key == entry.guid == "nato-news-225946-fr"
        assert entry.title == ("Entretiens de travail entre les États-majors militaires de "
                               "l’OTAN et de la République de Corée sur la coopération")
        assert entry.link == "https://nato.int/cps/fr/natohq/news_225946.htm?selectedLocale=fr"
        assert entry.display_link == \
            "https://www.nato.int/cps/fr/natohq/news_225946.htm?selectedLocale=fr"
        assert entry.summary == (
            "Le 14 mai 2024, l’OTAN a accueilli la République de Corée dans le cadre "
            "d’entretiens de travail tenus au siège de l’Organisation, à Bruxelles.\n\n"
            "Mis à jour le: 23 May. 2024 07:58")
        assert entry.published == datetime(2024, 5, 14, 16, 20, tzinfo=UTC)
        assert entry.updated is None  # pubDate only: no fallback to the published date

    def test_content_is_reduced_html(self) -> None:
        content = parse("nato-fr-rss.xml", headers=RSS).entries[0].content
        assert "la République de Corée dans le cadre" in content  # Co<span>rée</span>
        assert "dataLayer" not in content
        assert "« La République de Corée est depuis longtemps partenaire de l’OTAN." in content
        assert "Dacian-Tiberiu Șerban" in content
        assert "<" not in content

    def test_entities_in_cdata_html_are_decoded(self) -> None:
        entry = parse("nato-fr-rss.xml", headers=RSS).entries[2]
        assert entry.summary == ("Plus de 50 navires ont participé à la phase maritime de "
                                 "l’exercice, qui s’est déroulée en mer du Nord et dans "
                                 "l’Atlantique.\n\nVu 1 204 fois")


class TestEnglishAtom:
    """The English Atom feed: HTML titles, xml:base links, own `updated` dates."""

    def test_fields(self) -> None:
        feed = parse("nato-en-atom.xml")
        entry = feed.entries[0]
        assert feed.version == "atom10" and feed.title == "NATO – News"
        assert entry.key == "tag:nato.int,2024:news/225946"
        assert entry.title == "NATO hosts military staff talks with the Republic of Korea"
        assert entry.link == "https://nato.int/cps/en/natohq/news_225946.htm?selectedLocale=en"
        assert entry.published == datetime(2024, 5, 14, 16, 20, tzinfo=UTC)
        assert entry.updated == datetime(2024, 5, 23, 5, 58, tzinfo=UTC)
        assert entry.content.endswith("Updated: 23 May. 2024 07:58")

    def test_xhtml_content(self) -> None:
        entry = parse("nato-en-atom.xml").entries[2]
        assert entry.content == ("More than 50 ships took part in the maritime phase of the "
                                 "exercise, in the North Sea and the Atlantic.\n\nAllied navies "
                                 "practised reinforcement across the Atlantic.")
        assert entry.summary == ""


class TestFieldRules:
    """DESIGN's rules for summary, dates and links."""

    def test_summary_copied_from_content_is_empty(self) -> None:
        feed = parse("atom-content-only.xml")
        assert [e.summary for e in feed.entries] == ["", ""]
        assert feed.entries[0].content.startswith("Security in the Euro-Atlantic and the Indo")
        assert feed.entries[1].content == ("Resilience is a national responsibility and a "
                                           "collective commitment.\n\nAllies agreed on baseline "
                                           "requirements in 2016.")

    def test_rss_content_without_description_has_no_summary(self) -> None:
        body = rss('<item xmlns:content="http://purl.org/rss/1.0/modules/content/"><guid>g</guid>'
                   "<content:encoded>&lt;p&gt;Texte&lt;/p&gt;</content:encoded></item>")
        entry = parse_feed(body, url="https://example.org/f").entries[0]
        assert (entry.summary, entry.content) == ("", "Texte")

    def test_atom_updated_only_is_not_published(self) -> None:
        entry = parse("atom-content-only.xml").entries[0]
        assert entry.published is None
        assert entry.updated == datetime(2024, 5, 22, 9, 0, tzinfo=UTC)

    def test_dc_date_counts_as_published(self) -> None:
        entry = parse("rss-dc-dates.xml").entries[0]
        assert entry.published == datetime(2024, 5, 21, 7, 30, tzinfo=UTC)
        assert entry.updated is None

    def test_dcterms_modified_and_atom_updated_are_updated(self) -> None:
        entries = parse("rss-dc-dates.xml").entries
        assert entries[1].updated == datetime(2024, 5, 22, 15, 45, tzinfo=UTC)
        assert entries[2].updated is not None
        assert entries[3].updated is None

    def test_pubdate_wins_over_dc_date(self) -> None:
        body = rss("<item><guid>g</guid><dc:date>2024-05-01T00:00:00Z</dc:date>"
                   "<pubDate>Thu, 23 May 2024 07:58:00 GMT</pubDate></item>")
        entry = parse_feed(body, url="https://example.org/f").entries[0]
        assert entry.published == datetime(2024, 5, 23, 7, 58, tzinfo=UTC)

    def test_dates_without_zone_use_the_feed_timezone(self) -> None:
        brussels = parse("rss-dc-dates.xml", timezone="Europe/Brussels").entries[2]
        seoul = parse("rss-dc-dates.xml", timezone="Asia/Seoul").entries[2]
        assert brussels.published == datetime(2024, 5, 19, 6, 0, tzinfo=UTC)
        assert seoul.published == datetime(2024, 5, 18, 23, 0, tzinfo=UTC)
        assert brussels.updated == datetime(2024, 5, 19, 10, 0, tzinfo=UTC)
        zoned = parse("rss-dc-dates.xml", timezone="Asia/Seoul").entries[3]
        assert zoned.published == datetime(2024, 5, 18, 8, 0, tzinfo=UTC)

    def test_only_http_links(self) -> None:
        entries = parse("rss-guidless.xml").entries
        podcast = next(e for e in entries if e.title.startswith("Podcast"))
        assert podcast.link is None and podcast.display_link is None

    def test_relative_links_resolve_against_the_feed_url(self) -> None:
        entries = parse("rss-guidless.xml", url="https://www.thinktank.example.org/rss").entries
        assert entries[1].link == "https://thinktank.example.org/asia/washington-summit"
        assert entries[1].display_link == "https://www.thinktank.example.org/asia/washington-summit"

    def test_titles_lose_line_breaks(self) -> None:
        body = rss("<item><guid>g</guid><title>Entretiens\r\nOTAN –\n République de Corée"
                   "</title></item>")
        entry = parse_feed(body, url="https://example.org/f").entries[0]
        assert entry.title == "Entretiens OTAN – République de Corée"

    def test_unknown_timezone_is_a_value_error(self) -> None:
        with pytest.raises(ValueError):
            parse("nato-fr-rss.xml", timezone="Europe/Atlantis")


class TestIdentity:
    """Keys: guid, else normalised link, else a hash of title and published date."""

    def test_guid_less_items(self) -> None:
        keys = [e.key for e in parse("rss-guidless.xml").entries]
        assert keys[0] == "https://thinktank.example.org/asia/seoul-brussels"
        assert keys[1] == "https://feeds.example.org/asia/washington-summit"
        assert all(k.startswith("h:") and len(k) == 18 for k in keys[2:])

    def test_shared_guids_and_links_are_never_identities(self) -> None:
        feed = parse("rss-duplicate-guids.xml")
        assert [e.key for e in feed.entries] == [
            "https://news.example.org/asia/2024/05/22/seoul-forum",
            "https://news.example.org/asia/2024/05/21/brussels-ministers",
            "urn:cms:live:1", "urn:cms:live:2",
            "https://news.example.org/asia/newsletter",  # listed twice: one item
        ]

    def test_keys_are_stable_across_polls_and_reordering(self) -> None:
        body = (FEEDS / "rss-guidless.xml").read_bytes()
        first = parse_feed(body, url="https://e.org/f")
        again = parse_feed(body, url="https://e.org/f")
        assert [e.key for e in first.entries] == [e.key for e in again.entries]

        def items(*titles: str) -> bytes:
            return rss("".join(f"<item><title>{t}</title><pubDate>Mon, 20 May 2024 06:00:00 "
                               "GMT</pubDate></item>" for t in titles))
        flipped = parse_feed(items("B", "A", "A"), url="https://e.org/f")
        straight = parse_feed(items("A", "B"), url="https://e.org/f")
        assert [e.key for e in flipped.entries] == [e.key for e in straight.entries][::-1]

    def test_assign_keys_rules(self) -> None:
        def cand(guid: str | None, link: str | None, title: str = "t") -> Candidate:
            return candidate(guid=guid, link=link, title=title, published=None, summary="",
                             content="")
        a, b = cand("g", "https://x/1", "a"), cand("g", "https://x/2", "b")
        c = cand(None, "https://x/3")
        assert assign_keys([a, b, c]) == ["https://x/1", "https://x/2", "https://x/3"]
        d, e = cand(None, "https://x/4", "d"), cand(None, "https://x/4", "e")
        keys = assign_keys([d, e])
        assert keys == [d.title_hash, e.title_hash] and keys[0] != keys[1]
        assert assign_keys([d, d]) == [assign_keys([d])[0], None]
        same_title = [cand(None, None, "same"), candidate(
            guid=None, link=None, title="same", published=None, summary="other", content="")]
        keys = assign_keys(same_title)
        assert None not in keys and keys[0] != keys[1]

    def test_an_exact_repeat_does_not_move_the_key(self) -> None:
        item = "<item><guid>g</guid><link>https://x.org/a</link><title>A</title></item>"
        once = parse_feed(rss(item), url="https://e.org/f").entries
        twice = parse_feed(rss(item + item), url="https://e.org/f").entries
        assert once == twice

    def test_churn_link(self) -> None:
        entry = parse("nato-fr-rss.xml").entries[0]
        assert entry.link is not None
        assert churn_link(entry, [entry.link, "https://other"]) == entry.link
        assert churn_link(entry, [entry.link, entry.link]) is None
        by_link = parse("rss-guidless.xml").entries[0]
        assert churn_link(by_link, [by_link.link]) is None


class TestNotAFeed:
    """Bodies that are no feed raise NotAFeedError with a sentence for a person."""

    def test_html_error_page(self) -> None:
        with pytest.raises(NotAFeedError, match="HTML page.*502 Bad Gateway"):
            parse("html-error-page.html")

    @pytest.mark.parametrize("body", [b"", b"  \n\t", b"\xef\xbb\xbf"])
    def test_empty_body(self, body: bytes) -> None:
        with pytest.raises(NotAFeedError, match="empty"):
            parse_feed(body, url="https://e.org/f")

    @pytest.mark.parametrize("body", [b'{"items": []}', b"Service unavailable",
                                      b"<?xml version='1.0'?><note><to>x</to></note>"])
    def test_no_version_and_no_entries(self, body: bytes) -> None:
        with pytest.raises(NotAFeedError, match="not an RSS or Atom feed"):
            parse_feed(body, url="https://e.org/f")

    def test_a_body_naming_a_file_is_not_read_as_that_file(self, tmp_path: Path) -> None:
        feed = tmp_path / "feed.xml"
        feed.write_bytes((FEEDS / "nato-fr-rss.xml").read_bytes())
        with pytest.raises(NotAFeedError):
            parse_feed(str(feed).encode(), url="https://e.org/f")


class TestDamagedFeeds:
    """Damaged feeds give what can be recovered, with a warning."""

    def test_truncated_feed(self) -> None:
        feed = parse("nato-fr-truncated.xml", headers=RSS)
        assert feed.warning is not None and "damaged" in feed.warning
        assert "unfinished" in feed.warning
        assert [e.guid for e in feed.entries] == [
            "nato-news-225946-fr", "nato-news-225801-fr", "nato-news-225712-fr"]
        assert feed.entries == parse("nato-fr-rss.xml", headers=RSS).entries[:3]
        assert feed.cache is None

    def test_entity_blowup_is_neutralised(self) -> None:
        body = (FEEDS / "entity-blowup.xml").read_bytes()
        assert len(prepare(body, {}).data) < len(body)  # nothing was expanded
        feed = parse_feed(body, url="https://e.org/f")
        assert feed.title == "Bulletin défense"  # a one-character entity is still expanded
        assert [e.summary for e in feed.entries] == ["", "", ""]
        assert feed.warning is not None and "entities" in feed.warning

    def test_external_entities_are_never_read(self, tmp_path: Path) -> None:
        secret = tmp_path / "secret.txt"
        secret.write_text("TOP-SECRET")
        body = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>'
                '<rss version="2.0"><channel><title>t &x;</title><item><guid>g</guid>'
                "<description>a &x; b</description></item></channel></rss>").encode()
        feed = parse_feed(body, url="https://e.org/f")
        assert "TOP-SECRET" not in repr(feed)
        assert feed.entries[0].summary == "a b"

    def test_declared_entities_are_expanded_when_small(self) -> None:
        body = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY eacute "&#233;">'
                '<!ENTITY amp "&#38;#38;"><!ENTITY org \'OTAN\'>]><rss version="2.0"><channel>'
                "<title>t</title><item><guid>g</guid><title>Cor&eacute;e &amp; &org;</title>"
                "<description><![CDATA[&org; tel quel]]></description></item></channel></rss>")
        feed = parse_feed(body.encode(), url="https://e.org/f")
        assert (feed.entries[0].title, feed.entries[0].summary) == ("Corée & OTAN",
                                                                    "&org; tel quel")
        assert feed.warning is None

    def test_latin1_declared_utf8(self) -> None:
        feed = parse("latin1-declared-utf8.xml", headers={"content-type": "application/rss+xml"})
        entry = feed.entries[0]
        assert entry.title == "L’OTAN et la République de Corée renforcent leur coopération"
        assert entry.summary.startswith("« Un partenariat essentiel")
        assert feed.warning is not None and "windows-1252" in feed.warning

    def test_utf8_declared_latin1(self) -> None:
        feed = parse("utf8-declared-latin1.xml")
        assert feed.entries[0].title == ("L’OTAN et la République de Corée renforcent leur "
                                         "coopération")
        assert "Șerban" in feed.entries[0].summary
        assert feed.warning is not None and "ISO-8859-1" in feed.warning

    def test_header_charset_wins_when_it_is_right(self) -> None:
        body = (FEEDS / "latin1-declared-utf8.xml").read_bytes()
        feed = parse_feed(body, url="https://e.org/f",
                          headers={"Content-Type": "application/rss+xml; charset=windows-1252"})
        assert feed.entries[1].title.startswith("Œuvre commune")
        assert feed.warning is None

    def test_utf16_feed(self) -> None:
        body = (FEEDS / "nato-fr-rss.xml").read_text("utf-8").replace(
            'encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
        assert parse_feed(body, url="https://e.org/f").entries == parse("nato-fr-rss.xml").entries
