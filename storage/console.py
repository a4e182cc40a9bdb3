"""The reads of the console (pages, API, Atom, metrics gauges) and its one write (retry).

Every listing is bounded (`limit` ≤ MAX_LIMIT, newest first) and none scans item versions
without an index: the overview reads feeds, outbox counts and the newest events only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Text, and_, cast, func, or_, select, text
from sqlalchemy.orm import Session

from storage.deliveries import GIVEN_UP, PENDING, SENT
from storage.models import Delivery, Event, Feed, Item, ItemVersion, Page

MAX_LIMIT = 200
OUTBOX_STATES = ("waiting", "failing", "given_up")


@dataclass(frozen=True)
class EventRow:
    """An event with its feed, item and the item's version at that event (when any)."""

    event: Event
    feed: Feed | None
    item: Item | None
    version: ItemVersion | None


@dataclass(frozen=True)
class EventFilter:
    """What the alerts page and `/api/v1/events` may filter by; None means any."""

    watch: str | None = None
    feed: str | None = None
    type: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    search: str | None = None


def ping(session: Session) -> None:
    """Raise when the database does not answer."""
    session.execute(text("SELECT 1"))


def feeds(session: Session, *, limit: int = 10_000, offset: int = 0) -> list[Feed]:
    return list(session.scalars(select(Feed).order_by(Feed.name).limit(limit).offset(offset)))


def feed_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Feed)) or 0)


def feeds_by_status(session: Session) -> dict[str, int]:
    """How many feeds are new, ok, failing or gone; `moved` counts those with a 301 too."""
    counts = {str(s): int(n) for s, n in session.execute(
        select(Feed.status, func.count()).group_by(Feed.status))}
    counts["moved"] = int(session.scalar(select(func.count()).select_from(Feed).where(
        Feed.moved_to.is_not(None))) or 0)
    return counts


def outbox_counts(session: Session) -> dict[str, dict[str, int]]:
    """Per state (waiting: never tried; failing: tried and pending; given_up) and notifier."""
    tried = Delivery.attempts > 0
    rows = session.execute(
        select(Delivery.status, tried, Delivery.notifier, func.count())
        .where(Delivery.status != SENT)
        .group_by(Delivery.status, tried, Delivery.notifier))
    counts: dict[str, dict[str, int]] = {s: {} for s in OUTBOX_STATES}
    for status, was_tried, notifier, count in rows:
        name = "given_up" if status == GIVEN_UP else "failing" if was_tried else "waiting"
        per = counts[name]
        per[str(notifier)] = per.get(str(notifier), 0) + int(count)
    return counts


def last_poll(session: Session) -> datetime | None:
    """The newest poll of any feed: what a console without the daemon knows of its cycles."""
    value: datetime | None = session.scalar(select(func.max(Feed.last_poll_at)))
    return value


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def events(session: Session, where: EventFilter = EventFilter(), *, limit: int = 50,
           offset: int = 0) -> list[EventRow]:
    """Events newest first, filtered; `search` looks (case-insensitively) in the title,
    summary and content of the version the event is about."""
    query = (select(Event, Feed, Item, ItemVersion)
             .outerjoin(Feed, Feed.id == Event.feed_id)
             .outerjoin(Item, Item.id == Event.item_id)
             .outerjoin(ItemVersion, and_(ItemVersion.item_id == Event.item_id,
                                          ItemVersion.number == Event.version)))
    if where.feed:
        query = query.where(Feed.name == where.feed)
    if where.type:
        query = query.where(Event.type == where.type)
    if where.since is not None:
        query = query.where(Event.occurred_at >= where.since)
    if where.until is not None:
        query = query.where(Event.occurred_at < where.until)
    if where.watch:
        # Watch names are JSON keys of `watches.hits`: a text match narrows, Python decides.
        query = query.where(cast(Event.watches, Text).like(_like(f'"{where.watch}"'),
                                                          escape="\\"))
    if where.search:
        pattern = _like(where.search)
        query = query.where(
            or_(ItemVersion.title.ilike(pattern, escape="\\"),
                ItemVersion.summary.ilike(pattern, escape="\\"),
                ItemVersion.content.ilike(pattern, escape="\\")))
    query = query.order_by(Event.occurred_at.desc(), Event.id.desc())
    rows = [EventRow(e, f, i, v) for e, f, i, v in session.execute(
        query.limit(min(limit, MAX_LIMIT)).offset(offset))]
    if where.watch:
        rows = [r for r in rows if where.watch in hits_of(r.event)]
    return rows


def hits_of(event: Event) -> dict[str, list[str]]:
    """The watches an event matched, each with its terms (empty for feed events)."""
    raw = event.watches.get("hits", {}) if isinstance(event.watches, dict) else {}
    return {str(k): [str(t) for t in v] for k, v in raw.items()} if isinstance(raw, dict) else {}


def deliveries_of(session: Session, event_ids: Sequence[int]) -> dict[int, list[Delivery]]:
    """Each event's outbox rows, by event id."""
    found: dict[int, list[Delivery]] = {i: [] for i in event_ids}
    for start in range(0, len(event_ids), 500):
        for d in session.scalars(select(Delivery).where(
                Delivery.event_id.in_(list(event_ids[start:start + 500])))
                .order_by(Delivery.id)):
            found[d.event_id].append(d)
    return found


@dataclass(frozen=True)
class ItemDetail:
    item: Item
    feed: Feed
    versions: list[ItemVersion]
    events: list[Event]
    deliveries: dict[int, list[Delivery]]
    page: Page | None


def item_detail(session: Session, item_id: int) -> ItemDetail | None:
    """Everything the item page shows: versions oldest first, events, who got which alert."""
    row = session.execute(select(Item, Feed).join(Feed, Feed.id == Item.feed_id)
                          .where(Item.id == item_id)).first()
    if row is None:
        return None
    item, feed = row
    versions = list(session.scalars(select(ItemVersion).where(ItemVersion.item_id == item_id)
                                    .order_by(ItemVersion.number)))
    evs = list(session.scalars(select(Event).where(Event.item_id == item_id)
                               .order_by(Event.occurred_at, Event.id)))
    page = session.scalars(select(Page).where(Page.item_id == item_id)).first()
    return ItemDetail(item, feed, versions, evs, deliveries_of(session, [e.id for e in evs]),
                      page)


def items(session: Session, *, feed: str | None = None, limit: int = 50,
          offset: int = 0) -> list[tuple[Item, Feed, ItemVersion]]:
    """Items with their current version, most recently changed first."""
    query = (select(Item, Feed, ItemVersion)
             .join(Feed, Feed.id == Item.feed_id)
             .join(ItemVersion, and_(ItemVersion.item_id == Item.id,
                                     ItemVersion.number == Item.current_version)))
    if feed:
        query = query.where(Feed.name == feed)
    query = query.order_by(Item.changed_at.desc(), Item.id.desc())
    return [(i, f, v) for i, f, v in session.execute(
        query.limit(min(limit, MAX_LIMIT)).offset(offset))]


def versions(session: Session, item_id: int) -> list[ItemVersion]:
    return list(session.scalars(select(ItemVersion).where(ItemVersion.item_id == item_id)
                                .order_by(ItemVersion.number)))


def recent_items(session: Session, since: datetime, *, limit: int = 5000
                 ) -> list[tuple[Item, Feed, ItemVersion]]:
    """Items changed since `since`, with their current version: what a watch is tried on."""
    query = (select(Item, Feed, ItemVersion)
             .join(Feed, Feed.id == Item.feed_id)
             .join(ItemVersion, and_(ItemVersion.item_id == Item.id,
                                     ItemVersion.number == Item.current_version))
             .where(Item.changed_at >= since)
             .order_by(Item.changed_at.desc(), Item.id.desc()).limit(limit))
    return [(i, f, v) for i, f, v in session.execute(query)]


def deliveries(session: Session, *, state: str | None = None, limit: int = 50,
               offset: int = 0) -> list[tuple[Delivery, Event, Feed | None, Item | None]]:
    """Outbox rows newest first; `state`: waiting, failing, given_up, sent, or None (any)."""
    query = (select(Delivery, Event, Feed, Item)
             .join(Event, Event.id == Delivery.event_id)
             .outerjoin(Feed, Feed.id == Event.feed_id)
             .outerjoin(Item, Item.id == Event.item_id))
    if state == "waiting":
        query = query.where(Delivery.status == PENDING, Delivery.attempts == 0)
    elif state == "failing":
        query = query.where(Delivery.status == PENDING, Delivery.attempts > 0)
    elif state == "given_up":
        query = query.where(Delivery.status == GIVEN_UP)
    elif state == "sent":
        query = query.where(Delivery.status == SENT)
    elif state == "unsent":
        query = query.where(Delivery.status != SENT)
    rows = session.execute(query.order_by(Delivery.id.desc())
                           .limit(min(limit, MAX_LIMIT)).offset(offset))
    return [(d, e, f, i) for d, e, f, i in rows]


def delivery(session: Session, delivery_id: int) -> Delivery | None:
    return session.get(Delivery, delivery_id)
