"""Finding stored things by what a person typed: items by feed, date and text, and whether
the delivery ids given on a command line exist.

Text search is folded the way watches match (case and accents ignored), which neither SQLite
nor PostgreSQL does without extensions: the query narrows by feed and date in SQL, streams the
current versions newest first, and the caller's `keep` test (monitor's folding) picks the
rows, stopping at `limit`.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from storage.models import Delivery, Feed, Item, ItemVersion

STREAM_CHUNK = 500


@dataclass(frozen=True)
class Found:
    """One stored item with its current version and its feed."""

    item: Item
    version: ItemVersion
    feed: Feed


def current_items(session: Session, *, feed_ids: Sequence[int] | None = None,
                  since: datetime | None = None,
                  keep: Callable[[ItemVersion], bool] | None = None,
                  limit: int | None = None) -> list[Found]:
    """Current versions of stored items, most recently changed first; `since`: items first
    seen or changed since then; `keep`: a test on each version; at most `limit` of them."""
    found: list[Found] = []
    rows = _stream(session, feed_ids, since)
    try:
        for row in rows:
            if keep is None or keep(row.version):
                found.append(row)
                if limit is not None and len(found) >= limit:
                    break
    finally:
        rows.close()  # PostgreSQL streams through a server-side cursor: close it now
    return found


def _stream(session: Session, feed_ids: Sequence[int] | None,
            since: datetime | None) -> Generator[Found, None, None]:
    query = (select(Item, ItemVersion, Feed)
             .join(ItemVersion, and_(ItemVersion.item_id == Item.id,
                                     ItemVersion.number == Item.current_version))
             .join(Feed, Feed.id == Item.feed_id)
             .order_by(Item.changed_at.desc(), Item.id.desc()))
    if feed_ids is not None:
        query = query.where(Item.feed_id.in_(list(feed_ids)))
    if since is not None:
        query = query.where(or_(Item.changed_at >= since, Item.first_seen_at >= since))
    with session.execute(query.execution_options(yield_per=STREAM_CHUNK)) as result:
        for item, version, feed in result:
            yield Found(item, version, feed)


def unknown_deliveries(session: Session, ids: Sequence[int]) -> list[int]:
    """The ids among `ids` that no outbox row has."""
    known = set(session.scalars(select(Delivery.id).where(Delivery.id.in_(list(ids)))))
    return [i for i in ids if i not in known]


def version_titles(session: Session, pairs: Sequence[tuple[int, int]]) -> dict[tuple[int, int],
                                                                                str]:
    """The title of each (item id, version number) among `pairs`."""
    titles: dict[tuple[int, int], str] = {}
    wanted = list(dict.fromkeys(pairs))
    for start in range(0, len(wanted), STREAM_CHUNK):
        chunk = set(wanted[start:start + STREAM_CHUNK])
        item_ids = list({i for i, _ in chunk})
        for item_id, number, title in session.execute(
                select(ItemVersion.item_id, ItemVersion.number, ItemVersion.title)
                .where(ItemVersion.item_id.in_(item_ids))):
            if (item_id, number) in chunk:
                titles[(item_id, number)] = title
    return titles
