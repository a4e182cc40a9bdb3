"""Digests: alerts held in the outbox until the end of their period, then sent as one message.

Outbox rows come from real polls of a loopback feed; messages go to a real webhook receiver
and a real SMTP server; time is injected, never slept.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dispatchkit import (
    JAPAN,
    KOREA_1,
    KOREA_2,
    UKRAINE,
    Clock,
    MakeDispatcher,
    dispatchers_fixture,  # noqa: F401 - the `dispatchers` fixture
    outbox,
    poll,
    write_config,
)
from httpserver import FeedServer
from sample_alerts import changed_alert, feed_alert, new_alert
from smtpserver import SMTPServer
from standardwebhooks import Webhook
from webhookserver import Reply, WebhookServer

from monitor.config import Config
from monitor.digest import due_at_for, period_end
from monitor.durations import check_cron, cron_trigger
from notifiers import digest
from notifiers.base import Alert
from notifiers.chatformats import units
from notifiers.console import format_digest
from notifiers.formats import render_digest
from notifiers.webhook import WebhookNotifier
from storage.database import Database
from storage.deliveries import GIVEN_UP, PENDING, SENT
from storage.models import Delivery, Event

BRUSSELS = ZoneInfo("Europe/Brussels")
ELEVEN = datetime(2024, 5, 24, 9, 0, tzinfo=UTC)  # 11:00 CEST: the end of the 10:00 period


def hook(server: WebhookServer, digest_value: str = "1h", extra: str = "") -> str:
    return (f'\n[notifier.chat]\ntype = "webhook"\nurl = "{server.url("/hook")}"\n'
            f'digest = "{digest_value}"\n{extra}\n')


def mail(smtp: SMTPServer, digest_value: str = "1h") -> str:
    return (f'\n[notifier.analysts]\ntype = "email"\nhost = "127.0.0.1"\nport = {smtp.port}\n'
            'security = "none"\nfrom = "veille <veille@veille.example.org>"\n'
            f'to = ["Analystes <analysts@example.org>"]\ndigest = "{digest_value}"\n')


def three_alerts(config: Config, db: Database, clock: Clock, feeds: FeedServer) -> None:
    """Korea at 10:05, Japan at 10:20, Korea again at 10:40 (CEST): one period."""
    poll(config, db, clock, feeds, [KOREA_1, UKRAINE])
    clock.advance(minutes=15)
    poll(config, db, clock, feeds, [JAPAN, KOREA_1, UKRAINE])
    clock.advance(minutes=20)
    poll(config, db, clock, feeds, [KOREA_2, JAPAN, KOREA_1, UKRAINE])


class TestPeriods:
    """Periods end on the wall clock of [veille] timezone, or at a cron expression's fire time."""

    def test_durations_align_on_the_local_clock(self) -> None:
        now = datetime(2024, 5, 24, 8, 5, tzinfo=UTC)  # 10:05 CEST
        assert period_end(3600, now, BRUSSELS) == ELEVEN
        assert period_end(86400, now, BRUSSELS) == datetime(2024, 5, 24, 22, 0, tzinfo=UTC)
        assert period_end(3600, ELEVEN, BRUSSELS) == ELEVEN + timedelta(hours=1)

    def test_every_boundary_is_later_and_in_order_across_dst_changes(self) -> None:
        for day in (datetime(2024, 3, 30, 20, tzinfo=UTC), datetime(2024, 10, 26, 20, tzinfo=UTC)):
            for seconds in (900, 3600, 7200, 86400):
                previous = day
                for minute in range(0, 12 * 60, 5):
                    now = day + timedelta(minutes=minute)
                    end = period_end(seconds, now, BRUSSELS)
                    assert now < end <= now + timedelta(seconds=seconds, hours=1)
                    assert end >= previous
                    previous = end

    def test_the_repeated_autumn_hour_is_two_hourly_periods(self) -> None:
        first = datetime(2024, 10, 27, 0, 20, tzinfo=UTC)  # 02:20 CEST, then 02:20 CET
        assert period_end(3600, first, BRUSSELS) == datetime(2024, 10, 27, 1, 0, tzinfo=UTC)
        assert period_end(3600, first + timedelta(hours=1), BRUSSELS) == datetime(
            2024, 10, 27, 2, 0, tzinfo=UTC)

    def test_cron_weekdays_are_cron_weekdays(self) -> None:
        # APScheduler 3.x reads 1-5 as Tuesday-Saturday; veille reads it as cron does.
        friday_nine = datetime(2024, 5, 24, 7, 0, tzinfo=UTC)
        trigger = cron_trigger("0 8 * * 1-5", "Europe/Brussels")
        monday_eight = datetime(2024, 5, 27, 6, 0, tzinfo=UTC)
        assert trigger.get_next_fire_time(friday_nine, friday_nine) == monday_eight
        sunday = cron_trigger("30 7 * * 0", "UTC").get_next_fire_time(None, friday_nine)
        assert sunday.weekday() == 6
        assert cron_trigger("30 7 * * 7", "UTC").get_next_fire_time(None, friday_nine) == sunday

    def test_cron_that_cannot_mean_one_thing_is_refused(self) -> None:
        with pytest.raises(ValueError, match="restricts both the day of month and the day"):
            check_cron("0 8 1 * 1")
        with pytest.raises(ValueError, match="never fires"):
            check_cron("0 0 30 2 *")
        with pytest.raises(ValueError, match="not a valid day of week"):
            check_cron("0 8 * * 3-9")

    def test_due_at_per_notifier(self, tmp_path: Path, feed_server: FeedServer,
                                 dispatchers: MakeDispatcher) -> None:
        with WebhookServer() as server:
            config = write_config(tmp_path, "sqlite:///x.db", feed_server.url("/fr.xml"),
                                  hook(server, "0 8 * * 1-5") + '\n[notifier.screen]\n'
                                  'type = "console"\n', notify='["chat", "screen"]')
        due_at = due_at_for(config)
        assert due_at("screen", ELEVEN) == ELEVEN
        assert due_at("chat", ELEVEN) == datetime(2024, 5, 27, 6, 0, tzinfo=UTC)


class TestBatching:
    """A digest notifier's alerts of one period become one message after its end, not before."""

    def test_one_webhook_message_newest_first(self, tmp_path: Path, db: Database,
                                              feed_server: FeedServer,
                                              dispatchers: MakeDispatcher) -> None:
        clock = Clock()
        with WebhookServer() as server:
            config = write_config(tmp_path, db.url, feed_server.url("/fr.xml"), hook(server))
            three_alerts(config, db, clock, feed_server)
            rows = outbox(db)
            assert len(rows) == 3 and {r.next_attempt_at for r in rows} == {ELEVEN}
            dispatcher = dispatchers(config, db, clock)
            clock.set(ELEVEN - timedelta(seconds=1))
            assert dispatcher.dispatch().attempts == [] and server.requests == []
            clock.set(ELEVEN)
            report = dispatcher.dispatch()
        assert len(report.sent) == 3 and len(server.requests) == 1
        body = server.requests[0].json
        assert body["type"] == "digest" and body["occurred_at"] == "2024-05-24T08:40:00Z"
        assert [a["item"]["title"] for a in body["alerts"]] == [
            KOREA_2.title, JAPAN.title, KOREA_1.title]
        assert body["alerts"][1]["watches"] == ["japon"]
        assert body["id"] == digest.digest_id([new_alert(id=row.alert_id) for row in rows])
        assert {r.status for r in outbox(db)} == {SENT}

    def test_one_email_grouped_by_watch(self, tmp_path: Path, db: Database,
                                        feed_server: FeedServer,
                                        dispatchers: MakeDispatcher) -> None:
        clock = Clock()
        with SMTPServer() as smtp:
            config = write_config(tmp_path, db.url, feed_server.url("/fr.xml"), mail(smtp),
                                  notify='["analysts"]')
            three_alerts(config, db, clock, feed_server)
            clock.set(ELEVEN)
            dispatcher = dispatchers(config, db, clock)
            dispatcher.dispatch()
        assert len(smtp.messages) == 1
        message = smtp.messages[0].message
        assert str(make_header(decode_header(message["Subject"]))) == (
            "[veille] Digest: 3 alerts (korea, japon)")
        assert message["X-Veille-Alert-Type"] == "digest"
        expected_id = digest.digest_id([new_alert(id=row.alert_id) for row in outbox(db)])
        assert message["Message-ID"] == f"<{expected_id}@veille.example.org>"
        text = "\n".join(message.get_body(("plain",)).get_content().splitlines())
        order = [text.index(s) for s in ("korea\n=====", KOREA_2.title, KOREA_1.title,
                                         "japon\n=====", JAPAN.title)]
        assert order == sorted(order)
        html = message.get_body(("html",)).get_content()
        assert html.count("news_226012.htm") == 1 and "L’OTAN et la République" in html

    def test_check_waits_for_the_period_and_retry_sends_now(
            self, tmp_path: Path, db: Database, feed_server: FeedServer,
                                                            dispatchers: MakeDispatcher) -> None:
        clock = Clock()
        with WebhookServer() as server:
            config = write_config(tmp_path, db.url, feed_server.url("/fr.xml"),
                                  hook(server, "1d"))
            three_alerts(config, db, clock, feed_server)
            dispatcher = dispatchers(config, db, clock)
            assert dispatcher.dispatch(ignore_schedule=True).attempts == []  # `veille check`
            first = outbox(db)[0].id
            report = dispatcher.dispatch(ignore_schedule=True, ids=[first])  # retry ID
        assert [a.delivery_id for a in report.sent] == [first]
        assert [len(r.json["alerts"]) for r in server.requests] == [1]
        assert [r.status for r in outbox(db)] == [SENT, PENDING, PENDING]

    def test_a_test_alert_goes_alone_at_once(self, tmp_path: Path, db: Database,
                                             feed_server: FeedServer,
                                             dispatchers: MakeDispatcher) -> None:
        clock = Clock()
        with WebhookServer() as server:
            config = write_config(tmp_path, db.url, feed_server.url("/fr.xml"), hook(server))
            poll(config, db, clock, feed_server, [KOREA_1, JAPAN])
            clock.set(ELEVEN)
            with db.write() as session:  # what `veille test-notify chat` writes
                event = Event(type="test", occurred_at=ELEVEN, changes=[], watches={})
                session.add(event)
                session.flush()
                session.add(Delivery(event_id=event.id, notifier="chat", alert_id="probe-1",
                                     status=PENDING, watches=[], matched=[], match="",
                                     attempts=0, next_attempt_at=ELEVEN, created_at=ELEVEN))
            dispatcher = dispatchers(config, db, clock)
            assert len(dispatcher.dispatch().sent) == 3
        bodies = [r.json for r in server.requests]
        assert [b["type"] for b in bodies] == ["test", "digest"]
        assert len(bodies[1]["alerts"]) == 2


class TestRestart:
    """Nothing is lost when veille restarts mid-period: the batch lives in the database."""

    def test_new_objects_on_the_same_sqlite_file(self, tmp_path: Path,
                                                 feed_server: FeedServer,
                                                 dispatchers: MakeDispatcher) -> None:
        url = f"sqlite:///{tmp_path / 'veille.db'}"
        clock = Clock()
        with WebhookServer() as server:
            config = write_config(tmp_path, url, feed_server.url("/fr.xml"), hook(server))
            db = Database(url)
            db.migrate()
            poll(config, db, clock, feed_server, [KOREA_1])
            dispatchers(config, db, clock, owner="first").dispatch()
            db.dispose()  # the daemon stops at 10:05 …

            clock.set(datetime(2024, 5, 24, 8, 30, tzinfo=UTC))  # … and is back at 10:30
            db = Database(url)
            db.migrate()
            poll(config, db, clock, feed_server, [JAPAN, KOREA_1])
            dispatcher = dispatchers(config, db, clock, owner="second")
            assert dispatcher.dispatch().attempts == []
            clock.set(ELEVEN)
            dispatcher.dispatch()
            db.dispose()
        assert len(server.requests) == 1
        assert [a["item"]["title"] for a in server.requests[0].json["alerts"]] == [
            JAPAN.title, KOREA_1.title]


class TestFailures:
    """A digest is retried, or given up, as a whole."""

    def test_failed_digest_retries_the_whole_batch(self, tmp_path: Path, db: Database,
                                                   feed_server: FeedServer,
                                                   dispatchers: MakeDispatcher) -> None:
        clock = Clock()
        with WebhookServer([Reply(500)]) as server:
            config = write_config(tmp_path, db.url, feed_server.url("/fr.xml"), hook(server))
            three_alerts(config, db, clock, feed_server)
            clock.set(ELEVEN)
            dispatcher = dispatchers(config, db, clock)
            assert len(dispatcher.dispatch().failed) == 3
            rows = outbox(db)
            assert {(r.status, r.attempts) for r in rows} == {(PENDING, 1)}
            retry_at = rows[0].next_attempt_at
            assert {r.next_attempt_at for r in rows} == {retry_at} and retry_at > ELEVEN
            clock.set(retry_at)
            assert len(dispatcher.dispatch().sent) == 3
        first, second = (r.json for r in server.requests)
        assert first == second and len(second["alerts"]) == 3  # same id: receivers de-duplicate
        assert {(r.status, r.attempts) for r in outbox(db)} == {(SENT, 2)}

    def test_permanent_failure_gives_up_every_row(self, tmp_path: Path, db: Database,
                                                  feed_server: FeedServer,
                                                  dispatchers: MakeDispatcher) -> None:
        clock = Clock()
        with WebhookServer([Reply(400, body="bad payload")]) as server:
            config = write_config(tmp_path, db.url, feed_server.url("/fr.xml"), hook(server))
            three_alerts(config, db, clock, feed_server)
            clock.set(ELEVEN)
            dispatcher = dispatchers(config, db, clock)
            report = dispatcher.dispatch()
        assert len(server.requests) == 1 and all(a.given_up for a in report.attempts)
        assert {r.status for r in outbox(db)} == {GIVEN_UP}
        assert all("HTTP 400" in (r.last_error or "") for r in outbox(db))

    def test_give_up_after_counts_from_the_end_of_the_period(
            self, tmp_path: Path, db: Database, feed_server: FeedServer,
                                                             dispatchers: MakeDispatcher) -> None:
        clock = Clock()
        with WebhookServer([Reply(500)]) as server:
            config = write_config(tmp_path, db.url, feed_server.url("/fr.xml"),
                                  hook(server, "1h", 'give_up_after = "5m"'))
            poll(config, db, clock, feed_server, [KOREA_1])  # created 55 minutes before due
            clock.set(ELEVEN)
            dispatcher = dispatchers(config, db, clock)
            report = dispatcher.dispatch()
        assert len(server.requests) == 1
        assert [(a.ok, a.given_up) for a in report.attempts] == [(False, False)]


class TestConfigChange:
    """A digest removed from config.toml does not leave its alerts waiting for the old end."""

    def test_removed_digest_sends_at_once(self, tmp_path: Path, db: Database,
                                          feed_server: FeedServer,
                                          dispatchers: MakeDispatcher) -> None:
        clock = Clock()
        with WebhookServer() as server:
            config = write_config(tmp_path, db.url, feed_server.url("/fr.xml"),
                                  hook(server, "1d"))
            poll(config, db, clock, feed_server, [KOREA_1, JAPAN])
            plain = write_config(tmp_path, db.url, feed_server.url("/fr.xml"),
                                 hook(server).replace('digest = "1h"', ""))
            dispatcher = dispatchers(plain, db, clock)
            assert len(dispatcher.dispatch().sent) == 2
        assert [r.json["type"] for r in server.requests] == ["item.new", "item.new"]


def many_alerts(count: int) -> list[Alert]:
    title = "La République de Corée et l’Indo-Pacifique @everyone <!channel> " * 6
    return [new_alert(id=f"dlv-{i}", occurred_at=new_alert().occurred_at + timedelta(minutes=i),
                      item=replace(new_alert().item, title=f"{title} n° {i}"))
            for i in range(count)]


class TestChannels:
    """Each channel shows a digest as one message, grouped by watch, within its limits."""

    def test_console_block(self) -> None:
        alerts = [new_alert(), feed_alert(), replace(changed_alert(), watches=("japon",))]
        block = format_digest(alerts)
        lines = block.splitlines()
        assert lines[0] == "── veille · Digest: 3 alerts (Feed health, japon, korea) ──"
        assert [line.strip() for line in lines if not line.startswith("    ")] == [
            lines[0], "Feed health", "japon", "korea", ""]
        assert "What changed: Title, Updated, Summary" in block

    def test_signed_digest_verifies_and_carries_its_id(self) -> None:
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        alerts = [new_alert(), changed_alert()]
        with WebhookServer() as server:
            notifier = WebhookNotifier("chat", server.url("/hook"), secret=secret)
            notifier.send_digest(alerts)
            notifier.close()
        (request,) = server.requests
        assert Webhook(secret).verify(request.body, request.headers) == request.json
        assert request.headers["webhook-id"] == request.json["id"] == digest.digest_id(alerts)
        assert [a["id"] for a in request.json["alerts"]] == ["dlv-102", "dlv-101"]

    def test_digest_id_is_the_set(self) -> None:
        alerts = [new_alert(), changed_alert(), feed_alert()]
        assert digest.digest_id(alerts) == digest.digest_id(list(reversed(alerts)))
        assert digest.digest_id(alerts) != digest.digest_id(alerts[:2])

    @pytest.mark.parametrize("fmt", ["slack", "discord", "teams", "mattermost"])
    def test_chat_digest_within_limits(self, fmt: str) -> None:
        body = render_digest(fmt, many_alerts(200))
        text = json.dumps(body, ensure_ascii=False)
        assert "more" in text
        if fmt != "teams":  # cards cannot ping; the others neutralise what could
            assert "@everyone" not in text
        if fmt == "slack":
            assert "<!channel>" not in text
            assert len(body["blocks"]) <= 50
            assert all(units(b["text"]["text"]) <= 3000 for b in body["blocks"]
                       if b["type"] == "section")
        elif fmt == "discord":
            embed = body["embeds"][0]
            assert units(embed["description"]) <= 4096 and units(embed["title"]) <= 256
        elif fmt == "mattermost":
            assert units(body["text"]) <= 4000
        else:
            assert len(text.encode()) <= 24_000

    @pytest.mark.parametrize("fmt", ["slack", "discord", "teams", "mattermost"])
    def test_chat_digest_lists_every_alert_that_fits(self, fmt: str) -> None:
        alerts = [new_alert(), replace(changed_alert(), watches=("japon",))]
        text = json.dumps(render_digest(fmt, alerts), ensure_ascii=False)
        assert text.count("invités au sommet") == 2 and "more" not in text
        assert text.index("japon") < text.index("korea")
