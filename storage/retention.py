"""Retention (`[veille] keep`): old item versions and delivered outbox rows are deleted; and
`veille backup`, a consistent copy of a SQLite database taken while veille runs.

Never deleted, whatever their age: an item's current version and its first one, the versions
the next poll or page check compares with (the newest one carrying page fields, the newest
whose text was not a truncated copy), alerts not delivered yet (pending or given up: they stay
visible and can be retried), and the first delivered alert about an item through each notifier
(later emails about the item reply to it). Events stay too: `veille history` keeps its lines.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Result, delete, func, select
from sqlalchemy.orm import Session

from storage.database import Database, StorageError, private_file, sqlite_path
from storage.models import Delivery, Event, Item, ItemVersion

CHUNK = 500


@dataclass(frozen=True)
class PruneReport:
    """What one prune removed (or, in a dry run, would remove)."""

    versions: int
    deliveries: int


@dataclass(frozen=True)
class VersionInfo:
    """What the retention rule needs of one stored version."""

    number: int
    recorded_at: datetime
    content_hash: str
    silent_reason: str | None
    has_page: bool


def removable_versions(versions: Sequence[VersionInfo], current: int,
                       before: datetime) -> list[int]:
    """The numbers among one item's `versions` that may go: recorded before `before`, and
    none of the ones this module's docstring keeps."""
    if not versions:
        return []
    ordered = sorted(versions, key=lambda v: v.number)
    keep = {ordered[0].number, current}
    with_page = [v.number for v in ordered if v.has_page]
    if with_page:
        keep.add(with_page[-1])
    truncated = {v.content_hash for v in ordered if v.silent_reason == "truncation"}
    full = [v.number for v in ordered if v.content_hash not in truncated]
    if full:
        keep.add(full[-1])
    return [v.number for v in ordered if v.recorded_at < before and v.number not in keep]


def prune(session: Session, before: datetime) -> PruneReport:
    """Delete what the retention rule lets go that is older than `before`, in this session's
    transaction (roll it back for a dry run)."""
    candidates = list(session.scalars(
        select(ItemVersion.item_id).where(ItemVersion.recorded_at < before).distinct()))
    versions = 0
    for start in range(0, len(candidates), CHUNK):
        chunk = candidates[start:start + CHUNK]
        current = {item_id: number for item_id, number in session.execute(
            select(Item.id, Item.current_version).where(Item.id.in_(chunk)))}
        history: dict[int, list[VersionInfo]] = {}
        for item_id, number, recorded_at, content_hash, silent, page in session.execute(
                select(ItemVersion.item_id, ItemVersion.number, ItemVersion.recorded_at,
                       ItemVersion.content_hash, ItemVersion.silent_reason,
                       ItemVersion.page_fingerprint).where(ItemVersion.item_id.in_(chunk))):
            history.setdefault(item_id, []).append(VersionInfo(
                number, recorded_at, content_hash, silent, page is not None))
        for item_id, infos in history.items():
            gone = removable_versions(infos, current.get(item_id, 0), before)
            if gone:
                versions += _count(session.execute(delete(ItemVersion).where(
                    ItemVersion.item_id == item_id, ItemVersion.number.in_(gone))))
    return PruneReport(versions, _prune_deliveries(session, before))


def _prune_deliveries(session: Session, before: datetime) -> int:
    first_ids = (select(func.min(Delivery.id))
                 .join(Event, Event.id == Delivery.event_id)
                 .where(Delivery.status == "sent", Event.item_id.is_not(None))
                 .group_by(Event.item_id, Delivery.notifier))
    ids = list(session.scalars(select(Delivery.id).where(
        Delivery.status == "sent", Delivery.sent_at < before,
        Delivery.id.not_in(first_ids))))
    removed = 0
    for start in range(0, len(ids), CHUNK):
        removed += _count(session.execute(delete(Delivery).where(
            Delivery.id.in_(ids[start:start + CHUNK]))))
    return removed


def _count(result: Result[Any]) -> int:
    """Rows a DELETE removed."""
    return int(cast(CursorResult[Any], result).rowcount)


def backup(db: Database, target: Path) -> None:
    """Copy a SQLite database to `target` with SQLite's online backup API (consistent while
    veille writes); StorageError for another database or a target that exists."""
    source = sqlite_path(db.url)
    if not db.is_sqlite or source is None:
        raise StorageError("backup copies SQLite databases only; for PostgreSQL use pg_dump")
    if target.exists():
        raise StorageError(f"{target} exists; give a new file name")
    private_file(target)
    raw = db.engine.raw_connection()
    try:
        driver = raw.driver_connection
        if not isinstance(driver, sqlite3.Connection):
            raise StorageError("the SQLite driver offers no backup API")
        with sqlite3.connect(target) as out:
            driver.backup(out)
        out.close()
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise StorageError(f"cannot back up to {target}: {exc}") from exc
    finally:
        raw.close()
