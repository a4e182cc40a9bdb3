"""A real threaded HTTP server on 127.0.0.1 serving feeds to tests: routes can change while it
runs, it answers conditional GETs with 304, can be slow or drip, and logs every request."""

from __future__ import annotations

import gzip as gzip_module
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

Body = bytes | str | Callable[[], Iterable[bytes]]  # a callable streams, with no Content-Length


@dataclass(frozen=True)
class Route:
    """What the server answers on one path."""

    body: Body = b""
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    gzip: bool = False  # compress the body when the client accepts gzip
    delay: float = 0.0  # seconds before the status line
    drip: float | None = None  # seconds between single bytes of the body


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the server saw it; header names lower-case."""

    method: str
    path: str
    headers: dict[str, str]


class FeedServer:
    """`with FeedServer() as server: server.set("/feed.xml", body=...); server.url("/feed.xml")`."""

    def __init__(self) -> None:
        self._routes: dict[str, Route] = {}
        self._log: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._sockets: set[socket.socket] = set()
        self.active = 0  # requests being answered now
        self.max_active = 0  # most requests answered at once since start (or reset_stats)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self.port: int = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def url(self, path: str = "/") -> str:
        """The absolute URL of `path` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def set(self, path: str, body: Body = b"", status: int = 200,
            headers: Mapping[str, str] | None = None, etag: str | None = None,
            last_modified: str | None = None, gzip: bool = False, delay: float = 0.0,
            drip: float | None = None) -> None:
        """Serve `path` this way from the next request on (thread-safe)."""
        route = Route(body, status, dict(headers or {}), etag, last_modified, gzip, delay, drip)
        with self._lock:
            self._routes[path] = route

    def redirect(self, path: str, to: str, status: int = 301) -> None:
        """Answer `path` with a redirect to `to` (a path on this server or an absolute URL)."""
        self.set(path, status=status, headers={"Location": to})

    @property
    def requests(self) -> list[LoggedRequest]:
        """Every request received so far, oldest first."""
        with self._lock:
            return list(self._log)

    def requests_for(self, path: str) -> list[LoggedRequest]:
        """The requests received for `path`."""
        return [r for r in self.requests if r.path == path]

    def reset_stats(self) -> None:
        """Forget the request log and the concurrency high-water mark."""
        with self._lock:
            self._log.clear()
            self.max_active = self.active

    def close(self) -> None:
        """Stop serving, cut every open connection, end slow answers."""
        self._closing.set()
        self._httpd.shutdown()
        with self._lock:
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FeedServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- used by the handler --------------------------------------------------------------------

    def _connected(self, sock: socket.socket, open_: bool) -> None:
        with self._lock:
            (self._sockets.add if open_ else self._sockets.discard)(sock)

    def _begin(self, request: LoggedRequest) -> Route | None:
        with self._lock:
            self._log.append(request)
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            return self._routes.get(request.path)

    def _end(self) -> None:
        with self._lock:
            self.active -= 1


def _not_modified(route: Route, headers: Mapping[str, str]) -> bool:
    if route.etag is not None and "if-none-match" in headers:
        # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
        tags = [t.strip() for t in headers["if-none-match"].split(",")]
        return "*" in tags or route.etag in tags or f"W/{route.etag}" in tags
    if route.last_modified is not None and "if-modified-since" in headers:
        try:
            since = parsedate_to_datetime(headers["if-modified-since"])
            return parsedate_to_datetime(route.last_modified) <= since
        except (TypeError, ValueError):
            return False
    return False


def _handler_for(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 10  # an idle keep-alive connection lets its thread go after this

        def setup(self) -> None:
            super().setup()
            server._connected(self.connection, True)

        def finish(self) -> None:
            server._connected(self.connection, False)
            super().finish()

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            headers = {k.lower(): v for k, v in self.headers.items()}
            route = server._begin(LoggedRequest(self.command, self.path, headers))
            try:
                self._answer(route or Route(b"not found", 404), headers)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
            finally:
                server._end()

        def _answer(self, route: Route, headers: Mapping[str, str]) -> None:
            if route.delay and server._closing.wait(route.delay):
                self.close_connection = True
                return
            status, body, extra = route.status, route.body, dict(route.headers)
            if 200 <= status < 300 and _not_modified(route, headers):
                status, body, extra = 304, b"", {}
            if isinstance(body, str):
                body = body.encode()
            if route.gzip and isinstance(body, bytes) and status != 304 \
                    and "gzip" in headers.get("accept-encoding", ""):
                body, extra["Content-Encoding"] = gzip_module.compress(body, mtime=0), "gzip"
            self.send_response(status)
            if route.etag:
                self.send_header("ETag", route.etag)
            if route.last_modified:
                self.send_header("Last-Modified", route.last_modified)
            for name, value in extra.items():
                self.send_header(name, value)
            if isinstance(body, bytes):
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self._write([body] if route.drip is None else _bytes(body), route.drip)
            else:  # streamed: the end of the body is the end of the connection
                self.send_header("Connection", "close")
                self.close_connection = True
                self.end_headers()
                self._write(body(), route.drip)

        def _write(self, chunks: Iterable[bytes], drip: float | None) -> None:
            for chunk in chunks:
                if server._closing.is_set() or (drip and server._closing.wait(drip)):
                    self.close_connection = True
                    return
                self.wfile.write(chunk)
                self.wfile.flush()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # the request log above is what tests read

    return Handler


def _bytes(body: bytes) -> Iterable[bytes]:
    return (body[i:i + 1] for i in range(len(body)))
