"""The outbox: claiming due deliveries atomically and recording each attempt's outcome."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from storage import leases
from storage.models import Delivery, Event, Feed, Item, ItemVersion

PENDING = "pending"
SENT = "sent"
GIVEN_UP = "given_up"


@dataclass
class Claimed:
    """A claimed delivery with everything needed to build its alert."""

    delivery: Delivery
    event: Event
    feed: Feed | None
    item: Item | None
    version: ItemVersion | None


def claim_due(session: Session, now: datetime, owner: str, lease: float, *,
              ids: Sequence[int] | None = None, ignore_schedule: bool = False,
              notifiers: Sequence[str] | None = None, limit: int = 200,
              after_id: int | None = None) -> list[Claimed]:
    """Claim pending deliveries that are due (all pending with ignore_schedule) for `owner`,
    oldest first, at most `limit`, only ids above `after_id` when given.

    A claim is a lease (storage/leases.py), so two processes never send one alert twice; a
    claim that is neither renewed nor released (a crash) expires after `lease` seconds.
    """
    conditions: list[ColumnElement[bool]] = [Delivery.status == PENDING]
    if not ignore_schedule:
        conditions.append(Delivery.next_attempt_at <= now)
    if ids is not None:
        conditions.append(Delivery.id.in_(list(ids)))
    if notifiers is not None:
        conditions.append(Delivery.notifier.in_(list(notifiers)))
    if after_id is not None:
        conditions.append(Delivery.id > after_id)
    chosen = leases.claim(session, leases.DELIVERIES, conditions, (Delivery.id,), now, owner,
                          lease, limit)
    if not chosen:
        return []
    rows = session.execute(
        select(Delivery, Event, Feed, Item)
        .join(Event, Event.id == Delivery.event_id)
        .outerjoin(Feed, Feed.id == Event.feed_id)
        .outerjoin(Item, Item.id == Event.item_id)
        .where(Delivery.id.in_(chosen))
        .order_by(Delivery.id)
        .execution_options(populate_existing=True))
    claimed: list[Claimed] = []
    for delivery, event, feed, item in rows:
        version = None
        if item is not None and event.version is not None:
            version = session.scalars(select(ItemVersion).where(
                ItemVersion.item_id == item.id, ItemVersion.number == event.version)).first()
        claimed.append(Claimed(delivery, event, feed, item, version))
    return claimed


def due_counts(session: Session, now: datetime,
               notifiers: Sequence[str]) -> dict[str, int]:
    """Per notifier, how many pending deliveries are due and free now (a read, no claim)."""
    rows = session.execute(
        select(Delivery.notifier, func.count())
        .where(Delivery.notifier.in_(list(notifiers)), Delivery.status == PENDING,
               Delivery.next_attempt_at <= now, leases.DELIVERIES.free(now))
        .group_by(Delivery.notifier))
    return {str(name): int(count) for name, count in rows}


def _ids(delivery_ids: int | Sequence[int]) -> list[int]:
    return [delivery_ids] if isinstance(delivery_ids, int) else list(delivery_ids)


def renew(session: Session, ids: Sequence[int], owner: str, now: datetime,
          until: datetime) -> bool:
    """Extend `owner`'s unexpired claim on every row of `ids`; False if any was lost."""
    seconds = (until - now).total_seconds()
    return leases.still_held(session, leases.DELIVERIES, ids, owner, now, seconds)


def mark_sent(session: Session, delivery_ids: int | Sequence[int], now: datetime) -> None:
    """Record a successful send of one delivery, or of every delivery of a digest."""
    session.execute(update(Delivery).where(Delivery.id.in_(_ids(delivery_ids))).values(
        status=SENT, sent_at=now, attempts=Delivery.attempts + 1, claimed_by=None,
        claimed_until=None, last_error=None))


def mark_retry(session: Session, delivery_ids: int | Sequence[int], error: str,
               next_at: datetime) -> None:
    """Record a failed attempt that will be tried again at `next_at`."""
    session.execute(update(Delivery).where(Delivery.id.in_(_ids(delivery_ids))).values(
        attempts=Delivery.attempts + 1, next_attempt_at=next_at, claimed_by=None,
        claimed_until=None, last_error=error))


def mark_given_up(session: Session, delivery_ids: int | Sequence[int], error: str, *,
                  attempted: bool = True) -> None:
    """Stop trying: the delivery stays listed (`veille deliveries`) until retried by hand."""
    values: dict[str, object] = {"status": GIVEN_UP, "claimed_by": None,
                                 "claimed_until": None, "last_error": error}
    if attempted:
        values["attempts"] = Delivery.attempts + 1
    session.execute(update(Delivery).where(Delivery.id.in_(_ids(delivery_ids))).values(
        **values))


def defer(session: Session, delivery_ids: int | Sequence[int], until: datetime) -> None:
    """Hold claimed deliveries back until `until` without counting an attempt (rate limit)."""
    session.execute(update(Delivery).where(Delivery.id.in_(_ids(delivery_ids))).values(
        next_attempt_at=until, claimed_by=None, claimed_until=None))


def release(session: Session, delivery_ids: int | Sequence[int]) -> None:
    """Give claimed deliveries back untouched (shutdown before they were tried)."""
    session.execute(update(Delivery).where(Delivery.id.in_(_ids(delivery_ids))).values(
        claimed_by=None, claimed_until=None))


def attempts_of(session: Session, delivery_ids: Sequence[int]) -> int:
    """The most failed attempts any of these deliveries has had."""
    counts = session.scalars(select(Delivery.attempts).where(Delivery.id.in_(list(delivery_ids))))
    return max(counts, default=0)


def bring_forward(session: Session, notifier: str, later_than: datetime,
                  to: datetime) -> int:
    """Make untried pending deliveries of `notifier` due after `later_than` due at `to`
    instead (its digest was removed or shortened); returns how many moved."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.notifier == notifier, Delivery.status == PENDING,
               Delivery.attempts == 0, Delivery.next_attempt_at > later_than)
        .values(next_attempt_at=to)
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def requeue(session: Session, now: datetime, ids: Sequence[int] | None) -> list[int]:
    """Make given-up or failing deliveries due now (`deliveries retry`); returns their ids."""
    query = select(Delivery.id).where(
        or_(Delivery.status == GIVEN_UP,
            (Delivery.status == PENDING) & (Delivery.attempts > 0)))
    if ids is not None:
        query = select(Delivery.id).where(Delivery.id.in_(list(ids)),
                                          Delivery.status != SENT)
    chosen = list(session.scalars(query))
    if chosen:
        session.execute(update(Delivery).where(Delivery.id.in_(chosen)).values(
            status=PENDING, next_attempt_at=now))
    return chosen


def listing(session: Session, *, failed_only: bool = False,
            limit: int = 200) -> list[tuple[Delivery, Event, Feed | None, Item | None]]:
    """Deliveries newest first with their event, feed and item, for `veille deliveries`."""
    query = (select(Delivery, Event, Feed, Item)
             .join(Event, Event.id == Delivery.event_id)
             .outerjoin(Feed, Feed.id == Event.feed_id)
             .outerjoin(Item, Item.id == Event.item_id))
    if failed_only:
        query = query.where(Delivery.status != SENT, Delivery.attempts > 0)
    rows = session.execute(query.order_by(Delivery.id.desc()).limit(limit))
    return [(d, e, f, i) for d, e, f, i in rows]


def waiting(session: Session, notifiers: Sequence[str],
            now: datetime) -> list[tuple[str, int, datetime]]:
    """Per notifier: how many pending, never-tried alerts are due later, and the soonest."""
    rows = session.execute(
        select(Delivery.notifier, func.count(), func.min(Delivery.next_attempt_at))
        .where(Delivery.notifier.in_(list(notifiers)), Delivery.status == PENDING,
               Delivery.attempts == 0, Delivery.next_attempt_at > now)
        .group_by(Delivery.notifier).order_by(Delivery.notifier))
    return [(str(n), int(c), m) for n, c, m in rows]


def first_sent_message(session: Session, item_id: int, notifier: str,
                       before_event: int) -> tuple[str, ...] | None:
    """The alert ids of the first message that told `notifier` about item `item_id` before
    event `before_event`: `(alert_id,)` for an alert sent alone, every alert id of the digest
    when it went out in one; None when no alert about the item was sent through it yet.

    Nothing records which rows made one digest: the dispatcher marks them sent in one update,
    so they share `sent_at`. Rows sent alone can share it too under an injected clock, so a
    digest is also known by its rows having been held past their creation (a digest period);
    a digest of one alert reads as an alert sent alone.
    """
    first = session.execute(
        select(Delivery.alert_id, Delivery.sent_at, Delivery.created_at,
               Delivery.next_attempt_at)
        .join(Event, Event.id == Delivery.event_id)
        .where(Event.item_id == item_id, Event.id < before_event,
               Event.type.in_(("item.new", "item.changed")),
               Delivery.notifier == notifier, Delivery.status == SENT)
        .order_by(Event.id, Delivery.id).limit(1)).first()
    if first is None:
        return None
    alert_id, sent_at, created_at, due_at = first
    if sent_at is None or due_at <= created_at:
        return (alert_id,)
    together = session.scalars(
        select(Delivery.alert_id)
        .where(Delivery.notifier == notifier, Delivery.status == SENT,
               Delivery.sent_at == sent_at, Delivery.next_attempt_at > Delivery.created_at)
        .order_by(Delivery.alert_id))
    return tuple(together) or (alert_id,)
