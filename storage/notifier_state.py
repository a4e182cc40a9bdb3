"""Notifier health rows: the failing episode of each notifier, shared by every veille process.

Each change is a conditional UPDATE, so that of several processes seeing the same outage one
starts the episode, one raises its notifier.failing event and one ends it: each log line and
health alert exists once per episode, whoever sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.models import Delivery, NotifierState

PENDING = "pending"


@dataclass(frozen=True)
class Episode:
    """A failing episode that just ended: since when, how many failed attempts, the last
    error, and whether notifier.failing was raised for it."""

    since: datetime
    failures: int
    last_error: str
    notified: bool


def ensure(session: Session, names: Sequence[str]) -> None:
    """A row for each notifier name (inserting those missing, whoever else does it too)."""
    if not names:
        return
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(NotifierState).values(
        [{"name": n, "failures": 0, "notified": False} for n in names])
        .on_conflict_do_nothing(index_elements=["name"]))


def failed(session: Session, name: str, error: str, now: datetime,
           hold_until: datetime | None) -> bool:
    """Count a failed attempt; True when it starts a failing episode."""
    started = session.execute(
        update(NotifierState)
        .where(NotifierState.name == name, NotifierState.failing_since.is_(None))
        .values(failing_since=now, failures=1, last_error=error, last_attempt_at=now,
                hold_until=hold_until, notified=False)
        .execution_options(synchronize_session=False))
    if getattr(started, "rowcount", 0):
        return True
    session.execute(
        update(NotifierState).where(NotifierState.name == name)
        .values(failures=NotifierState.failures + 1, last_error=error, last_attempt_at=now,
                hold_until=hold_until)
        .execution_options(synchronize_session=False))
    return False


def mark_notified(session: Session, name: str, failing_for: float, now: datetime) -> bool:
    """True (once per episode) when `name` has been failing for `failing_for` seconds and
    its notifier.failing event is to be raised now."""
    result = session.execute(
        update(NotifierState)
        .where(NotifierState.name == name, NotifierState.notified.is_(False),
               NotifierState.failing_since <= now - timedelta(seconds=failing_for))
        .values(notified=True)
        .execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


def succeeded(session: Session, name: str, now: datetime) -> Episode | None:
    """Record an attempt that went through; the episode it ends, if one was under way."""
    row = session.scalars(select(NotifierState).where(NotifierState.name == name)
                          .with_for_update()).first()
    if row is None or row.failing_since is None:
        if row is not None:
            row.last_attempt_at = now
        return None
    episode = Episode(row.failing_since, row.failures, row.last_error or "", row.notified)
    row.failing_since = None
    row.failures = 0
    row.notified = False
    row.hold_until = None
    row.last_attempt_at = now
    return episode


def failing(session: Session) -> list[NotifierState]:
    """The notifiers in a failing episode."""
    return list(session.scalars(select(NotifierState).where(
        NotifierState.failing_since.is_not(None)).order_by(NotifierState.name)))


def drain(session: Session, name: str, now: datetime) -> int:
    """Make every alert of `name` that waits for a retry due now (it answers again): the
    backlog goes out oldest first, at its rate limit. Returns how many."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.notifier == name, Delivery.status == PENDING, Delivery.attempts > 0,
               Delivery.next_attempt_at > now)
        .values(next_attempt_at=now)
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def probe(session: Session, name: str, now: datetime) -> bool:
    """Make the oldest waiting alert of `name` due now, so that a notifier that fails is
    tried at least that often even when its alerts back off for an hour. False when none
    waits, or one is due already."""
    due = session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.notifier == name, Delivery.status == PENDING,
        Delivery.next_attempt_at <= now))
    if due:
        return False
    oldest = session.scalar(select(Delivery.id).where(
        Delivery.notifier == name, Delivery.status == PENDING, Delivery.attempts > 0)
        .order_by(Delivery.id).limit(1))
    if oldest is None:
        return False
    session.execute(update(Delivery).where(Delivery.id == oldest)
                    .values(next_attempt_at=now)
                    .execution_options(synchronize_session=False))
    return True
