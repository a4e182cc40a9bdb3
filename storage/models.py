"""SQLAlchemy typed models: feed, item, item_version, event, delivery (the outbox), page,
notifier_state.

Every instant is stored as UTC and comes back timezone-aware, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """A naive-UTC column that takes and gives aware datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Feed(Base):
    """A configured feed, known by name; its HTTP validators, schedule, lease and health."""

    __tablename__ = "feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    url: Mapped[str] = mapped_column(Text)  # as configured
    fetch_url: Mapped[str] = mapped_column(Text)  # what is polled (url, or a 302 target)
    title: Mapped[str] = mapped_column(Text, default="")
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    body_hash: Mapped[str | None] = mapped_column(String(64))
    parse_cache: Mapped[bytes | None] = mapped_column(LargeBinary)
    last_unconditional_at: Mapped[datetime | None]
    next_poll_at: Mapped[datetime] = mapped_column(index=True)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None]
    last_poll_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="new")  # new|ok|failing|gone
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    warning: Mapped[str | None] = mapped_column(Text)
    moved_to: Mapped[str | None] = mapped_column(Text)
    baselined: Mapped[bool] = mapped_column(default=False)
    failing_notified: Mapped[bool] = mapped_column(default=False)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    url_changed_at: Mapped[datetime | None]  # last edit of the URL in config.toml


class Item(Base):
    """One item of one feed, known by its identity key."""

    __tablename__ = "item"
    __table_args__ = (
        UniqueConstraint("feed_id", "key", name="uq_item_feed_key"),
        Index("ix_item_feed_link", "feed_id", "link"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feed.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(Text)
    guid: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)  # normalised
    first_seen_at: Mapped[datetime]
    changed_at: Mapped[datetime]
    current_version: Mapped[int] = mapped_column(Integer, default=0)  # number of the current


class ItemVersion(Base):
    """Every version of an item ever seen, alerted or silent: history is complete."""

    __tablename__ = "item_version"
    __table_args__ = (UniqueConstraint("item_id", "number", name="uq_version_item_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime]
    title: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(Text)
    display_link: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[datetime | None]
    updated: Mapped[datetime | None]
    content_hash: Mapped[str] = mapped_column(String(80))
    fingerprint: Mapped[str] = mapped_column(String(80))
    rules_version: Mapped[int] = mapped_column(Integer)
    # None when the version was alerted (or could have been); else why it stayed silent:
    # baseline, cosmetic, volatile, link-only, truncation, flap, old, unmatched; for a version
    # recorded by a page check: page-baseline, page-volatile, page-rules.
    silent_reason: Mapped[str | None] = mapped_column(String(40))
    # The followed article page as last seen (None until its first fetch). A page check adds a
    # version that copies the feed fields above and carries new page fields.
    page_title: Mapped[str | None] = mapped_column(Text)
    page_text: Mapped[str | None] = mapped_column(Text)  # paragraphs separated by blank lines
    page_published: Mapped[datetime | None]
    page_modified: Mapped[datetime | None]
    page_fingerprint: Mapped[str | None] = mapped_column(String(80))


class Event(Base):
    """Something that happened: item.new, item.changed, feed.failing, feed.recovered,
    notifier.failing, notifier.recovered, test."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feed.id", ondelete="CASCADE"),
                                                index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"),
                                                index=True)
    version: Mapped[int | None] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    changes: Mapped[list[Any]] = mapped_column(default=list)  # [{field, before, after}]
    watches: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {watch: {match, terms}}
    error: Mapped[str | None] = mapped_column(Text)
    notifier: Mapped[str | None] = mapped_column(String(200))  # for notifier.* events
    notifier_type: Mapped[str | None] = mapped_column(String(100))


class Delivery(Base):
    """The outbox: one row per (event, notifier), written in the poll's transaction."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "notifier", name="uq_delivery_event_notifier"),
        Index("ix_delivery_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    notifier: Mapped[str] = mapped_column(String(200))
    alert_id: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|sent|given_up
    watches: Mapped[list[Any]] = mapped_column(default=list)
    matched: Mapped[list[Any]] = mapped_column(default=list)
    match: Mapped[str] = mapped_column(String(20), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class Page(Base):
    """The followed article page of one item: validators, schedule, lease and health.

    `next_check_at` is None once following stopped (expired, 404/410, follow removed).
    """

    __tablename__ = "page"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), unique=True)
    url: Mapped[str] = mapped_column(Text)  # the item's link when last checked
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    body_hash: Mapped[str | None] = mapped_column(String(64))
    last_unconditional_at: Mapped[datetime | None]
    next_check_at: Mapped[datetime | None] = mapped_column(index=True)
    follow_until: Mapped[datetime]
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None]
    last_checked_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]


class NotifierState(Base):
    """One notifier's health, shared by every veille process on the database: the failing
    episode under way (None when it answers), and whether notifier.failing was raised for it."""

    __tablename__ = "notifier_state"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    failing_since: Mapped[datetime | None]  # the first failed attempt of this episode
    failures: Mapped[int] = mapped_column(Integer, default=0)  # failed attempts in it
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None]
    hold_until: Mapped[datetime | None]  # the receiver asked to wait (Retry-After) until then
    notified: Mapped[bool] = mapped_column(default=False)
