"""`veille check`'s progress display, driven under a real pseudo-terminal and captured: feeds
done / total, a failing feed named as it fails; on a pipe, nothing of it."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from feedgen import LATVIA, SEED, rss
from harness import Env

ROOT = Path(__file__).resolve().parent.parent


def _under_pty(args: list[str], limit: float = 60.0) -> tuple[int, str]:
    """Run `args` with stdin, stdout and stderr on a pseudo-terminal; its exit code and all
    it wrote there."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, cwd=ROOT,
                            env={**os.environ, "TERM": "xterm"})
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + limit
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return code, b"".join(chunks).decode("utf-8", "replace")


class TestProgress:
    """At a terminal, check counts feeds and names failures as they come."""

    def test_terminal_shows_progress_and_failures_as_they_come(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.feeds.set("/fr.xml", rss([SEED]))
        env.feeds.set("/gone.xml", b"", status=404)
        env.feeds.set("/slow.xml", rss([LATVIA]), delay=1.5)  # finishes after the failure
        env.write(feeds={"nato-fr": "/fr.xml", "broken": "/gone.xml", "slow": "/slow.xml"})
        code, screen = _under_pty([sys.executable, "-m", "monitor", "-c", str(env.config),
                                   "check"])
        assert code == 1, screen  # a feed failed
        assert "\rpolling: 1/3 feeds done" in screen.replace("\x1b[K", "")
        assert "polling: 3/3 feeds done, 1 failed" in screen
        live = screen.index("broken: FAILED")
        assert live < screen.index("polling: 3/3")  # named before the poll is over
        assert screen.index("slow: ") > screen.index("polling: 3/3")  # the report comes after
        assert screen.rstrip().count("broken: FAILED") == 2  # live, then in the report

    def test_pipe_shows_no_progress(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.feeds.set("/fr.xml", rss([SEED]))
        env.feeds.set("/gone.xml", b"", status=404)
        env.write(feeds={"nato-fr": "/fr.xml", "broken": "/gone.xml"})
        done = subprocess.run([sys.executable, "-m", "monitor", "-c", str(env.config),
                               "check"], capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert done.returncode == 1
        assert "polling:" not in done.stdout + done.stderr
        assert "\r" not in done.stdout + done.stderr and "\x1b[" not in done.stdout
        assert done.stdout.count("broken: FAILED") == 1
