"""A notifier that fails: one log line per episode, a `notifier.failing` alert to the other
notifiers after `notifier_failing_after`, its backlog drained oldest first at its rate limit
when it answers again, and `notifier.recovered`. Real receivers on loopback, injected time."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from dispatchkit import (
    START,
    Clock,
    MakeDispatcher,
    dispatchers_fixture,  # noqa: F401 - the `dispatchers` fixture
    korea_items,
    outbox,
    poll,
)
from httpserver import FeedServer
from webhookserver import Reply, WebhookServer

from monitor.config import Config, load_config
from monitor.notifier_health import PROBE_EVERY
from notifiers.base import Alert, FeedInfo, NotifierInfo
from notifiers.console import format_alert, format_digest
from notifiers.email import EmailNotifier
from notifiers.formats import render, render_digest
from storage.database import Database
from storage.deliveries import PENDING, SENT

CONFIG = '''[veille]
database = "{database}"
interval = "10m"
jitter = 0
first_run = "notify"
timezone = "Europe/Brussels"
notifier_failing_after = "10m"
{extra}

[[feed]]
name = "nato-fr"
url = "{feed}"

[[watch]]
name = "korea"
keywords = ["République de Corée"]
notify = ["chat"]

[notifier.chat]
type = "webhook"
url = "{chat}"
timeout = "2s"
{chat_extra}

[notifier.pager]
type = "webhook"
url = "{pager}"
timeout = "2s"
'''


@pytest.fixture
def receivers() -> Iterator[tuple[WebhookServer, WebhookServer]]:
    """`chat` (down: 500 until a test says otherwise) and `pager` (up)."""
    with WebhookServer(default=Reply(500)) as chat, WebhookServer() as pager:
        yield chat, pager


def _config(tmp_path: Path, db: Database, feeds: FeedServer, chat: WebhookServer,
            pager: WebhookServer, extra: str = "", chat_extra: str = "") -> Config:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(database=db.url, feed=feeds.url("/fr.xml"),
                                  chat=chat.url("/hook"), pager=pager.url("/hook"),
                                  extra=extra, chat_extra=chat_extra), encoding="utf-8")
    return load_config(path, environ={})


def _types(server: WebhookServer) -> list[str]:
    return [r.json["type"] for r in server.requests]


class TestEpisode:
    """One failing episode: one warning, one failing alert elsewhere, one recovery."""

    def test_failing_then_recovered(self, tmp_path: Path, db: Database, feed_server: FeedServer,
                                    receivers: tuple[WebhookServer, WebhookServer],
                                    dispatchers: MakeDispatcher,
                                    caplog: pytest.LogCaptureFixture) -> None:
        chat, pager = receivers
        clock = Clock()
        config = _config(tmp_path, db, feed_server, chat, pager)
        poll(config, db, clock, feed_server, korea_items(3))
        dispatcher = dispatchers(config, db, clock)
        with caplog.at_level(logging.DEBUG):
            for _minute in range(12):  # twelve minutes of failures, every row retried
                dispatcher.dispatch(ignore_schedule=True)
                clock.advance(minutes=1)
            assert _types(pager) == ["notifier.failing"]  # after 10m, once
            chat.default = Reply(200)
            dispatcher.dispatch(ignore_schedule=True)
            dispatcher.dispatch()
        failing, recovered = (r.json for r in pager.requests[:1]), None
        body = next(failing)
        assert set(body) == {"type", "id", "occurred_at", "notifier", "error"}
        assert body["notifier"] == {"name": "chat", "type": "webhook"}
        assert "chat has been failing for 10m" in body["error"] and "HTTP 500" in body["error"]
        assert _types(pager) == ["notifier.failing", "notifier.recovered"]
        recovered = pager.requests[1].json
        assert recovered["notifier"]["name"] == "chat" and "answers again" in recovered["error"]
        # No health alert about chat ever goes to chat itself.
        assert all(r.json["type"] == "item.new" for r in chat.requests)
        assert [(r.notifier, r.status) for r in outbox(db)
                if r.notifier == "chat"] == [("chat", SENT)] * 3
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING
                    and r.name.startswith("monitor")]
        assert sum("notifier chat is failing" in m for m in warnings) == 1
        assert sum("notifier chat answers again" in m for m in warnings) == 1
        assert not any("failed (attempt" in m for m in warnings)  # per attempt: debug only

    def test_a_short_outage_raises_no_alert(self, tmp_path: Path, db: Database,
                                            feed_server: FeedServer,
                                            receivers: tuple[WebhookServer, WebhookServer],
                                            dispatchers: MakeDispatcher) -> None:
        chat, pager = receivers
        clock = Clock()
        config = _config(tmp_path, db, feed_server, chat, pager)
        poll(config, db, clock, feed_server, korea_items(1))
        dispatcher = dispatchers(config, db, clock)
        dispatcher.dispatch()
        clock.advance(minutes=5)
        chat.default = Reply(200)
        dispatcher.dispatch(ignore_schedule=True)
        assert pager.requests == [] and _types(chat) == ["item.new", "item.new"]

    def test_health_notify_chooses_who_hears_it(self, tmp_path: Path, db: Database,
                                                feed_server: FeedServer,
                                                receivers: tuple[WebhookServer, WebhookServer],
                                                dispatchers: MakeDispatcher) -> None:
        chat, pager = receivers
        clock = Clock()
        config = _config(tmp_path, db, feed_server, chat, pager,
                         extra='health_notify = ["chat"]')
        poll(config, db, clock, feed_server, korea_items(1))
        dispatcher = dispatchers(config, db, clock)
        for _minute in range(12):
            dispatcher.dispatch(ignore_schedule=True)
            clock.advance(minutes=1)
        # The only notifier chosen is the failing one: the event is recorded, told to nobody.
        assert pager.requests == []
        assert all(r.json["type"] == "item.new" for r in chat.requests)


class TestDrain:
    """When the notifier answers again its backlog is due at once, oldest first."""

    def test_backlog_oldest_first_at_once(self, tmp_path: Path, db: Database,
                                          feed_server: FeedServer,
                                          receivers: tuple[WebhookServer, WebhookServer],
                                          dispatchers: MakeDispatcher) -> None:
        chat, pager = receivers
        clock = Clock()
        config = _config(tmp_path, db, feed_server, chat, pager)
        items = korea_items(6)
        for count in range(1, 7):  # an alert a minute during the outage
            poll(config, db, clock, feed_server, items[:count])
            dispatcher = dispatchers(config, db, clock)
            dispatcher.dispatch(ignore_schedule=True)
            clock.advance(minutes=1)
        waiting = [r for r in outbox(db) if r.notifier == "chat"]
        assert all(r.status == PENDING and r.next_attempt_at > clock() for r in waiting[:1])
        chat.default = Reply(200)
        clock.advance(minutes=1)
        dispatcher.dispatch()  # the oldest row's retry, or a probe, gets through...
        dispatcher.dispatch()  # ...and everything else is due now
        received = [r.json["id"] for r in chat.requests if r.json["type"] == "item.new"]
        sent_ids = [r.alert_id for r in outbox(db) if r.notifier == "chat"]
        assert [r.status for r in outbox(db) if r.notifier == "chat"] == [SENT] * 6
        # The first success is whichever retry came first; then the rest, oldest first.
        first, rest = received[-6], received[-5:]
        assert rest == [alert_id for alert_id in sent_ids if alert_id != first]

    def test_backlog_respects_max_per_minute(self, tmp_path: Path, db: Database,
                                             feed_server: FeedServer,
                                             receivers: tuple[WebhookServer, WebhookServer],
                                             dispatchers: MakeDispatcher) -> None:
        chat, pager = receivers
        clock = Clock()
        config = _config(tmp_path, db, feed_server, chat, pager, chat_extra="max_per_minute = 2")
        poll(config, db, clock, feed_server, korea_items(5))
        dispatcher = dispatchers(config, db, clock)
        dispatcher.dispatch()  # two tried and failed, three held back by the budget
        clock.advance(minutes=5)
        chat.default = Reply(200)
        report = dispatcher.dispatch(ignore_schedule=True)
        assert len(report.sent) == 2 and len(report.deferred) == 3
        clock.advance(minutes=1)
        assert len(dispatcher.dispatch().sent) == 2

    def test_a_quiet_failing_notifier_is_probed(self, tmp_path: Path, db: Database,
                                                feed_server: FeedServer,
                                                receivers: tuple[WebhookServer, WebhookServer],
                                                dispatchers: MakeDispatcher) -> None:
        chat, pager = receivers
        clock = Clock()
        config = _config(tmp_path, db, feed_server, chat, pager)
        poll(config, db, clock, feed_server, korea_items(3))
        dispatcher = dispatchers(config, db, clock)
        for _attempt in range(6):  # retries now an hour apart
            dispatcher.dispatch(ignore_schedule=True)
        rows = [r for r in outbox(db) if r.notifier == "chat"]
        assert min(r.next_attempt_at for r in rows) - clock() > timedelta(minutes=10)
        tried = len(chat.requests)
        clock.advance(seconds=PROBE_EVERY.total_seconds() + 1)
        dispatcher.dispatch()
        assert len(chat.requests) == tried + 1  # the oldest alone
        assert chat.requests[-1].json["id"] == rows[0].alert_id


NOTIFIER_ALERT = Alert("h-1", "notifier.failing", START, FeedInfo("veille", "", "veille"),
                       error="chat has been failing for 30m (12 failed attempts); last error: "
                             "HTTP 503 from https://hooks.example.org",
                       match="", notifier=NotifierInfo("chat", "webhook"),
                       timezone="Europe/Brussels")


class TestRendering:
    """Every built-in channel shows which notifier fails and why, never a placeholder feed."""

    @pytest.mark.parametrize("fmt", ["slack", "discord", "teams", "mattermost"])
    def test_chat_formats(self, fmt: str) -> None:
        text = json.dumps(render(fmt, NOTIFIER_ALERT), ensure_ascii=False)
        assert "Notifier failing" in text and "chat" in text and "HTTP 503" in text
        assert "veille (veille)" not in text
        assert "chat" in json.dumps(render_digest(fmt, [NOTIFIER_ALERT]), ensure_ascii=False)

    def test_console(self) -> None:
        block = format_alert(NOTIFIER_ALERT)
        assert "Notifier failing: chat" in block and "chat (webhook)" in block
        assert "Feed:" not in block
        assert "Notifier health" in format_digest([NOTIFIER_ALERT])

    def test_email(self) -> None:
        email = EmailNotifier.from_options("analysts", {
            "host": "127.0.0.1", "security": "none", "from": "veille <v@example.org>",
            "to": ["a@example.org"]})
        message = email.message(NOTIFIER_ALERT)
        assert message["Subject"] == "[veille] Notifier failing: chat"
        assert "<notifier.chat@example.org>" in message["References"]
        text = message.get_body(("plain",))
        assert text is not None and "HTTP 503" in text.get_content()

    def test_french(self) -> None:
        from dataclasses import replace

        block = format_alert(replace(NOTIFIER_ALERT, language="fr"))
        assert "Canal d’alerte en échec" in block
