"""A real HTTP endpoint on 127.0.0.1 for notifier tests: records requests, plays scripted replies.

    with WebhookServer([Reply(503, {"Retry-After": "30"}), Reply(200)]) as server:
        notifier = WebhookNotifier("chat", server.url("/hooks/T0KEN"))
        ...
        assert server.requests[0].json["type"] == "item.new"

Replies are used in order; once they run out every request gets `default` (200, empty body).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class Reply:
    """One scripted answer; `delay` seconds pass before it is sent (for timeouts)."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | str | dict[str, Any] = b""
    delay: float = 0.0

    def payload(self) -> bytes:
        if isinstance(self.body, dict):
            return json.dumps(self.body).encode()
        return self.body.encode() if isinstance(self.body, str) else self.body


@dataclass(frozen=True)
class Recorded:
    """One request as received: method, path with query, headers (lower-case names), body."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as real webhook endpoints do

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        owner = self.server.owner
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = owner._record(Recorded(self.command, self.path, headers, body))
        if reply.delay and owner._stopping.wait(reply.delay):
            return
        payload = reply.payload()
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_POST = do_PUT = do_GET = _handle

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: WebhookServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (a timeout test) is not an error of the server


class WebhookServer:
    """A threaded HTTP server on 127.0.0.1:<free port>, usable as a context manager."""

    def __init__(self, replies: Iterable[Reply | int] = (), default: Reply | None = None) -> None:
        self.requests: list[Recorded] = []
        self.default = default or Reply()
        self._replies = [r if isinstance(r, Reply) else Reply(r) for r in replies]
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/") -> str:
        """The absolute URL of `path` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def queue(self, *replies: Reply | int) -> None:
        """Append replies to the script."""
        with self._lock:
            self._replies += [r if isinstance(r, Reply) else Reply(r) for r in replies]

    def _record(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            return self._replies.pop(0) if self._replies else self.default

    def __enter__(self) -> WebhookServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
