"""Feed rows: keeping them in step with the config, claiming due feeds, recording polls."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage import leases
from storage.models import Feed


@dataclass(frozen=True)
class FeedSpec:
    """What storage needs to know of a configured feed."""

    name: str
    url: str
    interval: float | None = None  # seconds between polls, as configured now
    slack: float = 0.0  # the jitter a scheduled poll may already carry


@dataclass(frozen=True)
class SyncReport:
    created: tuple[str, ...]
    url_changed: tuple[str, ...]


def sync(session: Session, specs: Sequence[FeedSpec], now: datetime) -> SyncReport:
    """Create rows for new feeds; a feed whose URL was edited is re-baselined silently."""
    rows = {f.name: f for f in session.scalars(select(Feed))}
    created: list[str] = []
    changed: list[str] = []
    new: list[dict[str, object]] = []
    for spec in specs:
        row = rows.get(spec.name)
        if row is None:
            new.append({"name": spec.name, "url": spec.url, "fetch_url": spec.url, "title": "",
                        "next_poll_at": now, "created_at": now, "status": "new",
                        "consecutive_failures": 0, "baselined": False,
                        "failing_notified": False, "item_count": 0})
            created.append(spec.name)
        elif row.url != spec.url:
            row.url = spec.url
            row.fetch_url = spec.url
            row.etag = row.last_modified = row.body_hash = None
            row.parse_cache = None
            row.moved_to = None
            row.baselined = False
            row.status = "new" if row.status == "gone" else row.status
            row.next_poll_at = now
            row.url_changed_at = now
            changed.append(spec.name)
        elif spec.interval is not None and row.last_poll_at is not None and \
                row.consecutive_failures == 0 and row.status != "gone":
            # A shortened interval is honoured at the next tick, not after the old one.
            due = row.last_poll_at + timedelta(seconds=spec.interval)
            if row.next_poll_at > due + timedelta(seconds=spec.slack):
                row.next_poll_at = max(due, now)
    if new:
        # Several daemons starting at once all see these feeds missing: one inserts each.
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(insert(Feed).on_conflict_do_nothing(index_elements=["name"]), new)
    session.flush()
    return SyncReport(tuple(created), tuple(changed))


def claim(session: Session, names: Sequence[str], now: datetime, owner: str, lease: float,
          *, due_only: bool = True, limit: int | None = None,
          exclude: Collection[str] = ()) -> list[Feed]:
    """Take a lease on the named feeds that are due (or all named, with due_only=False),
    the most overdue first, at most `limit` of them, none of `exclude`.

    Several processes claiming at once take disjoint slices (storage/leases.py), so two
    veille processes never hold one feed at once.
    """
    wanted = [n for n in names if n not in exclude] if exclude else list(names)
    if not wanted:
        return []
    conditions: list[ColumnElement[bool]] = [Feed.name.in_(wanted), Feed.status != "gone"]
    if due_only:
        conditions.append(Feed.next_poll_at <= now)
    ids = leases.claim(session, leases.FEEDS, conditions, (Feed.next_poll_at, Feed.id), now,
                       owner, lease, limit if limit is not None else len(wanted))
    if not ids:
        return []
    rows = {row.id: row for row in session.scalars(
        select(Feed).where(Feed.id.in_(ids)).execution_options(populate_existing=True))}
    return [rows[i] for i in ids if i in rows]


def release(feed: Feed) -> None:
    """Drop the lease of a feed row being written back."""
    feed.lease_owner = None
    feed.lease_until = None


def held_by_other(session: Session, names: Sequence[str], now: datetime,
                  owner: str) -> list[str]:
    """Names among `names` whose lease another process holds right now."""
    return list(session.scalars(select(Feed.name).where(
        Feed.name.in_(list(names)), Feed.lease_until >= now, Feed.lease_owner != owner)))


def by_name(session: Session, name: str) -> Feed | None:
    return session.scalars(select(Feed).where(Feed.name == name)).first()


def earliest_due(session: Session) -> datetime | None:
    """When the first feed that is not gone is due (one indexed MIN): an idle tick looks this
    up instead of claiming over every configured feed."""
    return session.scalar(select(func.min(Feed.next_poll_at)).where(Feed.status != "gone"))


def all_feeds(session: Session) -> list[Feed]:
    return list(session.scalars(select(Feed).order_by(Feed.name)))
