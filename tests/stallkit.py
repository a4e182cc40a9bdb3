"""Receivers that misbehave the way a bad week's receivers do, and helpers to run `veille run`
as a real process: a webhook that never answers, one that drips its status line and headers
one byte at a time, an SMTP server that drips its greeting; a feed server that notes when
each feed was polled and by whom."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from httpserver import FeedServer, LoggedRequest, Route

ROOT = Path(__file__).resolve().parent.parent


class RawServer:
    """A TCP server on 127.0.0.1 that hands each connection to `behave(conn, stop)` on a
    thread of its own; `stop` is set when the server closes."""

    def __init__(self, behave: Callable[[socket.socket, threading.Event], None]) -> None:
        self._behave = behave
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port: int = self._listener.getsockname()[1]
        self.connections = 0
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            self._conns.append(conn)
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        try:
            self._behave(conn, self._stop)
        except OSError:
            pass  # the client gave up: that is what these servers are for
        finally:
            conn.close()

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._listener.close()
        for conn in self._conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(timeout=5)


def read_request(conn: socket.socket) -> bytes:
    """Read one HTTP request (headers and a Content-Length body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def never_answers(conn: socket.socket, stop: threading.Event) -> None:
    """Reads the request, then says nothing until the server closes."""
    read_request(conn)
    stop.wait()


def drips_headers(every: float) -> Callable[[socket.socket, threading.Event], None]:
    """Reads the request, then sends a 200's status line and headers one byte per `every`
    seconds: each read gets a byte before any per-read timeout, for minutes."""
    reply = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: "
             + b"." * 200 + b"\r\nContent-Length: 2\r\n\r\n{}")

    def behave(conn: socket.socket, stop: threading.Event) -> None:
        read_request(conn)
        for byte in reply:
            if stop.wait(every):
                return
            conn.sendall(bytes([byte]))

    return behave


def smtp_drips(every: float) -> Callable[[socket.socket, threading.Event], None]:
    """An SMTP server whose greeting comes one byte per `every` seconds, for minutes."""
    greeting = b"220 " + b"slow.example.org ESMTP " * 20 + b"\r\n"

    def behave(conn: socket.socket, stop: threading.Event) -> None:
        for byte in greeting:
            if stop.wait(every):
                return
            conn.sendall(bytes([byte]))
        stop.wait()

    return behave


class TimedFeeds(FeedServer):
    """A FeedServer that notes when each request came and its User-Agent (the node)."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[float, str, str]] = []  # (monotonic time, path, user agent)
        self._times = threading.Lock()

    def _begin(self, request: LoggedRequest) -> Route | None:
        with self._times:
            self.log.append((time.monotonic(), request.path,
                             request.headers.get("user-agent", "")))
        return super()._begin(request)

    def __enter__(self) -> TimedFeeds:
        super().__enter__()
        return self

    def polls(self, path: str) -> list[tuple[float, str]]:
        with self._times:
            return [(at, agent) for at, p, agent in self.log if p == path]


def start_daemon(config: Path, *extra: str) -> subprocess.Popen[str]:
    """`veille run -c config` as a real process, its output in files beside the config."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with open(config.with_suffix(".out"), "a") as out, \
            open(config.with_suffix(".err"), "a") as err:  # the child keeps its own copies
        return subprocess.Popen([sys.executable, "-m", "monitor", "run", "-c", str(config),
                                 *extra], stdout=out, stderr=err, text=True, env=env,
                                cwd=config.parent)


def log_of(config: Path) -> str:
    path = config.with_suffix(".err")
    return path.read_text() if path.exists() else ""


def wait_for(condition: Callable[[], object], timeout: float, step: float = 0.1) -> bool:
    """Poll `condition` until it is true; False after `timeout` seconds (a bound on hangs)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())


def stop(proc: subprocess.Popen[str], timeout: float = 40) -> int:
    """SIGTERM, then wait; a process that does not stop is killed (and fails the test)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
        raise AssertionError("veille run did not stop within its bound") from None


def kill9(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


SECRET = "whsec_" + "dmVpbGxlLXRlc3Qtc2lnbmluZy1rZXktMzItYnl0ZXM="  # 32 bytes


def daemon_config(path: Path, database: str, feeds: dict[str, str], hooks: dict[str, str],
                  veille: str = "", hook_extra: str = "") -> Path:
    """A config.toml for `veille run`: `feeds` and webhook notifiers `hooks` (name → URL),
    one watch on "Indo-Pacifique" routed to every hook; each webhook signs its requests."""
    text = f'''[veille]
database = "{database}"
jitter = 0
timeout = "5s"
{veille}
'''
    for name, url in feeds.items():
        text += f'\n[[feed]]\nname = "{name}"\nurl = "{url}"\n'
    text += ('\n[[watch]]\nname = "indo-pacific"\nkeywords = ["Indo-Pacifique"]\n'
             f'notify = {list(hooks)!r}\n'.replace("'", '"'))
    for name, url in hooks.items():
        text += (f'\n[notifier.{name}]\ntype = "webhook"\nurl = "{url}"\n'
                 f'secret = "{SECRET}"\n{hook_extra}\n')
    path.write_text(text, encoding="utf-8")
    return path
