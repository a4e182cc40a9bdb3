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
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

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

    def check(self, names: Sequence[str] | None = None, *, due_only: bool = True,
              dry_run: bool = False) -> FollowReport:
        """Claim and check the followed pages that are due (all still followed, with
        due_only=False) of the named feeds (default: every configured feed)."""
        now = self.now()
        configured = {f.name for f in self.config.feeds}
        wanted = configured if names is None else configured & set(names)
        lease = max(f.timeout for f in self.config.feeds) * 2 + 60 if self.config.feeds else 60
        with self.db.write() as session:
            feeds = {f.id: f.name for f in session.scalars(select(Feed)) if f.name in wanted}
            rows = page_store.claim(session, list(feeds), now, self.owner, lease,
                                    due_only=due_only)
            claims = [self._claim(session, row, feeds, now) for row in rows]
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
        if url != row.url:  # the item's link changed: the old validators are the old page's
            row.url, row.etag, row.last_modified, row.body_hash = url, None, None, None
        unconditional = schedule.wants_unconditional(row.last_unconditional_at, now)
        request = FetchRequest(
            feed_name=cfg.name, url=url, headers=_headers(cfg, url),
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
                               per_host=1, allow_private=settings.allow_private) as fetcher:

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
        cfg = self.config.feed(claim.feed)
        snapshot, error = None, result.error if result.status == "error" else None
        if result.status == "ok" and result.body is not None:
            snapshot, error = _extract(result, cfg)
        now = self.now()
        try:
            with self.db.write() as session:
                outcome = self._record(session, claim, result, snapshot, error, now)
                if dry_run:
                    raise _DryRun(outcome)
        except _DryRun as rolled_back:
            outcome = rolled_back.outcome
            self._abandon([claim.page_id])
        if outcome.status in ("failed", "stopped"):
            log.warning("feed %s: page of %s: %s", claim.feed, claim.key,
                        self.config.redact(outcome.error or ""))
        return outcome

    def _record(self, session: Session, claim: _Claim, result: FetchResult,
                snapshot: PageSnapshot | None, error: str | None, now: datetime) -> PageOutcome:
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
        if plan is None or error is not None:
            outcome.error = error or "follow is no longer set for this item in config.toml"
            self.recorder.failure(session, page, item, plan, outcome, result, now,
                                  stop=plan is None)
        else:
            outcome.status = result.status
            self.recorder.success(session, page, item, cfg, plan, result, snapshot, outcome,
                                  now)
        return outcome


def pages_note(pages: page_store.FeedPages) -> str:
    """What `veille feeds` says of a feed's followed pages."""
    note = f"pages: {pages.following} followed"
    if pages.failing:
        note += f", {pages.failing} failing ({pages.last_error})"
    return note


def _headers(cfg: FeedConfig, url: str) -> dict[str, str]:
    """The feed's extra headers (Accept-Language…), less credentials for another origin."""
    same = _origin(url) == _origin(cfg.url)
    headers = {k: v for k, v in cfg.headers.items() if same or k.lower() not in _CREDENTIALS}
    headers.setdefault("Accept", ACCEPT_HTML)
    return headers


def _origin(url: str) -> str:
    return "/".join(url.split("/", 3)[:3]).lower()


def _extract(result: FetchResult, cfg: FeedConfig) -> tuple[PageSnapshot | None, str | None]:
    """The page's article, or why there is none; the HTTP charset wins over `<meta>`."""
    assert result.body is not None
    kind = result.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in _HTML_TYPES:
        return None, f"not an HTML page ({kind})"
    markup: bytes | str = result.body
    declared = _CHARSET.search(result.headers.get("content-type", ""))
    if declared and not result.body.startswith(_BOMS):
        try:
            markup = result.body.decode(declared.group(1), errors="replace")
        except LookupError:
            pass
    try:
        snapshot = extract_page(markup, url=result.url, timezone=cfg.timezone)
    except Exception as exc:  # an extraction bug must not stop the other pages
        log.exception("feed %s: page %s could not be read", cfg.name, result.url)
        return None, f"could not read the page: {exc}"
    if not snapshot.paragraphs:
        return None, "no article text found on the page"
    return snapshot, None
