"""Total deadlines for one send: name resolution, connect, TLS, the request and the whole reply.

httpx's timeouts and smtplib's are per operation: a receiver that sends its status line and
headers one byte every few seconds, or an SMTP server that drips its greeting, holds a send
for as long as it likes. Here every send runs under one deadline:

- webhook: `DeadlineTransport`, an httpx transport whose connections give each network
  operation only what remains of the current deadline (`total_deadline`), and fail once none
  remains; kept-alive connections obey it too, since it is read at each operation;
- SMTP: `Watchdog`, which shuts the connection's socket down when the deadline passes, so that
  whatever smtplib is blocked on returns at once.

Name resolution (which no socket timeout bounds) runs on a helper thread and is given up at
the deadline.
"""

from __future__ import annotations

import contextvars
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import httpcore
import httpx

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "veille_send_deadline", default=None)

E = TypeVar("E", bound=Exception)


@contextmanager
def total_deadline(seconds: float) -> Iterator[float]:
    """Run the block under a deadline `seconds` from now (monotonic); yields it."""
    at = time.monotonic() + seconds
    token = _deadline.set(at)
    try:
        yield at
    finally:
        _deadline.reset(token)


def remaining(timeout: float | None, error: type[E], at: float | None = None) -> float | None:
    """`timeout` cut to what remains of the deadline; `error` once nothing remains."""
    deadline = _deadline.get() if at is None else at
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the total deadline of this send has passed")
    return left if timeout is None else min(timeout, left)


def resolve(host: str, port: int, timeout: float | None) -> list[tuple[Any, ...]]:
    """getaddrinfo for a TCP connection, given up after `timeout` seconds (a hung resolver
    keeps its helper thread, which ends when the resolver does)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except ValueError:
        pass
    found: list[list[tuple[Any, ...]]] = []
    failed: list[OSError] = []

    def run() -> None:
        try:
            found.append(list(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)))
        except OSError as exc:
            failed.append(exc)

    helper = threading.Thread(target=run, daemon=True, name="veille-resolve")
    helper.start()
    helper.join(timeout)
    if failed:
        raise failed[0]
    if not found:
        raise TimeoutError(f"resolving {host} took longer than the deadline")
    return found[0]


def connect(host: str, port: int, timeout: float | None, at: float | None = None,
            source_address: tuple[str, int] | None = None) -> socket.socket:
    """A TCP connection to `host:port` within the deadline (each address tried in turn)."""
    addresses = resolve(host, port, remaining(timeout, TimeoutError, at))
    last: OSError = OSError(f"no address found for {host}")
    for family, kind, proto, _name, address in addresses:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(remaining(timeout, TimeoutError, at))
            if source_address is not None:
                sock.bind(source_address)
            sock.connect(address)
            return sock
        except OSError as exc:
            sock.close()
            last = exc
            if isinstance(exc, TimeoutError):
                break
    raise last


# -- httpx / httpcore --------------------------------------------------------------------
class _Stream(httpcore.NetworkStream):
    """A connection whose every operation gets only what remains of the deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, remaining(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, remaining(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        wrapped = self._inner.start_tls(ssl_context, server_hostname,
                                        remaining(timeout, httpcore.ConnectTimeout))
        return _Stream(wrapped)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        limit = remaining(timeout, httpcore.ConnectTimeout)
        try:
            addresses = resolve(host, port, limit)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        last: Exception = httpcore.ConnectError(f"no address found for {host}")
        for *_kind, address in addresses:
            try:
                stream = self._inner.connect_tcp(
                    str(address[0]), port, remaining(timeout, httpcore.ConnectTimeout),
                    local_address, socket_options)
                return _Stream(stream)
            except httpcore.ConnectError as exc:
                last = exc
        raise last

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _httpx_error(exc: httpcore.NetworkError | httpcore.TimeoutException | Exception,
                 request: httpx.Request) -> httpx.TransportError:
    """httpcore's errors as httpx's classes of the same name (ReadTimeout, ConnectError…)."""
    kind = getattr(httpx, type(exc).__name__, None)
    if not (isinstance(kind, type) and issubclass(kind, httpx.TransportError)):
        kind = httpx.TimeoutException if isinstance(exc, httpcore.TimeoutException) \
            else httpx.TransportError
    return kind(str(exc) or type(exc).__name__, request=request)


class _Body(httpx.SyncByteStream):
    def __init__(self, inner: Iterable[bytes], request: httpx.Request) -> None:
        self._inner = inner
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._inner
        except httpcore.TimeoutException as exc:
            raise _httpx_error(exc, self._request) from exc
        except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
            raise _httpx_error(exc, self._request) from exc

    def close(self) -> None:
        close: Callable[[], None] | None = getattr(self._inner, "close", None)
        if close is not None:
            close()


class DeadlineTransport(httpx.BaseTransport):
    """httpx's connection pool (httpcore) over connections that obey `total_deadline`."""

    def __init__(self, *, max_connections: int = 4, max_keepalive: int = 2) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(), max_connections=max_connections,
            max_keepalive_connections=max_keepalive, keepalive_expiry=5.0,
            network_backend=_Backend())

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=request.url.raw_scheme, host=request.url.raw_host,
                             port=request.url.port, target=request.url.raw_path),
            headers=request.headers.raw, content=request.stream,
            extensions=request.extensions)
        try:
            reply = self._pool.handle_request(core)
        except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError,
                httpcore.UnsupportedProtocol) as exc:
            raise _httpx_error(exc, request) from exc
        assert isinstance(reply.stream, Iterable)
        return httpx.Response(status_code=reply.status, headers=reply.headers,
                              stream=_Body(reply.stream, request), extensions=reply.extensions)

    def close(self) -> None:
        self._pool.close()


# -- smtplib -----------------------------------------------------------------------------
class Watchdog:
    """Shuts down the socket `current()` returns when `seconds` have passed, so that a
    blocked read or write returns; `expired` says whether it did."""

    def __init__(self, seconds: float, current: Callable[[], socket.socket | None]) -> None:
        self.expired = False
        self._current = current
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._timer.cancel()

    def _fire(self) -> None:
        self.expired = True
        sock = self._current()
        if sock is None:
            return
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed: nothing left to interrupt
