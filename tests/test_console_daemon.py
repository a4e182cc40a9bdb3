"""`veille run` serves the console beside the poll: metrics scraped and parsed with the
Prometheus parser while a poll is in flight, /readyz ready, and a console that cannot bind
its address never stops polling."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from feedgen import INDO_PACIFIC, SEED, rss
from httpserver import FeedServer
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parent.parent
WAIT = 20.0  # bound of every wait below


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(tmp: Path, feeds: FeedServer, port: int) -> Path:
    path = tmp / "config.toml"
    path.write_text(f'''[veille]
database = "sqlite:///{tmp}/veille.db"
interval = "2s"
jitter = 0
timeout = "10s"
first_run = "notify"

[veille.http]
listen = "127.0.0.1:{port}"

[[feed]]
name = "slow"
url = "{feeds.url('/slow.xml')}"

[[feed]]
name = "fast"
url = "{feeds.url('/fast.xml')}"

[[watch]]
name = "korea"
keywords = ["Republic of Korea", "République de Corée", "Indo-Pacifique"]
notify = ["screen"]

[notifier.screen]
type = "console"
''')
    return path


@contextmanager
def daemon(config: Path, log: list[str] | None = None) -> Iterator[subprocess.Popen[str]]:
    """`veille run` in a child process; its standard error is appended to `log` at exit."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "run", "-c", str(config)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=env)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            _out, err = proc.communicate(timeout=WAIT)
        except subprocess.TimeoutExpired:
            proc.kill()
            _out, err = proc.communicate()
        if log is not None:
            log.append(err)


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def wait_for(check: object, what: str) -> object:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            found = check()  # type: ignore[operator]
        except OSError:
            found = None
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{what} within {WAIT:.0f}s")


class TestBesideTheDaemon:
    """The console of `veille run`, while it polls."""

    def test_metrics_during_a_poll_then_ready_then_clean_exit(self, tmp_path: Path) -> None:
        port = free_port()
        with FeedServer() as feeds:
            feeds.set("/fast.xml", rss([SEED]))
            feeds.set("/slow.xml", rss([INDO_PACIFIC]), delay=6.0)  # a poll in flight
            base = f"http://127.0.0.1:{port}"
            with daemon(write_config(tmp_path, feeds, port)) as proc:
                wait_for(lambda: get(base + "/healthz")[0] == 200, "the console up")
                wait_for(lambda: feeds.requests_for("/slow.xml"), "the slow feed fetched")
                status, text = get(base + "/metrics")
                assert status == 200
                families = {f.name: f for f in text_string_to_metric_families(text)}
                # The slow poll is still in flight: not counted yet, and the console answers.
                assert not [s for s in families["veille_polls"].samples
                            if s.labels.get("feed") == "slow"]
                assert all(name.startswith("veille_") for name in families)
                assert {"veille_polls", "veille_delivery_latency_seconds",
                        "veille_poll_cycle_duration_seconds", "veille_outbox_deliveries",
                        "veille_feeds", "veille_feeds_failing"} <= set(families)
                assert families["veille_daemon_start_time_seconds"].samples[0].value > 0

                def polled() -> dict[str, float]:
                    scraped = text_string_to_metric_families(get(base + "/metrics")[1])
                    return {s.labels["feed"]: s.value for f in scraped if f.name ==
                            "veille_polls" for s in f.samples
                            if s.name == "veille_polls_total" and s.labels["status"] == "ok"}

                counts = wait_for(lambda: len(polled()) == 2 and polled(), "both feeds polled")
                assert set(counts) == {"fast", "slow"}  # type: ignore[arg-type]
                scraped = {f.name: f for f in text_string_to_metric_families(
                    get(base + "/metrics")[1])}
                cycles = [s for s in scraped["veille_poll_cycle_duration_seconds"].samples
                          if s.name.endswith("_count")]
                assert cycles[0].value >= 1
                kinds = {s.labels["kind"]: s.value for s in scraped["veille_item_versions"]
                         .samples if s.name.endswith("_total")}
                assert kinds.get("new", 0) >= 2
                status, body = get(base + "/readyz")
                assert status == 200, body
                assert json.loads(body)["checks"] == {"database": "ok", "scheduler": "ok",
                                                      "poll_cycle": "ok"}
                proc.send_signal(signal.SIGTERM)
                assert proc.wait(timeout=WAIT) == 0
            try:
                get(base + "/healthz")
            except OSError:
                pass
            else:
                raise AssertionError("the console outlived the daemon")

    def test_a_busy_address_never_stops_polling(self, tmp_path: Path) -> None:
        with FeedServer() as feeds, socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = int(taken.getsockname()[1])
            feeds.set("/fast.xml", rss([SEED]))
            feeds.set("/slow.xml", rss([INDO_PACIFIC]))
            log: list[str] = []
            with daemon(write_config(tmp_path, feeds, port), log) as proc:
                wait_for(lambda: len(feeds.requests_for("/fast.xml")) >= 2,
                         "two polls of the feed")
                proc.send_signal(signal.SIGTERM)
                assert proc.wait(timeout=WAIT) == 0
        assert "console not started" in log[0]
