"""Followed article pages: creating them, claiming due checks with a lease, and the pending
event of an item that a page check may fold into."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from storage import leases
from storage.models import Delivery, Event, Item, ItemVersion, Page

PENDING = "pending"


def get(session: Session, item_id: int) -> Page | None:
    """The page row of an item, if it is (or was) followed."""
    return session.scalars(select(Page).where(Page.item_id == item_id)).first()


def add(session: Session, item_id: int, url: str, until: datetime, now: datetime) -> Page:
    """Start following an item's page: its first check is due now."""
    page = Page(item_id=item_id, url=url, follow_until=until, next_check_at=now,
                consecutive_failures=0, created_at=now)
    session.add(page)
    return page


def claim(session: Session, feed_ids: Sequence[int], now: datetime, owner: str, lease: float,
          *, due_only: bool = True, limit: int = 500) -> list[Page]:
    """Take a lease on up to `limit` followed pages of `feed_ids` that are due (or all those
    still followed, with due_only=False), soonest first.

    As for feeds (storage/leases.py), two veille processes never check one page at once.
    """
    if not feed_ids:
        return []
    of_feeds = select(Item.id).where(Item.feed_id.in_(list(feed_ids))).scalar_subquery()
    conditions: list[ColumnElement[bool]] = [Page.item_id.in_(of_feeds),
                                             Page.next_check_at.is_not(None)]
    if due_only:
        conditions.append(Page.next_check_at <= now)
    ids = leases.claim(session, leases.PAGES, conditions, (Page.next_check_at, Page.id), now,
                       owner, lease, limit)
    if not ids:
        return []
    rows = {row.id: row for row in session.scalars(
        select(Page).where(Page.id.in_(ids)).execution_options(populate_existing=True))}
    return [rows[i] for i in ids if i in rows]


def release(page: Page) -> None:
    """Drop the lease of a page row being written back."""
    page.lease_owner = None
    page.lease_until = None


def last_with_page(session: Session, item_id: int, up_to: int) -> ItemVersion | None:
    """The item's newest version numbered `up_to` or less that carries page fields."""
    return session.scalars(select(ItemVersion).where(
        ItemVersion.item_id == item_id, ItemVersion.number <= up_to,
        ItemVersion.page_fingerprint.is_not(None))
        .order_by(ItemVersion.number.desc()).limit(1)).first()


@dataclass
class Pending:
    """An item's latest event whose alerts have not been tried yet (a page check folds into
    it) with its outbox rows."""

    event: Event
    deliveries: list[Delivery]


def pending_event(session: Session, item: Item, version: int, since: datetime,
                  now: datetime) -> Pending | None:
    """The item's latest event, if it is an item.new or item.changed about its `version`,
    occurred since `since`, and none of its deliveries was sent, tried or is being sent.

    The rows are locked (PostgreSQL), so a dispatcher cannot claim them until this transaction
    ends; it then builds the alert from what this transaction wrote.
    """
    event = session.scalars(select(Event).where(Event.item_id == item.id)
                            .order_by(Event.id.desc()).limit(1)).first()
    if event is None or event.type not in ("item.new", "item.changed") \
            or event.version != version or event.occurred_at < since:
        return None
    deliveries = list(session.scalars(select(Delivery).where(Delivery.event_id == event.id)
                                      .order_by(Delivery.id).with_for_update()))
    for delivery in deliveries:
        claimed = delivery.claimed_until is not None and delivery.claimed_until >= now
        if delivery.status != PENDING or delivery.attempts or delivery.sent_at or claimed:
            return None
    return Pending(event, deliveries)


@dataclass(frozen=True)
class FeedPages:
    """What `veille feeds` says about one feed's followed pages."""

    following: int
    failing: int
    last_error: str | None


def per_feed(session: Session) -> dict[int, FeedPages]:
    """Followed and failing pages per feed id, with the newest page error."""
    found: dict[int, FeedPages] = {}
    rows = session.execute(
        select(Item.feed_id, Page.next_check_at, Page.consecutive_failures, Page.last_error)
        .join(Item, Item.id == Page.item_id)
        .order_by(Page.last_checked_at.asc().nulls_first(), Page.id))
    for feed_id, next_check, failures, error in rows:
        seen = found.get(feed_id, FeedPages(0, 0, None))
        found[feed_id] = FeedPages(seen.following + (next_check is not None),
                                   seen.failing + (failures > 0),
                                   error if failures > 0 else seen.last_error)
    return found


def followed_links(session: Session) -> list[tuple[int, str]]:
    """(feed id, URL) of every page still followed, for the follow caps."""
    rows = session.execute(select(Item.feed_id, Page.url).join(Item, Item.id == Page.item_id)
                           .where(Page.next_check_at.is_not(None)))
    return [(feed_id, url) for feed_id, url in rows]
