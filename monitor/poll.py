"""One poll cycle: claim → fetch → parse → diff → match → record. Read this first.

Feeds are claimed with a lease (so several veille processes never poll one feed at once),
fetched concurrently, and each result is parsed and recorded on one worker thread while the
other fetches go on. Nothing is sent here: alerts become outbox rows (see dispatch.py).
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from monitor import schedule
from monitor.config import Config
from monitor.digest import due_at_for
from monitor.errors import NotAFeedError
from monitor.fetch import Fetcher
from monitor.parse import parse_feed
from monitor.record import DueAt, FeedOutcome, Recorder
from monitor.records import FetchRequest, FetchResult, ParsedFeed
from monitor.route import Router
from storage import feeds as feed_store
from storage.database import Database
from storage.feeds import FeedSpec
from storage.models import Feed

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class PollReport:
    """Outcomes of one cycle, one per feed attempted, plus feeds skipped."""

    outcomes: list[FeedOutcome] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # leased by another process

    @property
    def failed(self) -> list[FeedOutcome]:
        return [o for o in self.outcomes if o.status in ("failed", "gone")]


class _DryRun(Exception):
    """Raised inside a dry-run transaction to roll it back after computing the outcome."""

    def __init__(self, outcome: FeedOutcome) -> None:
        super().__init__(outcome.name)
        self.outcome = outcome


@dataclass(frozen=True)
class _Claim:
    id: int
    name: str
    request: FetchRequest
    unconditional: bool
    parse_cache: bytes | None


class Poller:
    """Polls the feeds of one config against one database."""

    def __init__(self, config: Config, db: Database, *, owner: str,
                 now: Callable[[], datetime] = utcnow, rng: random.Random | None = None,
                 due_at: DueAt | None = None) -> None:
        self.config = config
        self.db = db
        self.owner = owner
        self.now = now
        self.rng = rng or random.Random()
        self.router = Router(config)
        # digest: a digest notifier's new rows wait for the end of its period (digest.py)
        self.recorder = Recorder(config.veille, self.router, self.rng,
                                 due_at or due_at_for(config))
        self.stopping = threading.Event()

    def sync_feeds(self) -> None:
        """Bring the feed table in step with the config (new feeds, edited URLs)."""
        specs = [FeedSpec(f.name, f.url) for f in self.config.feeds]
        with self.db.write() as session:
            report = feed_store.sync(session, specs, self.now())
        for name in report.url_changed:
            log.warning("feed %s: URL changed in config.toml; re-baselining silently", name)

    def poll(self, names: Sequence[str] | None = None, *, due_only: bool = True,
             dry_run: bool = False) -> PollReport:
        """Claim and poll the named feeds (default: every configured feed) that are due."""
        wanted = list(names) if names is not None else [f.name for f in self.config.feeds]
        now = self.now()
        lease = max(f.timeout for f in self.config.feeds) * 2 + 60 if self.config.feeds else 60
        report = PollReport()
        with self.db.write() as session:
            rows = feed_store.claim(session, wanted, now, self.owner, lease, due_only=due_only)
            claims = [self._claim(row, now) for row in rows]
            claimed = {c.name for c in claims}
            report.skipped = [n for n in feed_store.held_by_other(session, wanted, now,
                                                                  self.owner)
                              if n not in claimed]
        if claims:
            report.outcomes = asyncio.run(self._run(claims, dry_run))
        return report

    def _claim(self, row: Feed, now: datetime) -> _Claim:
        cfg = self.config.feed(row.name)
        unconditional = schedule.wants_unconditional(row.last_unconditional_at, now)
        request = FetchRequest(
            feed_name=row.name, url=row.fetch_url, headers=dict(cfg.headers),
            etag=None if unconditional else row.etag,
            last_modified=None if unconditional else row.last_modified,
            previous_body_hash=None if unconditional else row.body_hash,
            timeout=cfg.timeout, max_size=self.config.veille.max_size)
        return _Claim(row.id, row.name, request, unconditional, row.parse_cache)

    async def _run(self, claims: list[_Claim], dry_run: bool) -> list[FeedOutcome]:
        settings = self.config.veille
        loop = asyncio.get_running_loop()
        outcomes: list[FeedOutcome] = []
        with ThreadPoolExecutor(1, thread_name_prefix="veille-record") as worker:
            async with Fetcher(user_agent=settings.user_agent,
                               concurrency=settings.concurrency,
                               per_host=settings.per_host) as fetcher:

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
                finally:
                    for task in tasks:
                        task.cancel()
                    await asyncio.gather(*tasks, return_exceptions=True)
        done = {o.name for o in outcomes}
        abandoned = [c.id for c in claims if c.name not in done]
        if abandoned:
            self._abandon(abandoned)
        return outcomes

    def _abandon(self, feed_ids: list[int]) -> None:
        """Give back the leases of feeds claimed but not processed (shutdown)."""
        with self.db.write() as session:
            for feed_id in feed_ids:
                row = session.get(Feed, feed_id)
                if row is not None and row.lease_owner == self.owner:
                    feed_store.release(row)

    def _process(self, claim: _Claim, result: FetchResult, dry_run: bool) -> FeedOutcome:
        """Parse (outside any transaction), then record in one transaction."""
        cfg = self.config.feed(claim.name)
        parsed: ParsedFeed | None = None
        error = result.error if result.status == "error" else None
        if result.status == "ok" and result.body is not None:
            try:
                parsed = parse_feed(result.body, url=result.url, headers=result.headers,
                                    timezone=cfg.timezone, previous_cache=claim.parse_cache)
            except NotAFeedError as exc:
                error = str(exc)
            except Exception as exc:  # a parser bug must not stop the other feeds
                log.exception("feed %s: parser failed", claim.name)
                error = f"could not parse the feed: {exc}"
        now = self.now()
        try:
            with self.db.write() as session:
                outcome = self._record(session, claim, result, parsed, error, now)
                if dry_run:
                    raise _DryRun(outcome)
        except _DryRun as rolled_back:
            outcome = rolled_back.outcome
            self._abandon([claim.id])
        if outcome.status in ("failed", "gone"):
            log.warning("feed %s: %s", claim.name, outcome.error)
        elif outcome.warning:
            log.warning("feed %s: %s", claim.name, outcome.warning)
        return outcome

    def _record(self, session: Session, claim: _Claim, result: FetchResult,
                parsed: ParsedFeed | None, error: str | None, now: datetime) -> FeedOutcome:
        cfg = self.config.feed(claim.name)
        feed = session.get(Feed, claim.id, populate_existing=True)
        if feed is None or feed.lease_owner != self.owner:
            return FeedOutcome(claim.name, "skipped", error="lease lost while polling")
        if claim.unconditional and result.status != "error":
            feed.last_unconditional_at = now
        if error is not None:
            return self.recorder.failure(session, feed, cfg, error, now, result)
        if parsed is None:
            return self.recorder.unchanged_body(session, feed, cfg, result, now)
        return self.recorder.parsed(session, feed, cfg, result, parsed, now)
