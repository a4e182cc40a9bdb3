"""The digest email: several alerts in one `multipart/alternative` message, grouped by watch.

Each alert reads as in its own email, compact: headline and link, one line of facts, the
changes (cut short) and the start of the summary. The Message-ID derives from the sorted alert
ids, so a retried digest is the same message to the receiving side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from notifiers import digest
from notifiers.base import Alert
from notifiers.email_message import (
    BANDS,
    SUBJECT_LIMIT,
    EmailTemplates,
    assemble,
    envelope_headers,
    id_part,
)
from notifiers.render import cap, label, labels, one_line
from notifiers.view import AlertView, build_view

_NOT_FACTS = ("link", "watches")  # the link is on the title, the watch heads the group


@dataclass(frozen=True)
class Entry:
    """One alert of a digest as the templates show it."""

    view: AlertView  # of the compact alert
    link: str | None
    facts: str  # "Feed: nato-fr · Keywords: … · Detected: …"
    band: str


@dataclass(frozen=True)
class Section:
    title: str
    entries: tuple[Entry, ...]


def _entry(alert: Alert) -> Entry:
    view = build_view(digest.compact(alert))
    lang = alert.language
    colon = label("colon", lang)
    facts = " · ".join(f"{row.label}{colon} {row.text}" for row in view.rows
                       if row.key not in _NOT_FACTS)
    return Entry(view, view.link, facts, BANDS.get(alert.type, BANDS["test"]))


def context(alerts: Sequence[Alert]) -> dict[str, Any]:
    """What the digest templates see: `headline`, `sections`, `labels`, `language`, `footer`."""
    lang = alerts[0].language
    sections = tuple(Section(g.title, tuple(_entry(a) for a in g.alerts))
                     for g in digest.groups(alerts))
    return dict(
        headline=digest.digest_headline(alerts), sections=sections, labels=labels(lang),
        language=lang, count=len(alerts),
        footer=one_line(f"veille · {label('alert_id', lang)} {digest.digest_id(alerts)}"),
    )


def build_digest_message(
    alerts: Sequence[Alert], *, sender: tuple[str, str], to: Sequence[tuple[str, str]],
    subject_prefix: str, templates: EmailTemplates, now: datetime | None = None,
) -> EmailMessage:
    """The digest email of `alerts` (at least one); addresses are (display name, address)."""
    ordered = digest.newest_first(alerts)
    values = context(ordered)
    subject = cap(one_line(f"{subject_prefix} {values['headline']}"), SUBJECT_LIMIT)
    domain = sender[1].rpartition("@")[2]
    digest_id = digest.digest_id(ordered)
    headers = [
        *envelope_headers(sender, to, subject, now, ordered[0].timezone),
        ("Message-ID", f"<{id_part(digest_id)}@{domain}>"),
        ("Auto-Submitted", "auto-generated"),
        ("X-Auto-Response-Suppress", "All"),
        ("X-Veille-Alert-Id", digest_id),
        ("X-Veille-Alert-Type", digest.DIGEST_TYPE),
        ("X-Veille-Alert-Count", str(len(ordered))),
    ]
    return assemble(headers, templates.digest_text.render(values),
                    templates.digest_html.render(values))
