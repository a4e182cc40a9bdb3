"""Frozen records that cross module boundaries inside `monitor`.

fetch → `FetchResult`; parse → `ParsedFeed` of `Entry`; diff → `DiffResult` of `Change`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

FetchStatus = Literal["ok", "not_modified", "same_body", "error"]


@dataclass(frozen=True)
class FetchRequest:
    """One conditional GET of one feed."""

    feed_name: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)  # extra request headers
    etag: str | None = None
    last_modified: str | None = None
    previous_body_hash: str | None = None  # sha256 hex of the last accepted body
    timeout: float = 30.0  # total deadline in seconds: connect + every read
    max_size: int = 5_000_000  # decoded bytes


@dataclass(frozen=True)
class FetchResult:
    """What one fetch produced; failures are values, not exceptions."""

    feed_name: str
    status: FetchStatus
    url: str  # the URL finally fetched (after redirects)
    http_status: int | None = None
    body: bytes | None = None  # set when status == "ok"
    body_hash: str | None = None  # sha256 hex of body (also for "same_body")
    headers: Mapping[str, str] = field(default_factory=dict)  # response headers, lower-case
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None  # new URL after a 301/308 chain
    retry_after: float | None = None  # seconds, from 429/503 Retry-After
    gone: bool = False  # HTTP 410
    error: str | None = None  # a sentence for a person when status == "error"
    elapsed: float = 0.0


@dataclass(frozen=True)
class Entry:
    """One feed entry, normalised: what is stored as an item version and compared."""

    key: str  # identity: guid, else normalised link, else hash of title + published
    guid: str | None
    link: str | None  # normalised link (identity and fingerprint use this)
    display_link: str | None  # the http(s) link as the feed gave it, for people
    title: str  # reduced text
    summary: str  # reduced text; "" when feedparser copied it from the content
    content: str  # reduced text
    published: datetime | None  # aware, UTC
    updated: datetime | None  # aware, UTC; the entry's own date, never published


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed feed document."""

    version: str  # feedparser's version, e.g. "rss20", "atom10"
    title: str
    link: str | None
    entries: tuple[Entry, ...]
    ttl_seconds: float | None = None  # RSS <ttl>, converted
    warning: str | None = None  # a damaged feed from which entries were recovered
    # Keys of entries whose raw XML is byte-identical to the last poll's (incremental parse):
    # they are known unchanged and are not in `entries`.
    unchanged_keys: tuple[str, ...] = ()
    cache: bytes | None = None  # opaque state for the next incremental parse of this feed


ChangeField = Literal["title", "link", "summary", "content", "published", "updated",
                      "page_modified", "page_text"]


@dataclass(frozen=True)
class Change:
    """One changed field of a revision; dates as ISO 8601 UTC, text reduced."""

    field: str
    before: str | None
    after: str | None


DiffKind = Literal["unchanged", "silent", "changed"]


@dataclass(frozen=True)
class DiffResult:
    """Entry vs stored current version.

    unchanged: nothing to store. silent: store a new version, alert nobody (`reason` says why:
    "cosmetic", "volatile", "link-only", "truncation"). changed: store and consider alerting.
    """

    kind: DiffKind
    changes: tuple[Change, ...] = ()
    reason: str | None = None
