"""The record step of a page check: ONE transaction per page.

A load whose article differs from the item's last page fields becomes a new item version that
copies the current feed fields and carries the new page fields: silent "page-baseline" on the
first load, "page-rules" after a change of extraction rules, "page-volatile" when only dates or
invisible differences moved. A text revision is an `item.changed` event with `page_modified`
and `page_text` changes, routed like any revision. When the item's latest event has not been
sent yet (a feed-side revision held for this check, an `item.new` not yet dispatched) the page
version joins it instead: one event, one alert per notifier (see `_join`).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor import follow_plan, schedule
from monitor.config import Config, FeedConfig
from monitor.page import PAGE_RULES_VERSION, PageSnapshot, diff_pages, page_fingerprint
from monitor.page_version import WatchedText, stored_change, stored_snapshot, stored_snapshot_of
from monitor.record import DueAt, PlannedAlert, write_outbox
from monitor.records import Change, FetchResult
from monitor.route import Route, Router, Verdict
from storage import items as item_store
from storage import pages as page_store
from storage.models import Delivery, Event, Item, ItemVersion, Page

JOIN_WINDOW = timedelta(minutes=10)  # an unsent event older than this gets a sibling instead
_STATUS = {"page-baseline": "baseline", "page-rules": "baseline", "page-volatile": "volatile",
           None: "changed"}


@dataclass
class PageOutcome:
    """How one page check went."""

    feed: str
    key: str
    title: str
    url: str
    status: str  # baseline|changed|volatile|unchanged|not_modified|same_body|failed|stopped|skipped
    error: str | None = None
    joined: str | None = None  # the type of the unsent event the new page version joined
    alerts: list[PlannedAlert] = field(default_factory=list)


@dataclass
class PageRecorder:
    """Writes page checks; `due_at(notifier, now)` says when a new alert is first due."""

    config: Config
    router: Router
    rng: random.Random
    due_at: DueAt

    def stop(self, session: Session, page: Page, item: Item, outcome: PageOutcome,
             now: datetime, why: str) -> None:
        """Following ends without a failure (no rule covers the item any more)."""
        self._release(session, item, now)
        page.next_check_at, page.last_error, page.last_checked_at = None, f"stopped: {why}", now
        outcome.status, outcome.error = "stopped", why

    def failure(self, session: Session, page: Page, item: Item, plan: follow_plan.FollowPlan,
                outcome: PageOutcome, result: FetchResult, now: datetime, *,
                stop: bool = False) -> None:
        """A failed check: count it and back off; 404, 410 and `stop` end the following. A page
        failure is the page's alone: the feed and its alerts go on."""
        self._release(session, item, now)
        page.consecutive_failures += 1
        page.last_checked_at = now
        stop = stop or result.gone or result.http_status == 404
        outcome.status = "stopped" if stop else "failed"
        page.last_error = f"{outcome.error}; stopped following" if stop else outcome.error
        if stop:
            page.next_check_at = None
        else:
            self._schedule(page, plan, now, schedule.after_failure(
                now, plan.interval, 0.0, page.consecutive_failures, self.rng,
                result.retry_after))

    def success(self, session: Session, page: Page, item: Item, cfg: FeedConfig,
                plan: follow_plan.FollowPlan, result: FetchResult, snapshot: PageSnapshot | None,
                outcome: PageOutcome, now: datetime) -> None:
        """A fetched page, or a 304 / an identical body (`snapshot` None)."""
        self._release(session, item, now)  # a page version that joins them keeps them due
        page.consecutive_failures, page.last_error, page.last_checked_at = 0, None, now
        if result.status == "ok":
            page.body_hash = result.body_hash
        if result.etag is not None or result.status == "ok":
            page.etag = result.etag
        if result.last_modified is not None or result.status == "ok":
            page.last_modified = result.last_modified
        if snapshot is not None:
            self._compare(session, item, cfg, plan, snapshot, outcome, now)
        self._schedule(page, plan, now, now + timedelta(seconds=plan.interval))

    def _schedule(self, page: Page, plan: follow_plan.FollowPlan, now: datetime,
                  wanted: datetime) -> None:
        page.follow_until = plan.until
        page.next_check_at = None if now >= plan.until else min(wanted, plan.until)

    def _compare(self, session: Session, item: Item, cfg: FeedConfig,
                 plan: follow_plan.FollowPlan, snapshot: PageSnapshot, outcome: PageOutcome,
                 now: datetime) -> None:
        current = item_store.version(session, item.id, item.current_version)
        known = page_store.last_with_page(session, item.id, item.current_version)
        assert current is not None
        changes: tuple[Change, ...] = ()
        if known is None:
            silent: str | None = "page-baseline"
        elif not (known.page_fingerprint or "").startswith(f"p{PAGE_RULES_VERSION}:"):
            silent = "page-rules"  # extraction rules changed: re-baselined, never alerted
        elif stored_snapshot(known) == stored_snapshot_of(snapshot):
            outcome.status = "unchanged"
            return
        else:
            found = diff_pages(stored_snapshot(known), snapshot, ignore=cfg.ignore_text)
            changes = found.changes
            silent = None if found.text_changed else "page-volatile"
        outcome.status = _STATUS[silent]
        pending = page_store.pending_event(session, item, current.number, now - JOIN_WINDOW,
                                           now)
        version = ItemVersion(
            recorded_at=now, title=current.title, link=current.link,
            display_link=current.display_link, summary=current.summary,
            content=current.content, published=current.published, updated=current.updated,
            content_hash=current.content_hash, fingerprint=current.fingerprint,
            rules_version=current.rules_version, silent_reason=silent,
            page_title=snapshot.title, page_text=snapshot.text,
            page_published=snapshot.published, page_modified=snapshot.modified,
            page_fingerprint=page_fingerprint(snapshot, ignore=cfg.ignore_text))
        item_store.add_version(session, item, version)
        stored = [stored_change(c, known, snapshot, cfg) for c in changes]
        if pending is not None and _joinable(pending, plan):
            self._join(session, item, cfg, plan, pending, version, snapshot, stored, outcome,
                       now)
        elif silent is None:
            assert known is not None
            plain = WatchedText.of(current, None)
            verdict = self.router.page_changed(
                cfg.name, (plain, WatchedText.of(current, known)),
                (plain, WatchedText.of(current, snapshot)), plan.page_watches)
            event = Event(type="item.changed", feed_id=item.feed_id, item_id=item.id,
                          version=version.number, occurred_at=now, changes=stored,
                          watches=_watches(verdict))
            session.add(event)
            session.flush()
            self._outbox(session, event, verdict.routes, now)
            self._plan(outcome, cfg, event, version, verdict.routes)

    def _join(self, session: Session, item: Item, cfg: FeedConfig,
              plan: follow_plan.FollowPlan, pending: page_store.Pending, version: ItemVersion,
              snapshot: PageSnapshot, stored: list[dict[str, object]], outcome: PageOutcome,
              now: datetime) -> None:
        """The page version joins the unsent event: an `item.new` then shows the page as it is
        now; an `item.changed` gains the page's changes. Where watches read the page, routes
        are computed again, over the versions before and after the whole event."""
        event = pending.event
        event.version = version.number
        outcome.joined = event.type
        verdict: Verdict | None = None
        if event.type == "item.changed":
            event.changes = [*event.changes, *stored]
        if plan.page_watches and event.type == "item.new":
            verdict = self.router.page_new(cfg.name, WatchedText.of(version, None),
                                           WatchedText.of(version, snapshot), plan.page_watches)
        elif plan.page_watches:
            # the feed-side version was recorded when the event occurred: the one before it
            prior = session.scalars(select(ItemVersion).where(
                ItemVersion.item_id == item.id, ItemVersion.recorded_at < event.occurred_at)
                .order_by(ItemVersion.number.desc()).limit(1)).first() or version
            prior_page = page_store.last_with_page(session, item.id, prior.number)
            verdict = self.router.page_changed(
                cfg.name, (WatchedText.of(prior, None), WatchedText.of(prior, prior_page)),
                (WatchedText.of(version, None), WatchedText.of(version, snapshot)),
                plan.page_watches)
        had = {d.notifier for d in pending.deliveries}
        routes = _reroute(session, event, pending.deliveries, verdict)
        for delivery in pending.deliveries:  # out of the hold, if any
            delivery.next_attempt_at = self.due_at(delivery.notifier, now)
        self._outbox(session, event, [r for r in routes if r.notifier not in had], now)
        self._plan(outcome, cfg, event, version, routes)

    def _plan(self, outcome: PageOutcome, cfg: FeedConfig, event: Event, version: ItemVersion,
              routes: Sequence[Route]) -> None:
        if routes:
            outcome.alerts.append(PlannedAlert(event.type, cfg.name, version.title,
                                               version.display_link or version.link,
                                               tuple(routes), tuple(event.changes)))

    def _outbox(self, session: Session, event: Event, routes: Sequence[Route],
                now: datetime) -> None:
        write_outbox(session, event, routes, self.due_at, now)

    def _release(self, session: Session, item: Item, now: datetime) -> None:
        """No page version joins the held feed-side alerts: they are due now."""
        pending = page_store.pending_event(session, item, item.current_version,
                                           now - JOIN_WINDOW, now)
        for delivery in pending.deliveries if pending is not None else []:
            delivery.next_attempt_at = min(delivery.next_attempt_at,
                                           self.due_at(delivery.notifier, now))


def _joinable(pending: page_store.Pending, plan: follow_plan.FollowPlan) -> bool:
    """An event is joined when someone hears of it (or may, through the page's text), and
    at most once with page changes: a second page revision is an event of its own."""
    if not pending.deliveries and not plan.page_watches:
        return False
    return not any(str(c.get("field", "")).startswith("page_") for c in pending.event.changes)


def _watches(verdict: Verdict) -> dict[str, object]:
    return verdict.stored()


def _reroute(session: Session, event: Event, deliveries: list[Delivery],
             verdict: Verdict | None) -> list[Route]:
    """Apply a new verdict to a joined event's unsent rows; the routes now planned."""
    if verdict is None:
        return [Route(d.notifier, tuple(d.watches), tuple(d.matched), d.match)
                for d in deliveries]
    event.watches = _watches(verdict)
    routed = {r.notifier: r for r in verdict.routes}
    for delivery in list(deliveries):
        route = routed.get(delivery.notifier)
        if route is None:  # never tried: the joined revision no longer concerns this notifier
            session.delete(delivery)
            deliveries.remove(delivery)
        else:
            delivery.watches, delivery.matched = list(route.watches), list(route.matched)
            delivery.match = route.match
    return list(verdict.routes)
