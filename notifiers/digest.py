"""What every digest shares, whatever the channel: its alerts newest first and grouped by
watch, its stable id, its headline, one compact line per alert, and the webhook `json` body."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from notifiers.base import Alert, AlertChange, iso_utc
from notifiers.render import cap, format_local, headline, label, one_line, safe_url

DIGEST_TYPE = "digest"
SUMMARY_LIMIT = 300  # a digest shows each alert compact
CHANGE_LIMIT = 600
_HEALTH = ("feed.failing", "feed.recovered")


def newest_first(alerts: Sequence[Alert]) -> list[Alert]:
    """`alerts` by detection time, newest first (ties by id, so the order is stable)."""
    return sorted(alerts, key=lambda a: (a.occurred_at, a.id), reverse=True)


def digest_id(alerts: Sequence[Alert]) -> str:
    """An id for the set of `alerts`, whatever their order: the same on every retry."""
    return digest_id_of(a.id for a in alerts)


def digest_id_of(alert_ids: Iterable[str]) -> str:
    """`digest_id` from the alerts' ids alone (what the outbox keeps of a sent digest)."""
    joined = "\n".join(sorted(alert_ids))
    return "digest-" + hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass(frozen=True)
class Group:
    """The alerts of one watch (or set of watches), newest first."""

    title: str
    alerts: tuple[Alert, ...]


def group_title(alert: Alert) -> str:
    """The watches an alert names; feed health alerts, which name none, go together."""
    if alert.watches:
        return ", ".join(one_line(w) for w in alert.watches)
    if alert.notifier is not None:
        return label("notifier_health", alert.language)
    return label("feed_health" if alert.type in _HEALTH else "other", alert.language)


def groups(alerts: Sequence[Alert]) -> list[Group]:
    """`alerts` grouped by watch; the group of the newest alert first, each newest first."""
    found: dict[str, list[Alert]] = {}
    for alert in newest_first(alerts):
        found.setdefault(group_title(alert), []).append(alert)
    return [Group(title, tuple(members)) for title, members in found.items()]


def digest_headline(alerts: Sequence[Alert]) -> str:
    """"Digest: 3 alerts (korea, indo-pacific)" in the alerts' language."""
    lang = alerts[0].language if alerts else "en"
    count = len(alerts)
    titles = ", ".join(g.title for g in groups(alerts))
    return (f"{label('digest', lang)}{label('colon', lang)} {count} "
            f"{label('alert' if count == 1 else 'alerts', lang)} ({titles})")


@dataclass(frozen=True)
class Line:
    """One alert of a digest in a few words, raw: each channel escapes it its own way."""

    headline: str  # "New: <title>"
    link: str | None  # a safe http(s) URL, or None
    meta: str  # "nato-fr · République de Corée · 24 May 2024 10:05 CEST"


def line(alert: Alert) -> Line:
    """The compact line of `alert`: headline, link, feed, keywords, what changed, when."""
    lang = alert.language
    colon = label("colon", lang)
    parts = [] if alert.type == "test" else [one_line(
        alert.notifier.name if alert.notifier is not None else alert.feed.name)]
    if alert.matched:
        parts.append(", ".join(one_line(m) for m in alert.matched))
    if alert.type == "item.changed" and alert.match in ("added", "removed"):
        parts.append(f"{label('match', lang)}{colon} {label(f'match.{alert.match}', lang)}")
    if alert.changes:
        fields = ", ".join(dict.fromkeys(label(c.field, lang) for c in alert.changes))
        parts.append(f"{label('changes', lang)}{colon} {fields}")
    if alert.error:
        parts.append(one_line(alert.error))
    parts.append(format_local(alert.occurred_at, alert.timezone, lang))
    link = safe_url(alert.item.link) if alert.item is not None else None
    return Line(headline(alert), link, " · ".join(p for p in parts if p))


def _short(change: AlertChange) -> AlertChange:
    before, after = change.before, change.after
    if (before and len(before) > CHANGE_LIMIT) or (after and len(after) > CHANGE_LIMIT):
        before = cap(before, CHANGE_LIMIT) if before else before
        after = cap(after, CHANGE_LIMIT) if after else after
        return replace(change, before=before, after=after, truncated=True)
    return change


def compact(alert: Alert) -> Alert:
    """`alert` with its summary and the texts of its changes cut short, for a digest."""
    item = alert.item
    if item is not None and len(item.summary) > SUMMARY_LIMIT:
        item = replace(item, summary=cap(item.summary, SUMMARY_LIMIT))
    return replace(alert, item=item, changes=tuple(_short(c) for c in alert.changes))


def to_json(alerts: Sequence[Alert]) -> dict[str, Any]:
    """The webhook `json` body: `{"type": "digest", "id", "occurred_at", "alerts": [...]}`.

    `occurred_at` is that of the newest alert, so the body is the same on every retry; each
    element of `alerts` is that alert's own `json` body, newest first.
    """
    ordered = newest_first(alerts)
    return {
        "type": DIGEST_TYPE,
        "id": digest_id(ordered),
        "occurred_at": iso_utc(ordered[0].occurred_at) if ordered else None,
        "alerts": [a.to_json() for a in ordered],
    }
