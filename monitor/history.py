"""`veille history`: events newest first, and every version of one item with its diffs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from monitor import display
from monitor.config import Config
from monitor.excerpt import changed_paragraphs
from notifiers.textdiff import mark_text
from storage import feeds as feed_store
from storage import items as item_store
from storage import pages as page_store
from storage.database import Database
from storage.models import Feed, Item, ItemVersion

FIELDS = ("title", "link", "summary", "content", "published", "updated")
PAGE_FIELDS = ("page_title", "page_published", "page_modified", "page_text")


def _value(version: ItemVersion, name: str) -> str:
    value = getattr(version, name)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return "" if value is None else str(value)


def _diff_lines(before: str, after: str) -> list[str]:
    """The changed paragraphs only, changed words marked `[-removed-]{+added+}`."""
    if "\n" not in before and "\n" not in after and len(before) < 40 and len(after) < 40:
        return [f"{before or '-'} → {after or '-'}"]  # dates, links: before → after
    old, new, _cut = changed_paragraphs(before, after, 4096)
    marked = mark_text(old, new)
    return [line for line in marked.split("\n") if line.strip()]


def show_history(config: Config, db: Database, *, feed: str | None, item: str | None,
                 since: datetime | None, limit: int) -> int:
    tz = config.veille.timezone
    with db.read() as session:
        feed_ids = None
        if feed is not None:
            row = feed_store.by_name(session, feed)
            if row is None:
                print(f"no history for a feed named {feed!r}")
                return 0
            feed_ids = [row.id]
        if item is not None:
            found = item_store.find_items(session, item, feed_ids)
            if not found:
                print(f"no item whose key is or starts with {item!r}")
                return 0
            for it in found:
                _show_item(session, it, tz)
            return 0
        events = item_store.events(session, feed_ids=feed_ids, since=since, limit=limit)
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
                                        str(change.get("after") or "")):
                    print(f"      {line}")
    return 0


def _show_item(session: Session, item: Item, tz: str) -> None:
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
            _print_diffs(previous, version, FIELDS)
        # Page fields (issue 4): a version without them (a silent feed-side one) keeps the last.
        if version.page_fingerprint is not None:
            if last_page is None:
                print(f"    page title: {version.page_title}")
                print(f"    page published: {display.local(version.page_published, tz)}  "
                      f"page modified: {display.local(version.page_modified, tz)}")
                paragraphs = len((version.page_text or "").split("\n\n"))
                print(f"    page text: {paragraphs} paragraph(s)")
            else:
                _print_diffs(last_page, version, PAGE_FIELDS)
            last_page = version
        previous = version


def _print_diffs(before: ItemVersion, after: ItemVersion, names: tuple[str, ...]) -> None:
    for name in names:
        old, new = _value(before, name), _value(after, name)
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
