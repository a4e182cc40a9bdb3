"""What a dispatch cycle did (attempts, deferrals) and what one message carries (a batch)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from notifiers.base import Alert


@dataclass(frozen=True)
class Attempt:
    """The outcome of one send; `digest` is the digest's id when the alert went in one."""

    delivery_id: int
    notifier: str
    alert: Alert
    ok: bool
    error: str | None = None
    given_up: bool = False
    digest: str | None = None


@dataclass(frozen=True)
class Deferred:
    """A delivery held back by `max_per_minute`: not an attempt; due again at `until`."""

    delivery_id: int
    notifier: str
    alert: Alert
    until: datetime


@dataclass
class DispatchReport:
    attempts: list[Attempt] = field(default_factory=list)
    deferred: list[Deferred] = field(default_factory=list)

    @property
    def sent(self) -> list[Attempt]:
        return [a for a in self.attempts if a.ok]

    @property
    def failed(self) -> list[Attempt]:
        return [a for a in self.attempts if not a.ok]


@dataclass(frozen=True)
class Row:
    """A claimed outbox row with its alert."""

    delivery_id: int
    created_at: datetime
    alert: Alert


@dataclass(frozen=True)
class Batch:
    """What one message carries: one row, or every row of a digest."""

    rows: tuple[Row, ...]
    digest: bool = False
