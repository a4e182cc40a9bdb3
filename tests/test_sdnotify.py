"""`Type=notify`: a real `veille run` tells a (test-made) service manager socket when it is
ready, reloading and stopping, and pings the watchdog while it runs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from feedgen import LATVIA, SEED, rss
from httpserver import FeedServer

from monitor.sdnotify import Notifier

ROOT = Path(__file__).resolve().parent.parent


def _messages(sock: socket.socket, until: str, timeout: float) -> list[str]:
    """Datagrams received until one contains `until` (or the time is up)."""
    got: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            got.append(sock.recv(4096).decode())
        except TimeoutError:
            break
        if until in got[-1]:
            break
    return got


class TestServiceManager:
    """veille speaks sd_notify(3) when systemd gives it a socket, and is silent otherwise."""

    def test_ready_watchdog_reload_stop(self, tmp_path: Path, feed_server: FeedServer) -> None:
        feed_server.set("/fr.xml", rss([SEED, LATVIA]))
        config = tmp_path / "config.toml"
        config.write_text(f'''[veille]
interval = "1m"
jitter = 0

[veille.http]
listen = ""

[[feed]]
name = "nato-fr"
url = "{feed_server.url('/fr.xml')}"

[[watch]]
name = "all"
keywords = []
notify = ["screen"]

[notifier.screen]
type = "console"
''')
        path = str(tmp_path / "notify.sock")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.bind(path)
            env = dict(os.environ, PYTHONPATH=str(ROOT), NOTIFY_SOCKET=path,
                       WATCHDOG_USEC="1000000")
            daemon = subprocess.Popen([sys.executable, "-m", "monitor", "run", "-c",
                                       str(config)], env=env, cwd=tmp_path,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                got = _messages(sock, "READY=1", 20)
                assert any("READY=1" in m and "STATUS=watching 1 feeds" in m for m in got)
                got = _messages(sock, "WATCHDOG=1", 5)
                assert any(m == "WATCHDOG=1" for m in got)
                daemon.send_signal(signal.SIGHUP)
                got = _messages(sock, "READY=1", 10)
                assert any(m.startswith("RELOADING=1\nMONOTONIC_USEC=") for m in got)
                assert "READY=1" in got[-1]
                daemon.send_signal(signal.SIGTERM)
                got = _messages(sock, "STOPPING=1", 10)
                assert any("STOPPING=1" in m for m in got)
                assert daemon.wait(30) == 0
            finally:
                if daemon.poll() is None:
                    daemon.kill()
                    daemon.wait(10)

    def test_nothing_without_a_socket(self) -> None:
        quiet = Notifier({})
        assert not quiet.active and quiet.watchdog is None
        quiet.ready("x")  # no socket, no error
        assert Notifier({"NOTIFY_SOCKET": "@veille", "WATCHDOG_USEC": "5000000",
                         "WATCHDOG_PID": "1"}).watchdog is None  # another process's watchdog
