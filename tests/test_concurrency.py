"""Two veille processes on one database never poll a feed twice nor send an alert twice."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from feedgen import INDO_PACIFIC, LATVIA, SEED, rss
from httpserver import FeedServer
from webhookserver import WebhookServer

ROOT = Path(__file__).resolve().parent.parent
FEEDS = 6


def _config(path: Path, database: str, feeds: FeedServer, hook: WebhookServer) -> None:
    # Every feed fetched at once (per_host), so that the first run holds all its leases
    # while the second one starts.
    text = (f'[veille]\ndatabase = "{database}"\njitter = 0\ntimeout = "15s"\n'
            f'per_host = {FEEDS}\n')
    for i in range(FEEDS):
        text += f'\n[[feed]]\nname = "feed-{i}"\nurl = "{feeds.url(f"/f{i}.xml")}"\n'
    text += f'''
[[watch]]
name = "korea"
keywords = ["République de Corée"]
notify = ["chat"]

[notifier.chat]
type = "webhook"
url = "{hook.url('/hook')}"
'''
    path.write_text(text)


def _check(config: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "monitor", "-c", str(config), "check"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


class TestTwoProcesses:
    """Two `veille check` at once: each feed fetched once, each alert delivered once."""

    def test_no_double_poll_no_double_send(self, tmp_path: Path, feed_server: FeedServer,
                                           db_url: str) -> None:
        with WebhookServer() as hook:
            config = tmp_path / "config.toml"
            _config(config, db_url, feed_server, hook)
            for i in range(FEEDS):
                feed_server.set(f"/f{i}.xml", rss([LATVIA.but(guid=f"l{i}")], title=f"F{i}"))
            first = _check(config)
            baseline = first.communicate(timeout=60)
            assert first.returncode == 0, baseline
            for i in range(FEEDS):  # slow answers (longer than a process start), so that
                items = [SEED.but(guid=f"s{i}"), INDO_PACIFIC.but(guid=f"p{i}"),  # they overlap
                         LATVIA.but(guid=f"l{i}")]
                feed_server.set(f"/f{i}.xml", rss(items, title=f"F{i}"), delay=8)
            feed_server.reset_stats()
            runs = [_check(config)]
            deadline = time.monotonic() + 30
            while not feed_server.requests and time.monotonic() < deadline:
                time.sleep(0.05)  # the first run is polling: its leases are taken
            runs.append(_check(config))
            outputs = [run.communicate(timeout=120) for run in runs]
            assert [run.returncode for run in runs] == [0, 0], outputs
            for i in range(FEEDS):
                assert len(feed_server.requests_for(f"/f{i}.xml")) == 1
            alerts = [r.json for r in hook.requests]
            assert len(alerts) == 2 * FEEDS  # two new matching items per feed
            assert len({a["id"] for a in alerts}) == 2 * FEEDS  # none sent twice
            joined = outputs[0][0] + outputs[1][0]
            assert "another veille process is polling it" in joined
