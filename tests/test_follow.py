"""Following article pages: page baselines, page revisions as alerts, volatile dates, safety,
expiry, conditional GET, joined feed and page revisions, and `history --item`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from httpserver import FeedServer
from sqlalchemy import select
from webhookserver import WebhookServer

from monitor.cli import main
from monitor.config import Config, load_config
from monitor.daemon import Daemon
from monitor.dispatch import Dispatcher
from monitor.follow import Follower, FollowReport
from monitor.history import show_history
from monitor.poll import Poller, PollReport
from storage.database import Database
from storage.models import Delivery, Event, Item, ItemVersion, Page

PAGES = Path(__file__).parent / "data" / "pages"
T0 = datetime(2024, 5, 23, 6, 0, tzinfo=UTC)
ARTICLE = "/cps/fr/natohq/news_225658.htm"
SEED_TITLE = ("Entretiens de travail entre les États-majors militaires de l’OTAN et de la "
              "République de Corée sur la coopération")
SEED_SUMMARY = "<p>Le 14 mai 2024, l’OTAN a accueilli la République de Corée à Bruxelles.</p>"
OTHER = ("Exercice Steadfast Defender 2024 : fin de la phase maritime",
         "<p>La phase maritime de l’exercice s’est achevée en mer du Nord.</p>")
ORIGINAL = (PAGES / "nato-fr-original.html").read_text(encoding="utf-8")
REVISED = (PAGES / "nato-fr-revised.html").read_text(encoding="utf-8")
RELOAD = (PAGES / "nato-fr-reload.html").read_text(encoding="utf-8")
DATE_MOVED = ORIGINAL.replace("Mis à jour le: 23 May. 2024 07:58",
                              "Mis à jour le: 24 May. 2024 09:12").replace(
    "2024-05-23T07:58:00+02:00", "2024-05-24T09:12:00+02:00")


def item_xml(guid: str, title: str, link: str, summary: str,
             published: str = "Tue, 14 May 2024 16:30:00 +0200") -> str:
    return (f"<item><title>{title}</title><link>{link}</link>"
            f"<guid isPermaLink=\"false\">{guid}</guid><pubDate>{published}</pubDate>"
            f"<description><![CDATA[{summary}]]></description></item>")


def rss(*items: str) -> str:
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel>"
            "<title>OTAN - Actualités</title><link>https://www.nato.int/</link>"
            f"<description>Actualités</description>{''.join(items)}</channel></rss>")


class Clock:
    """An injected clock that tests move by hand."""

    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


class Rig:
    """A feed and its article on a loopback server, a webhook receiver, one database."""

    def __init__(self, tmp: Path, server: FeedServer, hook: WebhookServer, db: Database) -> None:
        self.tmp, self.server, self.hook, self.db = tmp, server, hook, db
        self.clock = Clock()
        self.link = server.url(ARTICLE)
        self.config: Config | None = None
        self.seen = 0

    def configure(self, *, feed: str = "follow = true", watch: str = "",
                  veille: str = "allow_private = true") -> Config:
        text = f"""[veille]
database = "{self.db.url}"
jitter = 0
timeout = "5s"
timezone = "Europe/Brussels"
{veille}

[[feed]]
name = "nato-fr"
url = "{self.server.url('/fr.xml')}"
{feed}

[[watch]]
name = "korea"
keywords = ["République de Corée", "Indo-Pacifique"]
notify = ["chat"]
{watch}

[notifier.chat]
type = "webhook"
url = "{self.hook.url('/hook')}"
"""
        (self.tmp / "config.toml").write_text(text, encoding="utf-8")
        self.config = load_config(self.tmp / "config.toml")
        return self.config

    def feed(self, *items: str) -> None:
        self.server.set("/fr.xml", rss(*items), headers={"Content-Type": "application/rss+xml"})

    def page(self, html: str, **options: Any) -> None:
        self.server.set(ARTICLE, html.encode(),
                        headers={"Content-Type": "text/html; charset=utf-8"}, **options)

    def seed(self, summary: str = SEED_SUMMARY) -> str:
        return item_xml("news_225658_fr", SEED_TITLE, self.link, summary)

    def poll(self) -> PollReport:
        assert self.config is not None
        poller = Poller(self.config, self.db, owner="test", now=self.clock)
        poller.sync_feeds()
        return poller.poll(due_only=False)

    def check(self, *, due_only: bool = True) -> FollowReport:
        assert self.config is not None
        return Follower(self.config, self.db, owner="test", now=self.clock).check(
            due_only=due_only)

    def dispatch(self, *, ignore_schedule: bool = True) -> list[dict[str, Any]]:
        """Send what is due; the webhook bodies received since the last call."""
        assert self.config is not None
        dispatcher = Dispatcher(self.config, self.db, owner="test", now=self.clock)
        try:
            dispatcher.dispatch(ignore_schedule=ignore_schedule)
        finally:
            dispatcher.close()
        bodies = [r.json for r in self.hook.requests[self.seen:]]
        self.seen = len(self.hook.requests)
        return bodies

    def baseline_then_new(self) -> None:
        """First poll: an unrelated item (baseline); then the seed article appears and its
        page is loaded once (its silent baseline)."""
        self.feed(item_xml("news_225612_fr", *OTHER[:1], self.server.url("/other.htm"),
                           OTHER[1]))
        self.poll()
        self.feed(self.seed(), item_xml("news_225612_fr", *OTHER[:1],
                                        self.server.url("/other.htm"), OTHER[1]))
        self.poll()

    def versions(self) -> list[ItemVersion]:
        with self.db.read() as s:
            item = s.scalars(select(Item).where(Item.key == "news_225658_fr")).one()
            return list(s.scalars(select(ItemVersion).where(ItemVersion.item_id == item.id)
                                  .order_by(ItemVersion.number)))

    def page_row(self) -> Page:
        with self.db.read() as s:
            return s.scalars(select(Page)).one()


@pytest.fixture
def hook() -> Iterator[WebhookServer]:
    with WebhookServer() as server:
        yield server


@pytest.fixture
def rig(tmp_path: Path, feed_server: FeedServer, hook: WebhookServer, db: Database) -> Rig:
    """The rig on each database backend."""
    return Rig(tmp_path, feed_server, hook, db)


@pytest.fixture
def lite(tmp_path: Path, feed_server: FeedServer, hook: WebhookServer) -> Iterator[Rig]:
    """The rig on a SQLite file only."""
    database = Database(f"sqlite:///{tmp_path / 'veille.db'}")
    database.migrate()
    yield Rig(tmp_path, feed_server, hook, database)
    database.dispose()


def changes_of(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["field"]: c for c in body["changes"]}


class TestPageRevision:
    """A revised article page is one item.changed alert naming only what changed."""

    def test_baseline_then_revision(self, rig: Rig) -> None:
        rig.configure()
        rig.page(ORIGINAL)
        rig.baseline_then_new()
        report = rig.check()
        assert [o.status for o in report.outcomes] == ["baseline"]
        [new] = rig.dispatch()
        assert new["type"] == "item.new" and new["changes"] == []
        assert new["item"]["page_title"] == SEED_TITLE  # the baseline joined the new alert
        assert new["item"]["page_modified"] == "2024-05-23T05:58:00Z"

        rig.page(REVISED)
        rig.clock.advance(hours=1)
        assert rig.dispatch() == []
        assert [o.status for o in rig.check().outcomes] == ["changed"]
        [alert] = rig.dispatch()
        assert alert["type"] == "item.changed"
        assert (alert["watches"], alert["match"]) == (["korea"], "kept")
        changes = changes_of(alert)
        assert set(changes) == {"page_modified", "page_text"}
        assert changes["page_modified"]["before"] == "2024-05-23T05:58:00Z"
        assert changes["page_modified"]["after"] == "2024-05-27T08:15:00Z"
        text = changes["page_text"]
        assert "née en 2005, porte sur différents" in text["before"]
        assert "engagée en 2005, s’étend à plusieurs" in text["after"]
        for side in (text["before"], text["after"]):
            assert "Le 14 mai 2024" not in side and "Dong Goo Kang" not in side
        assert alert["item"]["page_modified"] == "2024-05-27T08:15:00Z"
        assert [v.silent_reason for v in rig.versions()] == [None, "page-baseline", None]

    def test_first_load_is_a_silent_baseline(self, lite: Rig) -> None:
        lite.configure()
        lite.page(ORIGINAL)
        lite.feed(lite.seed())  # the feed's first poll: the item itself is a baseline
        lite.poll()
        assert [o.status for o in lite.check().outcomes] == ["baseline"]
        assert lite.dispatch() == []
        with lite.db.read() as s:
            assert s.scalars(select(Event)).all() == []
        assert [v.silent_reason for v in lite.versions()] == ["baseline", "page-baseline"]

    def test_boilerplate_reload_is_not_a_revision(self, lite: Rig) -> None:
        lite.configure()
        lite.page(ORIGINAL)
        lite.baseline_then_new()
        lite.check()
        lite.dispatch()
        lite.page(RELOAD)
        lite.clock.advance(hours=1)
        assert [o.status for o in lite.check().outcomes] == ["unchanged"]
        assert lite.dispatch() == []
        assert len(lite.versions()) == 2

    def test_date_moved_alone_is_recorded_silently(self, lite: Rig) -> None:
        lite.configure()
        lite.page(ORIGINAL)
        lite.baseline_then_new()
        lite.check()
        lite.dispatch()
        lite.page(DATE_MOVED)
        lite.clock.advance(hours=1)
        assert [o.status for o in lite.check().outcomes] == ["volatile"]
        assert lite.dispatch() == []
        last = lite.versions()[-1]
        assert last.silent_reason == "page-volatile"
        assert last.page_modified == datetime(2024, 5, 24, 7, 12, tzinfo=UTC)

    def test_unmatched_page_revision_alerts_nobody(self, lite: Rig) -> None:
        lite.configure(feed='follow = "all"')
        lite.page(ORIGINAL)
        lite.feed(item_xml("x1", *OTHER[:1], lite.link, OTHER[1]))
        lite.poll()
        lite.check()
        lite.page(REVISED)
        lite.clock.advance(hours=1)
        assert [o.status for o in lite.check().outcomes] == ["changed"]
        assert lite.dispatch() == []
        with lite.db.read() as s:
            assert s.scalars(select(Event.type)).all() == ["item.changed"]


class TestMatchPage:
    """With match_page, a page that mentions a watched term makes the item's new alert."""

    def test_page_terms_join_the_unsent_new_event(self, lite: Rig) -> None:
        lite.configure(feed='follow = "all"\nfirst_run = "notify"', watch="match_page = true")
        lite.feed(item_xml("x1", "Entretiens militaires", lite.link, OTHER[1]))
        lite.page(ORIGINAL)
        lite.poll()
        with lite.db.read() as s:
            assert s.scalars(select(Delivery)).all() == []  # the feed text matches nothing
        [outcome] = lite.check().outcomes
        assert (outcome.status, outcome.joined) == ("baseline", "item.new")
        [alert] = lite.dispatch()
        assert (alert["type"], alert["match"]) == ("item.new", "new")
        assert alert["matched"] == ["République de Corée", "Indo-Pacifique"]
        assert alert["item"]["page_title"] == SEED_TITLE

    def test_without_match_page_the_page_is_not_matched(self, lite: Rig) -> None:
        lite.configure(feed='follow = "all"\nfirst_run = "notify"')
        lite.feed(item_xml("x1", "Entretiens militaires", lite.link, OTHER[1]))
        lite.page(ORIGINAL)
        lite.poll()
        assert [o.joined for o in lite.check().outcomes] == [None]
        assert lite.dispatch() == []


class TestWhatIsFollowed:
    """follow = true follows matching items, "all" every recent one, never older ones."""

    def test_follow_true_skips_unmatched_items(self, lite: Rig) -> None:
        lite.configure()
        lite.feed(item_xml("x1", *OTHER[:1], lite.link, OTHER[1]))
        lite.poll()
        with lite.db.read() as s:
            assert s.scalars(select(Page)).all() == []

    def test_follow_all_takes_baseline_items_within_follow_for(self, lite: Rig) -> None:
        lite.configure(feed='follow = "all"\nfollow_for = "3d"')
        lite.feed(item_xml("recent", *OTHER[:1], lite.link, OTHER[1],
                           published="Wed, 22 May 2024 10:00:00 +0200"),
                  item_xml("old", "Vieux", lite.server.url("/old.htm"), OTHER[1],
                           published="Mon, 13 May 2024 10:00:00 +0200"))
        lite.poll()
        with lite.db.read() as s:
            rows = s.execute(select(Item.key, Page.follow_until)
                             .join(Page, Page.item_id == Item.id)).all()
        assert rows == [("recent", datetime(2024, 5, 25, 8, 0, tzinfo=UTC))]

    def test_watch_match_page_reads_the_article(self, lite: Rig) -> None:
        lite.configure(feed='follow = "all"', watch="match_page = true")
        lite.feed(item_xml("x1", "Entretiens militaires", lite.link, OTHER[1]))
        lite.page(ORIGINAL.replace("République de Corée", "RdC").replace("Indo-Pacifique", "zone"))
        lite.poll()
        lite.check()
        assert lite.dispatch() == []  # no watched term in the feed text nor in the page
        lite.page(REVISED.replace("Indo-Pacifique", "zone"))
        lite.clock.advance(hours=1)
        lite.check()
        [alert] = lite.dispatch()
        assert (alert["watches"], alert["match"]) == (["korea"], "added")
        assert alert["matched"] == ["République de Corée"]

    def test_without_match_page_the_article_is_not_matched(self, lite: Rig) -> None:
        lite.configure(feed='follow = "all"')
        lite.feed(item_xml("x1", "Entretiens militaires", lite.link, OTHER[1]))
        lite.page(ORIGINAL.replace("République de Corée", "RdC").replace("Indo-Pacifique", "zone"))
        lite.poll()
        lite.check()
        lite.page(REVISED)
        lite.clock.advance(hours=1)
        assert [o.status for o in lite.check().outcomes] == ["changed"]
        assert lite.dispatch() == []


class TestSafety:
    """Links from feeds are untrusted: private addresses are refused, failures stay the page's."""

    def test_private_address_refused(self, lite: Rig) -> None:
        lite.configure(veille="")
        lite.page(ORIGINAL)
        lite.feed(lite.seed())
        report = lite.poll()
        assert [o.status for o in report.outcomes] == ["ok"]
        [outcome] = lite.check().outcomes
        assert outcome.status == "failed"
        assert outcome.error == ("refused: 127.0.0.1 is a private address "
                                 "(set allow_private = true to allow)")
        assert lite.server.requests_for(ARTICLE) == []
        row = lite.page_row()
        assert (row.consecutive_failures, row.last_error) == (1, outcome.error)
        assert row.next_check_at is not None and row.next_check_at > lite.clock()
        lite.clock.advance(minutes=5)
        assert [o.status for o in lite.poll().outcomes] == ["same_body"]

    def test_gone_page_stops_following(self, lite: Rig) -> None:
        lite.configure()
        lite.server.set(ARTICLE, "gone", status=404)
        lite.feed(lite.seed())
        lite.poll()
        [outcome] = lite.check().outcomes
        assert outcome.status == "stopped"
        row = lite.page_row()
        assert row.next_check_at is None
        assert row.last_error == "HTTP 404 Not Found; stopped following"

    def test_non_html_is_not_read(self, lite: Rig) -> None:
        lite.configure()
        lite.server.set(ARTICLE, b"%PDF-1.7", headers={"Content-Type": "application/pdf"})
        lite.feed(lite.seed())
        lite.poll()
        [outcome] = lite.check().outcomes
        assert (outcome.status, outcome.error) == ("stopped", "not an HTML page (application/pdf)")
        assert lite.page_row().next_check_at is None


class TestSchedule:
    """Checks recur every follow_interval, stop after follow_for, and use conditional GET."""

    def test_follow_for_expiry_stops_checks(self, lite: Rig) -> None:
        lite.configure(feed='follow = true\nfollow_interval = "1h"\nfollow_for = "10d"')
        lite.page(ORIGINAL)
        lite.feed(lite.seed())  # published 2024-05-14 14:30 UTC: followed until 05-24 14:30
        lite.poll()
        assert [o.status for o in lite.check().outcomes] == ["baseline"]
        assert lite.page_row().next_check_at == T0 + timedelta(hours=1)
        lite.clock.advance(minutes=30)
        assert lite.check().outcomes == []  # not due yet
        lite.clock.at = datetime(2024, 5, 24, 14, 0, tzinfo=UTC)
        lite.check()
        assert lite.page_row().next_check_at == datetime(2024, 5, 24, 14, 30, tzinfo=UTC)
        lite.clock.at = datetime(2024, 5, 24, 14, 30, tzinfo=UTC)
        lite.check()
        assert lite.page_row().next_check_at is None
        before = len(lite.server.requests_for(ARTICLE))
        lite.clock.advance(days=1)
        assert lite.check(due_only=False).outcomes == []
        assert len(lite.server.requests_for(ARTICLE)) == before

    def test_item_older_than_follow_for_is_not_followed(self, lite: Rig) -> None:
        lite.configure(feed='follow = true\nfollow_for = "2d"')
        lite.feed(lite.seed())
        lite.poll()
        with lite.db.read() as s:
            assert s.scalars(select(Page)).all() == []

    def test_conditional_get_on_rechecks(self, lite: Rig) -> None:
        lite.configure()
        lite.page(ORIGINAL, etag='"v1"', last_modified="Thu, 23 May 2024 05:58:00 GMT")
        lite.feed(lite.seed())
        lite.poll()
        lite.check()
        lite.clock.advance(hours=1)
        assert [o.status for o in lite.check().outcomes] == ["not_modified"]
        first, second = lite.server.requests_for(ARTICLE)
        assert "if-none-match" not in first.headers
        assert second.headers["if-none-match"] == '"v1"'
        assert second.headers["accept"].startswith("text/html")
        assert lite.page_row().next_check_at == lite.clock() + timedelta(hours=1)

    def test_identical_body_is_not_read_again(self, lite: Rig) -> None:
        lite.configure()
        lite.page(ORIGINAL)
        lite.feed(lite.seed())
        lite.poll()
        lite.check()
        lite.clock.advance(hours=1)
        assert [o.status for o in lite.check().outcomes] == ["same_body"]


class TestJoinedRevision:
    """A feed-side revision of a followed item checks its page at once, in one event."""

    def test_feed_and_page_revisions_are_one_event(self, lite: Rig) -> None:
        lite.configure()
        lite.page(ORIGINAL)
        lite.feed(lite.seed())
        lite.poll()
        lite.check()
        lite.clock.advance(minutes=10)
        lite.feed(lite.seed(SEED_SUMMARY.replace("à Bruxelles", "au siège, à Bruxelles")))
        lite.page(REVISED)
        [outcome] = lite.poll().outcomes
        assert outcome.changed == 1
        assert lite.dispatch(ignore_schedule=False) == []  # held for the page check
        assert lite.page_row().next_check_at == lite.clock()
        [page] = lite.check().outcomes
        assert (page.status, page.joined) == ("changed", "item.changed")
        [alert] = lite.dispatch(ignore_schedule=False)
        assert set(changes_of(alert)) == {"summary", "page_modified", "page_text"}
        assert alert["item"]["version"] == 4  # new, page baseline, feed revision, page revision
        with lite.db.read() as s:
            assert s.scalars(select(Event.type)).all() == ["item.changed"]

    def test_unchanged_page_releases_the_held_alert(self, lite: Rig) -> None:
        lite.configure()
        lite.page(ORIGINAL)
        lite.feed(lite.seed())
        lite.poll()
        lite.check()
        lite.clock.advance(minutes=10)
        lite.feed(lite.seed(SEED_SUMMARY.replace("à Bruxelles", "au siège, à Bruxelles")))
        lite.poll()
        with lite.db.read() as s:
            [held] = s.scalars(select(Delivery)).all()
            assert held.next_attempt_at == lite.clock() + timedelta(seconds=5 + 15)
        lite.check()
        [alert] = lite.dispatch(ignore_schedule=False)
        assert set(changes_of(alert)) == {"summary"}
        assert alert["item"]["page_title"] == SEED_TITLE


class TestHistory:
    """`veille history --item` shows feed and page versions with the page diff."""

    def test_page_diff_in_item_history(self, lite: Rig,
                                       capsys: pytest.CaptureFixture[str]) -> None:
        config = lite.configure()
        lite.page(ORIGINAL)
        lite.feed(lite.seed())
        lite.poll()
        lite.check()
        lite.page(REVISED)
        lite.clock.advance(hours=1)
        lite.check()
        capsys.readouterr()
        show_history(config, lite.db, feed=None, item="news_225658_fr", since=None, limit=50)
        out = capsys.readouterr().out
        assert "version 2  2024-05-23 08:00 CEST — silent: page-baseline" in out
        assert f"page title: {SEED_TITLE}" in out
        # Local time with its zone, as everywhere a person reads a date.
        assert "page_modified:\n      2024-05-23 07:58 CEST → 2024-05-27 10:15 CEST" in out
        assert "Cette collaboration, [-née-]{+engagée+} en 2005" in out
        assert "Le 14 mai 2024" not in out  # unchanged paragraphs are left out
        assert f"page {lite.link}: followed until" in out


class TestSchema:
    """Migration 0002 creates exactly what the models describe, on each backend."""

    def test_models_match_migrations(self, db: Database) -> None:
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext

        from storage.models import Base

        with db.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diffs == []


class TestCommands:
    """`check` reads followed pages before sending, `feeds` shows their failures, the daemon
    checks them on its own job."""

    def recent_seed(self, rig: Rig) -> str:
        published = format_datetime(datetime.now(UTC) - timedelta(hours=2))
        return item_xml("news_225658_fr", SEED_TITLE, rig.link, SEED_SUMMARY, published)

    def veille(self, rig: Rig, capsys: pytest.CaptureFixture[str], *args: str) -> str:
        capsys.readouterr()
        assert main(["-c", str(rig.tmp / "config.toml"), *args]) == 0
        return capsys.readouterr().out

    def test_check_alerts_a_page_revision_in_the_same_run(
            self, lite: Rig, capsys: pytest.CaptureFixture[str]) -> None:
        lite.configure()
        lite.page(ORIGINAL)
        lite.feed(self.recent_seed(lite))
        out = self.veille(lite, capsys, "check")
        assert "nato-fr: page of news_225658_fr: first load recorded silently (baseline)" in out
        lite.page(REVISED)
        out = self.veille(lite, capsys, "check", "--dry-run")
        assert "nato-fr: page of news_225658_fr: revised\n  would alert item.changed" in out
        assert lite.hook.requests == [] and len(lite.versions()) == 2
        out = self.veille(lite, capsys, "check")
        assert "nato-fr: page of news_225658_fr: revised\n  alert item.changed: Entretiens" in out
        assert "→ chat: sent (item.changed" in out
        assert [r.json["type"] for r in lite.hook.requests] == ["item.changed"]

    def test_feeds_shows_failing_pages(self, lite: Rig,
                                       capsys: pytest.CaptureFixture[str]) -> None:
        lite.configure(veille="")
        lite.page(ORIGINAL)
        lite.feed(self.recent_seed(lite))
        out = self.veille(lite, capsys, "check")
        assert "page of news_225658_fr: FAILED — refused: 127.0.0.1 is a private" in out
        out = self.veille(lite, capsys, "feeds")
        assert "pages: 1 followed, 1 failing (refused: 127.0.0.1" in out

    def test_daemon_job_checks_due_pages(self, lite: Rig) -> None:
        config = lite.configure()
        lite.page(ORIGINAL)
        lite.feed(lite.seed())
        daemon = Daemon(config, lite.db, now=lite.clock)
        try:
            daemon.poller.sync_feeds()
            daemon.poll_job()
            daemon.follow_job()
            lite.page(REVISED)
            lite.clock.advance(hours=1)
            daemon.follow_job()  # finds the revision; the dispatch job sends it
            daemon.dispatch_job()
            assert daemon.dispatcher.wait_idle(10)
        finally:
            daemon.dispatcher.close()
        assert [r.json["type"] for r in lite.hook.requests] == ["item.changed"]


class TestDemo:
    """The demo's third stage revises the followed article page alone and alerts it."""

    def test_demo_alerts_the_page_revision(self, capsys: pytest.CaptureFixture[str]) -> None:
        from monitor.demo import run_demo

        assert run_demo() == 0
        out = capsys.readouterr().out
        stage = out[out.index("=== 3. third poll"):]
        assert "nato-fr: page of news_225706_fr: revised" in stage
        assert '"field": "page_text"' in out and "3 webhook alerts received." in out
