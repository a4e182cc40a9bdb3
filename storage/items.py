"""Items and their versions: what the diff step reads and the record step writes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from storage.models import Event, Item, ItemVersion


@dataclass
class Known:
    """A stored item with its current version."""

    item: Item
    version: ItemVersion


def has_items(session: Session, feed_id: int) -> bool:
    """Whether the feed has any stored item (a first poll has nothing to look up)."""
    return session.scalars(select(Item.id).where(Item.feed_id == feed_id).limit(1)).first() \
        is not None


def load_current(session: Session, feed_id: int, keys: Iterable[str]) -> dict[str, Known]:
    """The stored items of `feed_id` among `keys`, with their current versions."""
    wanted = list(dict.fromkeys(keys))
    found: dict[str, Known] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        rows = session.execute(
            select(Item, ItemVersion)
            .join(ItemVersion, and_(ItemVersion.item_id == Item.id,
                                    ItemVersion.number == Item.current_version))
            .where(Item.feed_id == feed_id, Item.key.in_(chunk)))
        for item, version in rows:
            found[item.key] = Known(item, version)
    return found


def load_by_links(session: Session, feed_id: int, links: Iterable[str]) -> dict[str, Known]:
    """Stored items of `feed_id` by normalised link (to recognise guid churn)."""
    wanted = [link for link in dict.fromkeys(links) if link]
    found: dict[str, Known] = {}
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(Item, ItemVersion)
            .join(ItemVersion, and_(ItemVersion.item_id == Item.id,
                                    ItemVersion.number == Item.current_version))
            .where(Item.feed_id == feed_id, Item.link.in_(wanted[start:start + 500])))
        for item, version in rows:
            if item.link is not None and item.link not in found:
                found[item.link] = Known(item, version)
    return found


def identity_fields(session: Session, feed_id: int, keys: Iterable[str]
                    ) -> list[tuple[str, str, datetime | None, str, str]]:
    """(key, title, published, summary, content) of the current version of each stored item
    of `feed_id` among `keys`: plain rows, no ORM objects (the parse step asks on every poll
    of a changed feed)."""
    wanted = list(dict.fromkeys(keys))
    found: list[tuple[str, str, datetime | None, str, str]] = []
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(Item.key, ItemVersion.title, ItemVersion.published, ItemVersion.summary,
                   ItemVersion.content)
            .join(ItemVersion, and_(ItemVersion.item_id == Item.id,
                                    ItemVersion.number == Item.current_version))
            .where(Item.feed_id == feed_id, Item.key.in_(wanted[start:start + 500])))
        found.extend((k, t or "", p, s or "", c or "") for k, t, p, s, c in rows)
    return found


def load_keyless(session: Session, feed_id: int, published: Iterable[datetime]) -> list[Known]:
    """Stored items of `feed_id` with neither guid nor link whose current version was
    published at one of the `published` instants (a reworded title re-keys such an item)."""
    wanted = list(dict.fromkeys(published))
    if not wanted:
        return []
    rows = session.execute(
        select(Item, ItemVersion)
        .join(ItemVersion, and_(ItemVersion.item_id == Item.id,
                                ItemVersion.number == Item.current_version))
        .where(Item.feed_id == feed_id, Item.guid.is_(None), Item.link.is_(None),
               ItemVersion.published.in_(wanted)))
    return [Known(item, version) for item, version in rows]


def link_among(session: Session, feed_id: int, keys: Sequence[str], link: str) -> bool:
    """Whether one of the items `keys` of the feed has the normalised `link`."""
    if not keys:
        return False
    for start in range(0, len(keys), 500):
        found = session.scalars(select(Item.id).where(
            Item.feed_id == feed_id, Item.link == link,
            Item.key.in_(list(keys[start:start + 500]))).limit(1)).first()
        if found is not None:
            return True
    return False


def recent_versions(session: Session, item_id: int, since: datetime) -> list[ItemVersion]:
    """The item's versions recorded since `since` (flapping detection)."""
    return list(session.scalars(select(ItemVersion).where(
        ItemVersion.item_id == item_id, ItemVersion.recorded_at >= since)))


def last_full_version(session: Session, item_id: int) -> ItemVersion | None:
    """The newest version whose feed text was not a truncated copy: neither silent for
    truncation itself nor a page-check copy of such a version (same content hash)."""
    history = list(session.scalars(select(ItemVersion).where(ItemVersion.item_id == item_id)
                                   .order_by(ItemVersion.number.desc())))
    truncated = {v.content_hash for v in history if v.silent_reason == "truncation"}
    return next((v for v in history if v.content_hash not in truncated), None)


def add_version(session: Session, item: Item, version: ItemVersion) -> ItemVersion:
    """Append `version` to `item` and make it current."""
    item.current_version += 1
    version.number = item.current_version
    version.item_id = item.id
    session.add(version)
    return version


def versions(session: Session, item_id: int) -> list[ItemVersion]:
    return list(session.scalars(select(ItemVersion).where(ItemVersion.item_id == item_id)
                                .order_by(ItemVersion.number)))


def version(session: Session, item_id: int, number: int) -> ItemVersion | None:
    return session.scalars(select(ItemVersion).where(ItemVersion.item_id == item_id,
                                                     ItemVersion.number == number)).first()


def find_items(session: Session, key: str, feed_ids: Sequence[int] | None = None) -> list[Item]:
    """Items whose key is `key` (or, failing that, whose key starts with it)."""
    query = select(Item).where(Item.key == key)
    if feed_ids is not None:
        query = query.where(Item.feed_id.in_(list(feed_ids)))
    items = list(session.scalars(query))
    if not items:
        like = select(Item).where(Item.key.startswith(key, autoescape=True))
        if feed_ids is not None:
            like = like.where(Item.feed_id.in_(list(feed_ids)))
        items = list(session.scalars(like.limit(20)))
    return items


def events(session: Session, *, feed_ids: Sequence[int] | None = None,
           item_id: int | None = None, since: datetime | None = None,
           limit: int = 200) -> list[Event]:
    """Events newest first, filtered."""
    query = select(Event)
    if feed_ids is not None:
        query = query.where(Event.feed_id.in_(list(feed_ids)))
    if item_id is not None:
        query = query.where(Event.item_id == item_id)
    if since is not None:
        query = query.where(Event.occurred_at >= since)
    return list(session.scalars(query.order_by(Event.occurred_at.desc(), Event.id.desc())
                                .limit(limit)))


FLAP_WINDOW = timedelta(hours=24)
