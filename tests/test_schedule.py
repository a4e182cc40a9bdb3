"""When feeds are polled next: interval and jitter, backoff, Retry-After and <ttl>, capped."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from feedgen import SEED, rss
from harness import Env

from monitor import schedule
from storage import feeds as feed_store
from storage.database import Database

NOW = datetime(2024, 5, 23, 6, 0, tzinfo=UTC)


def _delay(at: datetime) -> float:
    return (at - NOW).total_seconds()


class TestAfterSuccess:
    """A healthy feed waits its interval plus jitter; a longer <ttl> slows it, capped."""

    def test_interval_plus_jitter(self) -> None:
        rng = random.Random(1)
        delays = [_delay(schedule.after_success(NOW, 600, 30, rng)) for _ in range(200)]
        assert min(delays) >= 600 and max(delays) <= 630 and max(delays) - min(delays) > 20

    def test_ttl_honoured_up_to_the_cap(self) -> None:
        rng = random.Random(1)
        assert _delay(schedule.after_success(NOW, 600, 0, rng, ttl=1800)) == 1800
        assert _delay(schedule.after_success(NOW, 600, 0, rng, ttl=86400)) == schedule.TTL_CAP
        assert _delay(schedule.after_success(NOW, 600, 0, rng, ttl=60)) == 600


class TestAfterFailure:
    """A failing feed backs off exponentially, capped; Retry-After is honoured, capped."""

    def test_exponential_backoff_capped(self) -> None:
        rng = random.Random(1)
        delays = [_delay(schedule.after_failure(NOW, 600, 0, n, rng)) for n in range(1, 9)]
        assert delays[:4] == [600, 1200, 2400, 4800]
        assert max(delays) == schedule.MAX_BACKOFF

    def test_retry_after(self) -> None:
        rng = random.Random(1)
        assert _delay(schedule.after_failure(NOW, 60, 0, 1, rng, retry_after=900)) == 900
        assert _delay(schedule.after_failure(NOW, 60, 0, 1, rng, retry_after=10**7)) == \
            schedule.RETRY_AFTER_CAP

    def test_unconditional_fetch_every_six_hours(self) -> None:
        assert schedule.wants_unconditional(None, NOW)
        assert not schedule.wants_unconditional(NOW - timedelta(hours=5), NOW)
        assert schedule.wants_unconditional(NOW - timedelta(hours=6), NOW)


class TestDeliveryBackoff:
    """Alerts are retried with exponential backoff and jitter, Retry-After capped at 1 h."""

    def test_backoff(self) -> None:
        rng = random.Random(3)
        first = [schedule.delivery_backoff(1, rng) for _ in range(50)]
        assert 24 <= min(first) and max(first) <= 36 and len(set(first)) > 40
        assert schedule.delivery_backoff(20, rng) <= 3600 * 1.2
        assert schedule.delivery_backoff(1, rng, retry_after=120) == 120
        assert schedule.delivery_backoff(1, rng, retry_after=10**6) == 3600


class TestServerSaysWhen:
    """A 429 with Retry-After pushes the feed's next poll back by that much."""

    def test_429_retry_after_recorded(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.feeds.set("/fr.xml", rss([SEED]), status=429, headers={"Retry-After": "3600"})
        env.write(feeds={"nato-fr": "/fr.xml"})
        before = datetime.now(UTC)
        code, out, _ = env.veille("check")
        assert code == 1 and "429" in out
        db = Database(env.database)
        with db.read() as session:
            row = feed_store.by_name(session, "nato-fr")
            assert row is not None
            wait = (row.next_poll_at - before).total_seconds()
        db.dispose()
        assert 3500 < wait < 3700
