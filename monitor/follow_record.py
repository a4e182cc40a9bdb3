"""The record step of a page check: ONE transaction per page.

A page load that differs from the item's last page fields becomes a new item version that copies
the current feed fields and carries the new page fields: silent "page-baseline" on the first
load, "page-rules" after a change of extraction rules, "page-volatile" when only dates or
invisible differences moved; a text revision is an `item.changed` event with `page_modified` and
`page_text` changes, routed like any revision, with outbox rows. When the item's latest event is
still unsent (a feed-side revision held for this check, or an `item.new` not yet dispatched),
the page version is folded into it instead: one event, one alert per notifier.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from monitor import follow_plan, schedule
from monitor.config import Config, FeedConfig
from monitor.excerpt import changed_paragraphs
from monitor.page import (
    PAGE_RULES_VERSION,
    TEXT_LIMIT,
    PageSnapshot,
    diff_pages,
    page_fingerprint,
)
from monitor.record import DueAt, PlannedAlert
from monitor.records import Change, FetchResult
from monitor.route import Route, Router, Verdict
from storage import items as item_store
from storage import pages as page_store
from storage.models import Delivery, Event, Item, ItemVersion, Page

FOLD_WINDOW = timedelta(minutes=10)  # an unsent event older than this gets its own sibling


@dataclass
class PageOutcome:
    """How one page check went."""

    feed: str
    key: str
    title: str
    url: str
    status: str  # baseline|changed|volatile|unchanged|not_modified|same_body|failed|stopped|skipped
    error: str | None = None
    folded: str | None = None  # the event type a new page version joined
    alerts: list[PlannedAlert] = field(default_factory=list)


@dataclass(frozen=True)
class _Text:
    """Feed text, with the page's title and text where a watch reads them (match_page)."""

    title: str
    summary: str
    content: str

    @classmethod
    def of(cls, version: ItemVersion, page: ItemVersion | PageSnapshot | None) -> _Text:
        if page is None:
            return cls(version.title, version.summary, version.content)
        title, text = (page.title, page.text) if isinstance(page, PageSnapshot) else (
            page.page_title or "", page.page_text or "")
        return cls(f"{version.title}\n{title}", version.summary, f"{version.content}\n\n{text}")


def stored_snapshot(version: ItemVersion) -> PageSnapshot:
    """The page fields of a stored version as a snapshot (paragraphs split back)."""
    text = version.page_text or ""
    return PageSnapshot(title=version.page_title or "",
                        paragraphs=tuple(p for p in text.split("\n\n") if p),
                        published=version.page_published, modified=version.page_modified,
                        modified_source=None)


@dataclass
class PageRecorder:
    """Writes page checks; `due_at(notifier, now)` says when a new alert is first due."""

    config: Config
    router: Router
    rng: random.Random
    due_at: DueAt

    def failure(self, session: Session, page: Page, item: Item,
                plan: follow_plan.FollowPlan | None, outcome: PageOutcome,
                result: FetchResult | None, now: datetime, *, stop: bool = False) -> None:
        """A failed check: count it and back off; 404, 410 and `stop` end the following.
        A page failure is the page's alone: the feed and its alerts go on."""
        self._release_hold(session, item, now)
        page.consecutive_failures += 1
        page.last_checked_at = now
        stop = stop or plan is None or (result is not None and (
            result.gone or result.http_status == 404))
        page.last_error = outcome.error if not stop else f"{outcome.error}; stopped following"
        outcome.status = "stopped" if stop else "failed"
        if stop or plan is None:
            page.next_check_at = None
        else:
            retry = result.retry_after if result is not None else None
            self._schedule(page, plan, now, schedule.after_failure(
                now, plan.interval, 0.0, page.consecutive_failures, self.rng, retry))

    def success(self, session: Session, page: Page, item: Item, cfg: FeedConfig,
                plan: follow_plan.FollowPlan, result: FetchResult, snapshot: PageSnapshot | None,
                outcome: PageOutcome, now: datetime) -> None:
        """A fetched page (or a 304 / an identical body when `snapshot` is None)."""
        page.consecutive_failures = 0
        page.last_error = None
        page.last_checked_at = now
        if result.status == "ok":
            page.body_hash = result.body_hash
        if result.etag is not None or result.status == "ok":
            page.etag = result.etag
        if result.last_modified is not None or result.status == "ok":
            page.last_modified = result.last_modified
        if snapshot is not None:
            self._compare(session, item, cfg, plan, snapshot, outcome, now)
        self._schedule(page, plan, now, now + timedelta(seconds=plan.interval))
        if outcome.status not in ("baseline", "changed", "volatile"):
            self._release_hold(session, item, now)

    def _schedule(self, page: Page, plan: follow_plan.FollowPlan, now: datetime,
                  wanted: datetime) -> None:
        page.follow_until = plan.until
        page.next_check_at = None if now >= plan.until else min(wanted, plan.until)

    # -- comparing ------------------------------------------------------------------------
    def _compare(self, session: Session, item: Item, cfg: FeedConfig,
                 plan: follow_plan.FollowPlan, snapshot: PageSnapshot, outcome: PageOutcome,
                 now: datetime) -> None:
        current = item_store.version(session, item.id, item.current_version)
        assert current is not None
        known = page_store.last_with_page(session, item.id, item.current_version)
        fingerprint = page_fingerprint(snapshot, ignore=cfg.ignore_text)
        changes: Sequence[Change] = ()
        if known is None:
            silent: str | None = "page-baseline"
        elif not (known.page_fingerprint or "").startswith(f"p{PAGE_RULES_VERSION}:"):
            silent = "page-rules"  # extraction rules changed: re-baselined, never alerted
        else:
            before = stored_snapshot(known)
            if before == _stored_form(snapshot):
                outcome.status = "unchanged"
                return
            found = diff_pages(before, snapshot, ignore=cfg.ignore_text)
            changes = found.changes
            silent = None if found.text_changed else "page-volatile"
        outcome.status = {"page-baseline": "baseline", "page-rules": "baseline",
                          "page-volatile": "volatile", None: "changed"}[silent]
        pending = page_store.pending_event(session, item, current.number, now - FOLD_WINDOW,
                                           now)
        version = _page_version(current, snapshot, fingerprint, silent, now)
        item_store.add_version(session, item, version)
        stored = [_stored(c, known, snapshot, cfg) for c in changes]
        if pending is not None and (pending.deliveries or plan.page_watches):
            self._fold(session, item, cfg, plan, pending, current, version, snapshot, known,
                       stored, outcome, now)
        elif silent is None:
            assert known is not None
            verdict = self.router.page_changed(
                cfg.name, (_Text.of(current, None), _Text.of(current, known)),
                (_Text.of(current, None), _Text.of(current, snapshot)), plan.page_watches)
            self._event(session, item, cfg, version, verdict, stored, outcome, now)

    def _fold(self, session: Session, item: Item, cfg: FeedConfig,
              plan: follow_plan.FollowPlan, pending: page_store.Pending, current: ItemVersion,
              version: ItemVersion, snapshot: PageSnapshot, known: ItemVersion | None,
              stored: list[dict[str, object]], outcome: PageOutcome, now: datetime) -> None:
        event = pending.event
        event.version = version.number
        outcome.folded = event.type
        if event.type == "item.changed":
            event.changes = [*event.changes, *stored]
        verdict: Verdict | None = None
        if plan.page_watches and event.type == "item.new":
            verdict = self.router.page_new(cfg.name, _Text.of(current, None),
                                           _Text.of(current, snapshot), plan.page_watches)
        elif plan.page_watches:
            prior = item_store.version(session, item.id, current.number - 1) or current
            prior_page = page_store.last_with_page(session, item.id, prior.number)
            verdict = self.router.page_changed(
                cfg.name, (_Text.of(prior, None), _Text.of(prior, prior_page)),
                (_Text.of(current, None), _Text.of(current, snapshot)), plan.page_watches)
        routes = _reroute(session, event, pending.deliveries, verdict)
        had = {d.notifier for d in pending.deliveries}
        for delivery in pending.deliveries:  # released from the hold, if any
            delivery.next_attempt_at = self.due_at(delivery.notifier, now)
        self._outbox(session, event, [r for r in routes if r.notifier not in had], now)
        if routes:
            outcome.alerts.append(PlannedAlert(event.type, cfg.name, current.title,
                                               current.display_link or current.link,
                                               tuple(routes), tuple(event.changes)))

    def _event(self, session: Session, item: Item, cfg: FeedConfig, version: ItemVersion,
               verdict: Verdict, stored: list[dict[str, object]], outcome: PageOutcome,
               now: datetime) -> None:
        event = Event(type="item.changed", feed_id=item.feed_id, item_id=item.id,
                      version=version.number, occurred_at=now, changes=stored,
                      watches=_watches(verdict))
        session.add(event)
        session.flush()
        self._outbox(session, event, verdict.routes, now)
        if verdict.routes:
            outcome.alerts.append(PlannedAlert("item.changed", cfg.name, version.title,
                                               version.display_link or version.link,
                                               verdict.routes, tuple(stored)))

    def _outbox(self, session: Session, event: Event, routes: Sequence[Route],
                now: datetime) -> None:
        for route in routes:
            session.add(Delivery(
                event_id=event.id, notifier=route.notifier, alert_id=uuid.uuid4().hex,
                status="pending", watches=list(route.watches), matched=list(route.matched),
                match=route.match, attempts=0, next_attempt_at=self.due_at(route.notifier, now),
                created_at=now))

    def _release_hold(self, session: Session, item: Item, now: datetime) -> None:
        """No page version to join: the held feed-side alerts go out now."""
        pending = page_store.pending_event(session, item, item.current_version,
                                           now - FOLD_WINDOW, now)
        for delivery in pending.deliveries if pending is not None else []:
            due = self.due_at(delivery.notifier, now)
            if delivery.next_attempt_at > due:
                delivery.next_attempt_at = due


def _stored_form(snapshot: PageSnapshot) -> PageSnapshot:
    """The snapshot as a stored version gives it back (no date source)."""
    return PageSnapshot(snapshot.title, snapshot.paragraphs, snapshot.published,
                        snapshot.modified, None)


def _page_version(current: ItemVersion, snapshot: PageSnapshot, fingerprint: str,
                  silent: str | None, now: datetime) -> ItemVersion:
    return ItemVersion(
        recorded_at=now, title=current.title, link=current.link,
        display_link=current.display_link, summary=current.summary, content=current.content,
        published=current.published, updated=current.updated,
        content_hash=current.content_hash, fingerprint=current.fingerprint,
        rules_version=current.rules_version, silent_reason=silent,
        page_title=snapshot.title, page_text=snapshot.text, page_published=snapshot.published,
        page_modified=snapshot.modified, page_fingerprint=fingerprint)


def _stored(change: Change, known: ItemVersion | None, snapshot: PageSnapshot,
            cfg: FeedConfig) -> dict[str, object]:
    """A change as the event stores it; `page_text` says when its excerpt was cut."""
    stored: dict[str, object] = {"field": change.field, "before": change.before,
                                 "after": change.after}
    if change.field == "page_text" and known is not None:
        _, _, truncated = changed_paragraphs(
            _titled(stored_snapshot(known)), _titled(snapshot), TEXT_LIMIT,
            ignore=cfg.ignore_text)
        if truncated:
            stored["truncated"] = True
    return stored


def _titled(page: PageSnapshot) -> str:
    return "\n\n".join(p for p in (page.title, *page.paragraphs) if p)


def _watches(verdict: Verdict) -> dict[str, object]:
    return {"status": verdict.status, "hits": {w: list(t) for w, t in verdict.hits.items()}}


def _reroute(session: Session, event: Event, deliveries: list[Delivery],
             verdict: Verdict | None) -> list[Route]:
    """Apply a new verdict to a folded event's unsent rows; the routes now planned."""
    if verdict is None:
        return [Route(d.notifier, tuple(d.watches), tuple(d.matched), d.match)
                for d in deliveries]
    event.watches = _watches(verdict)
    routed = {r.notifier: r for r in verdict.routes}
    for delivery in list(deliveries):
        route = routed.get(delivery.notifier)
        if route is None:  # never tried: the revision no longer concerns this notifier
            session.delete(delivery)
            deliveries.remove(delivery)
        else:
            delivery.watches, delivery.matched = list(route.watches), list(route.matched)
            delivery.match = route.match
    return list(verdict.routes)

