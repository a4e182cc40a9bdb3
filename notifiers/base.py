"""The notifier contract: the `Alert` every notifier receives, the protocol, the errors.

    NotifierError                 root of every notifier failure
    ├── TransientError            try again later (connection, timeout, 5xx, SMTP 4xx);
    │                             `retry_after` (seconds) when the server said when
    ├── PermanentError            give up now (other 4xx, SMTP 5xx, a payload refused)
    └── NotifierConfigError       options of a `[notifier.NAME]` table are wrong

This package imports neither `monitor` nor `storage`: an Alert is plain data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol, runtime_checkable

ALERT_TYPES = ("item.new", "item.changed", "feed.failing", "feed.recovered",
               "notifier.failing", "notifier.recovered", "test")
NOTIFIER_HEALTH = ("notifier.failing", "notifier.recovered")


class NotifierError(Exception):
    """Root of every notifier failure."""


class TransientError(NotifierError):
    """The alert could not be delivered now; retry later."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(NotifierError):
    """The alert will never be delivered as it is; do not retry."""


class NotifierConfigError(NotifierError):
    """The options of a notifier are invalid; `problems` lists each as (key, message)."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{k}: {m}" for k, m in problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class FeedInfo:
    name: str
    url: str
    title: str = ""


@dataclass(frozen=True)
class ItemInfo:
    key: str
    title: str
    link: str | None
    published: datetime | None  # aware UTC
    updated: datetime | None  # aware UTC
    summary: str  # reduced text, capped at 1,000 characters (ellipsis included)
    version: int
    page_title: str | None = None
    page_published: datetime | None = None
    page_modified: datetime | None = None


@dataclass(frozen=True)
class NotifierInfo:
    """The notifier a `notifier.failing` / `notifier.recovered` alert is about."""

    name: str
    type: str


@dataclass(frozen=True)
class AlertChange:
    field: str
    before: str | None
    after: str | None
    truncated: bool = False


def iso_utc(value: datetime | None) -> str | None:
    """ISO 8601 UTC with a Z, seconds precision: how JSON carries every instant."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Alert:
    """One alert for one notifier; the same `id` on every retry of it."""

    id: str
    type: str  # one of ALERT_TYPES
    occurred_at: datetime  # aware UTC: when veille detected the event
    feed: FeedInfo
    item: ItemInfo | None = None
    watches: tuple[str, ...] = ()
    matched: tuple[str, ...] = ()
    match: str = "new"  # "new" | "added" | "removed" | "kept" ("" for feed events)
    changes: tuple[AlertChange, ...] = ()
    error: str | None = None  # for feed.failing / feed.recovered and notifier.*
    thread_id: str = ""  # stable per item: email threads revisions under it
    # The first message sent about this item through this notifier: its alert id, or the
    # digest id when it went out in a digest (email replies to it); None if none was sent.
    first_alert_id: str | None = None
    timezone: str = "UTC"  # IANA zone for dates shown to people
    language: str = "en"
    # Where the matched terms are: field -> (start, end) code point offsets, end excluded, in
    # item.title ("title"), item.summary ("summary"), and the stored content, page text, link
    # and feed name ("content", "page", "link", "feed"). After the fields built by position.
    spans: Mapping[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    notifier: NotifierInfo | None = None  # for notifier.failing / notifier.recovered

    def to_json(self) -> dict[str, Any]:
        """The webhook `json` body of DESIGN.md."""
        if self.type in NOTIFIER_HEALTH:
            about = self.notifier or NotifierInfo("", "")
            return {"type": self.type, "id": self.id, "occurred_at": iso_utc(self.occurred_at),
                    "notifier": {"name": about.name, "type": about.type},
                    "error": self.error}
        body: dict[str, Any] = {
            "type": self.type,
            "id": self.id,
            "occurred_at": iso_utc(self.occurred_at),
            "feed": {"name": self.feed.name, "url": self.feed.url, "title": self.feed.title},
        }
        if self.item is not None:
            item = self.item
            body["item"] = {
                "key": item.key,
                "title": item.title,
                "link": item.link,
                "published": iso_utc(item.published),
                "updated": iso_utc(item.updated),
                "summary": item.summary,
                "version": item.version,
            }
            if item.page_title is not None or item.page_modified is not None:
                body["item"].update(
                    page_title=item.page_title,
                    page_published=iso_utc(item.page_published),
                    page_modified=iso_utc(item.page_modified),
                )
        if self.error is not None:
            body["error"] = self.error
        body["watches"] = list(self.watches)
        body["matched"] = list(self.matched)
        if self.item is not None:
            body["spans"] = {name: [list(span) for span in spans]
                             for name, spans in self.spans.items()}
        body["match"] = self.match
        body["changes"] = [
            {"field": c.field, "before": c.before, "after": c.after}
            | ({"truncated": True} if c.truncated else {})
            for c in self.changes
        ]
        return body


@runtime_checkable
class Notifier(Protocol):
    """What every notifier is. Built by its class's `from_options`; `send` is synchronous.

    A notifier may also define `send_digest` (see `DigestNotifier`); one that does not gets
    the alerts of a digest period one by one, through `send`, when the period ends.
    """

    name: str

    def send(self, alert: Alert) -> None:
        """Deliver one alert or raise TransientError / PermanentError."""

    def close(self) -> None:
        """Release connections; called once at shutdown."""


@runtime_checkable
class DigestNotifier(Notifier, Protocol):
    """A notifier that can send several alerts as one message (`digest = "1h"` in config)."""

    def send_digest(self, alerts: Sequence[Alert]) -> None:
        """Deliver `alerts` (newest first, at least one) as ONE message, or raise
        TransientError / PermanentError: the batch is sent, retried or given up as a whole.

        Receivers de-duplicate on `notifiers.digest.digest_id(alerts)`, the same for the same
        set of alerts on every retry.
        """


class NotifierFactory(Protocol):
    """A notifier class as the registry sees it (`type = "…"` in config)."""

    type_name: ClassVar[str]
    # Option keys whose values are secrets (never printed), beyond password/secret/token.
    secret_keys: ClassVar[frozenset[str]]

    @classmethod
    def from_options(cls, name: str, options: Mapping[str, Any]) -> Notifier:
        """Validate `options` (the table minus the common keys) and build; raise
        NotifierConfigError listing every problem."""
        ...


# Keys every notifier table may carry, handled by veille itself, not by the notifier:
# they are removed from the options before `from_options` sees them.
COMMON_KEYS = frozenset({"type", "give_up_after", "max_per_minute", "digest"})
