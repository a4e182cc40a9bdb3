"""A hostile feed (control characters everywhere) is stored cleanly or fails alone: the other
feeds of the cycle are recorded and alerted, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from feedgen import INDO_PACIFIC, rss
from harness import Env
from sqlalchemy import select

from monitor import record
from monitor.normalize import (
    drop_controls,
    normalize_link,
    reduce_html,
    reduce_text,
    reduce_title,
    safe_display_link,
)
from monitor.page import extract_page
from storage.database import Database
from storage.models import Feed, Item, ItemVersion

# Every C0 control but TAB, LF and CR, which text may hold.
C0 = [chr(c) for c in range(32) if chr(c) not in "\t\n\r"]
REFS = "".join(f"&#{ord(c)};" for c in C0)  # as XML character references
RAW = "".join(c for c in C0 if c != "\x00")  # as raw bytes (one NUL byte added below)


def hostile_feed() -> bytes:
    """RSS whose guid, link, title, summary, content and feed title hold every C0 control,
    as character references (which feedparser decodes) and as raw bytes."""
    def bad(text: str) -> str:
        return text.replace("|", REFS + RAW + "\x00")

    return bad('''<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Hostile| feed</title><link>https://hostile.example/</link><description>x</description>
<item><title>Republic of Korea| joins</title>
<link>https://hostile.example/a|b?x=|1</link>
<guid isPermaLink="false">guid-|1</guid>
<pubDate>Fri, 24 May 2024 09:15:00 +0200</pubDate>
<description>Republic of Korea| summary</description>
<content:encoded>&lt;p&gt;Republic of Korea| content&lt;/p&gt;</content:encoded>
</item></channel></rss>''').encode()


def _has_control(text: str | None) -> bool:
    return text is not None and any(c in text for c in C0)


class TestDropControls:
    """Each C0 control (and a lone surrogate) leaves every function where feed text enters."""

    @pytest.mark.parametrize("control", C0, ids=[f"0x{ord(c):02x}" for c in C0])
    def test_each_control(self, control: str) -> None:
        text = f"Ré{control}publique de Corée"
        assert drop_controls(text) == "République de Corée"
        assert reduce_text(text) == "République de Corée"
        assert reduce_title(text) == "République de Corée"
        assert reduce_html(f"<p>{text}</p>") == "République de Corée"
        assert reduce_html(f"<p>Ré&#{ord(control)};publique</p>") in ("République",
                                                                       "Ré\ufffdpublique")
        assert normalize_link(f"https://nato.int/a{control}b") == "https://nato.int/ab"
        assert safe_display_link(f"https://nato.int/a{control}b") == "https://nato.int/ab"

    def test_tab_line_feed_and_carriage_return_stay_in_identifiers(self) -> None:
        assert drop_controls("a\tb\nc\rd\x00") == "a\tb\nc\rd"

    def test_c1_controls_go_from_readable_text_only(self) -> None:
        assert drop_controls("a\x85b") == "a\x85b"  # a guid keeps its key
        assert drop_controls("a\x85b\x7f", readable=True) == "ab"

    def test_lone_surrogate_becomes_a_replacement_character(self) -> None:
        assert drop_controls("Cor\ud800ée") == "Cor\ufffdée"
        assert reduce_html("<p>Cor\udfffée</p>") == "Cor\ufffdée"

    @pytest.mark.parametrize("source", ["bytes", "text"])
    def test_page_text(self, source: str) -> None:
        para = "La République de Corée et l’OTAN ont parlé|| de coopération maritime."
        html = (f"<html><head><title>Ti|tle</title></head><body><article><h1>Corée|</h1>"
                f"<p>{para}</p><p>{para}</p></article></body></html>").replace("|", RAW + REFS)
        page = extract_page(html.encode() if source == "bytes" else html, url="https://x/")
        assert page.title.rstrip("\ufffd") == "Corée"  # HTML reads `&#0;` as U+FFFD
        assert not _has_control(page.text) and page.paragraphs
        assert page.paragraphs[0].startswith("La République de Corée et l’OTAN ont parlé")


NOTIFY = 'first_run = "notify"'
KOREA = "Republic of Korea"


class TestHostileFeedInACycle:
    """One hostile feed and one good one, polled in one cycle by `veille check`."""

    def test_hostile_feed_is_recorded_clean_and_the_good_one_alerts(self, env: Env) -> None:
        env.feeds.set("/hostile.xml", hostile_feed())
        env.feeds.set("/good.xml", rss([INDO_PACIFIC]))
        env.write(feeds={"hostile": "/hostile.xml", "good": "/good.xml"}, veille=NOTIFY)
        code, out, err = env.veille("check")
        assert "Traceback" not in out + err
        assert code == 0, out + err
        # Both feeds alerted: the good one, and the hostile one with its controls dropped.
        titles = sorted(b["item"]["title"] for b in env.hook_bodies())
        assert titles == [INDO_PACIFIC.title, "Republic of Korea joins"]
        assert len(env.emails) == 2
        db = Database(env.database)
        try:
            with db.read() as session:
                feeds = {f.name: f for f in session.scalars(select(Feed))}
                assert feeds["hostile"].title == "Hostile feed"
                assert feeds["good"].status == feeds["hostile"].status == "ok"
                item = session.scalars(select(Item).where(
                    Item.feed_id == feeds["hostile"].id)).one()
                assert (item.guid, item.link) == ("guid-1", "https://hostile.example/ab?x=1")
                version = session.scalars(select(ItemVersion).where(
                    ItemVersion.item_id == item.id)).one()
                stored = (version.title, version.summary, version.content, version.link,
                          version.display_link, item.key)
                assert not any(_has_control(s) for s in stored)
                assert version.summary == f"{KOREA} summary"
                assert version.content == f"{KOREA} content"
        finally:
            db.dispose()

    def test_a_feed_that_cannot_be_recorded_fails_alone(self, env: Env,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
        """Whatever makes a record transaction fail, the feed is reported failing in one
        sentence and the cycle goes on."""
        real = record.Recorder.parsed

        def parsed(self: record.Recorder, session, feed, cfg, *args, **kwargs):  # type: ignore[no-untyped-def]
            outcome = real(self, session, feed, cfg, *args, **kwargs)
            if cfg.name == "hostile":
                session.flush()
                raise RuntimeError("text fields cannot contain NUL (0x00) bytes\nSQL: …")
            return outcome

        monkeypatch.setattr(record.Recorder, "parsed", parsed)
        env.feeds.set("/hostile.xml", rss([INDO_PACIFIC.but(guid="other")]))
        env.feeds.set("/good.xml", rss([INDO_PACIFIC]))
        env.write(feeds={"hostile": "/hostile.xml", "good": "/good.xml"}, veille=NOTIFY)
        code, out, err = env.veille("check")
        assert code == 1
        assert "Traceback" not in out + err
        expected = ("could not record this poll in the database (RuntimeError: text fields "
                    "cannot contain NUL (0x00) bytes)")
        assert f"hostile: FAILED — {expected}" in out
        assert err.count(expected) == 1  # logged once
        assert [b["item"]["title"] for b in env.hook_bodies()] == [INDO_PACIFIC.title]
        code, out, _ = env.veille("feeds")
        assert "could not record this poll in the database" in out
        db = Database(env.database)
        try:
            with db.read() as session:
                feeds = {f.name: f for f in session.scalars(select(Feed))}
                assert feeds["hostile"].consecutive_failures == 1
                assert feeds["hostile"].lease_owner is None  # free for the next poll
                assert feeds["good"].item_count == 1
                assert session.scalars(select(Item).where(
                    Item.feed_id == feeds["hostile"].id)).all() == []
        finally:
            db.dispose()


class TestPostgresRefusesNul:
    """The real failure: PostgreSQL refuses NUL. With nothing dropping it, the feed fails
    alone and says why; dropped, it is stored."""

    def test_unstripped_nul_fails_the_feed_alone(self, tmp_path, feed_server, capsys,
                                                 pg_url: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
        from smtpserver import SMTPServer
        from webhookserver import WebhookServer

        import monitor.parse

        monkeypatch.setattr(monitor.parse, "drop_controls", lambda text, **_: text)
        with SMTPServer() as smtp, WebhookServer() as hook:
            env = Env(tmp_path, feed_server, smtp, hook, capsys, pg_url)
            env.feeds.set("/hostile.xml", hostile_feed())
            env.feeds.set("/good.xml", rss([INDO_PACIFIC]))
            env.write(feeds={"hostile": "/hostile.xml", "good": "/good.xml"}, veille=NOTIFY)
            code, out, err = env.veille("check")
            assert code == 1 and "Traceback" not in out + err
            assert "hostile: FAILED — could not record this poll in the database" in out
            assert "NUL" in out
            assert [b["item"]["title"] for b in env.hook_bodies()] == [INDO_PACIFIC.title]
