"""The dispatcher: backoff with jitter, Retry-After, permanent failures, max_per_minute, one
notifier never delaying another, removed notifiers. Real receivers on loopback, injected time."""

from __future__ import annotations

import random
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
    write_config,
)
from httpserver import FeedServer
from smtpserver import SMTPServer, free_port
from webhookserver import Reply, WebhookServer

from monitor.ratelimit import RateLimit
from monitor.schedule import delivery_backoff
from storage import deliveries
from storage.database import Database
from storage.deliveries import GIVEN_UP, PENDING, SENT


def hook(url: str, name: str = "chat", extra: str = "") -> str:
    return f'\n[notifier.{name}]\ntype = "webhook"\nurl = "{url}"\ntimeout = "2s"\n{extra}\n'


def seconds_after(clock: Clock, delivery_id: int, db: Database) -> float:
    row = next(r for r in outbox(db) if r.id == delivery_id)
    return (row.next_attempt_at - clock()).total_seconds()


class TestBackoff:
    """Transient failures back off exponentially with jitter; Retry-After is honoured, capped."""

    def test_exponential_with_jitter_and_cap(self) -> None:
        rng = random.Random(7)
        for attempt, base in ((1, 30), (2, 60), (3, 120), (8, 3600), (30, 3600)):
            delays = [delivery_backoff(attempt, rng) for _ in range(200)]
            assert all(0.8 * base <= d <= 1.2 * base for d in delays)
            assert len(set(delays)) > 150  # jittered, so retries do not come in lockstep
        assert delivery_backoff(1, rng, retry_after=120) == 120
        assert delivery_backoff(1, rng, retry_after=0) == 1
        assert delivery_backoff(1, rng, retry_after=86400) == 3600

    def test_5xx_retried_later_and_later(self, tmp_path: Path, db: Database,
                                         feed_server: FeedServer,
                                         dispatchers: MakeDispatcher) -> None:
        clock = Clock()
        with WebhookServer([Reply(500), Reply(502)]) as server:
            config = write_config(tmp_path, db.url, feed_server.url("/fr.xml"),
                                  hook(server.url("/hook")))
            poll(config, db, clock, feed_server, korea_items(1))
            dispatcher = dispatchers(config, db, clock)
            dispatcher.dispatch()
            (row,) = outbox(db)
            assert (row.status, row.attempts) == (PENDING, 1)
            assert 24 <= seconds_after(clock, row.id, db) <= 36
            clock.set(row.next_attempt_at)
            dispatcher.dispatch()
            assert 48 <= seconds_after(clock, row.id, db) <= 72
            clock.set(outbox(db)[0].next_attempt_at)
            assert len(dispatcher.dispatch().sent) == 1
        assert len(server.requests) == 3
        assert [(r.status, r.attempts) for r in outbox(db)] == [(SENT, 3)]

    @pytest.mark.parametrize(("status", "retry_after", "expected"), [
        (503, "120", 120.0), (429, "45", 45.0), (429, "7200", 3600.0)])
    def test_retry_after_is_honoured(self, tmp_path: Path, db: Database,
                                     feed_server: FeedServer, dispatchers: MakeDispatcher,
                                     status: int, retry_after: str, expected: float) -> None:
        clock = Clock()
        with WebhookServer([Reply(status, {"Retry-After": retry_after})]) as server:
            config = write_config(tmp_path, db.url, feed_server.url("/fr.xml"),
                                  hook(server.url("/hook")))
            poll(config, db, clock, feed_server, korea_items(1))
            dispatcher = dispatchers(config, db, clock)
            dispatcher.dispatch()
            (row,) = outbox(db)
            assert seconds_after(clock, row.id, db) == expected
            clock.advance(seconds=expected - 1)
            assert dispatcher.dispatch().attempts == []
            clock.advance(seconds=1)
            assert len(dispatcher.dispatch().sent) == 1
        assert len(server.requests) == 2

    def test_permanent_4xx_is_given_up_at_once(self, tmp_path: Path, db: Database,
                                               feed_server: FeedServer,
                                               dispatchers: MakeDispatcher) -> None:
        clock = Clock()
        with WebhookServer([Reply(404, body="no such hook")]) as server:
            config = write_config(tmp_path, db.url, feed_server.url("/fr.xml"),
                                  hook(server.url("/hook")))
            poll(config, db, clock, feed_server, korea_items(1))
            dispatcher = dispatchers(config, db, clock)
            report = dispatcher.dispatch()
            clock.advance(hours=1)
            assert dispatcher.dispatch().attempts == []
        assert len(server.requests) == 1
        assert [(a.ok, a.given_up) for a in report.attempts] == [(False, True)]
        with db.read() as session:
            failed = deliveries.listing(session, failed_only=True)
        assert [(d.status, d.attempts) for d, *_ in failed] == [(GIVEN_UP, 1)]
        assert "HTTP 404" in (failed[0][0].last_error or "")


class TestRateLimit:
    """max_per_minute holds back what exceeds the budget, without counting an attempt."""

    def test_two_now_the_rest_when_slots_free(self, tmp_path: Path, db: Database,
                                              feed_server: FeedServer,
                                              dispatchers: MakeDispatcher) -> None:
        clock = Clock()
        with WebhookServer() as server:
            config = write_config(tmp_path, db.url, feed_server.url("/fr.xml"),
                                  hook(server.url("/hook"), extra="max_per_minute = 2"))
            poll(config, db, clock, feed_server, korea_items(5))
            dispatcher = dispatchers(config, db, clock)
            report = dispatcher.dispatch()
            assert (len(report.sent), len(report.deferred)) == (2, 3)
            rows = outbox(db)
            assert [(r.status, r.attempts) for r in rows] == [(SENT, 1)] * 2 + [(PENDING, 0)] * 3
            assert [seconds_after(clock, r.id, db) for r in rows[2:]] == [60, 60, 120]
            clock.advance(seconds=1)
            assert dispatcher.dispatch(ignore_schedule=True).sent == []  # `check` too
            assert {r.attempts for r in outbox(db)[2:]} == {0}
            clock.set(START + timedelta(seconds=60))
            assert len(dispatcher.dispatch().sent) == 2
            clock.set(START + timedelta(seconds=119))
            assert dispatcher.dispatch().sent == []
            clock.set(START + timedelta(seconds=120))
            assert len(dispatcher.dispatch().sent) == 1
        assert len(server.requests) == 5
        assert [(r.status, r.attempts) for r in outbox(db)] == [(SENT, 1)] * 5

    def test_budget_holds_across_cycles(self, tmp_path: Path, db: Database,
                                        feed_server: FeedServer,
                                        dispatchers: MakeDispatcher) -> None:
        clock = Clock()
        items = korea_items(3)
        with WebhookServer() as server:
            config = write_config(tmp_path, db.url, feed_server.url("/fr.xml"),
                                  hook(server.url("/hook"), extra="max_per_minute = 2"))
            poll(config, db, clock, feed_server, items[:2])
            dispatcher = dispatchers(config, db, clock)
            assert len(dispatcher.dispatch().sent) == 2
            clock.advance(seconds=10)
            poll(config, db, clock, feed_server, items)
            report = dispatcher.dispatch()
        assert report.sent == [] and [d.until for d in report.deferred] == [
            START + timedelta(seconds=60)]
        assert len(server.requests) == 2

    def test_a_digest_counts_as_one_message(self, tmp_path: Path, db: Database,
                                            feed_server: FeedServer,
                                            dispatchers: MakeDispatcher) -> None:
        clock = Clock()
        with WebhookServer() as server:
            config = write_config(tmp_path, db.url, feed_server.url("/fr.xml"), hook(
                server.url("/hook"), extra='max_per_minute = 1\ndigest = "1h"'))
            poll(config, db, clock, feed_server, korea_items(3))
            clock.advance(hours=1)
            dispatcher = dispatchers(config, db, clock)
            report = dispatcher.dispatch()
        assert (len(report.sent), report.deferred) == (3, [])
        assert [len(r.json["alerts"]) for r in server.requests] == [3]

    def test_slots_free_one_minute_after_each_send(self) -> None:
        limit = RateLimit(2)
        assert [limit.take(START), limit.take(START + timedelta(seconds=10))] == [True, True]
        assert not limit.take(START + timedelta(seconds=59))
        assert limit.slots(START + timedelta(seconds=30), 3) == [
            START + timedelta(seconds=60), START + timedelta(seconds=70),
            START + timedelta(seconds=120)]
        assert limit.take(START + timedelta(seconds=60))


class TestIsolation:
    """One notifier failing never delays another; a removed notifier's alerts are given up."""

    def test_webhook_down_email_still_sent(self, tmp_path: Path, db: Database,
                                           feed_server: FeedServer,
                                           dispatchers: MakeDispatcher) -> None:
        clock = Clock()
        with SMTPServer() as smtp:
            email = (f'\n[notifier.analysts]\ntype = "email"\nhost = "127.0.0.1"\n'
                     f'port = {smtp.port}\nsecurity = "none"\n'
                     'from = "veille <veille@example.org>"\nto = ["analysts@example.org"]\n')
            config = write_config(
                tmp_path, db.url, feed_server.url("/fr.xml"),
                hook(f"http://127.0.0.1:{free_port()}/hook") + email,
                notify='["chat", "analysts"]')
            poll(config, db, clock, feed_server, korea_items(1))
            dispatcher = dispatchers(config, db, clock)
            report = dispatcher.dispatch()
        assert [(a.notifier, a.ok) for a in sorted(report.attempts, key=lambda a: a.notifier)
                ] == [("analysts", True), ("chat", False)]
        assert len(smtp.messages) == 1
        assert {r.notifier: r.status for r in outbox(db)} == {"analysts": SENT, "chat": PENDING}

    def test_removed_notifier_gives_up(self, tmp_path: Path, db: Database,
                                       feed_server: FeedServer,
                                       dispatchers: MakeDispatcher) -> None:
        clock = Clock()
        with WebhookServer() as server:
            url = server.url("/hook")
            before = write_config(tmp_path, db.url, feed_server.url("/fr.xml"),
                                  hook(url) + hook(url, "pager"), notify='["chat", "pager"]')
            poll(before, db, clock, feed_server, korea_items(1))
            after = write_config(tmp_path, db.url, feed_server.url("/fr.xml"), hook(url))
            dispatcher = dispatchers(after, db, clock)
            report = dispatcher.dispatch()
        assert [a.notifier for a in report.sent] == ["chat"] and len(server.requests) == 1
        rows = {r.notifier: r for r in outbox(db)}
        assert (rows["pager"].status, rows["pager"].last_error) == (GIVEN_UP, "notifier removed")

    def test_stopping_releases_claimed_rows(self, tmp_path: Path, db: Database,
                                            feed_server: FeedServer,
                                            dispatchers: MakeDispatcher) -> None:
        clock = Clock()
        with WebhookServer() as server:
            config = write_config(tmp_path, db.url, feed_server.url("/fr.xml"),
                                  hook(server.url("/hook")))
            poll(config, db, clock, feed_server, korea_items(2))
            dispatcher = dispatchers(config, db, clock)
            dispatcher.stopping.set()
            assert dispatcher.dispatch().attempts == []
        assert server.requests == []
        assert [(r.status, r.claimed_by, r.attempts) for r in outbox(db)] == [
            (PENDING, None, 0)] * 2


class TestCheckDrains:
    """`veille check` tries every waiting alert that is due, in batches, not the first 200."""

    def test_450_waiting_alerts_all_sent(self, sqlite_env: object) -> None:
        from feedgen import rss
        from harness import Env

        env = sqlite_env
        assert isinstance(env, Env)
        env.feeds.set("/fr.xml", rss(korea_items(450)))
        env.write(feeds={"nato-fr": "/fr.xml"}, veille='first_run = "notify"',
                  watches='[[watch]]\nname = "korea"\nkeywords = ["République de Corée"]\n'
                          'notify = ["chat"]\n',
                  notifiers=hook(env.hook.url("/hook")))
        code, out, _ = env.veille("check")
        assert code == 0, out
        ids = [r.json["id"] for r in env.hooks]
        assert len(ids) == len(set(ids)) == 450
        assert out.count(": sent (item.new") == 450
        code, out, _ = env.veille("check")  # nothing left waiting
        assert code == 0 and ": sent" not in out and len(env.hooks) == 450
