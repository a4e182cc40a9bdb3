"""What every chat format shares: an Alert as a person reads it, and safe text helpers.

`view(alert)` gives raw (unescaped) text: headline, link, facts, changes, footer. Each
service module in `notifiers/formats/` escapes it its own way and cuts it to its limits with
`clip`, which counts UTF-16 units (what the services' limits count) after escaping.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from notifiers.base import Alert

ELLIPSIS = "…"
ZWSP = "\u200b"
DATE_FIELDS = frozenset({"published", "updated", "page_published", "page_modified"})

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "item.new": "New", "item.changed": "Updated", "feed.failing": "Feed failing",
        "feed.recovered": "Feed recovered", "test": "Test", "feed": "Feed",
        "watches": "Watches", "matched": "Matched", "match": "Watched terms",
        "added": "added by this revision", "removed": "removed by this revision",
        "kept": "still present", "published": "Published", "updated": "Updated",
        "before": "Before", "after": "After", "none": "(none)", "excerpt": "excerpt",
        "detected": "detected", "open": "Open", "untitled": "(untitled)",
        "test_title": "veille can reach this channel",
        "test_text": "This is a test alert: alerts sent to this notifier arrive here.",
        "f.title": "Title", "f.link": "Link", "f.summary": "Summary", "f.content": "Content",
        "f.published": "Published date", "f.updated": "Updated date",
        "f.page_modified": "Page modified", "f.page_text": "Page text",
        "f.page_published": "Page published",
    },
    "fr": {
        "item.new": "Nouveau", "item.changed": "Mis à jour", "feed.failing": "Flux en échec",
        "feed.recovered": "Flux rétabli", "test": "Test", "feed": "Flux",
        "watches": "Veilles", "matched": "Termes trouvés", "match": "Termes surveillés",
        "added": "ajoutés par la révision", "removed": "retirés par la révision",
        "kept": "toujours présents", "published": "Publié", "updated": "Mis à jour",
        "before": "Avant", "after": "Après", "none": "(aucun)", "excerpt": "extrait",
        "detected": "détecté le", "open": "Ouvrir", "untitled": "(sans titre)",
        "test_title": "veille peut écrire dans ce canal",
        "test_text": "Ceci est une alerte de test : les alertes de ce notificateur arrivent ici.",
        "f.title": "Titre", "f.link": "Lien", "f.summary": "Résumé", "f.content": "Contenu",
        "f.published": "Date de publication", "f.updated": "Date de mise à jour",
        "f.page_modified": "Page modifiée", "f.page_text": "Texte de la page",
        "f.page_published": "Page publiée",
    },
}

# C0/C1 controls, line/paragraph separators and bidi overrides (which can disguise text).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"[^\S\n]+")
_MENTION = re.compile(r"(?<!\w)@(?=\w)")


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class ChangeView:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class AlertView:
    """The alert's text for a person, raw: every format escapes and clips it."""

    type: str
    headline: str
    title: str
    link: str | None  # an http(s) URL, or None
    text: str  # the item summary, the feed error, or the test message; may span lines
    facts: tuple[Fact, ...]
    changes: tuple[ChangeView, ...]
    footer: str
    labels: dict[str, str]


def units(text: str) -> int:
    """Length in UTF-16 code units: how Slack, Discord and Teams count their limits."""
    return len(text.encode("utf-16-le")) // 2


def one_line(text: str | None) -> str:
    """Controls and line breaks become spaces; runs of spaces become one."""
    return " ".join(_CONTROLS.sub(" ", text or "").split())


def multi_line(text: str | None) -> str:
    """Like `one_line` but keeps single line breaks between paragraphs."""
    cleaned = _CONTROLS.sub(" ", (text or "").replace("\r\n", "\n").replace("\r", "\n"))
    lines = (_SPACES.sub(" ", line).strip() for line in cleaned.split("\n"))
    return "\n".join(line for line in lines if line)


def neutralise_mentions(text: str) -> str:
    """Put a zero-width space after every word-initial `@` so `@everyone` pings nobody."""
    return _MENTION.sub("@" + ZWSP, text)


def clip(text: str, limit: int, escape: Callable[[str], str] = str) -> str:
    """`escape(text)` cut to at most `limit` UTF-16 units, ending with an ellipsis if cut.

    The raw text is cut before escaping, so no entity or escape sequence is ever split.
    """
    escaped = escape(text)
    if units(escaped) <= limit:
        return escaped
    budget = limit - units(ELLIPSIS)
    if budget <= 0:
        return ELLIPSIS if limit >= 1 else ""
    lo, hi = 0, len(text)
    while lo < hi:  # longest prefix whose escaped form fits the budget
        mid = (lo + hi + 1) // 2
        if units(escape(text[:mid])) <= budget:
            lo = mid
        else:
            hi = mid - 1
    space = max(text.rfind(" ", 0, lo), text.rfind("\n", 0, lo))
    if space > lo - 30 and space > lo // 2:  # end on a word when one ends nearby
        lo = space
    return escape(text[:lo].rstrip()) + ELLIPSIS


def safe_link(url: str | None) -> str | None:
    """`url` if it is an absolute http(s) URL without spaces or controls, else None."""
    if not url or _CONTROLS.search(url) or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def local_time(value: datetime | None, zone_name: str) -> str:
    """`2024-05-23 08:03 CEST`: a date for people, in `zone_name`, with its zone."""
    if value is None:
        return ""
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def _change_value(field: str, value: str | None, zone: str, labels: dict[str, str]) -> str:
    if value is None or value == "":
        return labels["none"]
    if field in DATE_FIELDS:
        try:
            return local_time(datetime.fromisoformat(value), zone)
        except ValueError:
            return one_line(value)
    return multi_line(value)


def view(alert: Alert) -> AlertView:
    """The alert as a person reads it, in `alert.language`, dates in `alert.timezone`."""
    labels = LABELS.get(alert.language, LABELS["en"])
    zone = alert.timezone
    feed_name = one_line(alert.feed.name)
    feed_title = one_line(alert.feed.title)
    feed_label = f"{feed_title} ({feed_name})" if feed_title and feed_title != feed_name else (
        feed_name
    )
    facts = [Fact(labels["feed"], feed_label)]
    link = None
    if alert.type == "test":
        title, text = labels["test_title"], labels["test_text"]
    elif alert.item is not None:
        item = alert.item
        title = one_line(item.title) or labels["untitled"]
        link = safe_link(item.link)
        text = multi_line(item.summary)
        if alert.watches:
            facts.append(Fact(labels["watches"], one_line(", ".join(alert.watches))))
        if alert.matched:
            facts.append(Fact(labels["matched"], one_line(", ".join(alert.matched))))
        if alert.type == "item.changed" and alert.match in ("added", "removed", "kept"):
            facts.append(Fact(labels["match"], labels[alert.match]))
        if item.published is not None:
            facts.append(Fact(labels["published"], local_time(item.published, zone)))
        if item.updated is not None:
            facts.append(Fact(labels["updated"], local_time(item.updated, zone)))
    else:
        title, text = feed_label, multi_line(alert.error)
    changes = tuple(
        ChangeView(
            labels.get(f"f.{c.field}", c.field) + (f" ({labels['excerpt']})" if c.truncated else ""),
            _change_value(c.field, c.before, zone, labels),
            _change_value(c.field, c.after, zone, labels),
        )
        for c in alert.changes
    )
    kind = labels.get(alert.type, alert.type)
    return AlertView(
        type=alert.type,
        headline=f"{kind}: {title}",
        title=title,
        link=link,
        text=text,
        facts=tuple(facts),
        changes=changes,
        footer=f"veille · {labels['detected']} {local_time(alert.occurred_at, zone)}",
        labels=labels,
    )


def plain_text(v: AlertView) -> str:
    """The whole alert as plain lines, for services that take text (apprise, fallbacks)."""
    lines = [v.title + (f"\n{v.link}" if v.link else "")]
    if v.text:
        lines.append(v.text)
    lines.append("\n".join(f"{f.label}: {f.value}" for f in v.facts))
    for c in v.changes:
        lines.append(f"{c.label}\n{v.labels['before']}: {c.before}\n{v.labels['after']}: {c.after}")
    lines.append(v.footer)
    return "\n\n".join(lines)
