"""One page-check cycle for followed article pages: claim → fetch → extract → compare → record.

Like a feed poll: due pages are claimed with a lease, fetched concurrently (conditional GET, the
identical-body shortcut, size and time limits), one request at a time per host, and links that
resolve to non-public addresses are refused unless `[veille] allow_private = true`. Each page is
recorded in one transaction by `follow_record`. A page failure never fails a feed poll.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
import random
import re
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from monitor import follow_plan, schedule
from monitor.config import Config, FeedConfig
from monitor.fetch import Fetcher
from monitor.follow_record import PageOutcome, PageRecorder
from monitor.page import PageSnapshot, extract_page
from monitor.record import DueAt, PlannedAlert
from monitor.records import FetchRequest, FetchResult
from monitor.route import Router
from storage import items as item_store
from storage import pages as page_store
from storage.database import Database
from storage.models import Feed, Item, Page

log = logging.getLogger(__name__)

ACCEPT_HTML = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")
_CREDENTIALS = ("authorization", "cookie", "proxy-authorization")
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class FollowReport:
    """Outcomes of one cycle, one per page claimed."""

    outcomes: list[PageOutcome] = field(default_factory=list)

    @property
    def alerts(self) -> list[PlannedAlert]:
        return [a for o in self.outcomes for a in o.alerts]

    def lines(self, *, dry_run: bool = False) -> list[str]:
        """One line per page checked, and one per alert planned, for `veille check`."""
        out: list[str] = []
        for o in self.outcomes:
            what = {"baseline": "first load recorded silently (baseline)",
                    "changed": "revised", "volatile": "dates moved only, recorded silently",
                    "unchanged": "unchanged", "not_modified": "not modified (304)",
                    "same_body": "unchanged (same body)"}.get(o.status, o.status)
            if o.status in ("failed", "stopped", "skipped"):
                what = f"{o.status.upper()} — {o.error}"
            if o.folded:
                what += f", joined to the {o.folded} event"
            out.append(f"{o.feed}: page of {o.key}: {what}")
            for alert in o.alerts:
                verb = "would alert" if dry_run else "alert"
                targets = ", ".join(r.notifier for r in alert.routes)
                out.append(f"  {verb} {alert.type}: {alert.title[:80]} → {targets}")
        return out


class _DryRun(Exception):
    def __init__(self, outcome: PageOutcome) -> None:
        super().__init__(outcome.key)
        self.outcome = outcome


@dataclass(frozen=True)
class _Claim:
    page_id: int
    feed: str
    key: str
    title: str
    request: FetchRequest
    unconditional: bool


class Follower:
    """Checks the followed pages of one config against one database."""

    def __init__(self, config: Config, db: Database, *, owner: str,
                 now: Callable[[], datetime] = utcnow, rng: random.Random | None = None,
                 due_at: DueAt | None = None) -> None:
        self.config = config
        self.db = db
        self.owner = owner
        self.now = now
        self.router = Router(config)
        self.recorder = PageRecorder(config, self.router, rng or random.Random(),
                                     due_at or (lambda _notifier, at: at))
        self.stopping = threading.Event()

    def check(self, *, due_only: bool = True, dry_run: bool = False) -> FollowReport:
        """Claim and check the followed pages that are due (all still followed, with
        due_only=False) of the configured feeds."""
        now = self.now()
        names = {f.name for f in self.config.feeds}
        lease = max(f.timeout for f in self.config.feeds) * 2 + 60 if self.config.feeds else 60
        with self.db.write() as session:
            feeds = {f.id: f.name for f in session.scalars(select(Feed)) if f.name in names}
            rows = page_store.claim(session, list(feeds), now, self.owner, lease,
                                    due_only=due_only)
            claims = [self._claim(session, row, feeds, now) for row in rows]
        report = FollowReport()
        if claims:
            report.outcomes = asyncio.run(self._run(claims, dry_run))
        return report

    def _claim(self, session: object, row: Page, feeds: Mapping[int, str],
               now: datetime) -> _Claim:
        assert isinstance(session, type(item_store)) is False
        item = row_item = getattr(session, "get")(Item, row.item_id)  # noqa: B009
        assert row_item is not None
        current = item_store.version(getattr(session, "__self__", session), item.id,  # type: ignore[arg-type]
                                     item.current_version)
        raise NotImplementedError
