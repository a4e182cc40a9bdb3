"""The options of a `[notifier.NAME]` table of type webhook, checked all at once.

    url = "https://…"     required, http or https; a secret (only scheme and host are shown)
    format = "json"       json | slack | discord | teams | mattermost
    secret = "whsec_…"    optional Standard Webhooks signing secret
    headers = {…}         optional extra request headers
    timeout = "10s"       total deadline of one request (connect to last byte read)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from notifiers import signing
from notifiers.base import COMMON_KEYS, NotifierConfigError

FORMATS = ("json", "slack", "discord", "teams", "mattermost")
OPTIONS = ("url", "format", "secret", "headers", "timeout")
DEFAULT_TIMEOUT = 10.0
MAX_TIMEOUT = 300.0
# Headers veille sets itself; a `headers` table may not replace them.
RESERVED_HEADERS = frozenset({"host", "content-length", "content-type", "transfer-encoding",
                              "connection", "webhook-id", "webhook-timestamp", "webhook-signature"})
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_DURATION = re.compile(r"(\d+(?:\.\d*)?)\s*(s|m|h)?")
_UNIT = {"s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True)
class WebhookOptions:
    url: str
    format: str = "json"
    secret: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT

    def __repr__(self) -> str:
        return f"WebhookOptions(url={show_url(self.url)!r}, format={self.format!r}, ...)"


def show_url(url: str) -> str:
    """`scheme://host[:port]`: all of a webhook URL that may be shown (no path, no query)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "?", parts.port
    except ValueError:
        return "(invalid URL)"
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def parse_options(options: Mapping[str, Any]) -> WebhookOptions:
    """Checked options; NotifierConfigError lists every problem, never quoting a secret."""
    problems: list[tuple[str, str]] = []
    for key in options:
        if key in ("template", "subject"):
            problems.append((key, "not supported for webhook yet"))
        elif key not in OPTIONS and key not in COMMON_KEYS:
            problems.append((key, f"unknown option for webhook; known: {', '.join(OPTIONS)}"))
    url = _check_url(options.get("url"), problems)
    fmt = options.get("format", "json")
    if fmt not in FORMATS:
        problems.append(("format", f"must be one of {', '.join(FORMATS)}"))
    secret = options.get("secret")
    if secret is not None:
        try:
            if not isinstance(secret, str):
                raise ValueError("must be a string")
            signing.parse_secret(secret)
        except ValueError as exc:
            problems.append(("secret", str(exc)))
    headers = _check_headers(options.get("headers", {}), problems)
    timeout = _check_timeout(options.get("timeout", DEFAULT_TIMEOUT), problems)
    if problems or url is None:
        raise NotifierConfigError(problems or [("url", "required")])
    return WebhookOptions(url, fmt, secret, headers, timeout)


def _check_url(url: object, problems: list[tuple[str, str]]) -> str | None:
    if url is None:
        problems.append(("url", "required"))
        return None
    if not isinstance(url, str) or not url:
        problems.append(("url", "must be a non-empty string"))
        return None
    try:
        parts = urlsplit(url)
        ok_host = bool(parts.hostname) and parts.port != 0
    except ValueError:
        problems.append(("url", "is not a valid URL (the port, or the host, is malformed)"))
        return None
    if "://" not in url:
        # "hooks.example.org/x" (or "localhost:8080/x", read as scheme "localhost") lacks
        # the scheme: say what is missing rather than name a scheme nobody wrote.
        problems.append(("url", "has no scheme; write it with https:// (or http://) in front"))
    elif parts.scheme.lower() not in ("http", "https"):
        problems.append(("url", f"must be an http or https URL, not {parts.scheme!r}"))
    elif not ok_host or _CONTROL.search(url) or any(c.isspace() for c in url):
        problems.append(("url", "is not a valid URL (no host, or spaces or control characters)"))
    return url


def _check_headers(headers: object, problems: list[tuple[str, str]]) -> dict[str, str]:
    if not isinstance(headers, Mapping):
        problems.append(("headers", "must be a table of header names to values"))
        return {}
    checked: dict[str, str] = {}
    for key, value in headers.items():
        where = f"headers.{key}"
        if not isinstance(key, str) or not _TOKEN.fullmatch(key):
            problems.append((where, "is not a valid HTTP header name"))
        elif key.lower() in RESERVED_HEADERS:
            problems.append((where, "is set by veille itself; remove it"))
        elif not isinstance(value, str) or _CONTROL.search(value):
            problems.append((where, "must be a string without line breaks or control characters"))
        else:
            checked[key] = value
    return checked


def _check_timeout(value: object, problems: list[tuple[str, str]]) -> float:
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.fullmatch(value.strip())):
        seconds = float(match[1]) * _UNIT[match[2] or "s"]
    if seconds is None or not 0 < seconds <= MAX_TIMEOUT:
        problems.append(("timeout", f'must be a duration such as "10s" or a number of seconds,'
                                    f" above 0 and at most {MAX_TIMEOUT:g}s"))
        return DEFAULT_TIMEOUT
    return seconds
