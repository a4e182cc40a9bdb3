"""`veille run` as a service runs it: alerts within one interval, clean exit on SIGTERM,
one daemon per SQLite database, config reloaded on SIGHUP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from feedgen import INDO_PACIFIC, LATVIA, SEED, rss
from httpserver import FeedServer
from webhookserver import WebhookServer

ROOT = Path(__file__).resolve().parent.parent


def _config(tmp: Path, feeds: FeedServer, hook: WebhookServer, interval: str = "2s") -> Path:
    path = tmp / "config.toml"
    path.write_text(f'''[veille]
interval = "{interval}"
jitter = 0
timeout = "2s"

[[feed]]
name = "nato-fr"
url = "{feeds.url('/fr.xml')}"

[[watch]]
name = "korea"
keywords = ["République de Corée"]
notify = ["chat"]

[notifier.chat]
type = "webhook"
url = "{hook.url('/hook')}"
''')
    return path


def _start(config: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "monitor", "run", "-c", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=config.parent)


def _wait_for(condition: object, timeout: float) -> bool:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def daemon_setup(tmp_path: Path, feed_server: FeedServer) -> Iterator[tuple[Path, FeedServer,
                                                                              WebhookServer]]:
    with WebhookServer() as hook:
        feed_server.set("/fr.xml", rss([SEED, LATVIA]))
        yield _config(tmp_path, feed_server, hook), feed_server, hook


class TestRun:
    """The daemon polls on its schedule, alerts, and stops cleanly."""

    def test_alerts_within_one_interval_and_exits_on_sigterm(
            self, daemon_setup: tuple[Path, FeedServer, WebhookServer]) -> None:
        config, feeds, hook = daemon_setup
        proc = _start(config)
        try:
            assert _wait_for(lambda: len(feeds.requests_for("/fr.xml")) >= 1, 20), \
                "the daemon never polled"
            feeds.set("/fr.xml", rss([INDO_PACIFIC, SEED, LATVIA]))
            # the next poll (2s interval, so a 2s scheduler tick) alerts; 15s only bounds a hang
            assert _wait_for(lambda: len(hook.requests) >= 1, 15), "no alert"
            assert hook.requests[0].json["item"]["title"] == INDO_PACIFIC.title
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=40)
        assert proc.returncode == 0, err
        assert "SIGTERM received" in err and "veille stopped" in err
        assert len(hook.requests) == 1

    def test_second_daemon_on_the_same_sqlite_refuses(
            self, daemon_setup: tuple[Path, FeedServer, WebhookServer]) -> None:
        config, feeds, _ = daemon_setup
        first = _start(config)
        try:
            assert _wait_for(lambda: len(feeds.requests_for("/fr.xml")) >= 1, 20)
            second = _start(config)
            _, err = second.communicate(timeout=30)
            assert second.returncode == 2
            assert "another veille run" in err and "veille.db" in err
        finally:
            first.send_signal(signal.SIGINT)
            first.communicate(timeout=40)
        assert first.returncode == 0

    def test_sighup_keeps_the_old_config_when_the_new_one_is_invalid(
            self, daemon_setup: tuple[Path, FeedServer, WebhookServer]) -> None:
        config, feeds, hook = daemon_setup
        proc = _start(config)
        try:
            assert _wait_for(lambda: len(feeds.requests_for("/fr.xml")) >= 1, 20)
            good = config.read_text()
            config.write_text(good.replace('interval = "2s"', 'interval = "soon"'))
            proc.send_signal(signal.SIGHUP)
            time.sleep(1.5)
            feeds.set("/fr.xml", rss([INDO_PACIFIC, SEED, LATVIA]))
            assert _wait_for(lambda: len(hook.requests) >= 1, 15), \
                "the daemon stopped working after a bad reload"
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=40)
        assert proc.returncode == 0
        assert "not reloaded" in err and "veille.interval" in err
