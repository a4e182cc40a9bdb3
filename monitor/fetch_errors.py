"""How a failed fetch is told to a person: one sentence per exception or HTTP status.

Sentences name the host, never the whole URL: a feed URL's query can carry a token.
"""

from __future__ import annotations

import email.utils
import time
from datetime import UTC
from http import HTTPStatus

import aiohttp

from monitor.netguard import RefusedAddressError


def seconds_text(seconds: float) -> str:
    """`5.0` → "5s", `0.25` → "0.25s"."""
    return f"{seconds:.2f}".rstrip("0").rstrip(".") + "s"


def size_text(size: int) -> str:
    """`5_000_000` → "5 MB" (decimal units, as config.toml writes them)."""
    for unit, factor in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if size >= factor:
            return f"{round(size / factor, 1):g} {unit}"
    return f"{size} bytes"


def status_text(status: int, reason: str | None) -> str:
    """`503` → "HTTP 503 Service Unavailable" (the standard phrase over the server's own)."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = reason or ""
    return f"HTTP {status} {phrase}".rstrip()


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds from `now` (epoch seconds): delay-seconds or an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" in an HTTP-date still means GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def describe(exc: BaseException, host: str) -> str:
    """One sentence for a person about a network or protocol failure talking to `host`."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        cause = exc.os_error
        if isinstance(cause, RefusedAddressError):
            return str(cause)
        where = f"{exc.host}:{exc.port}"
        if isinstance(exc, aiohttp.ClientConnectorCertificateError):
            return f"the TLS certificate of {host} was not accepted ({exc.certificate_error})"
        if isinstance(exc, aiohttp.ClientSSLError):
            return f"the TLS handshake with {host} failed"
        if isinstance(exc, aiohttp.ClientConnectorDNSError):
            return f"could not resolve {host} ({cause.strerror or cause})"
        if isinstance(cause, ConnectionRefusedError):
            return f"connection refused by {where}"
        return f"could not connect to {where} ({cause.strerror or cause})"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return f"{host} closed the connection before the response was complete"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return f"the response body from {host} was cut off or badly encoded"
    if isinstance(exc, aiohttp.InvalidURL | ValueError):
        return "invalid URL"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"invalid HTTP response from {host} ({exc.message})"
    if isinstance(exc, OSError):
        return f"network error with {host} ({exc.strerror or exc})"
    return f"the request to {host} failed ({type(exc).__name__})"
