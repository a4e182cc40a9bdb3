"""`veille history`: events newest first, and every version of one item with its diffs.

Asking for a feed or an item that veille never stored is bad usage (exit 2); a known feed with
no event yet is an empty listing (exit 0).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from monitor import display, jsonout
from monitor.config import Config
from monitor.excerpt import changed_paragraphs
from notifiers.textdiff import mark_text
from storage import feeds as feed_store
from storage import items as item_store
from storage import pages as page_store
from storage.database import Database
from storage.models import Event, Feed, Item, ItemVersion

FIELDS = ("title", "link", "summary", "content", "published", "updated")
PAGE_FIELDS = ("page_title", "page_published", "page_modified", "page_text")


class HistoryNotFoundError(Exception):
    """A feed or item key that nothing stored has (exit 2)."""


def _value(version: ItemVersion, name: str, tz: str) -> str:
    value = getattr(version, name)
    if isinstance(value, datetime):
        return display.local(value, tz)
    return "" if value is None else str(value)


def _diff_lines(before: str, after: str, field: str = "", tz: str = "UTC") -> list[str]:
    """The changed paragraphs only, changed words marked `[-removed-]{+added+}`; dates in
    local time."""
    if field in display.DATE_FIELDS:
        before, after = display.local_iso(before, tz), display.local_iso(after, tz)
    if "\n" not in before and "\n" not in after and len(before) < 40 and len(after) < 40:
        return [f"{before or '-'} → {after or '-'}"]  # dates, links: before → after
    old, new, _cut = changed_paragraphs(before, after, 4096)
    marked = mark_text(old, new)
    return [line for line in marked.split("\n") if line.strip()]


def show_history(config: Config, db: Database, *, feed: str | None, item: str | None,
                 since: datetime | None, limit: int, as_json: bool = False) -> int:
    tz = config.veille.timezone
    with db.read() as session:
        feed_ids = None
        if feed is not None:
            row = feed_store.by_name(session, feed)
            if row is None:
                configured = {f.name for f in (*config.feeds, *config.paused)}
                if feed not in configured:
                    raise HistoryNotFoundError(
                        f"no feed named {feed!r}; known: {', '.join(sorted(configured)) or 'none'}")
                feed_ids = []  # configured, never polled: nothing to show yet
            else:
                feed_ids = [row.id]
        if item is not None:
            found = item_store.find_items(session, item, feed_ids) if feed_ids != [] else []
            if not found:
                raise HistoryNotFoundError(f"no item whose key is or starts with {item!r}"
                                           + (f" in feed {feed}" if feed else ""))
            if as_json:
                jsonout.emit(_json_events(session, [
                    e for it in found for e in item_store.events(
                        session, feed_ids=feed_ids, item_id=it.id, since=since, limit=limit)]))
                return 0
            for it in found:
                _show_item(session, it, tz)
            return 0
        events = item_store.events(session, feed_ids=feed_ids, since=since, limit=limit) \
            if feed_ids != [] else []
        if as_json:
            jsonout.emit(_json_events(session, events))
            return 0
        if not events:
            print("no events yet")
            return 0
        for event in events:
            feed_row = session.get(Feed, event.feed_id) if event.feed_id else None
            item_row = session.get(Item, event.item_id) if event.item_id else None
            title = ""
            if item_row is not None and event.version is not None:
                version = item_store.version(session, item_row.id, event.version)
                title = version.title if version else ""
            hits = event.watches.get("hits", {}) if isinstance(event.watches, dict) else {}
            print(f"{display.local(event.occurred_at, tz)}  {event.type:<14} "
                  f"{feed_row.name if feed_row else '-'}  {display.one_line(title, 70)}")
            if item_row is not None:
                print(f"    key: {item_row.key}  version {event.version}")
            if hits:
                terms = "; ".join(f"{w}: {', '.join(t)}" for w, t in hits.items())
                print(f"    watches ({event.watches.get('status')}): {terms}")
            if event.error:
                print(f"    {config.redact(event.error)}")
            for change in event.changes:
                print(f"    {change['field']}:")
                for line in _diff_lines(str(change.get("before") or ""),
                                        str(change.get("after") or ""), change["field"], tz):
                    print(f"      {line}")
    return 0


def _json_events(session: Session, events: list[Event]) -> list[dict[str, Any]]:
    """Events as `veille history --json` gives them (docs/schemas/history.json)."""
    out = []
    for event in events:
        feed_row = session.get(Feed, event.feed_id) if event.feed_id else None
        item_row = session.get(Item, event.item_id) if event.item_id else None
        item = None
        if item_row is not None:
            version = item_store.version(session, item_row.id, event.version) \
                if event.version is not None else None
            item = {"key": item_row.key, "title": version.title if version else None,
                    "link": (version.display_link or version.link) if version else None}
        watches = event.watches if isinstance(event.watches, dict) else {}
        out.append({
            "id": event.id, "type": event.type, "occurred_at": jsonout.utc(event.occurred_at),
            "feed": feed_row.name if feed_row else None, "item": item,
            "version": event.version,
            "match": watches.get("status"),
            "watches": {str(k): list(v) for k, v in (watches.get("hits") or {}).items()},
            "changes": [{"field": str(c.get("field")), "before": c.get("before"),
                         "after": c.get("after")} for c in event.changes],
            "error": event.error,
        })
    return out


def _show_item(session: Session, item: Item, tz: str) -> None:
    """Every version of `item`, the first in full, each next one as its diffs."""
    feed = session.get(Feed, item.feed_id)
    print(f"item {item.key} (feed {feed.name if feed else '-'}), first seen "
          f"{display.local(item.first_seen_at, tz)}")
    _show_page(session, item, tz)
    previous: ItemVersion | None = None
    last_page: ItemVersion | None = None
    for version in item_store.versions(session, item.id):
        note = f" — silent: {version.silent_reason}" if version.silent_reason else ""
        print(f"  version {version.number}  {display.local(version.recorded_at, tz)}{note}")
        if previous is None:
            print(f"    title: {version.title}")
            print(f"    link: {version.display_link or version.link or '-'}")
            print(f"    published: {display.local(version.published, tz)}  updated: "
                  f"{display.local(version.updated, tz)}")
        else:
            _print_diffs(previous, version, FIELDS, tz)
        # Page fields (issue 4): a version without them (a silent feed-side one) keeps the last.
        if version.page_fingerprint is not None:
            if last_page is None:
                print(f"    page title: {version.page_title}")
                print(f"    page published: {display.local(version.page_published, tz)}  "
                      f"page modified: {display.local(version.page_modified, tz)}")
                paragraphs = len((version.page_text or "").split("\n\n"))
                print(f"    page text: {paragraphs} paragraph(s)")
            else:
                _print_diffs(last_page, version, PAGE_FIELDS, tz)
            last_page = version
        previous = version


def _print_diffs(before: ItemVersion, after: ItemVersion, names: tuple[str, ...],
                 tz: str) -> None:
    for name in names:
        old, new = _value(before, name, tz), _value(after, name, tz)
        if old != new:
            print(f"    {name}:")
            for line in _diff_lines(old, new):
                print(f"      {line}")


def _show_page(session: Session, item: Item, tz: str) -> None:
    """The followed page's state: where, until when, and its last error."""
    page = page_store.get(session, item.id)
    if page is None:
        return
    if page.next_check_at is not None:
        state = (f"followed until {display.local(page.follow_until, tz)}, next check "
                 f"{display.local(page.next_check_at, tz)}")
    else:
        state = "no longer followed"
    print(f"  page {page.url}: {state}; last checked {display.local(page.last_checked_at, tz)}")
    if page.last_error:
        failures = f" ({page.consecutive_failures} failed checks)" \
            if page.consecutive_failures > 1 else ""
        print(f"    last error{failures}: {page.last_error}")
