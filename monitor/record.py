"""The record step: one feed's poll written in ONE transaction.

Item versions, events, one outbox row per (event, notifier), the feed's validators, health and
next poll time are written together, so an alert exists before any attempt to send it and a
crash between poll and send can delay it but never lose it.
"""

from __future__ import annotations

import random
import re
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session

from monitor import follow_plan, schedule
from monitor.config import FeedConfig, Settings
from monitor.diff import changed_paragraphs, diff
from monitor.fingerprint import RULES_VERSION, as_utc, content_hash, fingerprint
from monitor.identity import same_article
from monitor.records import Change, DiffResult, Entry, FetchResult, ParsedFeed
from monitor.route import Route, Router, Verdict
from storage import items as item_store
from storage.feeds import release
from storage.models import Delivery, Event, Feed, Item, ItemVersion

CHANGE_TEXT_LIMIT = 4096
TEXT_FIELDS = ("title", "summary", "content")


@dataclass(frozen=True)
class PlannedAlert:
    """An event with its routes: what `check --dry-run` prints and the report counts."""

    type: str
    feed: str
    title: str
    link: str | None
    routes: tuple[Route, ...]
    changes: tuple[dict[str, object], ...] = ()
    error: str | None = None


@dataclass
class FeedOutcome:
    """How one feed's poll went."""

    name: str
    status: str  # ok | not_modified | same_body | failed | gone | skipped
    error: str | None = None
    warning: str | None = None
    new: int = 0
    changed: int = 0
    silent: int = 0
    alerts: list[PlannedAlert] = field(default_factory=list)


DueAt = Callable[[str, datetime], datetime]


@dataclass
class Recorder:
    """Writes poll outcomes; `due_at(notifier, now)` says when a new alert is first due."""

    settings: Settings
    router: Router
    rng: random.Random
    due_at: DueAt

    # -- failures -------------------------------------------------------------------------
    def failure(self, session: Session, feed: Feed, cfg: FeedConfig, error: str, now: datetime,
                result: FetchResult | None = None) -> FeedOutcome:
        """A failed poll: count it, back off, and raise feed.failing once per episode."""
        gone = result is not None and result.gone
        feed.consecutive_failures += 1
        feed.last_poll_at = now
        feed.last_error = error
        feed.status = "gone" if gone else "failing"
        retry_after = result.retry_after if result is not None else None
        feed.next_poll_at = (now + timedelta(days=3650) if gone else schedule.after_failure(
            now, cfg.interval, self.settings.jitter, feed.consecutive_failures, self.rng,
            retry_after))
        outcome = FeedOutcome(cfg.name, "gone" if gone else "failed", error=error)
        if not feed.failing_notified and (
                gone or feed.consecutive_failures >= self.settings.failing_after):
            feed.failing_notified = True
            self._health(session, feed, cfg, "feed.failing", error, now, outcome)
        release(feed)
        return outcome

    def _health(self, session: Session, feed: Feed, cfg: FeedConfig, kind: str, error: str,
                now: datetime, outcome: FeedOutcome) -> None:
        notifiers = self.router.health_notifiers(cfg.name)
        event = Event(type=kind, feed_id=feed.id, occurred_at=now, changes=[], watches={},
                      error=error)
        session.add(event)
        session.flush()
        routes = tuple(Route(n, (), (), "") for n in notifiers)
        self._outbox(session, event, routes, now)
        outcome.alerts.append(PlannedAlert(kind, cfg.name, feed.title or cfg.name, cfg.url,
                                           routes, error=error))

    # -- successes ------------------------------------------------------------------------
    def unchanged_body(self, session: Session, feed: Feed, cfg: FeedConfig,
                       result: FetchResult, now: datetime) -> FeedOutcome:
        """304 or a byte-identical body: nothing to parse."""
        outcome = FeedOutcome(cfg.name, result.status)
        self._succeeded(session, feed, cfg, result, now, outcome, ttl=None)
        return outcome

    def parsed(self, session: Session, feed: Feed, cfg: FeedConfig, result: FetchResult,
               parsed: ParsedFeed, now: datetime) -> FeedOutcome:
        """A parsed body: diff every entry against its stored version and record."""
        outcome = FeedOutcome(cfg.name, "ok", warning=parsed.warning)
        # An edited URL re-baselines silently whatever first_run says: it must never flood.
        rebaseline = not feed.baselined and feed.url_changed_at is not None
        baseline = rebaseline or (not feed.baselined and cfg.first_run == "baseline")
        entries = parsed.entries
        keys = [e.key for e in entries]
        # A feed with no item yet (its first poll) has nothing to look up.
        stored = item_store.has_items(session, feed.id)
        current = item_store.load_current(session, feed.id, keys) if stored else {}
        link_counts = Counter(e.link for e in entries if e.link)
        present = set(keys) | set(parsed.unchanged_keys)
        unseen_links = [e.link for e in entries
                        if e.key not in current and e.guid and e.link]
        by_link = item_store.load_by_links(session, feed.id, unseen_links) \
            if unseen_links and stored else {}
        new: list[Entry] = []
        matched: list[tuple[item_store.Known, Entry]] = []
        for entry in entries:
            known = current.get(entry.key)
            if known is None and entry.guid and entry.link and link_counts[entry.link] == 1:
                candidate = by_link.get(entry.link)
                if candidate is not None and candidate.item.key not in present and \
                        not item_store.link_among(session, feed.id, parsed.unchanged_keys,
                                                  entry.link):
                    # guid churn: the same article under a new guid is not a new item
                    candidate.item.key, candidate.item.guid = entry.key, entry.guid
                    known = candidate
            if known is None:
                new.append(entry)
            else:
                matched.append((known, entry))
        restamped = _restamped(matched, len(entries) + len(parsed.unchanged_keys), cfg)
        for known, entry in matched:
            self._known_item(session, feed, cfg, known, entry, now, outcome,
                             baseline=rebaseline, restamped=known.item.id in restamped)
        if new and stored:
            for known, entry in _reworded(session, feed.id, new, present):
                # Its key was the hash of its old title: the item takes the new one.
                known.item.key = entry.key
                new.remove(entry)
                self._known_item(session, feed, cfg, known, entry, now, outcome,
                                 baseline=rebaseline)
        if new:
            self._new_items(session, feed, cfg, new, now, baseline, outcome)
        feed.title = parsed.title or feed.title
        feed.parse_cache = parsed.cache
        feed.baselined = True
        feed.warning = parsed.warning
        self._succeeded(session, feed, cfg, result, now, outcome, ttl=parsed.ttl_seconds)
        return outcome

    def _succeeded(self, session: Session, feed: Feed, cfg: FeedConfig, result: FetchResult,
                   now: datetime, outcome: FeedOutcome, ttl: float | None) -> None:
        if feed.failing_notified:
            feed.failing_notified = False
            self._health(session, feed, cfg, "feed.recovered",
                         f"polled again after {feed.consecutive_failures} failed poll(s); "
                         f"last error: {feed.last_error}", now, outcome)
        feed.status = "ok"
        feed.consecutive_failures = 0
        feed.last_error = None
        feed.last_poll_at = feed.last_success_at = now
        if result.status == "ok":
            feed.body_hash = result.body_hash
        if result.etag is not None or result.status == "ok":
            feed.etag = result.etag
        if result.last_modified is not None or result.status == "ok":
            feed.last_modified = result.last_modified
        if result.moved_to:
            feed.moved_to = result.moved_to
            feed.fetch_url = result.moved_to
        if feed.moved_to:
            outcome.warning = f"moved to {feed.moved_to} — update config.toml"
            feed.warning = outcome.warning
        feed.next_poll_at = schedule.after_success(now, cfg.interval, self.settings.jitter,
                                                   self.rng, ttl)
        release(feed)

    # -- items ----------------------------------------------------------------------------
    def _version(self, entry: Entry, cfg: FeedConfig, now: datetime,
                 silent: str | None) -> ItemVersion:
        return ItemVersion(**self._version_fields(entry, cfg, now, silent))

    def _new_items(self, session: Session, feed: Feed, cfg: FeedConfig, entries: list[Entry],
                   now: datetime, baseline: bool, outcome: FeedOutcome) -> None:
        """Insert the new items and their first versions in two statements, not one flush
        (three statements) per item; events still go one by one (they need their ids)."""
        silent_of = [self._silence(cfg, entry, now, baseline) for entry in entries]
        items = list(session.scalars(
            insert(Item).returning(Item, sort_by_parameter_order=True),
            [{"feed_id": feed.id, "key": e.key, "guid": e.guid, "link": e.link,
              "first_seen_at": now, "changed_at": now, "current_version": 1} for e in entries]))
        session.execute(insert(ItemVersion), [
            {"item_id": item.id, "number": 1, **self._version_fields(entry, cfg, now, silent)}
            for item, entry, silent in zip(items, entries, silent_of, strict=True)])
        feed.item_count += len(items)
        for item, entry, silent in zip(items, entries, silent_of, strict=True):
            # Following article pages (issue 4): follow this item's page if a rule says so.
            follow_plan.on_new_item(session, self.router, cfg, item, entry, entry.display_link,
                                    entry.published, now)
            if silent is not None:
                outcome.silent += 1
                continue
            outcome.new += 1
            verdict = self.router.new(cfg.name, entry)
            self._event(session, feed, cfg, item, entry, "item.new", verdict, (), now, outcome)

    @staticmethod
    def _silence(cfg: FeedConfig, entry: Entry, now: datetime, baseline: bool) -> str | None:
        if baseline:
            return "baseline"
        if cfg.max_age is not None and entry.published is not None \
                and entry.published < now - timedelta(seconds=cfg.max_age):
            return "old"
        return None

    def _version_fields(self, entry: Entry, cfg: FeedConfig, now: datetime,
                        silent: str | None) -> dict[str, object]:
        return {"recorded_at": now, "title": entry.title, "link": entry.link,
                "display_link": entry.display_link, "summary": entry.summary,
                "content": entry.content, "published": entry.published,
                "updated": entry.updated, "content_hash": content_hash(entry),
                "fingerprint": fingerprint(entry, cfg.ignore_text),
                "rules_version": RULES_VERSION, "silent_reason": silent}

    def _known_item(self, session: Session, feed: Feed, cfg: FeedConfig,
                    known: item_store.Known, entry: Entry, now: datetime,
                    outcome: FeedOutcome, *, baseline: bool = False,
                    restamped: bool = False) -> None:
        prev, item = known.version, known.item
        by_guid = item.guid is not None and item.key == item.guid
        result = diff(prev, entry, identified_by_guid=by_guid, ignore=cfg.ignore_text)
        if result.kind == "unchanged":
            return
        if restamped:
            # The feed's generator gave every item one new date: not a revision of this one.
            result = DiffResult("silent", reason="volatile")
        if result.kind == "silent" and result.reason == "truncation":
            # Truncation is not transitive: "A B C." → "A B…" → "A B X." must be seen, so
            # compare with the last version that was not itself a truncated copy.
            reference = item_store.last_full_version(session, item.id)
            if reference is not None:
                against = diff(reference, entry, identified_by_guid=by_guid,
                               ignore=cfg.ignore_text)
                if against.kind == "changed":
                    prev, result = reference, against
        silent = result.reason if result.kind == "silent" else None
        if silent is None and baseline:
            silent = "baseline"
        if silent is None and prev.rules_version != RULES_VERSION:
            # Stored under older rules: re-recorded silently, never alerted (DESIGN).
            silent = "rules"
        version = self._version(entry, cfg, now, silent)
        if silent is None and self._flaps(session, item.id, version.fingerprint, cfg, now):
            version.silent_reason = silent = "flap"
        item_store.add_version(session, item, version)
        item.changed_at = now
        item.link = entry.link
        if silent is not None:
            outcome.silent += 1
            return
        outcome.changed += 1
        verdict = self.router.changed(cfg.name, prev, entry)
        self._event(session, feed, cfg, item, entry, "item.changed", verdict, result.changes,
                    now, outcome)
        # Following article pages (issue 4): check a followed page now, in this event.
        follow_plan.on_changed_item(session, self.router, cfg, item, entry, entry.display_link,
                                    entry.published, now)

    def _flaps(self, session: Session, item_id: int, new_fingerprint: str, cfg: FeedConfig,
               now: datetime) -> bool:
        """Whether the item returns to a version seen in the last 24 hours (load balancers
        serving old and new); fingerprints are recomputed under the current rules."""
        recent = item_store.recent_versions(session, item_id, now - item_store.FLAP_WINDOW)
        return any(fingerprint(v, cfg.ignore_text) == new_fingerprint for v in recent)

    def _event(self, session: Session, feed: Feed, cfg: FeedConfig, item: Item, entry: Entry,
               kind: str, verdict: Verdict, changes: Sequence[Change], now: datetime,
               outcome: FeedOutcome) -> None:
        stored_changes = [_stored_change(c, cfg.ignore_text) for c in changes]
        event = Event(type=kind, feed_id=feed.id, item_id=item.id,
                      version=item.current_version, occurred_at=now, changes=stored_changes,
                      watches=verdict.stored())
        session.add(event)
        session.flush()
        if verdict.routes:
            self._outbox(session, event, verdict.routes, now)
            outcome.alerts.append(PlannedAlert(kind, cfg.name, entry.title,
                                               entry.display_link or entry.link,
                                               verdict.routes, tuple(stored_changes)))

    def _outbox(self, session: Session, event: Event, routes: Sequence[Route],
                now: datetime) -> None:
        write_outbox(session, event, routes, self.due_at, now)


def write_outbox(session: Session, event: Event, routes: Sequence[Route], due_at: DueAt,
                 now: datetime) -> None:
    """One outbox row per route of `event`, in the caller's transaction; the alert id is
    fixed now, so every retry carries the same id."""
    for route in routes:
        session.add(Delivery(
            event_id=event.id, notifier=route.notifier, alert_id=uuid.uuid4().hex,
            status="pending", watches=list(route.watches), matched=list(route.matched),
            match=route.match, attempts=0, next_attempt_at=due_at(route.notifier, now),
            created_at=now))


DATE_FIELDS = frozenset({"published", "updated"})
RESTAMP_SPREAD = timedelta(minutes=10)
RESTAMP_MIN = 4


def _restamped(matched: Sequence[tuple[item_store.Known, Entry]], in_document: int,
               cfg: FeedConfig) -> set[int]:
    """Items whose only change is a date that the feed moved for most of its items at once.

    Some generators stamp every item with the time the feed was built (or bump every
    `<updated>` on each rebuild): when at least four items, and at least half of the
    document, change nothing but one date to values within a few minutes of each other, that
    date is the feed's, not the items'."""
    moved: dict[str, list[tuple[int, datetime]]] = {}
    for known, entry in matched:
        result = diff(known.version, entry, identified_by_guid=True, ignore=cfg.ignore_text)
        fields = {c.field for c in result.changes}
        if result.kind != "changed" or not fields <= DATE_FIELDS or len(fields) != 1:
            continue
        (name,) = fields
        value = getattr(entry, name)
        if value is not None:
            moved.setdefault(name, []).append((known.item.id, value))
    found: set[int] = set()
    for stamps in moved.values():
        values = [v for _, v in stamps]
        if len(stamps) >= RESTAMP_MIN and 2 * len(stamps) >= in_document and \
                max(values) - min(values) <= RESTAMP_SPREAD:
            found.update(item_id for item_id, _ in stamps)
    return found


def _reworded(session: Session, feed_id: int, new: Sequence[Entry],
              present: set[str]) -> list[tuple[item_store.Known, Entry]]:
    """New entries that are a stored item with a reworded title: with neither guid nor link
    an item is known by its title and date, so a new title reads as one item gone and one
    new. When exactly one such stored item of that date left the feed and exactly one such
    entry of that date arrived, with nearly the same text, they are one article."""
    arrived: dict[datetime, list[Entry]] = {}
    for entry in new:
        when = entry.published
        if entry.guid is None and entry.link is None and when is not None:
            arrived.setdefault(when, []).append(entry)
    if not arrived:
        return []
    gone: dict[datetime, list[item_store.Known]] = {}
    for known in item_store.load_keyless(session, feed_id, arrived):
        published = as_utc(known.version.published)
        if known.item.key not in present and published is not None:
            gone.setdefault(published, []).append(known)
    pairs: list[tuple[item_store.Known, Entry]] = []
    for when, entries in arrived.items():
        left = gone.get(when, [])
        if len(entries) == 1 and len(left) == 1 and same_article(left[0].version, entries[0]):
            pairs.append((left[0], entries[0]))
    return pairs


def _stored_change(change: Change, ignore: Sequence[re.Pattern[str]]) -> dict[str, object]:
    """A change as the event stores it: changed paragraphs only, capped."""
    before, after, truncated = change.before, change.after, False
    if change.field in TEXT_FIELDS and before is not None and after is not None:
        before, after, truncated = changed_paragraphs(before, after, CHANGE_TEXT_LIMIT,
                                                      ignore=ignore)
    stored: dict[str, object] = {"field": change.field, "before": before, "after": after}
    if truncated:
        stored["truncated"] = True
    return stored
