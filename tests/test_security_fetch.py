"""Where fetches may go: a feed's headers stay on its own origin, and every hop of every
fetch passes the address guard (two loopback origins stand for two sites)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from httpserver import FeedServer
from sqlalchemy import select

from monitor.config import Config, load_config
from monitor.fetch import Fetcher
from monitor.fetch_policy import FeedAccess, FetchPolicy, is_explicit_address, origin_of
from monitor.follow import Follower
from monitor.poll import Poller
from monitor.records import FetchRequest, FetchResult
from storage.database import Database
from storage.models import Feed

UA = "veille-test/1.0"
SECRET = "k3y-0f-the-feed-only"
FEED = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>OTAN</title>'
        "<link>https://www.nato.int/</link><description>x</description>{items}</channel></rss>")
ITEM = ('<item><title>Entretiens OTAN - République de Corée</title><link>{link}</link>'
        '<guid isPermaLink="false">{guid}</guid><pubDate>Tue, 14 May 2024 16:30:00 +0200'
        "</pubDate><description>La République de Corée à Bruxelles.</description></item>")
PAGE = ("<html><head><title>Article</title></head><body><article><h1>Entretiens</h1>"
        "<p>Le 14 mai 2024, l’OTAN a accueilli la République de Corée à Bruxelles pour des "
        "entretiens.</p></article></body></html>")


@pytest.fixture
def other_server() -> Iterator[FeedServer]:
    """A second origin: the same loopback address, another port."""
    with FeedServer() as server:
        yield server


class NamesResolver(AbstractResolver):
    """A DNS of our own: test names to fixed addresses (the guard wraps it like any DNS)."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        if host not in self.table:
            raise OSError(f"unknown test name {host}")
        return [{"hostname": host, "host": self.table[host], "port": port,
                 "family": socket.AF_INET, "proto": 0, "flags": 0}]

    async def close(self) -> None:
        pass


def fetch(req: FetchRequest, policy: FetchPolicy,
          resolver: AbstractResolver | None = None) -> FetchResult:
    async def run() -> FetchResult:
        async with Fetcher(user_agent=UA, policy=policy, resolver=resolver) as fetcher:
            return await fetcher.fetch(req)
    return asyncio.run(run())


def feed_policy(url: str, *, allow_private: bool = False, headers: tuple[str, ...] = ("x-api-key",)
                ) -> FetchPolicy:
    origin = origin_of(url)
    assert origin is not None
    trusted = origin[1] if is_explicit_address(origin[1]) else None
    return FetchPolicy(allow_private=False, feeds={"f": FeedAccess(
        origin, frozenset(headers), allow_private=allow_private, trusted_host=trusted)})


def write_config(tmp: Path, db_url: str, feeds: str, veille: str = "") -> Config:
    (tmp / "config.toml").write_text(f"""[veille]
database = "{db_url}"
jitter = 0
timeout = "5s"
{veille}
{feeds}
[[watch]]
name = "korea"
keywords = ["République de Corée"]
notify = ["screen"]

[notifier.screen]
type = "console"
""", encoding="utf-8")
    return load_config(tmp / "config.toml")


def poll(config: Config, db: Database) -> dict[str, Any]:
    poller = Poller(config, db, owner="test")
    poller.sync_feeds()
    return {o.name: o for o in poller.poll(due_only=False).outcomes}


class TestHeadersStayOnTheirOrigin:
    """Configured headers (an API key) reach the feed's origin and nowhere else."""

    def test_cross_origin_redirect_drops_every_configured_header(
            self, feed_server: FeedServer, other_server: FeedServer) -> None:
        feed_server.redirect("/f.xml", "/here", status=302)
        feed_server.redirect("/here", other_server.url("/f.xml"), status=302)
        other_server.set("/f.xml", FEED.format(items=""))
        url = feed_server.url("/f.xml")
        headers = {"X-Api-Key": SECRET, "Accept-Language": "fr"}
        result = fetch(FetchRequest("f", url, headers=headers),
                       feed_policy(url, headers=("x-api-key", "accept-language")))
        assert result.status == "ok"
        first, same = feed_server.requests
        assert first.headers["x-api-key"] == same.headers["x-api-key"] == SECRET
        (there,) = other_server.requests
        assert "x-api-key" not in there.headers and "accept-language" not in there.headers
        assert "user-agent" in there.headers  # the fetch's own headers still go

    def test_not_sent_to_a_moved_feed_on_another_origin_nor_back_on_the_first(
            self, feed_server: FeedServer, other_server: FeedServer) -> None:
        """The request URL is the 301's new home; the configured origin is still the rule."""
        configured = feed_server.url("/f.xml")
        other_server.redirect("/moved.xml", feed_server.url("/f.xml"), status=302)
        feed_server.set("/f.xml", FEED.format(items=""))
        req = FetchRequest("f", other_server.url("/moved.xml"), headers={"X-Api-Key": SECRET})
        assert fetch(req, feed_policy(configured)).status == "ok"
        assert "x-api-key" not in other_server.requests[0].headers
        assert "x-api-key" not in feed_server.requests[0].headers

    def test_poll_and_page_follows(self, tmp_path: Path, feed_server: FeedServer,
                                   other_server: FeedServer) -> None:
        """End to end: the feed gets its key, the article pages on another origin never do,
        the one on the feed's origin does."""
        items = (ITEM.format(link=other_server.url("/article.htm"), guid="a")
                 + ITEM.format(link=feed_server.url("/article.htm"), guid="b"))
        feed_server.set("/f.xml", FEED.format(items=items))
        for server in (feed_server, other_server):
            server.set("/article.htm", PAGE, headers={"Content-Type": "text/html"})
        db = Database(f"sqlite:///{tmp_path / 'veille.db'}")
        db.migrate()
        try:
            config = write_config(tmp_path, db.url, f"""
[[feed]]
name = "nato"
url = "{feed_server.url('/f.xml')}"
headers = {{ X-Api-Key = "{SECRET}", Accept-Language = "fr" }}
follow = "all"
follow_for = "36500d"  # the items are from 2024
""", veille="allow_private = true")
            assert poll(config, db)["nato"].status == "ok"
            report = Follower(config, db, owner="test").check(due_only=False)
            assert sorted(o.status for o in report.outcomes) == ["baseline", "baseline"]
        finally:
            db.dispose()
        (feed_req,) = feed_server.requests_for("/f.xml")
        assert feed_req.headers["x-api-key"] == SECRET
        (own_page,) = feed_server.requests_for("/article.htm")
        assert own_page.headers["x-api-key"] == SECRET
        (other_page,) = other_server.requests_for("/article.htm")
        assert "x-api-key" not in other_page.headers
        assert "accept-language" not in other_page.headers


class TestEveryHopIsGuarded:
    """A feed URL written as an address is the operator's choice; anywhere else it leads
    must be public, checked at connect time, unless the feed allows private addresses."""

    def test_redirect_to_another_loopback_spelling_is_refused(self, feed_server: FeedServer):
        feed_server.redirect("/f.xml", f"http://127.1:{feed_server.port}/secret")
        feed_server.set("/secret", FEED.format(items=""))
        url = feed_server.url("/f.xml")
        result = fetch(FetchRequest("f", url), feed_policy(url))
        assert result.status == "error" and result.moved_to is None
        assert result.error == ("refused: 127.1 resolves to 127.0.0.1, a private address "
                                "(set allow_private = true to allow)")
        assert feed_server.requests_for("/secret") == []

    def test_redirect_to_a_name_resolving_to_a_private_address_is_refused_at_connect(
            self, feed_server: FeedServer) -> None:
        feed_server.redirect("/f.xml", f"http://intranet.test:{feed_server.port}/secret")
        feed_server.set("/secret", FEED.format(items=""))
        url = feed_server.url("/f.xml")
        resolver = NamesResolver({"intranet.test": "127.0.0.1"})
        result = fetch(FetchRequest("f", url), feed_policy(url), resolver)
        assert result.error == ("refused: intranet.test resolves to 127.0.0.1, a private "
                                "address (set allow_private = true to allow)")
        assert feed_server.requests_for("/secret") == []
        # The same hop with the feed's allow_private: the internal page is reached.
        allowed = fetch(FetchRequest("f", url), feed_policy(url, allow_private=True), resolver)
        assert allowed.status == "ok" and len(feed_server.requests_for("/secret")) == 1

    def test_a_feed_url_with_a_name_is_guarded_like_any_host(self, feed_server: FeedServer):
        """DNS can point a name anywhere: only a written address is trusted."""
        feed_server.set("/f.xml", FEED.format(items=""))
        url = f"http://feeds.test:{feed_server.port}/f.xml"
        resolver = NamesResolver({"feeds.test": "127.0.0.1"})
        result = fetch(FetchRequest("f", url), feed_policy(url), resolver)
        assert result.error is not None and result.error.startswith(
            "refused: feeds.test resolves to 127.0.0.1")
        assert feed_server.requests == []
        ok = fetch(FetchRequest("f", url), feed_policy(url, allow_private=True), resolver)
        assert ok.status == "ok"

    def test_same_host_other_port_is_the_written_address(self, feed_server: FeedServer,
                                                         other_server: FeedServer) -> None:
        feed_server.redirect("/f.xml", other_server.url("/f.xml"), status=301)
        other_server.set("/f.xml", FEED.format(items=""))
        url = feed_server.url("/f.xml")
        result = fetch(FetchRequest("f", url), feed_policy(url))
        assert result.status == "ok" and result.moved_to == other_server.url("/f.xml")

    @pytest.mark.parametrize("db_backend", ["sqlite", "postgresql"])
    def test_poll_refuses_a_301_to_a_private_host_and_never_records_the_move(
            self, tmp_path: Path, feed_server: FeedServer, db_backend: str,
            request: pytest.FixtureRequest) -> None:
        url = (f"sqlite:///{tmp_path / 'veille.db'}" if db_backend == "sqlite"
               else request.getfixturevalue("pg_url"))
        # `localhost` is another host than the written 127.0.0.1: a page of the internal
        # network as far as this feed is concerned.
        feed_server.redirect("/f.xml", f"http://localhost:{feed_server.port}/admin")
        feed_server.set("/admin", FEED.format(items="").replace("OTAN", "Admin console"))
        db = Database(url)
        db.migrate()
        try:
            feeds = f"""
[[feed]]
name = "nato"
url = "{feed_server.url('/f.xml')}"
"""
            outcome = poll(write_config(tmp_path, db.url, feeds), db)["nato"]
            assert outcome.status == "failed"
            assert outcome.error is not None and outcome.error.startswith(
                "refused: localhost resolves to ")
            assert feed_server.requests_for("/admin") == []
            with db.read() as session:
                row = session.scalars(select(Feed)).one()
                assert (row.moved_to, row.title, row.status) == (None, "", "failing")
            # The operator says this feed is internal: the move is followed and recorded.
            outcome = poll(write_config(tmp_path, db.url, feeds + "allow_private = true\n"),
                           db)["nato"]
            assert outcome.status == "ok"
            with db.read() as session:
                row = session.scalars(select(Feed)).one()
                assert row.moved_to == f"http://localhost:{feed_server.port}/admin"
        finally:
            db.dispose()

    def test_pages_trust_no_written_address(self, tmp_path: Path, feed_server: FeedServer):
        """An article link comes from the feed's content: the feed's own written address is
        not a reason to fetch it."""
        feed_server.set("/f.xml", FEED.format(items=ITEM.format(
            link=feed_server.url("/article.htm"), guid="a")))
        feed_server.set("/article.htm", PAGE, headers={"Content-Type": "text/html"})
        db = Database(f"sqlite:///{tmp_path / 'veille.db'}")
        db.migrate()
        try:
            config = write_config(tmp_path, db.url, f"""
[[feed]]
name = "nato"
url = "{feed_server.url('/f.xml')}"
follow = "all"
follow_for = "36500d"  # the items are from 2024
""")
            assert poll(config, db)["nato"].status == "ok"
            (outcome,) = Follower(config, db, owner="test").check(due_only=False).outcomes
            assert outcome.status == "failed" and outcome.error is not None
            assert outcome.error.startswith("refused: 127.0.0.1 is a private address")
            assert feed_server.requests_for("/article.htm") == []
        finally:
            db.dispose()


@pytest.mark.parametrize("host, explicit", [
    ("127.0.0.1", True), ("10.1.2.3", True), ("::1", True), ("[fd00::5]", True),
    ("2130706433", True), ("localhost", True), ("api.localhost", True),
    ("intranet", False), ("feeds.example.org", False), ("localhost.example.org", False)])
def test_explicit_addresses(host: str, explicit: bool) -> None:
    assert is_explicit_address(host) is explicit
