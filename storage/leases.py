"""Leases: the one way a feed, a followed page or an outbox row is held by one process.

A lease names its owner and when it ends. It is taken by a conditional UPDATE that re-checks
that the row is still free (atomic on SQLite under BEGIN IMMEDIATE, and on PostgreSQL where
the candidates are read `FOR UPDATE SKIP LOCKED`, so that daemons sharing one database take
disjoint slices instead of queueing behind each other). The owner renews it while the work
runs; a lease that is neither renewed nor given back (a crash) ends by itself.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from storage.models import Delivery, Feed, Page

CHUNK = 500  # ids per statement, well under every backend's parameter limit


@dataclass(frozen=True)
class Leased:
    """A table whose rows are leased: its model and its owner and end columns."""

    name: str  # for messages: "feed", "page", "alert"
    model: Any  # the mapped class (Feed, Page, Delivery)
    id: InstrumentedAttribute[int]
    owner: InstrumentedAttribute[str | None]
    until: InstrumentedAttribute[datetime | None]

    def free(self, now: datetime) -> ColumnElement[bool]:
        """Rows nobody holds at `now`."""
        return or_(self.until.is_(None), self.until < now)


FEEDS = Leased("feed", Feed, Feed.id, Feed.lease_owner, Feed.lease_until)
PAGES = Leased("page", Page, Page.id, Page.lease_owner, Page.lease_until)
DELIVERIES = Leased("alert", Delivery, Delivery.id, Delivery.claimed_by, Delivery.claimed_until)
KINDS = (FEEDS, PAGES, DELIVERIES)


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    batch: list[int] = []
    for one in ids:
        batch.append(one)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def claim(session: Session, kind: Leased, where: Sequence[ColumnElement[bool]],
          order_by: Sequence[Any], now: datetime, owner: str, seconds: float,
          limit: int) -> list[int]:
    """Lease to `owner`, for `seconds`, at most `limit` free rows matching `where`, in
    `order_by` order; returns their ids in that order.

    On PostgreSQL the candidates are locked `SKIP LOCKED`: a row another transaction is
    claiming right now is passed over, not waited for, so concurrent claimers split the work.
    """
    candidates: Select[int] = (
        select(kind.id).where(*where, kind.free(now)).order_by(*order_by).limit(limit)
        .with_for_update(skip_locked=True))
    chosen = list(session.scalars(candidates))
    if not chosen:
        return []
    taken = set(session.scalars(
        update(kind.model).where(kind.id.in_(chosen), *where, kind.free(now))
        .values({kind.owner: owner, kind.until: now + timedelta(seconds=seconds)})
        .returning(kind.id)
        .execution_options(synchronize_session=False)))
    return [one for one in chosen if one in taken]


def renew(session: Session, kind: Leased, ids: Collection[int], owner: str, now: datetime,
          seconds: float) -> set[int]:
    """Extend `owner`'s unexpired leases on `ids` to `now + seconds`; returns those renewed.

    A row another transaction has locked (it is being written back) is skipped rather than
    waited for: the heartbeat never blocks on, nor deadlocks with, the work it keeps alive.
    """
    renewed: set[int] = set()
    until = now + timedelta(seconds=seconds)
    for batch in _chunks(sorted(ids)):
        held = (select(kind.id).where(kind.id.in_(batch), kind.owner == owner,
                                      kind.until >= now)
                .with_for_update(skip_locked=True))
        renewed.update(session.scalars(
            update(kind.model).where(kind.id.in_(held.scalar_subquery()))
            .values({kind.until: until})
            .returning(kind.id)
            .execution_options(synchronize_session=False)))
    return renewed


def still_held(session: Session, kind: Leased, ids: Collection[int], owner: str,
               now: datetime, seconds: float) -> bool:
    """Renew `owner`'s leases on every row of `ids`; False if any of them was lost."""
    return len(renew(session, kind, ids, owner, now, seconds)) == len(set(ids))


def release(session: Session, kind: Leased, ids: Iterable[int], owner: str) -> int:
    """Give back `owner`'s leases on `ids` untouched; returns how many were given back."""
    count = 0
    for batch in _chunks(ids):
        result = session.execute(
            update(kind.model).where(kind.id.in_(batch), kind.owner == owner)
            .values({kind.owner: None, kind.until: None})
            .execution_options(synchronize_session=False))
        count += int(getattr(result, "rowcount", 0) or 0)
    return count


def holders(session: Session, kind: Leased, now: datetime) -> dict[str, int]:
    """Who holds unexpired leases on `kind`, with how many rows each."""
    rows = session.execute(select(kind.owner, func.count()).where(
        kind.owner.is_not(None), kind.until >= now).group_by(kind.owner))
    return {str(owner): int(count) for owner, count in rows}


def release_owners(session: Session, kind: Leased, owners: Collection[str]) -> int:
    """Give back every lease held by `owners` (processes known to be gone)."""
    if not owners:
        return 0
    result = session.execute(
        update(kind.model).where(kind.owner.in_(list(owners)))
        .values({kind.owner: None, kind.until: None})
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
