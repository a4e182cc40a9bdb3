"""Accidents of real publishing stay inside the entry that has them (issue: damage stays local,
identity never moves). Each scenario is served by a real HTTP server, polled by `veille check`
and received by a loopback webhook, with the exact alerts expected."""

from __future__ import annotations

from html import escape

import pytest
from harness import Env

from monitor.parse import parse_feed

EVERYTHING = '''
[[watch]]
name = "all"
keywords = []
notify = ["chat"]
'''
NOTIFIERS_CHAT_ONLY = True


def entry(title: str, *, guid: str | None = None, link: str | None = None,
          summary: str = "", date: str | None = "Tue, 14 May 2024 10:00:00 +0200") -> str:
    parts = ["<item>", f"<title>{escape(title)}</title>"]
    if guid is not None:
        parts.append(f'<guid isPermaLink="false">{escape(guid)}</guid>')
    if link is not None:
        parts.append(f"<link>{escape(link)}</link>")
    if summary:
        parts.append(f"<description>{escape(summary)}</description>")
    if date is not None:
        parts.append(f"<pubDate>{date}</pubDate>")
    parts.append("</item>")
    return "".join(parts)


def document(*entries: str, declared: str = "UTF-8", title: str = "Délégation – revue de presse",
             build: str = "Fri, 24 May 2024 09:30:00 +0200") -> str:
    return (f'<?xml version="1.0" encoding="{declared}"?>\n<rss version="2.0"><channel>'
            f"<title>{title}</title><link>https://delegation.example.org/"
            f"</link><description>Revue</description><lastBuildDate>{build}</lastBuildDate>\n"
            + "\n".join(entries) + "\n</channel></rss>\n")


FRENCH = [
    entry("Brötzmann joue à Bruxelles", guid="a1", link="https://ex.org/a1",
          summary="<p>Le saxophoniste s’est produit à l’Ancienne Belgique.</p>"),
    entry("L’OTAN et la République de Corée renforcent leur coopération", guid="a2",
          link="https://ex.org/a2", summary="<p>« Un partenariat essentiel », selon l’amiral.</p>"),
    entry("Œuvre commune : la défense des infrastructures", guid="a3", link="https://ex.org/a3",
          summary="<p>Cybersécurité et résilience au menu des discussions.</p>"),
]
STRAY = entry("Nouvel article sur l’Indo-Pacifique", guid="a4", link="https://ex.org/a4",
              summary="<p>Les partenaires se réunissent.</p>")


def types_and_titles(env: Env) -> list[tuple[str, str]]:
    return [(b["type"], b["item"]["title"]) for b in env.hook_bodies()]


def write(env: Env, **paths: str) -> None:
    env.write(feeds=paths, watches=EVERYTHING)


class TestOneStrayByte:
    """A windows-1252 byte pasted into one entry of a UTF-8 feed alerts that entry only."""

    def test_stray_byte_in_a_new_entry(self, env: Env) -> None:
        env.feeds.set("/f.xml", document(*FRENCH).encode("utf-8"))
        write(env, fr="/f.xml")
        assert env.veille("check")[0] == 0 and env.hooks == []
        damaged = document(STRAY, *FRENCH).encode("utf-8").replace(
            "l’Indo".encode(), b"l\x92Indo")
        env.feeds.set("/f.xml", damaged)
        code, out, _ = env.veille("check")
        assert code == 0, out
        assert types_and_titles(env) == [("item.new", "Nouvel article sur l’Indo-Pacifique")]
        # The publisher fixes the byte: the same text, nothing to say.
        env.feeds.set("/f.xml", document(STRAY, *FRENCH).encode("utf-8"))
        assert env.veille("check")[0] == 0
        assert len(env.hooks) == 1

    def test_stray_bytes_that_are_not_windows_1252_become_replacement_characters(self) -> None:
        body = document(*FRENCH).encode("utf-8").replace("Œuvre".encode(), b"\x81uvre")
        feed = parse_feed(body, url="https://ex.org/f")
        titles = [e.title for e in feed.entries]
        assert titles == ["Brötzmann joue à Bruxelles",
                          "L’OTAN et la République de Corée renforcent leur coopération",
                          "\ufffduvre commune : la défense des infrastructures"]
        assert feed.warning is not None and "not valid UTF-8" in feed.warning

    def test_an_entry_pasted_in_latin_1_is_read_as_latin_1(self) -> None:
        pasted = entry("Défense européenne : réunion à Genève", guid="a5",
                       link="https://ex.org/a5")
        body = (document(*FRENCH).encode("utf-8").replace(
            b"\n</channel>", b"\n" + pasted.encode("cp1252") + b"\n</channel>"))
        feed = parse_feed(body, url="https://ex.org/f")
        assert [e.title for e in feed.entries][-1] == "Défense européenne : réunion à Genève"
        assert [e.title for e in feed.entries][0] == "Brötzmann joue à Bruxelles"


class TestDeclaredEncodings:
    """The document is read in the encoding it is really written in."""

    @pytest.mark.parametrize(("declared", "written", "header"), [
        ("ISO-8859-1", "utf-8", None),  # declared Latin-1, sent UTF-8
        ("UTF-8", "cp1252", None),  # declared UTF-8, sent windows-1252
        ("UTF-8", "cp1252", "text/xml; charset=windows-1252"),  # the header is right
        ("ISO-8859-1", "utf-8", "application/rss+xml; charset=ISO-8859-1"),
        ("windows-1251", "cp1251", "text/xml; charset=koi8-r"),  # the header is wrong
    ])
    def test_read_in_the_real_encoding(self, declared: str, written: str,
                                       header: str | None) -> None:
        entries = FRENCH if written != "cp1251" else [
            entry("Новости НАТО: встреча министров", guid="r1", link="https://ex.org/r1")]
        title = "Délégation – revue de presse" if written != "cp1251" else "Новости"
        body = document(*entries, declared=declared, title=title).encode(written)
        feed = parse_feed(body, url="https://ex.org/f",
                          headers={"content-type": header} if header else None)
        expected = parse_feed(document(*entries, title=title).encode("utf-8"),
                              url="https://ex.org/f")
        assert feed.entries == expected.entries
        assert feed.title == title

    def test_the_publisher_fixing_its_declaration_alerts_nothing(self, env: Env) -> None:
        env.feeds.set("/f.xml", document(*FRENCH, declared="ISO-8859-1").encode("utf-8"))
        write(env, fr="/f.xml")
        assert env.veille("check")[0] == 0
        env.feeds.set("/f.xml", document(*FRENCH).encode("utf-8"))
        assert env.veille("check")[0] == 0
        env.feeds.set("/f.xml", document(*FRENCH, declared="windows-1252").encode("cp1252"))
        assert env.veille("check")[0] == 0
        assert env.hooks == []

    @pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
    def test_byte_order_marks(self, codec: str) -> None:
        text = document(*FRENCH)
        if codec != "utf-8-sig":
            text = text.replace('encoding="UTF-8"', f'encoding="{codec.upper()}"')
        body = text.encode(codec)
        if codec == "utf-16-be":
            body = b"\xfe\xff" + body
        feed = parse_feed(body, url="https://ex.org/f")
        assert feed.entries == parse_feed(document(*FRENCH).encode(), url="https://ex.org/f"
                                          ).entries
        assert feed.warning is None

    @pytest.mark.parametrize("codec", ["shift_jis", "gb2312", "euc-kr", "koi8-r"])
    def test_multi_byte_and_cyrillic_declarations(self, codec: str) -> None:
        title = {"shift_jis": "北大西洋条約機構の会合", "gb2312": "北约外长会议在布鲁塞尔举行",
                 "euc-kr": "대한민국과 나토 협력 강화", "koi8-r": "Встреча министров НАТО"}[codec]
        body = document(entry(title, guid="x1"), declared=codec, title="Revue").encode(codec)
        feed = parse_feed(body, url="https://ex.org/f")
        assert [e.title for e in feed.entries] == [title]
        assert feed.warning is None


class TestLeadingBytes:
    """Blank lines before `<?xml` are accepted silently; a feed inside an HTML page is read."""

    @pytest.mark.parametrize("prefix", [b"\n", b"\r\n\r\n", b"   \n\t", b"\xef\xbb\xbf\n"])
    def test_whitespace_before_the_declaration(self, prefix: bytes) -> None:
        body = prefix + document(*FRENCH).encode()
        feed = parse_feed(body, url="https://ex.org/f")
        assert feed.warning is None and len(feed.entries) == 3
        assert feed.cache is not None  # the incremental parse stays on

    def test_leading_newline_added_then_removed_alerts_nothing(self, env: Env) -> None:
        env.feeds.set("/f.xml", document(*FRENCH).encode())
        write(env, fr="/f.xml")
        assert env.veille("check")[0] == 0
        env.feeds.set("/f.xml", b"\n\n" + document(*FRENCH).encode())
        code, out, _ = env.veille("check")
        assert code == 0 and "damaged" not in out
        code, out, _ = env.veille("feeds")
        assert "damaged" not in out and "warning" not in out.lower()
        assert env.hooks == []

    @pytest.mark.parametrize("wrap", ["raw", "escaped"])
    def test_feed_wrapped_in_an_html_page(self, wrap: str, env: Env) -> None:
        plain = document(*FRENCH)
        inner = plain.split("?>", 1)[1]
        shown = escape(inner) if wrap == "escaped" else inner
        page = ("<!DOCTYPE html><html><head><title>Flux RSS</title></head><body><pre>"
                f"{shown}</pre></body></html>")
        feed = parse_feed(page.encode(), url="https://ex.org/f")
        assert feed.entries == parse_feed(plain.encode(), url="https://ex.org/f").entries
        assert feed.warning is not None and "HTML page" in feed.warning
        env.feeds.set("/f.xml", plain.encode())
        write(env, fr="/f.xml")
        assert env.veille("check")[0] == 0
        env.feeds.set("/f.xml", page.encode())
        assert env.veille("check")[0] == 0
        assert env.hooks == []


COMMENTS = [
    entry("Commentaire de Marie", link="https://blog.ex.org/article#comment-12",
          summary="Très bon article sur la coopération.", date="Tue, 14 May 2024 11:00:00 GMT"),
    entry("Commentaire de Paul", link="https://blog.ex.org/article#comment-13",
          summary="Je ne suis pas d’accord.", date="Tue, 14 May 2024 12:00:00 GMT"),
]


class TestSharedLinks:
    """A stored item keeps its key for as long as one entry can carry it."""

    def test_comment_feed_links_differing_by_fragment(self, env: Env) -> None:
        env.feeds.set("/c.xml", document(COMMENTS[0]).encode())
        write(env, comments="/c.xml")
        assert env.veille("check")[0] == 0
        env.feeds.set("/c.xml", document(COMMENTS[1], COMMENTS[0]).encode())
        assert env.veille("check")[0] == 0
        assert types_and_titles(env) == [("item.new", "Commentaire de Paul")]
        third = entry("Commentaire de Jeanne", link="https://blog.ex.org/article#comment-14",
                      summary="Merci.", date="Tue, 14 May 2024 13:00:00 GMT")
        env.feeds.set("/c.xml", document(third, COMMENTS[1], COMMENTS[0]).encode())
        assert env.veille("check")[0] == 0
        assert types_and_titles(env)[1:] == [("item.new", "Commentaire de Jeanne")]
        # Marie edits her comment: a revision of hers, not a new item.
        edited = COMMENTS[0].replace("Très bon article", "Excellent article")
        env.feeds.set("/c.xml", document(third, COMMENTS[1], edited).encode())
        assert env.veille("check")[0] == 0
        assert types_and_titles(env)[2:] == [("item.changed", "Commentaire de Marie")]

    @pytest.mark.parametrize("newcomer_link", [
        "https://www.ex.org/live", "https://ex.org/live#update-2", "http://ex.org/live/"])
    def test_a_newcomer_sharing_a_stored_link(self, env: Env, newcomer_link: str) -> None:
        live = entry("Direct : sommet de l’OTAN à Washington", link="https://ex.org/live",
                     summary="Les chefs d’État arrivent.", date="Tue, 09 Jul 2024 08:00:00 GMT")
        update = entry("Direct : déclaration finale du sommet", link=newcomer_link,
                       summary="La déclaration est publiée.", date="Tue, 09 Jul 2024 18:00:00 GMT")
        env.feeds.set("/l.xml", document(live, *FRENCH).encode())
        write(env, live="/l.xml")
        assert env.veille("check")[0] == 0
        env.feeds.set("/l.xml", document(update, live, *FRENCH).encode())
        assert env.veille("check")[0] == 0
        assert types_and_titles(env) == [("item.new", "Direct : déclaration finale du sommet")]
        for _ in range(2):  # and it stays so
            assert env.veille("check")[0] == 0
        assert len(env.hooks) == 1
        # The first entry leaves; the newcomer stays the item it became.
        env.feeds.set("/l.xml", document(update, *FRENCH).encode())
        assert env.veille("check")[0] == 0
        assert len(env.hooks) == 1
        code, out, _ = env.veille("history", "--feed", "live")
        assert code == 0 and out.count("item.new") == 1


KEYLESS = [
    entry("Réunion des ministres de la Défense", summary="Les ministres se réunissent à "
          "Bruxelles pour discuter du soutien à l’Ukraine et de la dissuasion.",
          date="Thu, 13 Jun 2024 09:00:00 GMT"),
    entry("Exercice Steadfast Defender", summary="La phase maritime s’achève en mer du Nord.",
          date="Fri, 10 May 2024 09:00:00 GMT"),
]


class TestNeitherGuidNorLink:
    """A reworded title of an entry known by its title and date is a revision."""

    def test_reworded_title_is_a_change(self, env: Env) -> None:
        env.feeds.set("/k.xml", document(*KEYLESS).encode())
        write(env, keyless="/k.xml")
        assert env.veille("check")[0] == 0
        reworded = KEYLESS[0].replace("Réunion des ministres de la Défense",
                                      "Réunion des ministres de la Défense de l’OTAN")
        env.feeds.set("/k.xml", document(reworded, KEYLESS[1]).encode())
        assert env.veille("check")[0] == 0
        bodies = env.hook_bodies()
        assert [b["type"] for b in bodies] == ["item.changed"]
        assert bodies[0]["changes"] == [{"field": "title",
                                         "before": "Réunion des ministres de la Défense",
                                         "after": "Réunion des ministres de la Défense de "
                                                  "l’OTAN"}]
        # Another new entry of another date stays a new item.
        other = entry("Sommet de Washington", summary="Les dirigeants se retrouvent.",
                      date="Tue, 09 Jul 2024 09:00:00 GMT")
        env.feeds.set("/k.xml", document(other, reworded, KEYLESS[1]).encode())
        assert env.veille("check")[0] == 0
        assert [b["type"] for b in env.hook_bodies()] == ["item.changed", "item.new"]

    def test_a_different_article_of_the_same_date_is_new(self, env: Env) -> None:
        env.feeds.set("/k.xml", document(*KEYLESS).encode())
        write(env, keyless="/k.xml")
        assert env.veille("check")[0] == 0
        other = entry("Cyberdéfense : nouveau centre à Tallinn", summary="Un centre ouvre "
                      "ses portes en Estonie pour la formation des spécialistes.",
                      date="Thu, 13 Jun 2024 09:00:00 GMT")
        env.feeds.set("/k.xml", document(other, KEYLESS[1]).encode())
        assert env.veille("check")[0] == 0
        assert types_and_titles(env) == [("item.new", "Cyberdéfense : nouveau centre à Tallinn")]


ARTICLE = ("Le 14 mai 2024, l’OTAN a accueilli la République de Corée à Bruxelles.\n"
           "La délégation était menée par le général Șerban, directeur de la Division.\n"
           "Cette visite a permis de réaffirmer l’attachement de l’OTAN à ce partenariat.")


def atom(content: str, *, summary: str | None = None) -> bytes:
    summary_xml = f"<summary>{escape(summary)}</summary>" if summary else ""
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in content.split("\n"))
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            "<title>OTAN</title><id>urn:otan</id><updated>2024-05-14T10:00:00Z</updated>"
            "<entry><id>urn:otan:1</id><title>Entretiens OTAN - République de Corée</title>"
            '<link href="https://ex.org/1"/><updated>2024-05-14T10:00:00Z</updated>'
            f'{summary_xml}<content type="html">{escape(paragraphs)}</content></entry>'
            "</feed>").encode()


class TestTruncatedContent:
    """A content cut to a prefix of itself is the same content; an added paragraph is news."""

    @pytest.mark.parametrize("cut", [
        "Le 14 mai 2024, l’OTAN a accueilli la République de Corée à Bruxelles.\n"
        "La délégation était menée par le général…",
        "Le 14 mai 2024, l’OTAN a accueilli la République de Corée à Bruxelles.\n"
        "La délégation était menée par le général […]",
        "Le 14 mai 2024, l’OTAN a accueilli la République de Corée à Bruxelles.\n"
        "La délégation était menée par le général Șerban Read more",
        "Le 14 mai 2024, l’OTAN a accueilli la République de Corée à Bruxelles.\n"
        "La délégation était menée par",
    ])
    def test_truncated_content_is_silent(self, env: Env, cut: str) -> None:
        env.feeds.set("/a.xml", atom(ARTICLE))
        write(env, otan="/a.xml")
        assert env.veille("check")[0] == 0
        env.feeds.set("/a.xml", atom(cut))
        assert env.veille("check")[0] == 0
        env.feeds.set("/a.xml", atom(ARTICLE))  # and back in full
        assert env.veille("check")[0] == 0
        assert env.hooks == []

    def test_a_paragraph_added_after_a_caption_alerts(self, env: Env) -> None:
        captioned = ARTICLE + "\nNATO hosts military staff talks with the Republic of Korea"
        env.feeds.set("/a.xml", atom(captioned))
        write(env, otan="/a.xml")
        assert env.veille("check")[0] == 0
        env.feeds.set("/a.xml", atom(captioned + "\nMis à jour le 23 mai : la déclaration "
                                     "commune est publiée."))
        assert env.veille("check")[0] == 0
        assert [b["type"] for b in env.hook_bodies()] == ["item.changed"]


class TestMojibakeRecordedBefore:
    """Versions recorded from a mis-decoded body (as an older release did) are not a flood
    once the feed is read right."""

    def test_correct_text_after_mojibake_alerts_nothing(self, env: Env) -> None:
        right = document(*FRENCH)
        # feedparser's first fall-back reading of a UTF-8 body with one invalid byte
        mojibake = right.encode("utf-8").decode("cp1252", "replace")
        env.feeds.set("/f.xml", mojibake.encode("utf-8"))
        write(env, fr="/f.xml")
        assert env.veille("check")[0] == 0
        env.feeds.set("/f.xml", right.encode("utf-8"))
        assert env.veille("check")[0] == 0
        env.feeds.set("/f.xml", mojibake.encode("utf-8"))  # and if it comes back
        assert env.veille("check")[0] == 0
        assert env.hooks == []
        code, out, _ = env.veille("history", "--feed", "fr")
        assert code == 0


class TestMisreadTextIsNotAChange:
    """The diff rule behind the upgrade: text that differs only by how it was decoded."""

    @pytest.mark.parametrize("codec", ["cp1252", "iso8859-2", "latin-1"])
    def test_stored_mojibake_against_the_right_text(self, codec: str) -> None:
        from monitor.diff import diff
        from monitor.records import Entry

        def version(text: str) -> Entry:
            return Entry(key="k", guid="g", link=None, display_link=None, title=text,
                         summary=text, content="", published=None, updated=None)

        right = "Brötzmann à Bruxelles : l’OTAN et la République de Corée, Șerban"
        wrong = right.encode("utf-8").decode(codec, "replace")
        assert wrong != right
        for before, after in ((wrong, right), (right, wrong)):
            result = diff(version(before), version(after), identified_by_guid=True)
            assert (result.kind, result.reason) == ("silent", "encoding")
        real = diff(version(wrong), version(right.replace("Bruxelles", "Berlin")),
                    identified_by_guid=True)
        assert real.kind == "changed"

    def test_a_replacement_character_against_the_character_it_stood_for(self) -> None:
        from monitor.diff import diff
        from monitor.records import Entry

        def version(text: str) -> Entry:
            return Entry(key="k", guid="g", link=None, display_link=None, title=text,
                         summary="", content="", published=None, updated=None)

        result = diff(version("\ufffduvre commune"), version("Œuvre commune"),
                      identified_by_guid=True)
        assert (result.kind, result.reason) == ("silent", "encoding")
        assert diff(version("\ufffduvre commune"), version("Œuvre unique"),
                    identified_by_guid=True).kind == "changed"


class TestRestampedDates:
    """A generator that stamps every item with the feed's build time is not news."""

    def items(self, stamp: str | None = None) -> list[str]:
        titles = ["Réunion des ministres", "Sommet de Washington", "Exercice maritime",
                  "Cyberdéfense à Tallinn", "Partenariat Indo-Pacifique", "Soutien à l’Ukraine"]
        return [entry(t, guid=f"g{i}", link=f"https://ex.org/{i}",
                      date=stamp or f"Tue, {10 + i:02d} May 2024 09:00:00 GMT")
                for i, t in enumerate(titles)]

    def test_every_item_restamped_alerts_nothing(self, env: Env) -> None:
        env.feeds.set("/r.xml", document(*self.items()).encode())
        write(env, restamped="/r.xml")
        assert env.veille("check")[0] == 0
        for stamp in ("Fri, 24 May 2024 09:30:00 GMT", "Fri, 24 May 2024 10:30:02 GMT"):
            env.feeds.set("/r.xml", document(*self.items(stamp)).encode())
            assert env.veille("check")[0] == 0
        assert env.hooks == []

    def test_one_item_redated_alerts(self, env: Env) -> None:
        env.feeds.set("/r.xml", document(*self.items()).encode())
        write(env, restamped="/r.xml")
        assert env.veille("check")[0] == 0
        items = self.items()
        items[2] = items[2].replace("12 May 2024", "23 May 2024")
        env.feeds.set("/r.xml", document(*items).encode())
        assert env.veille("check")[0] == 0
        assert types_and_titles(env) == [("item.changed", "Exercice maritime")]


class TestSessionIdsInLinks:
    """Session ids in the links of a guid-less feed do not make every item new each poll."""

    @pytest.mark.parametrize("link", [
        "https://ex.org/news/page.jsp;jsessionid=0A1B2C3D4E?id=4",
        "https://ex.org/news/page.jsp?id=4&PHPSESSID=9f8e7d6c",
        "https://ex.org/news/page.jsp?sessionid=77&id=4",
    ])
    def test_session_ids_are_not_part_of_a_link(self, link: str) -> None:
        from monitor.normalize import normalize_link
        assert normalize_link(link) == "https://ex.org/news/page.jsp?id=4"

    def test_a_new_session_id_each_poll_alerts_nothing(self, env: Env) -> None:
        def body(session: str) -> bytes:
            return document(*[entry(f"Communiqué n°{i}", link=f"https://ex.org/c.jsp;"
                                    f"jsessionid={session}?id={i}") for i in range(3)]).encode()
        env.feeds.set("/s.xml", body("AAAA"))
        write(env, sessions="/s.xml")
        assert env.veille("check")[0] == 0
        env.feeds.set("/s.xml", body("BBBB"))
        assert env.veille("check")[0] == 0
        assert env.hooks == []


class TestRelativeTimes:
    """"Il y a 5 minutes" changes with every rebuild of a forum's feed: never a revision."""

    @pytest.mark.parametrize(("before", "after"), [
        ("Publié il y a 5 minutes par Marie", "Publié il y a 2 heures par Marie"),
        ("Posted 3 hours ago by Paul", "Posted 1 day ago by Paul"),
        ("Aktualisiert vor 2 Stunden", "Aktualisiert vor 3 Tagen"),
        ("Actualizado hace 10 minutos", "Actualizado hace 2 horas"),
    ])
    def test_relative_times_are_volatile(self, env: Env, before: str, after: str) -> None:
        def body(text: str) -> bytes:
            return document(entry("Sujet : la défense européenne", guid="t1",
                                  summary=f"<p>{text}</p><p>Premier message.</p>")).encode()
        env.feeds.set("/t.xml", body(before))
        write(env, forum="/t.xml")
        assert env.veille("check")[0] == 0
        env.feeds.set("/t.xml", body(after))
        assert env.veille("check")[0] == 0
        assert env.hooks == []

    def test_years_are_prose_and_still_compared(self) -> None:
        from monitor.fingerprint import strip_volatile
        assert strip_volatile("Il y a 20 ans, l’OTAN s’élargissait", []) == \
            "Il y a 20 ans, l’OTAN s’élargissait"


class TestFoundByTheCorpus:
    """Cases the regression corpus found, each in its smallest form."""

    def test_utf8_entry_with_more_stray_bytes_than_valid_ones(self) -> None:
        from monitor.decoding import decode_document
        body = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t'
                '</title><item><title>Brötzmann</title></item><item><title>').encode() + \
            b"\x93Talks \xe2\x80\x94 day one\x94</title></item></channel></rss>"
        text = decode_document(body, {"content-type": "application/rss+xml; charset=utf-8"}).text
        assert "<title>“Talks — day one”</title>" in text and "Brötzmann" in text

    @pytest.mark.parametrize(("codec", "native", "pasted"), [
        ("shift_jis", "国防相が会合", "黒海沿岸の同盟国"),
        ("gb2312", "北约外长会议", "黑海沿岸盟国"),
        ("euc-kr", "국방장관 회의", "흑해 연안 동맹국"),
    ])
    def test_utf8_entry_pasted_into_a_multi_byte_feed(self, codec: str, native: str,
                                                     pasted: str) -> None:
        from monitor.decoding import decode_document
        body = (f'<?xml version="1.0" encoding="{codec}"?><rss version="2.0"><channel><title>'
                f"t</title><item><title>{native}</title></item>").encode(codec) + \
            f"<item><title>{pasted}</title></item>".encode() + b"</channel></rss>"
        decoded = decode_document(body, {"content-type": f"text/xml; charset={codec}"})
        assert native in decoded.text and pasted in decoded.text
        assert decoded.warnings and "written in UTF-8" in decoded.warnings[0]

    def test_unlabelled_utf8_needs_no_warning(self) -> None:
        body = document(*FRENCH).replace(' encoding="UTF-8"', "").encode()
        assert parse_feed(body, url="https://ex.org/f").warning is None

    def test_html_named_references_do_not_damage_the_feed(self) -> None:
        body = (b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<!DOCTYPE rss PUBLIC "-//Netscape'
                b' Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-'
                b'0.91.dtd">\n<rss version="0.91"><channel><title>D&eacute;fense</title><link>'
                b"https://x.org/</link><description>d</description><item><title>L&rsquo;OTAN "
                b"&amp; la Cor&eacute;e&nbsp;du Sud</title><link>https://x.org/1</link></item>"
                b"</channel></rss>")
        feed = parse_feed(body, url="https://x.org/f")
        assert feed.warning is None and feed.title == "Défense"
        assert [e.title for e in feed.entries] == ["L’OTAN & la Corée du Sud"]

    def test_a_cut_hangul_syllable_fixed_is_not_a_change(self) -> None:
        from monitor.diff import diff
        from monitor.records import Entry

        def version(title: str) -> Entry:
            return Entry(key="k", guid="g", link=None, display_link=None, title=title,
                         summary="", content="", published=None, updated=None)

        result = diff(version("센터 설\ufffd"), version("센터 설립"), identified_by_guid=True)
        assert (result.kind, result.reason) == ("silent", "encoding")

    @pytest.mark.parametrize("marker", [
        " … weiterlesen", " Leer más", " Czytaj dalej »", ' Czytaj dalej "', " Citește mai mult",
        " Читать далее", "……阅读全文", "…続きを読む", " 더보기", " Lire la suite »"])
    def test_truncation_markers_of_many_languages(self, marker: str) -> None:
        from monitor.diff import diff
        from monitor.records import Entry
        full = ("Die Minister trafen sich in Brüssel.\nSie sprachen über die Unterstützung der "
                "Ukraine und die Abschreckung im Osten des Bündnisgebiets.")

        def version(content: str) -> Entry:
            return Entry(key="k", guid="g", link=None, display_link=None, title="t",
                         summary="", content=content, published=None, updated=None)

        result = diff(version(full), version(full[:70] + marker), identified_by_guid=True)
        assert (result.kind, result.reason) == ("silent", "truncation")
