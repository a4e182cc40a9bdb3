"""One page-check cycle for followed article pages: claim → fetch → extract → compare → record.

Like a feed poll: due pages are claimed with a lease, fetched concurrently (conditional GET, the
identical-body shortcut, size and time limits), one request at a time per host, and links that
resolve to non-public addresses are refused unless `[veille] allow_private = true`. Each page is
recorded in one transaction by `follow_record`. A page failure never fails a feed poll.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor import display, follow_plan, schedule
from monitor.config import Config
from monitor.digest import due_at_for
from monitor.fetch import Fetcher
from monitor.fetch_policy import FetchPolicy
from monitor.follow_record import PageOutcome, PageRecorder
from monitor.page import PAGE_RULES_VERSION
from monitor.page_fetch import Reading, read_page, request_headers
from monitor.record import DueAt, PlannedAlert
from monitor.records import FetchRequest, FetchResult
from monitor.route import Router
from storage import items as item_store
from storage import pages as page_store
from storage.database import Database
from storage.models import Feed, Item, Page

log = logging.getLogger(__name__)

CLAIM_LIMIT = 200  # pages per cycle, soonest due first; the next cycle takes the rest

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
            if o.joined:
                what += f", joined to the {o.joined} event"
            out.append(f"{o.feed}: page of {o.key}: {what}")
            for alert in o.alerts:
                verb = "would alert" if dry_run else "alert"
                targets = ", ".join(r.notifier for r in alert.routes)
                out.append(f"  {verb} {alert.type}: {display.one_line(alert.title, 80)} → "
                           f"{targets}")
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
                                     due_at or due_at_for(config))
        self.stopping = threading.Event()

    def check(self, names: Sequence[str] | None = None, *, due_only: bool = True,
              dry_run: bool = False) -> FollowReport:
        """Claim and check the followed pages that are due (all still followed, with
        due_only=False) of the named feeds (default: every configured feed)."""
        now = self.now()
        configured = {f.name for f in self.config.feeds}
        wanted = configured if names is None else configured & set(names)
        timeout = max(f.timeout for f in self.config.feeds) if self.config.feeds else 30.0
        with self.db.write() as session:
            feeds = {f.id: f.name for f in session.scalars(select(Feed)) if f.name in wanted}
            rows = page_store.claim(session, list(feeds), now, self.owner, timeout * 2 + 60,
                                    due_only=due_only, limit=CLAIM_LIMIT)
            claims = [self._claim(session, row, feeds, now) for row in rows]
            if claims:  # one request at a time per host: the lease covers the longest queue
                queue = max(Counter(urlsplit(c.request.url).netloc for c in claims).values())
                until = now + timedelta(seconds=queue * timeout + 60)
                for row in rows:
                    row.lease_until = until
        report = FollowReport()
        if claims:
            report.outcomes = asyncio.run(self._run(claims, dry_run))
        return report

    def _claim(self, session: Session, row: Page, feeds: Mapping[int, str],
               now: datetime) -> _Claim:
        item = session.get(Item, row.item_id)
        assert item is not None
        current = item_store.version(session, item.id, item.current_version)
        cfg = self.config.feed(feeds[item.feed_id])
        url = (current.display_link if current is not None else None) or row.url
        known = page_store.last_with_page(session, item.id, item.current_version)
        stale = known is not None and not (known.page_fingerprint or "").startswith(
            f"p{PAGE_RULES_VERSION}:")
        if url != row.url or stale:
            # Another link is another page; new extraction rules must re-read this one now,
            # not at its next revision (which they would then absorb silently).
            row.url, row.etag, row.last_modified, row.body_hash = url, None, None, None
        unconditional = schedule.wants_unconditional(row.last_unconditional_at, now)
        request = FetchRequest(
            feed_name=cfg.name, url=url, headers=request_headers(cfg, url),
            etag=None if unconditional else row.etag,
            last_modified=None if unconditional else row.last_modified,
            previous_body_hash=None if unconditional else row.body_hash,
            timeout=cfg.timeout, max_size=self.config.veille.max_size)
        return _Claim(row.id, cfg.name, item.key, current.title if current else "", request,
                      unconditional)

    async def _run(self, claims: list[_Claim], dry_run: bool) -> list[PageOutcome]:
        settings = self.config.veille
        loop = asyncio.get_running_loop()
        outcomes: list[PageOutcome] = []
        done: set[int] = set()
        with ThreadPoolExecutor(1, thread_name_prefix="veille-follow") as worker:
            # Article pages are many and on a few news sites: one request at a time per host.
            async with Fetcher(user_agent=settings.user_agent, concurrency=settings.concurrency,
                               per_host=1, policy=FetchPolicy.for_pages(self.config)) as fetcher:

                async def fetch(claim: _Claim) -> tuple[_Claim, FetchResult]:
                    return claim, await fetcher.fetch(claim.request)

                tasks = [asyncio.create_task(fetch(c)) for c in claims]
                try:
                    for next_done in asyncio.as_completed(tasks):
                        claim, result = await next_done
                        if self.stopping.is_set():
                            break
                        outcomes.append(await loop.run_in_executor(
                            worker, self._process, claim, result, dry_run))
                        done.add(claim.page_id)
                finally:
                    for task in tasks:
                        task.cancel()
                    await asyncio.gather(*tasks, return_exceptions=True)
        self._abandon([c.page_id for c in claims if c.page_id not in done])
        return outcomes

    def _abandon(self, page_ids: list[int]) -> None:
        """Give back the leases of pages claimed but not recorded (shutdown, dry run)."""
        if not page_ids:
            return
        with self.db.write() as session:
            for page_id in page_ids:
                row = session.get(Page, page_id)
                if row is not None and row.lease_owner == self.owner:
                    page_store.release(row)

    def _process(self, claim: _Claim, result: FetchResult, dry_run: bool) -> PageOutcome:
        """Extract (outside any transaction), then record in one transaction."""
        reading = Reading(None, result.error)
        if result.status == "ok" and result.body is not None:
            reading = read_page(result, self.config.feed(claim.feed))
        now = self.now()
        try:
            with self.db.write() as session:
                outcome = self._record(session, claim, result, reading, now)
                if dry_run:
                    raise _DryRun(outcome)
        except _DryRun as rolled_back:
            outcome = rolled_back.outcome
            self._abandon([claim.page_id])
        if outcome.status in ("failed", "stopped"):
            log.warning("feed %s: page of %s: %s", claim.feed, claim.key,
                        self.config.redact(outcome.error or ""))
        return outcome

    def _record(self, session: Session, claim: _Claim, result: FetchResult, reading: Reading,
                now: datetime) -> PageOutcome:
        cfg = self.config.feed(claim.feed)
        outcome = PageOutcome(claim.feed, claim.key, claim.title, claim.request.url, "skipped")
        page = session.get(Page, claim.page_id, populate_existing=True)
        if page is None or page.lease_owner != self.owner:
            outcome.error = "lease lost while checking"
            return outcome
        page_store.release(page)
        page.url = claim.request.url
        item = session.get(Item, page.item_id)
        assert item is not None
        current = item_store.version(session, item.id, item.current_version)
        assert current is not None
        plan = follow_plan.plan(self.router, cfg, current,
                                current.published or item.first_seen_at)
        if claim.unconditional and result.status != "error":
            page.last_unconditional_at = now
        if plan is None:
            self.recorder.stop(session, page, item, outcome, now,
                               "no follow rule of config.toml covers this item any more")
        elif reading.error is not None:
            outcome.error = reading.error
            self.recorder.failure(session, page, item, plan, outcome, result, now,
                                  stop=reading.final)
        else:
            outcome.status = result.status
            self.recorder.success(session, page, item, cfg, plan, result, reading.snapshot,
                                  outcome, now)
        return outcome


def pages_note(pages: page_store.FeedPages, cap: str | None = None) -> str:
    """What `veille feeds` says of a feed's followed pages; `cap`: the follow cap that keeps
    its newer items' pages from being followed (see `cap_notes`)."""
    note = f"pages: {pages.following} followed"
    if cap:  # first: the note is cut at 70 characters
        note += f", {cap}"
    if pages.failing:
        note += f", {pages.failing} failing ({pages.last_error})"
    return note


def cap_notes(session: Session, config: Config) -> dict[int, str]:
    """Per feed id, the follow cap that bites now (`follow_max_per_feed`, or
    `follow_max_per_host` on one of the hosts its pages are on)."""
    counts = follow_plan.FollowCounts.of(session)
    notes = {feed_id: counts.cap(config, feed_id) for feed_id in counts.per_feed}
    return {feed_id: note for feed_id, note in notes.items() if note}
