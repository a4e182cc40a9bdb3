"""Options of the `email` notifier, checked all at once: every problem is named with its key.

Templates are compiled and tried on sample alerts here, so that a mistake in `template` or
`subject` stops `veille validate`, not the first real alert.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from typing import Any

from jinja2 import TemplateError

from notifiers.base import (
    Alert,
    AlertChange,
    FeedInfo,
    ItemInfo,
    NotifierConfigError,
    NotifierInfo,
)
from notifiers.email_message import EmailTemplates
from notifiers.render import one_line

SECURITY_PORTS = {"starttls": 587, "tls": 465, "none": 25}
KNOWN_KEYS = (
    "host", "port", "security", "username", "password", "from", "to", "tls_verify",
    "subject_prefix", "timeout", "template", "subject",
)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class EmailSettings:
    """Validated options of one `[notifier.NAME]` table of type "email"."""

    host: str
    port: int
    security: str  # "starttls" | "tls" | "none"
    sender: tuple[str, str]  # (display name, address)
    to: tuple[tuple[str, str], ...]
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls_verify: bool = True
    subject_prefix: str = "[veille]"
    timeout: float = 30.0
    template: str | None = None
    subject: str | None = None


def parse_address(value: object) -> tuple[str, str]:
    """("display name", "user@domain") from `"Name <user@domain>"` or `"user@domain"`."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be an email address such as \"veille <veille@example.org>\"")
    if one_line(value) != value.strip() or "=?" in value:
        raise ValueError("must be one plain line, without control characters or =?…?=")
    try:
        header = policy.default.header_factory("To", value)
        addresses = header.addresses
    except Exception as exc:  # the stdlib address parser raises more than HeaderParseError
        raise ValueError(f"{value!r} is not an email address") from exc
    if len(addresses) != 1 or header.defects or not addresses[0].domain:
        raise ValueError(f"{value!r} is not one email address")
    address = addresses[0]
    if not address.addr_spec.isascii() or not address.username:
        raise ValueError(f"{value!r}: use an ASCII address (user@example.org)")
    return address.display_name, address.addr_spec


def parse_seconds(value: object) -> float:
    """Seconds from a number or a duration such as "30s", "2m"; must be more than 0."""
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.fullmatch(value.strip())):
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    if seconds is None or not seconds > 0:
        raise ValueError(f"{value!r} is not a duration; use 30s, 2m, or a number of seconds")
    return seconds


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.lower() == "localhost"


def _samples() -> list[Alert]:
    """One alert of each shape a template must render."""
    now = datetime(2024, 5, 23, 6, 58, tzinfo=UTC)
    feed = FeedInfo("sample", "https://example.org/feed.xml", "Sample feed")
    item = ItemInfo("k", "Sample title", "https://example.org/1", now, now, "Summary.", 2)
    change = AlertChange("title", "Old title", "Sample title")
    return [
        Alert("sample-1", "item.changed", now, feed, item, watches=("w",), matched=("kw",),
              match="kept", changes=(change,)),
        Alert("sample-2", "feed.failing", now, feed, error="HTTP 503", match=""),
        Alert("sample-3", "test", now, feed, match=""),
        Alert("sample-4", "notifier.failing", now, FeedInfo("veille", "", "veille"),
              error="chat has been failing for 30m", match="",
              notifier=NotifierInfo("chat", "webhook")),
    ]


def _check_templates(
    template: str | None, subject: str | None, problems: list[tuple[str, str]]
) -> EmailTemplates | None:
    try:
        templates = EmailTemplates(template, subject)
    except (TemplateError, OSError) as exc:
        key = "subject" if template is None else "template"
        problems.append((key, f"cannot load the template: {exc}"))
        return None
    for alert in _samples():
        context = templates.context(alert)
        for key, compiled in (("subject", templates.subject), ("template", templates.html)):
            if compiled is None:
                continue
            try:
                compiled.render(context)
            except Exception as exc:  # any failure of a user's template is a config problem
                problems.append((key, f"fails on a {alert.type} alert: {exc}"))
                return None
    return templates


def parse_options(options: Mapping[str, Any]) -> tuple[EmailSettings, EmailTemplates]:
    """Settings and templates from a `[notifier.NAME]` table; NotifierConfigError otherwise."""
    problems: list[tuple[str, str]] = []

    def text(key: str, required: bool = False) -> str | None:
        value = options.get(key)
        if value is None:
            if required:
                problems.append((key, "is required"))
            return None
        if not isinstance(value, str) or not value.strip():
            problems.append((key, "must be a non-empty string"))
            return None
        return value

    for key in options:
        if key not in KNOWN_KEYS:
            problems.append((key, f"unknown option; known: {', '.join(KNOWN_KEYS)}"))
    host = text("host", required=True)
    if host is not None and (one_line(host) != host or " " in host):
        problems.append(("host", "must be a host name or address, without spaces"))
    security = options.get("security", "starttls")
    if security not in SECURITY_PORTS:
        problems.append(("security", f'must be "starttls", "tls" or "none", not {security!r}'))
        security = "starttls"
    port = options.get("port", SECURITY_PORTS[security])
    if isinstance(port, str) and port.strip().isdigit():
        port = int(port)
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        problems.append(("port", f"must be a port number (1-65535), not {port!r}"))
    username, password = text("username"), text("password")
    if (username is None) != (password is None):
        missing = "password" if username else "username"
        problems.append((missing, "username and password go together"))
    if username and security == "none" and host and not _is_loopback(host):
        hint = 'a password needs an encrypted connection: set security = "starttls" or "tls"'
        problems.append(("username", hint))
    sender: tuple[str, str] = ("", "")
    try:
        sender = parse_address(options.get("from"))
    except ValueError as exc:
        problems.append(("from", "is required" if "from" not in options else str(exc)))
    to: list[tuple[str, str]] = []
    raw_to = options.get("to")
    if not isinstance(raw_to, list | tuple) or not raw_to:
        example = '["analysts@example.org"]'
        problems.append(("to", f"must be a non-empty list of addresses, e.g. {example}"))
    else:
        for index, value in enumerate(raw_to):
            try:
                to.append(parse_address(value))
            except ValueError as exc:
                problems.append((f"to[{index}]", str(exc)))
    tls_verify = options.get("tls_verify", True)
    if isinstance(tls_verify, str) and tls_verify.lower() in ("true", "false"):
        tls_verify = tls_verify.lower() == "true"
    if not isinstance(tls_verify, bool):
        problems.append(("tls_verify", f"must be true or false, not {tls_verify!r}"))
    prefix = options.get("subject_prefix", "[veille]")
    if not isinstance(prefix, str) or one_line(prefix) != prefix.strip():
        problems.append(("subject_prefix", "must be one line of text"))
    timeout = 30.0
    try:
        timeout = parse_seconds(options.get("timeout", 30))
    except ValueError as exc:
        problems.append(("timeout", str(exc)))
    template, subject = text("template"), text("subject")
    templates = _check_templates(template, subject, problems)
    if problems or templates is None:
        raise NotifierConfigError(problems)
    settings = EmailSettings(
        host=str(host), port=int(port), security=security, sender=sender, to=tuple(to),
        username=username, password=password, tls_verify=bool(tls_verify),
        subject_prefix=str(prefix).strip(), timeout=timeout, template=template, subject=subject,
    )
    return settings, templates
