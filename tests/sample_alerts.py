"""Realistic alerts for notifier tests: a French NATO item, its revision, feed and test alerts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from notifiers.base import Alert, AlertChange, FeedInfo, ItemInfo

FEED = FeedInfo("nato-fr", "https://www.nato.int/cps/rss/fr/natohq/rss.xml", "OTAN – Actualités")
PUBLISHED = datetime(2024, 5, 23, 6, 58, tzinfo=UTC)  # 08:58 CEST
UPDATED = datetime(2024, 5, 24, 8, 2, tzinfo=UTC)  # 10:02 CEST
DETECTED = datetime(2024, 5, 24, 8, 5, tzinfo=UTC)
TITLE = "La République de Corée et l’Indo-Pacifique invités au sommet de Washington"

ITEM = ItemInfo(
    key="https://www.nato.int/cps/fr/natohq/news_226000.htm",
    title=TITLE,
    link="https://www.nato.int/cps/fr/natohq/news_226000.htm",
    published=PUBLISHED,
    updated=UPDATED,
    summary="Les ministres des Affaires étrangères se réunissent.\nMis à jour le 24 mai 2024.",
    version=2,
)

CHANGES = (
    AlertChange("title", "Séoul invité au sommet de Washington", TITLE),
    AlertChange("updated", "2024-05-23T06:58:00Z", "2024-05-24T08:02:00Z"),
    AlertChange(
        "summary",
        "Les ministres se réunissent. Mis à jour le 23 mai 2024.",
        "Les ministres des Affaires étrangères se réunissent. Mis à jour le 24 mai 2024.",
    ),
)


def new_alert(**changes: Any) -> Alert:
    """An `item.new` alert about ITEM, with fields replaced by `changes`."""
    alert = Alert(
        id="dlv-101",
        type="item.new",
        occurred_at=PUBLISHED,
        feed=FEED,
        item=ITEM,
        watches=("korea",),
        matched=("République de Corée", "Indo-Pacifique"),
        match="new",
        thread_id="item-5f0c2a9e41b7d3c8a6e2f190",
        timezone="Europe/Brussels",
    )
    return replace(alert, **changes)


def changed_alert(**changes: Any) -> Alert:
    """An `item.changed` alert: title, updated date and summary revised."""
    return new_alert(
        id="dlv-102", type="item.changed", occurred_at=DETECTED, match="kept", changes=CHANGES
    ) if not changes else replace(changed_alert(), **changes)


def feed_alert(kind: str = "feed.failing", **changes: Any) -> Alert:
    """A feed health alert (`feed.failing` or `feed.recovered`)."""
    alert = Alert(
        id=f"dlv-{kind}", type=kind, occurred_at=DETECTED, feed=FEED, match="",
        error="HTTP 503 Service Unavailable" if kind == "feed.failing" else None,
        timezone="Europe/Brussels",
    )
    return replace(alert, **changes)


def probe_alert(**changes: Any) -> Alert:
    """What `veille test-notify` sends."""
    alert = Alert(
        id="test-1", type="test", occurred_at=DETECTED, feed=FeedInfo("veille", "", "veille"),
        match="", timezone="Europe/Brussels",
    )
    return replace(alert, **changes)
