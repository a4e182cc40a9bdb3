"""Three `veille run` on one PostgreSQL database: they split the due feeds by slices; when one is
killed (kill -9), its feeds are polled by the others within one lease, and no feed is ever
polled twice at once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import PG_SKIP
from feedgen import SEED, rss
from stallkit import TimedFeeds, daemon_config, kill9, log_of, start_daemon, stop, wait_for
from webhookserver import WebhookServer

FEEDS = 30
INTERVAL = 4.0
LEASE = 6.0
NODES = 3


@pytest.mark.skipif(PG_SKIP is not None, reason=f"PostgreSQL tests skipped: {PG_SKIP}")
class TestThreeNodes:
    """Slices, takeover within a lease, no double poll."""

    def test_kill_one(self, tmp_path: Path, pg_url: str) -> None:
        paths = [f"/f{i}.xml" for i in range(FEEDS)]
        with TimedFeeds() as feeds, WebhookServer() as hook:
            for i, path in enumerate(paths):
                feeds.set(path, rss([SEED.but(guid=f"s{i}")], title=f"F{i}"), delay=0.3)
            configs = [daemon_config(
                tmp_path / f"node{n}.toml", pg_url,
                {f"feed-{i}": feeds.url(p) for i, p in enumerate(paths)},
                {"chat": hook.url("/hook")},
                veille=f'interval = "{INTERVAL:g}s"\nlease = "{LEASE:g}s"\nconcurrency = 4\n'
                       f'per_host = {FEEDS}\nuser_agent = "veille-test node{n}"\n')
                for n in range(NODES)]
            procs = [start_daemon(c) for c in configs]
            try:
                assert wait_for(lambda: all(len(feeds.polls(p)) >= 2 for p in paths), 90), \
                    [log_of(c) for c in configs]
                kill9(procs[0])
                killed = time.monotonic()
                # Every feed, the dead node's included, is polled again within one lease (and
                # the interval it was due in, and the time a poll takes).
                bound = LEASE + INTERVAL + 5
                assert wait_for(lambda: all(any(at > killed + 1 and "node0" not in agent
                                                for at, agent in feeds.polls(p))
                                            for p in paths), bound), \
                    [log_of(c) for c in configs[1:]]
                time.sleep(INTERVAL)
            finally:
                codes = [stop(p) for p in procs[1:]]
                if procs[0].poll() is None:
                    kill9(procs[0])
        assert codes == [0] * (NODES - 1), [log_of(c) for c in configs]
        share = {f"node{n}": sum(1 for p in paths for at, agent in feeds.polls(p)
                                 if f"node{n}" in agent and at < killed) for n in range(NODES)}
        assert sum(1 for count in share.values() if count) >= 2, share  # the work is shared
        doubles = 0
        for path in paths:
            times = sorted(at for at, _ in feeds.polls(path))
            doubles += sum(1 for a, b in zip(times, times[1:], strict=False)
                           if b - a < INTERVAL / 2)
        taken = max(min(at for at, agent in feeds.polls(p) if at > killed + 1
                        and "node0" not in agent) for p in paths) - killed
        print(f"share before the kill: {share}; every feed polled again {taken:.1f}s after it")
        assert doubles == 0, share
        assert not any("Traceback" in log_of(c) for c in configs)
