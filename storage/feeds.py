"""Feed rows: keeping them in step with the config, claiming due feeds, recording polls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from storage.models import Feed


@dataclass(frozen=True)
class FeedSpec:
    """What storage needs to know of a configured feed."""

    name: str
    url: str


@dataclass(frozen=True)
class SyncReport:
    created: tuple[str, ...]
    url_changed: tuple[str, ...]


def sync(session: Session, specs: Sequence[FeedSpec], now: datetime) -> SyncReport:
    """Create rows for new feeds; a feed whose URL was edited is re-baselined silently."""
    rows = {f.name: f for f in session.scalars(select(Feed))}
    created: list[str] = []
    changed: list[str] = []
    for spec in specs:
        row = rows.get(spec.name)
        if row is None:
            session.add(Feed(name=spec.name, url=spec.url, fetch_url=spec.url, title="",
                             next_poll_at=now, created_at=now, status="new",
                             consecutive_failures=0, baselined=False, failing_notified=False,
                             item_count=0))
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
    session.flush()
    return SyncReport(tuple(created), tuple(changed))


def claim(session: Session, names: Sequence[str], now: datetime, owner: str, lease: float,
          *, due_only: bool = True, limit: int | None = None) -> list[Feed]:
    """Take a lease on the named feeds that are due (or all named, with due_only=False),
    the most overdue first, at most `limit` of them.

    The conditional UPDATE is atomic on SQLite (BEGIN IMMEDIATE) and on PostgreSQL (row locks
    re-check the WHERE clause), so two veille processes never hold one feed at once.
    """
    if not names:
        return []
    until = now + timedelta(seconds=lease)
    conditions = [Feed.name.in_(list(names)), Feed.status != "gone",
                  or_(Feed.lease_until.is_(None), Feed.lease_until < now)]
    if due_only:
        conditions.append(Feed.next_poll_at <= now)
    chosen = select(Feed.id).where(*conditions).order_by(Feed.next_poll_at, Feed.id)
    if limit is not None:
        chosen = chosen.limit(limit)
    ids = list(session.scalars(chosen))
    if not ids:
        return []
    session.execute(update(Feed).where(Feed.id.in_(ids), *conditions)
                    .values(lease_owner=owner, lease_until=until)
                    .execution_options(synchronize_session=False))
    return list(session.scalars(select(Feed).where(Feed.lease_owner == owner,
                                                   Feed.lease_until == until)
                                .execution_options(populate_existing=True)))


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


def all_feeds(session: Session) -> list[Feed]:
    return list(session.scalars(select(Feed).order_by(Feed.name)))
