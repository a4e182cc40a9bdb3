"""From the last HTTP response of a fetch, or its failure, to a `FetchResult`.

Sentences for people name the host, never the whole URL: a feed URL's query can carry a token.
"""

from __future__ import annotations

import dataclasses
import email.utils
import hashlib
import time
from collections.abc import Mapping
from datetime import UTC
from http import HTTPStatus

import aiohttp
from yarl import URL

from monitor.netguard import RefusedAddressError
from monitor.records import FetchRequest, FetchResult

_CHUNK = 1 << 16


@dataclasses.dataclass
class Hop:
    """Where one fetch is: the URL being fetched, and whether every redirect was permanent."""

    url: URL
    redirects: int = 0
    permanent: bool = True
    reading: bool = False

    def final_url(self, req: FetchRequest) -> str:
        """The URL finally fetched: the request's own text until a redirect is followed."""
        return str(self.url) if self.redirects else req.url


async def answer(req: FetchRequest, hop: Hop, resp: aiohttp.ClientResponse) -> FetchResult:
    """The result of the final (non-redirect) response `resp`, reading its body if needed."""
    headers = _lower(resp.headers)
    etag, modified = headers.get("etag"), headers.get("last-modified")
    url = hop.final_url(req)
    moved_to = str(hop.url) if hop.redirects and hop.permanent else None
    status = resp.status
    if status == 304 and (req.etag or req.last_modified):
        return FetchResult(
            req.feed_name, "not_modified", url, status, headers=headers,
            etag=etag or req.etag, last_modified=modified or req.last_modified, moved_to=moved_to,
        )
    if not 200 <= status < 300:
        text = status_text(status, resp.reason)
        retry_after = None
        if status == 410:
            text = "HTTP 410 Gone: the feed was removed"
        elif status in (429, 503):
            retry_after = parse_retry_after(headers.get("retry-after"))
            if retry_after is not None:
                text += f"; retry after {seconds_text(round(retry_after))}"
        return FetchResult(req.feed_name, "error", url, status, headers=headers,
                           retry_after=retry_after, gone=status == 410, error=text)
    body = await _read(req, hop, resp)
    if isinstance(body, str):
        return FetchResult(req.feed_name, "error", url, status, headers=headers, error=body)
    digest = hashlib.sha256(body).hexdigest()
    same = digest == req.previous_body_hash
    return FetchResult(
        req.feed_name, "same_body" if same else "ok", url, status,
        body=None if same else body, body_hash=digest, headers=headers,
        etag=etag, last_modified=modified, moved_to=moved_to,
    )


async def _read(req: FetchRequest, hop: Hop, resp: aiohttp.ClientResponse) -> bytes | str:
    """The decoded body, or the sentence saying it is larger than `req.max_size`."""
    too_big = f"body larger than {size_text(req.max_size)}"
    encoded = resp.headers.get("Content-Encoding", "identity").lower() != "identity"
    if not encoded and (resp.content_length or 0) > req.max_size:
        return too_big
    hop.reading = True
    chunks: list[bytes] = []
    size = 0
    # aiohttp inflates gzip/deflate in bounded steps as we read: counting here caps a bomb.
    async for chunk in resp.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > req.max_size:
            resp.close()  # the rest is never read: this connection must not go back to the pool
            return too_big
        chunks.append(chunk)
    return b"".join(chunks)


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    lowered: dict[str, str] = {}
    for name, value in headers.items():
        name = name.lower()
        lowered[name] = f"{lowered[name]}, {value}" if name in lowered else value
    return lowered


def error(req: FetchRequest, hop: Hop, text: str) -> FetchResult:
    """A failed fetch at `hop`, told by `text`."""
    return FetchResult(req.feed_name, "error", hop.final_url(req), error=text)


def describe(exc: BaseException, host: str) -> str:
    """One sentence for a person about a network or protocol failure talking to `host`."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        cause = exc.os_error
        if isinstance(cause, RefusedAddressError):
            return str(cause)
        where = f"[{exc.host}]:{exc.port}" if ":" in exc.host else f"{exc.host}:{exc.port}"
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
    if isinstance(exc, aiohttp.InvalidURL) and exc.description:
        return f"invalid URL: {host} {exc.description}"  # "… is not a canonical IPv4 address"
    if isinstance(exc, ValueError):  # aiohttp.InvalidURL is one
        return "invalid URL"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"invalid HTTP response from {host} ({exc.message})"
    if isinstance(exc, OSError):
        return f"network error with {host} ({exc.strerror or exc})"
    return f"the request to {host} failed ({type(exc).__name__})"


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
