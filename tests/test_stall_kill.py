"""kill -9 of `veille run` in the middle of a poll and of a dispatch: the restarted daemon takes
the dead one's feeds and alerts up at once (it holds the SQLite lock, and the claims' owner is
provably gone), polls every feed within one interval and a few seconds, loses nothing and sends
nothing twice but what was in flight at the kill (the same webhook-id, for the receiver to
drop), and the database passes PRAGMA integrity_check."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from feedgen import INDO_PACIFIC, SEED, rss
from stallkit import TimedFeeds, daemon_config, kill9, log_of, start_daemon, stop, wait_for
from webhookserver import Reply, WebhookServer

from monitor.dispatch import SLOTS

FEEDS = 20
INTERVAL = 8.0
SETTINGS = f'interval = "{INTERVAL:g}s"\nper_host = {FEEDS}\nconcurrency = {FEEDS}\n'


def _paths() -> list[str]:
    return [f"/f{i}.xml" for i in range(FEEDS)]


def _serve(feeds: TimedFeeds, new_item: bool, delay: float = 0.0) -> None:
    for i, path in enumerate(_paths()):
        items = [SEED.but(guid=f"s{i}")]
        if new_item:
            items.insert(0, INDO_PACIFIC.but(guid=f"p{i}"))
        feeds.set(path, rss(items, title=f"F{i}"), delay=delay)


def _setup(tmp: Path, feeds: TimedFeeds, hook: WebhookServer) -> Path:
    return daemon_config(tmp / "config.toml", f"sqlite:///{tmp / 'veille.db'}",
                         {f"feed-{i}": feeds.url(p) for i, p in enumerate(_paths())},
                         {"chat": hook.url("/hook")}, veille=SETTINGS)


def _polled_since(feeds: TimedFeeds, since: float) -> bool:
    return all(any(at > since for at, _ in feeds.polls(p)) for p in _paths())


def _intact(database: Path) -> bool:
    with sqlite3.connect(database) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


class TestKillMidPoll:
    """Killed while every feed's fetch is in flight."""

    def test_restart_polls_every_feed_and_alerts_once(self, tmp_path: Path) -> None:
        with TimedFeeds() as feeds, WebhookServer() as hook:
            _serve(feeds, new_item=False)
            config = _setup(tmp_path, feeds, hook)
            first = start_daemon(config)
            try:
                assert wait_for(lambda: _polled_since(feeds, 0), 40), log_of(config)
                _serve(feeds, new_item=True, delay=5)  # the next cycle hangs on every feed
                assert wait_for(lambda: feeds.active >= FEEDS // 2, 30), log_of(config)
            finally:
                kill9(first)
            assert hook.requests == []  # nothing was recorded, nothing sent
            _serve(feeds, new_item=True)
            restarted = time.monotonic()
            second = start_daemon(config)
            try:
                # The killed cycle's feeds are due and were claimed by a process that is gone:
                # all polled within one interval and a few seconds, not after the lease.
                assert wait_for(lambda: _polled_since(feeds, restarted), INTERVAL + 12), \
                    log_of(config)
                assert wait_for(lambda: len(hook.requests) >= FEEDS, 30), log_of(config)
                time.sleep(1)  # a second send of anything would come now
            finally:
                assert stop(second) == 0
        ids = [r.headers["webhook-id"] for r in hook.requests]
        assert len(ids) == len(set(ids)) == FEEDS
        assert [r.json["id"] for r in hook.requests] == ids
        assert "released the claims of a veille process that is gone" in log_of(config)
        assert _intact(tmp_path / "veille.db")


class TestKillMidDispatch:
    """Killed while alerts are being sent to a slow receiver."""

    def test_restart_sends_the_rest_at_once(self, tmp_path: Path) -> None:
        with TimedFeeds() as feeds, WebhookServer(default=Reply(200, delay=0.5)) as hook:
            _serve(feeds, new_item=False)
            config = _setup(tmp_path, feeds, hook)
            first = start_daemon(config)
            try:
                assert wait_for(lambda: _polled_since(feeds, 0), 40), log_of(config)
                _serve(feeds, new_item=True)
                assert wait_for(lambda: len(hook.requests) >= 4, 40), log_of(config)
            finally:
                kill9(first)
            received_before = len(hook.requests)
            second = start_daemon(config)
            try:
                # 16 alerts left at four a second: well before the dead claims' lease ends.
                assert wait_for(lambda: len({r.headers["webhook-id"] for r in hook.requests})
                                >= FEEDS, 40), log_of(config)
                time.sleep(1.5)
            finally:
                assert stop(second) == 0
        ids = [r.headers["webhook-id"] for r in hook.requests]
        assert len(set(ids)) == FEEDS  # nothing lost
        # Sent twice: only what was in flight when the process died, under the same id.
        assert len(ids) - len(set(ids)) <= SLOTS
        assert received_before < FEEDS
        with sqlite3.connect(tmp_path / "veille.db") as conn:
            rows = conn.execute("SELECT status, alert_id FROM delivery").fetchall()
        assert sorted(a for _, a in rows) == sorted(set(ids))
        assert {s for s, _ in rows} == {"sent"}
        assert _intact(tmp_path / "veille.db")
