"""One poll cycle: claim → fetch → parse → diff → match → record. Read this first.

Feeds are claimed with a lease (so several veille processes never poll one feed at once),
fetched concurrently, and each result is parsed and recorded on one worker thread while the
other fetches go on. Nothing is sent here: alerts become outbox rows (see dispatch.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import threading
import time
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor import schedule
from monitor.config import Config
from monitor.console import metrics
from monitor.digest import due_at_for
from monitor.errors import NotAFeedError
from monitor.fetch import Fetcher
from monitor.fetch_policy import FetchPolicy
from monitor.heartbeat import Heartbeat
from monitor.identity import Stored, stored_identity
from monitor.normalize import drop_controls
from monitor.parse import parse_feed
from monitor.record import DueAt, FeedOutcome, Recorder
from monitor.records import FetchRequest, FetchResult, ParsedFeed
from monitor.route import Router
from storage import feeds as feed_store
from storage import items as item_store
from storage import leases
from storage.database import Database, StorageFaultError
from storage.feeds import FeedSpec
from storage.models import Feed

log = logging.getLogger(__name__)
UNCHANGED_BATCH = 64  # 304s and identical bodies recorded together, one transaction per batch


def stored_url(config: Config, url: str) -> str:
    """The feed URL as the database keeps it: a URL carrying a secret (`${…}`, a token in
    its query) is kept as a digest, which is enough to notice that it was edited."""
    if config.redact(url) == url:
        return url
    return "secret:" + hashlib.sha256(url.encode()).hexdigest()[:32]


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


def cycle_line(report: PollReport, seconds: float) -> str:
    """The one line an operator reads per poll cycle (the journal answers "what did veille
    do this hour")."""
    outcomes = report.outcomes
    unchanged = sum(o.status in ("not_modified", "same_body") for o in outcomes)
    return (f"poll cycle: {len(outcomes)} feed{'s' if len(outcomes) != 1 else ''} polled "
            f"({unchanged} unchanged), {sum(o.new for o in outcomes)} new, "
            f"{sum(o.changed for o in outcomes)} changed, {sum(o.silent for o in outcomes)} "
            f"silent, {len(report.failed)} failed, "
            f"{sum(len(o.alerts) for o in outcomes)} alert(s) queued, in {seconds:.1f} s")


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
                 due_at: DueAt | None = None, heartbeat: Heartbeat | None = None,
                 progress: Callable[[FeedOutcome], None] | None = None) -> None:
        self.config = config
        self.progress = progress  # told of each feed's outcome once recorded (check's display)
        self.db = db
        self.owner = owner
        self.now = now
        self.heartbeat = heartbeat or Heartbeat(db, owner, config.veille.lease, now)
        self.rng = rng or random.Random()
        self.router = Router(config)
        # digest: a digest notifier's new rows wait for the end of its period (digest.py)
        self.recorder = Recorder(config.veille, self.router, self.rng,
                                 due_at or due_at_for(config))
        self.stopping = threading.Event()

    def sync_feeds(self) -> None:
        """Bring the feed table in step with the config (new feeds, edited URLs)."""
        specs = [FeedSpec(f.name, stored_url(self.config, f.url), f.interval,
                          self.config.veille.jitter) for f in self.config.feeds]
        with self.db.write() as session:
            report = feed_store.sync(session, specs, self.now())
        for name in report.url_changed:
            log.warning("feed %s: URL changed in config.toml; re-baselining silently", name)

    def poll(self, names: Sequence[str] | None = None, *, due_only: bool = True,
             dry_run: bool = False) -> PollReport:
        """Claim and poll the named feeds (default: every configured feed) that are due.

        Feeds are claimed in slices of `concurrency` while the previous slice is still being
        fetched: several daemons sharing one database split the due feeds between them, and
        one that dies holds at most two slices, for one lease. The heartbeat renews the lease
        of every feed claimed and not yet recorded; memory stays bounded by the slices.
        """
        wanted = list(names) if names is not None else [f.name for f in self.config.feeds]
        report = PollReport()
        if due_only and wanted and not self._anything_due():
            return report
        if wanted and not self.stopping.is_set():
            started = time.monotonic()
            asyncio.run(self._cycle(wanted, due_only, dry_run, report))
            if report.outcomes and not dry_run:
                log.info("%s", cycle_line(report, time.monotonic() - started))
        return report

    def _claim_slice(self, wanted: list[str], handled: Collection[str], due_only: bool,
                     size: int, report: PollReport | None) -> list[_Claim]:
        """Lease the next slice of due feeds; with `report`, also note the feeds that
        another process holds right now (`veille check` says it skipped them)."""
        now = self.now()
        with self.db.write() as session:
            rows = feed_store.claim(session, wanted, now, self.owner, self.config.veille.lease,
                                    due_only=due_only, limit=size, exclude=handled)
            claims = [self._claim(row, now) for row in rows]
            if report is not None:
                claimed = {c.name for c in claims}
                report.skipped = [n for n in feed_store.held_by_other(
                    session, wanted, now, self.owner) if n not in claimed]
        self.heartbeat.hold(leases.FEEDS, [c.id for c in claims])
        return claims

    def _claim(self, row: Feed, now: datetime) -> _Claim:
        cfg = self.config.feed(row.name)
        unconditional = schedule.wants_unconditional(row.last_unconditional_at, now)
        request = FetchRequest(
            feed_name=row.name, url=row.moved_to or cfg.url, headers=dict(cfg.headers),
            etag=None if unconditional else row.etag,
            last_modified=None if unconditional else row.last_modified,
            previous_body_hash=None if unconditional else row.body_hash,
            timeout=cfg.timeout, max_size=self.config.veille.max_size)
        return _Claim(row.id, row.name, request, unconditional, row.parse_cache)

    async def _cycle(self, wanted: list[str], due_only: bool, dry_run: bool,
                     report: PollReport) -> None:
        settings = self.config.veille
        size = settings.concurrency
        loop = asyncio.get_running_loop()
        handled: set[str] = set()
        pending: dict[int, _Claim] = {}  # claimed and not yet recorded

        def recorded(outcomes: list[FeedOutcome], claims: list[_Claim]) -> None:
            report.outcomes.extend(outcomes)
            metrics.polled(outcomes)
            if self.progress is not None:
                for outcome in outcomes:
                    self.progress(outcome)
            for claim in claims:
                pending.pop(claim.id, None)
            self.heartbeat.drop(leases.FEEDS, [c.id for c in claims])

        with ThreadPoolExecutor(1, thread_name_prefix="veille-record") as worker:
            async with Fetcher(user_agent=settings.user_agent,
                               concurrency=settings.concurrency,
                               per_host=settings.per_host,
                               policy=FetchPolicy.for_feeds(self.config)) as fetcher:

                # A fetched body lives until it is recorded, and fetching runs far ahead of the
                # one record worker: at most `window` bodies wait (a 304 or an identical body
                # holds none and gives its place back at once). Results go through a queue so
                # that no finished task keeps its body alive until the cycle ends. A feed's
                # timeout starts inside fetcher.fetch, not while waiting here.
                window = asyncio.Semaphore(2 * settings.concurrency)
                fetched: asyncio.Queue[tuple[_Claim, FetchResult | BaseException]] = \
                    asyncio.Queue()

                async def fetch(claim: _Claim) -> None:
                    await window.acquire()
                    try:
                        result = await fetcher.fetch(claim.request)
                    except BaseException as exc:  # surfaced below, as as_completed would
                        window.release()
                        fetched.put_nowait((claim, exc))
                        raise
                    if result.body is None:
                        window.release()
                    fetched.put_nowait((claim, result))

                tasks: set[asyncio.Task[None]] = set()
                fetching = 0  # claimed feeds whose fetch has not returned yet
                exhausted = False
                owed = 0  # places given back in groups, so fetches run in bursts
                unchanged: list[tuple[_Claim, FetchResult]] = []
                try:
                    while True:
                        if not exhausted and fetching <= size and not self.stopping.is_set():
                            claims = await loop.run_in_executor(
                                worker, self._claim_slice, wanted, handled, due_only, size,
                                report if not handled else None)
                            exhausted = len(claims) < size
                            for claim in claims:
                                pending[claim.id] = claim
                                handled.add(claim.name)
                                task = asyncio.create_task(fetch(claim))
                                tasks.add(task)
                                task.add_done_callback(tasks.discard)
                            fetching += len(claims)
                        if fetching == 0:
                            break
                        claim, result = await fetched.get()
                        fetching -= 1
                        if isinstance(result, BaseException):
                            raise result
                        if self.stopping.is_set():
                            break
                        if result.status in ("not_modified", "same_body") and not dry_run:
                            # Nothing to parse: recorded by batches, not one transaction each.
                            unchanged.append((claim, result))
                            if len(unchanged) >= UNCHANGED_BATCH or fetching == 0:
                                batch, unchanged = unchanged, []
                                recorded(await loop.run_in_executor(
                                    worker, self._process_unchanged, batch),
                                    [c for c, _ in batch])
                            continue
                        holds = result.body is not None
                        try:
                            recorded([await loop.run_in_executor(
                                worker, self._process, claim, result, dry_run)], [claim])
                        finally:
                            del result
                            owed += holds
                            if owed >= settings.concurrency or fetched.empty():
                                for _slot in range(owed):
                                    window.release()
                                owed = 0
                    if unchanged and not self.stopping.is_set():
                        recorded(await loop.run_in_executor(
                            worker, self._process_unchanged, unchanged),
                            [c for c, _ in unchanged])
                finally:
                    for task in list(tasks):
                        task.cancel()
                    await asyncio.gather(*tasks, return_exceptions=True)
                    if pending:  # shutdown or a failure: give the rest back at once
                        abandoned = list(pending)
                        try:
                            await loop.run_in_executor(worker, self._abandon, abandoned)
                        finally:
                            self.heartbeat.drop(leases.FEEDS, abandoned)
        done = {o.name for o in report.outcomes}
        report.skipped = [n for n in report.skipped if n not in done]

    def _abandon(self, feed_ids: list[int]) -> None:
        """Give back the leases of feeds claimed but not processed (shutdown, dry run)."""
        with self.db.write() as session:
            leases.release(session, leases.FEEDS, feed_ids, self.owner)

    def _anything_due(self) -> bool:
        """Whether some feed is due now: most ticks of an idle daemon stop here."""
        with self.db.read() as session:
            first = feed_store.earliest_due(session)
        return first is not None and first <= self.now()

    def _stored(self, feed_id: int, keys: Collection[str]) -> dict[str, Stored]:
        """The stored items of a feed among `keys`: identity keeps their keys."""
        with self.db.read() as session:
            if not item_store.has_items(session, feed_id):
                return {}
            found = item_store.identity_fields(session, feed_id, keys)
        return {key: stored_identity(title=title, published=published, summary=summary,
                                     content=content)
                for key, title, published, summary, content in found}

    def _process(self, claim: _Claim, result: FetchResult, dry_run: bool) -> FeedOutcome:
        """Parse (outside any transaction), then record in one transaction."""
        cfg = self.config.feed(claim.name)
        parsed: ParsedFeed | None = None
        error = result.error if result.status == "error" else None
        if result.status == "ok" and result.body is not None:
            try:
                parsed = parse_feed(result.body, url=result.url, headers=result.headers,
                                    timezone=cfg.timezone, previous_cache=claim.parse_cache,
                                    known=lambda keys: self._stored(claim.id, keys))
            except NotAFeedError as exc:  # may quote the body (an HTML page's title)
                error = drop_controls(str(exc), readable=True)
            except Exception as exc:  # a parser bug must not stop the other feeds
                log.exception("feed %s: parser failed", claim.name)
                error = drop_controls(f"could not parse the feed: {exc}", readable=True)
        now = self.now()
        try:
            with self.db.write() as session:
                outcome = self._record(session, claim, result, parsed, error, now)
                if dry_run:
                    raise _DryRun(outcome)
        except _DryRun as rolled_back:
            outcome = rolled_back.outcome
            self._abandon([claim.id])
        except StorageFaultError:
            raise  # nothing can be written now, this feed's failure neither: stop the cycle
        except Exception as exc:  # one feed's data must not stop the other feeds
            return self._record_failed(claim, result, exc, now, dry_run)
        if outcome.status in ("failed", "gone"):
            log.warning("feed %s: %s", claim.name, outcome.error)
        elif outcome.warning:
            log.warning("feed %s: %s", claim.name, outcome.warning)
        return outcome

    def _record_failed(self, claim: _Claim, result: FetchResult, exc: Exception,
                       now: datetime, dry_run: bool) -> FeedOutcome:
        """The record transaction failed (rolled back): report this feed as failing, in a
        transaction of its own, so that the cycle goes on with the other feeds."""
        cause = getattr(exc, "orig", None) or exc
        detail = (str(cause).strip().splitlines() or [type(cause).__name__])[0][:200]
        error = f"could not record this poll in the database ({type(cause).__name__}: {detail})"
        log.error("feed %s: %s", claim.name, error)
        log.debug("feed %s: the record transaction failed", claim.name, exc_info=True)
        if dry_run:
            self._abandon([claim.id])
            return FeedOutcome(claim.name, "failed", error=error)
        try:
            with self.db.write() as session:
                feed = session.get(Feed, claim.id, populate_existing=True)
                if feed is None or feed.lease_owner != self.owner:
                    return FeedOutcome(claim.name, "skipped", error="lease lost while polling")
                return self.recorder.failure(session, feed, self.config.feed(claim.name),
                                             error, now, result)
        except Exception:
            log.error("feed %s: recording the failure failed too", claim.name, exc_info=True)
            return FeedOutcome(claim.name, "failed", error=error)

    def _process_unchanged(self, batch: list[tuple[_Claim, FetchResult]]) -> list[FeedOutcome]:
        """Record feeds that had nothing to parse in one transaction (each feed's writes stay
        atomic); should it fail, they are recorded one by one."""
        now = self.now()
        try:
            with self.db.write() as session:
                rows = {row.id: row for row in session.scalars(
                    select(Feed).where(Feed.id.in_([c.id for c, _ in batch]))
                    .execution_options(populate_existing=True))}
                outcomes = [self._record(session, claim, result, None, None, now,
                                         feed=rows.get(claim.id), loaded=True)
                            for claim, result in batch]
        except StorageFaultError:
            raise  # one by one would fail the same way
        except Exception:
            log.exception("recording %d unchanged feeds together failed; one by one",
                          len(batch))
            return [self._process(claim, result, False) for claim, result in batch]
        for outcome in outcomes:
            if outcome.warning:
                log.warning("feed %s: %s", outcome.name, outcome.warning)
        return outcomes

    def _record(self, session: Session, claim: _Claim, result: FetchResult,
                parsed: ParsedFeed | None, error: str | None, now: datetime, *,
                feed: Feed | None = None, loaded: bool = False) -> FeedOutcome:
        cfg = self.config.feed(claim.name)
        if not loaded:
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
