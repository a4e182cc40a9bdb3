"""Turning a claimed outbox row into the `Alert` a notifier receives."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.orm import object_session

from monitor.config import Config
from monitor.diff import cap_text
from notifiers.base import Alert, AlertChange, FeedInfo, ItemInfo, NotifierInfo
from notifiers.digest import digest_id_of
from storage.deliveries import Claimed, first_sent_message

SUMMARY_LIMIT = 1000


def thread_id(feed_name: str, item_id: int) -> str:
    """A stable id per item, under which email threads every alert about it."""
    digest = hashlib.sha256(f"{feed_name}\0{item_id}".encode()).hexdigest()[:24]
    return f"item-{digest}"


def _changes(raw: list[Any]) -> tuple[AlertChange, ...]:
    return tuple(AlertChange(field=str(c["field"]), before=c.get("before"),
                             after=c.get("after"), truncated=bool(c.get("truncated", False)))
                 for c in raw)


def first_message_id(claimed: Claimed) -> str | None:
    """The id the first message about this item through this notifier went out under (its
    alert id, or its digest's id), so that an email about a revision replies to it; None for
    an item.new alert and when no earlier alert about the item was sent."""
    event, item = claimed.event, claimed.item
    session = object_session(claimed.delivery)
    if event.type != "item.changed" or item is None or session is None:
        return None
    ids = first_sent_message(session, item.id, claimed.delivery.notifier, event.id)
    if not ids:
        return None
    return ids[0] if len(ids) == 1 else digest_id_of(ids)


def _spans(event_watches: object, watches: list[str], texts: dict[str, str],
           summary: str) -> dict[str, tuple[tuple[int, int], ...]]:
    """The spans the routed `watches` recorded, per field, kept within each field's text;
    "summary" spans are those of the text `summary` shows (the content when the item has
    no summary of its own), cut where it is capped."""
    stored = event_watches.get("spans", {}) if isinstance(event_watches, dict) else {}
    found: dict[str, list[tuple[int, int]]] = {}
    for watch in watches:
        by_field = stored.get(watch, {}) if isinstance(stored, dict) else {}
        for name, spans in by_field.items() if isinstance(by_field, dict) else ():
            found.setdefault(name, []).extend((int(s[0]), int(s[1])) for s in spans)
    if not texts["summary"]:
        found["summary"] = list(found.get("content", []))
    limits = {name: len(text) for name, text in texts.items()}
    limits["summary"] = len(summary.removesuffix("…"))
    out = {}
    for name, spans in found.items():
        kept = sorted({s for s in spans if 0 <= s[0] < s[1] <= limits.get(name, s[1])})
        if kept:
            out[name] = tuple(kept)
    return out


def build_alert(claimed: Claimed, config: Config) -> Alert:
    """The alert of one delivery: event, feed, item version and the routed watches."""
    delivery, event, feed, item, version = (claimed.delivery, claimed.event, claimed.feed,
                                            claimed.item, claimed.version)
    feed_info = FeedInfo(name="veille", url="", title="veille")
    if feed is not None:
        try:
            url = config.redact(config.feed(feed.name).url)
        except KeyError:  # a feed removed from config.toml: its pending alerts still go
            url = feed.url
        feed_info = FeedInfo(name=feed.name, title=feed.title,
                             url="" if url.startswith("secret:") else url)
    item_info, spans = None, {}
    if item is not None and version is not None:
        summary = version.summary or version.content
        item_info = ItemInfo(
            key=item.key, title=version.title, link=version.display_link or version.link,
            published=version.published, updated=version.updated,
            summary=cap_text(summary, SUMMARY_LIMIT), version=version.number,
            page_title=version.page_title, page_published=version.page_published,
            page_modified=version.page_modified)
        spans = _spans(event.watches, list(delivery.watches), {
            "title": version.title, "summary": version.summary, "content": version.content,
            "page": f"{version.page_title or ''}\n\n{version.page_text or ''}",
            "link": version.display_link or version.link or "", "feed": feed_info.name},
            item_info.summary)
    return Alert(
        id=delivery.alert_id,
        type=event.type,
        occurred_at=event.occurred_at,
        feed=feed_info,
        item=item_info,
        watches=tuple(delivery.watches),
        matched=tuple(delivery.matched),
        spans=spans,
        match=delivery.match,
        changes=_changes(event.changes),
        error=event.error,
        thread_id=thread_id(feed_info.name, item.id) if item is not None else "",
        first_alert_id=first_message_id(claimed),
        timezone=config.veille.timezone,
        language=config.veille.language,
        notifier=NotifierInfo(event.notifier, event.notifier_type or "")
        if event.notifier is not None else None,
    )
