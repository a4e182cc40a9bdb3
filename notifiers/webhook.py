"""The webhook notifier: POSTs each alert (or digest) as veille's JSON or a chat service's format.

Outcomes: 2xx sent; connection errors, timeouts, 408 and 5xx → TransientError; 429 and 503
carry the delay the server asked for (`Retry-After`, or Discord's JSON `retry_after`), capped
at 1 h; 3xx (redirects are not followed) and other 4xx → PermanentError. The URL is a secret —
chat webhooks carry their token in it — so messages show only its scheme and host.

`timeout` is a total deadline for one request — resolving, connecting, TLS, sending, the
status line, the headers and the part of the body read — enforced at every network operation
(deadline.py): a receiver that drips its headers cannot hold a send longer than that.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

import httpx

from notifiers import digest, formats, signing
from notifiers.base import Alert, NotifierError, PermanentError, TransientError
from notifiers.deadline import DeadlineTransport, total_deadline
from notifiers.render import cap, one_line
from notifiers.webhook_options import DEFAULT_TIMEOUT, parse_options, show_url

RETRY_AFTER_CAP = 3600.0
READ_LIMIT = 4096  # bytes of a response kept: enough for an error message


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a `Retry-After` value (seconds or HTTP-date), within [0, 1 h]."""
    if not value or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value.strip())
        except (TypeError, ValueError, IndexError):
            return None
        seconds = (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp() - now
    return min(max(seconds, 0.0), RETRY_AFTER_CAP) if math.isfinite(seconds) else None


def json_retry_after(body: bytes) -> float | None:
    """Discord's `{"retry_after": seconds}` from a 429 body, within [0, 1 h]."""
    try:
        value = json.loads(body)
    except ValueError:
        return None
    seconds = value.get("retry_after") if isinstance(value, dict) else None
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return None
    return min(max(float(seconds), 0.0), RETRY_AFTER_CAP) if math.isfinite(seconds) else None


def _user_agent() -> str:
    try:
        return f"veille/{version('veille')} (webhook)"
    except PackageNotFoundError:
        return "veille (webhook)"


class WebhookNotifier:
    """Sends alerts to one HTTP endpoint through one pooled, non-redirecting client."""

    type_name: ClassVar[str] = "webhook"
    secret_keys: ClassVar[frozenset[str]] = frozenset({"url", "secret"})

    def __init__(self, name: str, url: str, *, format: str = "json",
                 secret: str | None = None, headers: Mapping[str, str] | None = None,
                 timeout: float = DEFAULT_TIMEOUT, clock: Callable[[], float] = time.time) -> None:
        self.name = name
        self.format = format
        self.where = show_url(url)
        self._url = url
        self._key = signing.parse_secret(secret) if secret is not None else None
        self._headers = dict(headers or {})
        self.timeout = timeout
        self._clock = clock
        self._secrets = _secret_parts(url, secret)
        for logger_name in ("httpx", "httpcore"):  # they log request URLs, tokens included
            logger = logging.getLogger(logger_name)
            if logger.level < logging.WARNING:
                logger.setLevel(logging.WARNING)
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout), follow_redirects=False,
            headers={"user-agent": _user_agent(), "content-type": "application/json"},
            transport=DeadlineTransport(max_connections=4, max_keepalive=2),
        )

    def __repr__(self) -> str:
        return f"WebhookNotifier(name={self.name!r}, url={self.where!r}, format={self.format!r})"

    @classmethod
    def from_options(cls, name: str, options: Mapping[str, Any]) -> WebhookNotifier:
        """Validate a `[notifier.NAME]` table of type webhook; every problem is reported."""
        o = parse_options(options)
        return cls(name, o.url, format=o.format, secret=o.secret, headers=o.headers,
                   timeout=o.timeout)

    def body(self, alert: Alert) -> bytes:
        """The request body for `alert`: compact UTF-8 JSON, exactly the bytes signed."""
        payload = alert.to_json() if self.format == "json" else formats.render(self.format, alert)
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def digest_body(self, alerts: Sequence[Alert]) -> bytes:
        """The request body for a digest of `alerts`: one message, whatever the format."""
        payload = (digest.to_json(alerts) if self.format == "json"
                   else formats.render_digest(self.format, alerts))
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def send(self, alert: Alert) -> None:
        """POST `alert` once; raise TransientError or PermanentError when it was not taken."""
        self._post(self.body(alert), alert.id)

    def send_digest(self, alerts: Sequence[Alert]) -> None:
        """POST the digest of `alerts` once (signed with the digest's id), like `send`."""
        self._post(self.digest_body(alerts), digest.digest_id(alerts))

    def _post(self, body: bytes, message_id: str) -> None:
        headers = dict(self._headers)
        if self._key is not None:
            try:
                stamp = int(self._clock())
                headers.update(signing.signature_headers(self._key, message_id, stamp, body))
            except ValueError as exc:
                raise PermanentError(f"cannot sign alert {one_line(message_id)!r}: {exc}"
                                     ) from None
        try:
            with total_deadline(self.timeout) as deadline, \
                    self._client.stream("POST", self._url, content=body,
                                        headers=headers) as reply:
                raw = _read(reply, deadline)
                failure = self._failure(reply.status_code, reply.reason_phrase, reply.headers, raw)
        except httpx.TimeoutException:
            raise TransientError(f"{self.where}: no answer within {self.timeout:g}s") from None
        except httpx.HTTPError as exc:  # refused, reset, DNS, protocol errors
            raise TransientError(f"{self.where}: {type(exc).__name__}: {self.redact(str(exc))}"
                                 ) from None
        if failure is not None:
            raise failure

    def close(self) -> None:
        """Close the pooled connections."""
        self._client.close()

    def redact(self, text: str) -> str:
        """`text` on one line, short, with the URL's path, query and every token removed."""
        text = one_line(text)
        for secret in self._secrets:
            text = text.replace(secret, "…")
        return cap(text, 200)

    def _failure(self, status: int, reason: str, headers: httpx.Headers,
                 raw: bytes) -> NotifierError | None:
        if 200 <= status < 300:
            return None
        what = f"HTTP {status} {reason}".rstrip() + f" from {self.where}"
        excerpt = self.redact(raw.decode("utf-8", "replace"))
        detail = f": {excerpt}" if excerpt else ""
        if 300 <= status < 400:
            return PermanentError(f"{what}: the endpoint redirects and veille does not follow"
                                  " redirects; set url to the final address")
        if status in (429, 503):
            # A standard header wins over a body value: Discord's old API versions gave ms.
            delay = parse_retry_after(headers.get("retry-after"), self._clock())
            if delay is None and status == 429:
                delay = json_retry_after(raw)
            hint = f" (retry after {delay:g}s)" if delay is not None else ""
            return TransientError(f"{what}{hint}{detail}", retry_after=delay)
        if status >= 500 or status == 408 or status < 200:
            return TransientError(f"{what}{detail}")
        return PermanentError(f"{what}{detail}")


def _read(reply: httpx.Response, deadline: float) -> bytes:
    """Up to READ_LIMIT bytes of the body, within the deadline; the status is what counts."""
    data = bytearray()
    try:
        for chunk in reply.iter_bytes():
            data += chunk
            if len(data) >= READ_LIMIT or time.monotonic() > deadline:
                break
    except httpx.HTTPError:
        pass  # a body cut short does not change the status already received
    return bytes(data[:READ_LIMIT])


def _secret_parts(url: str, secret: str | None) -> list[str]:
    """Every part of the URL that may carry a token, longest first (replaced in that order)."""
    parts = urlsplit(url)
    found = {url, parts.path, parts.query, parts.password or "", parts.username or "",
             secret or ""}
    found.update(segment for segment in parts.path.split("/") if len(segment) >= 8)
    found.update(value for _, value in parse_qsl(parts.query) if len(value) >= 8)
    return sorted((s for s in found if len(s) > 1), key=len, reverse=True)
