"""Feed health end to end: `veille check` run again and again against a real feed server, with
health alerts received by a real webhook endpoint and a real SMTP server.

DESIGN: `feed.failing` after `[veille] failing_after` consecutive failed polls (at once for a
410, which also stops polling), `feed.recovered` on the next success, once per episode, routed to
`health_notify` or else to the notifiers of the feed's watches; the json body has `feed` and
`error` in place of `item`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from httpserver import FeedServer
from smtpserver import SMTPServer
from webhookserver import Recorded, WebhookServer

from monitor.cli import main

FEED = (Path(__file__).parent / "data" / "feeds" / "nato-fr-rss.xml").read_bytes()
EN_FEED = (Path(__file__).parent / "data" / "feeds" / "nato-en-atom.xml").read_bytes()
FEED_EVENT_KEYS = {"type", "id", "occurred_at", "feed", "error", "watches", "matched", "match",
                   "changes"}


class Setup:
    """A config in tmp_path whose feeds are on `feeds` and whose webhooks post to `hook`."""

    def __init__(self, tmp_path: Path, feeds: FeedServer, hook: WebhookServer,
                 capsys: pytest.CaptureFixture[str]) -> None:
        self.dir, self.feeds, self.hook, self.capsys = tmp_path, feeds, hook, capsys
        self.config = tmp_path / "config.toml"
        self.serve_ok()
        feeds.set("/nato-en.xml", EN_FEED)

    def serve_ok(self) -> None:
        self.feeds.set("/nato-fr.xml", FEED,
                       headers={"Content-Type": "application/rss+xml; charset=utf-8"})

    def serve_error(self, status: int) -> None:
        self.feeds.set("/nato-fr.xml", b"<html><body>Erreur</body></html>", status=status,
                       headers={"Content-Type": "text/html"})

    def write(self, veille: str = "", extra: str = "") -> None:
        """Two feeds; watch "korea" on nato-fr → analysts, "pacific" on nato-en → chat;
        `ops` is used by no watch."""
        text = f"""\
            [veille]
            database = "sqlite:///veille.db"
            timezone = "Europe/Brussels"
            {veille}

            [[feed]]
            name = "nato-fr"
            url = "{self.feeds.url('/nato-fr.xml')}"

            [[feed]]
            name = "nato-en"
            url = "{self.feeds.url('/nato-en.xml')}"

            [[watch]]
            name = "korea"
            keywords = ["République de Corée"]
            feeds = ["nato-fr"]
            notify = ["analysts"]

            [[watch]]
            name = "pacific"
            keywords = ["Indo-Pacific"]
            feeds = ["nato-en"]
            notify = ["chat"]

            [notifier.analysts]
            type = "webhook"
            url = "{self.hook.url('/analysts')}"

            [notifier.chat]
            type = "webhook"
            url = "{self.hook.url('/chat')}"

            [notifier.ops]
            type = "webhook"
            url = "{self.hook.url('/ops')}"
            """
        self.config.write_text(textwrap.dedent(text) + textwrap.dedent(extra), encoding="utf-8")

    def veille(self, *args: str) -> tuple[int, str]:
        """Run the CLI in this process; exit code and standard output."""
        code = main(["-c", str(self.config), *args])
        out, _ = self.capsys.readouterr()
        return code, out

    def health(self, path: str | None = None) -> list[Recorded]:
        """Feed health alerts received (on `path` only, when given), oldest first."""
        return [r for r in self.hook.requests
                if r.json["type"].startswith("feed.") and (path is None or r.path == path)]

    def feed_status(self, name: str) -> str:
        """The line of `veille feeds` about feed `name`."""
        code, out = self.veille("feeds")
        assert code == 0
        return next(line for line in out.splitlines() if line.startswith(name + " "))


@pytest.fixture
def setup(tmp_path: Path, feed_server: FeedServer,
          capsys: pytest.CaptureFixture[str]) -> Iterator[Setup]:
    """Feed server, webhook endpoint and config directory of one test."""
    with WebhookServer() as hook:
        yield Setup(tmp_path, feed_server, hook, capsys)


class TestFailingEpisode:
    """Five failed polls then a good one: one feed.failing at the third, one feed.recovered."""

    def test_once_per_episode(self, setup: Setup) -> None:
        setup.write('failing_after = 3\nhealth_notify = ["ops"]')
        setup.serve_error(500)
        for poll in (1, 2):
            code, out = setup.veille("check")
            assert code == 1
            assert "nato-fr: FAILED — HTTP 500 Internal Server Error" in out
            assert setup.health() == [], f"feed.failing before failing_after, at poll {poll}"
        assert "failing ×2" in setup.feed_status("nato-fr")

        code, out = setup.veille("check")
        assert code == 1
        assert "→ ops: sent (feed.failing: nato-fr)" in out
        [failing] = setup.health()
        assert failing.path == "/ops"
        assert failing.json["type"] == "feed.failing"
        assert failing.json["feed"]["name"] == "nato-fr"
        assert failing.json["error"] == "HTTP 500 Internal Server Error"

        for _poll in (4, 5):
            code, out = setup.veille("check")
            assert code == 1 and "feed.failing" not in out
            assert len(setup.health()) == 1
        assert "failing ×5" in setup.feed_status("nato-fr")

        setup.serve_ok()
        code, out = setup.veille("check")
        assert code == 0
        assert "alert feed.recovered: OTAN – Actualités → ops (health)" in out
        first, recovered = setup.health()
        assert first == failing
        assert recovered.path == "/ops"
        assert recovered.json["type"] == "feed.recovered"
        assert recovered.json["error"] == ("polled again after 5 failed poll(s); last error: "
                                           "HTTP 500 Internal Server Error")
        assert recovered.json["id"] != failing.json["id"]
        status = setup.feed_status("nato-fr")
        assert " ok " in status and "HTTP 500" not in status

        code, out = setup.veille("check")
        assert code == 0 and "feed." not in out
        assert len(setup.health()) == 2
        # health_notify = ["ops"]: the feed's own watch notifier heard nothing of it.
        assert [r for r in setup.hook.requests if r.path != "/ops"] == []

    def test_a_new_episode_alerts_again(self, setup: Setup) -> None:
        setup.write('failing_after = 2\nhealth_notify = ["ops"]')
        for status in (503, 503, 200, 502, 502):
            if status == 200:
                setup.serve_ok()
            else:
                setup.serve_error(status)
            setup.veille("check")
        assert [r.json["type"] for r in setup.health()] == [
            "feed.failing", "feed.recovered", "feed.failing"]
        assert setup.health()[-1].json["error"] == "HTTP 502 Bad Gateway"

    def test_a_failure_short_of_the_threshold_is_not_an_episode(self, setup: Setup) -> None:
        setup.write('failing_after = 3\nhealth_notify = ["ops"]')
        for status in (500, 500, 200, 500, 500, 200):
            if status == 200:
                setup.serve_ok()
            else:
                setup.serve_error(status)
            setup.veille("check")
        assert setup.health() == []


class TestGone:
    """A 410 raises feed.failing at once and stops polling; `veille feeds` says so."""

    def test_410(self, setup: Setup) -> None:
        setup.write('failing_after = 3\nhealth_notify = ["ops"]')
        setup.serve_error(410)
        code, out = setup.veille("check")
        assert code == 1
        assert "nato-fr: FAILED — HTTP 410 Gone: the feed was removed" in out
        [failing] = setup.health()
        assert failing.json["type"] == "feed.failing"
        assert failing.json["error"] == "HTTP 410 Gone: the feed was removed"
        requests = len(setup.feeds.requests_for("/nato-fr.xml"))

        setup.serve_ok()  # even if it came back, veille no longer asks
        for _ in range(2):
            code, out = setup.veille("check")
            assert code == 0 and "nato-fr" not in out
        assert len(setup.feeds.requests_for("/nato-fr.xml")) == requests
        assert len(setup.health()) == 1
        status = setup.feed_status("nato-fr").split()
        assert status[:2] == ["nato-fr", "gone"]
        assert "- HTTP 410 Gone: the feed was removed" in " ".join(status)


class TestRouting:
    """Health alerts go to health_notify, else to the notifiers of the feed's own watches."""

    def test_default_is_the_feeds_watch_notifiers(self, setup: Setup) -> None:
        setup.write("failing_after = 1")
        setup.serve_error(500)
        code, out = setup.veille("check")
        assert "→ analysts: sent (feed.failing: nato-fr)" in out
        assert [(r.path, r.json["type"]) for r in setup.health()] == [
            ("/analysts", "feed.failing")]
        # chat watches only nato-en, ops no feed at all; nato-en polled fine (no alert).
        assert not [r for r in setup.hook.requests if r.path in ("/chat", "/ops")]

    def test_health_notify_replaces_the_default(self, setup: Setup) -> None:
        setup.write('failing_after = 1\nhealth_notify = ["ops", "chat"]')
        setup.serve_error(500)
        setup.veille("check")
        assert sorted(r.path for r in setup.health()) == ["/chat", "/ops"]
        assert not [r for r in setup.hook.requests if r.path == "/analysts"]

    def test_email_health_alert(self, setup: Setup) -> None:
        with SMTPServer() as smtp:
            setup.write('failing_after = 1\nhealth_notify = ["mail"]', f"""
                [notifier.mail]
                type = "email"
                host = "127.0.0.1"
                port = {smtp.port}
                security = "none"
                from = "veille <veille@example.org>"
                to = ["ops@example.org"]
                """)
            setup.serve_error(503)
            code, out = setup.veille("check")
            assert code == 1
            [received] = smtp.messages
        message = received.message
        assert message["Subject"] == "[veille] Feed failing: nato-fr"
        assert message["X-Veille-Alert-Type"] == "feed.failing"
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "HTTP 503 Service Unavailable" in text
        assert setup.feeds.url("/nato-fr.xml") in text
        assert setup.hook.requests == []


class TestWebhookBody:
    """The json body of a feed event carries `feed` and `error` in place of `item` (DESIGN)."""

    def test_shape(self, setup: Setup) -> None:
        setup.write('failing_after = 1\nhealth_notify = ["ops"]')
        setup.serve_error(500)
        setup.veille("check")
        setup.serve_ok()
        setup.veille("check")
        failing, recovered = (r.json for r in setup.health())
        url = setup.feeds.url("/nato-fr.xml")
        for body in (failing, recovered):
            assert set(body) == FEED_EVENT_KEYS
            assert body["watches"] == [] and body["matched"] == [] and body["changes"] == []
            assert body["match"] == ""
            assert body["occurred_at"].endswith("Z")
            assert body["error"]
        assert failing["feed"] == {"name": "nato-fr", "url": url, "title": ""}
        assert recovered["feed"] == {"name": "nato-fr", "url": url, "title": "OTAN – Actualités"}
