"""A webhook that never answers, one that answers after 60 seconds and one that drips its headers,
beside a good one, under a running `veille run`: the good one's alerts come as fast as without
them, polling keeps its cadence, each bad receiver holds only its own slots, and SIGTERM exits
within the bound the total deadline sets."""

from __future__ import annotations

import time
from pathlib import Path

from feedgen import INDO_PACIFIC, SEED, rss
from stallkit import (
    RawServer,
    TimedFeeds,
    daemon_config,
    drips_headers,
    log_of,
    never_answers,
    start_daemon,
    stop,
    wait_for,
)
from webhookserver import Reply, WebhookServer

from monitor.dispatch import SLOTS

INTERVAL = 1.0
BAD_TIMEOUT = 10.0
ALERTS = 3


def _gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in zip(times, times[1:], strict=False)]


class TestBadReceivers:
    """Three bad receivers cost the good one and the poll nothing."""

    def test_good_one_unaffected(self, tmp_path: Path) -> None:
        with TimedFeeds() as feeds, WebhookServer() as good, \
                WebhookServer(default=Reply(200, delay=60)) as slow, \
                RawServer(never_answers) as silent, RawServer(drips_headers(0.5)) as drip:
            feeds.set("/fr.xml", rss([SEED]))
            config = daemon_config(
                tmp_path / "config.toml", f"sqlite:///{tmp_path / 'veille.db'}",
                {"nato-fr": feeds.url("/fr.xml")},
                {"good": good.url("/hook"), "slow": slow.url("/hook"),
                 "silent": silent.url("/hook"), "drip": drip.url("/hook")},
                veille=f'interval = "{INTERVAL:g}s"',
                hook_extra=f'timeout = "{BAD_TIMEOUT:g}s"')
            proc = start_daemon(config)
            latencies: list[float] = []
            try:
                assert wait_for(lambda: len(feeds.polls("/fr.xml")) >= 4, 30), log_of(config)
                before = [at for at, _ in feeds.polls("/fr.xml")]
                started = time.monotonic()
                items = [SEED]
                for k in range(ALERTS):
                    items = [INDO_PACIFIC.but(guid=f"p{k}", title=f"{INDO_PACIFIC.title} {k}"),
                             *items]
                    feeds.set("/fr.xml", rss(items))
                    published = time.monotonic()
                    assert wait_for(lambda k=k: len(good.requests) > k, 20), log_of(config)
                    latencies.append(time.monotonic() - published)
                ended = time.monotonic()
                polls = [at for at, _ in feeds.polls("/fr.xml") if started <= at <= ended]
                # The bad receivers are all still holding sends (none has answered).
                assert slow.requests and silent.connections and drip.connections
                stopping = time.monotonic()
            finally:
                code = stop(proc, timeout=BAD_TIMEOUT + 30)
            took = time.monotonic() - stopping
        assert code == 0, log_of(config)
        # Each alert within a few ticks (poll 1s, dispatch 1s), never after a bad send's 10s.
        assert max(latencies) < BAD_TIMEOUT * 0.7, latencies
        # The poll kept its cadence while the bad ones hung: the same gaps as before them.
        usual, during = _gaps(before), _gaps([before[-1], *polls])
        assert max(during) <= max(usual) + 1.5, (usual, during)
        # A bad receiver holds its own slots: at most SLOTS sends in flight at once.
        assert silent.connections <= SLOTS and drip.connections <= SLOTS
        assert len(slow.requests) <= SLOTS
        # SIGTERM: in-flight sends end by their total deadline, then veille exits.
        assert took < BAD_TIMEOUT + 8, took
        assert "Traceback" not in log_of(config)
