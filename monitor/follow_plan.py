"""Which items' article pages are followed, how often and until when; and the two calls the
record step makes so that following starts, or a followed page is checked at once.

Rules (DESIGN, "Following article pages"), for an item of feed F:
- F `follow = "all"`: every item; F `follow = true`: items that match one of F's watches (on
  the feed text, whatever the watch's `on`), except watches that say `follow = false`.
- a watch `follow = true`: the items it matches; `follow = "all"`: every item of its feeds.
- where several rules apply: the shortest `follow_interval`, the longest `follow_for`; a
  watch's unset keys take the feed's. `follow_for` counts from the item's published date (its
  first sighting when it has none), so a baseline item published within it is followed too.
- `match_page` (a watch's own, else its feed's) makes that watch read the page's text too.
- caps: at most `[veille] follow_max_per_feed` pages followed at once per feed, and
  `follow_max_per_host` per host over all feeds; past them a new item's page is not followed
  (a hostile `follow = "all"` feed cannot make veille fetch any number of pages).
Only http(s) links are followed. The rules are evaluated again at each check, so that a
config reload applies to pages already followed.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from monitor.config import Config, FeedConfig
from monitor.route import Router, TextFields
from storage import items as item_store
from storage import pages as page_store
from storage.models import Item

log = logging.getLogger(__name__)

# A feed-side revision of a followed item holds its alerts this long past the page fetch's
# timeout, so that the immediate page check can join them into one event (the page job ticks
# every few seconds); an unchanged page releases them at once.
HOLD_MARGIN = 15.0


@dataclass(frozen=True)
class FollowPlan:
    """How one item's page is followed."""

    interval: float  # seconds between checks
    until: datetime  # no check after this instant
    page_watches: frozenset[str]  # watches that read the page's text (match_page)


def may_follow(config: Config, cfg: FeedConfig) -> bool:
    """Whether any rule could follow an item of `cfg` (cheap: no matching; the poll of a feed
    that follows nothing pays one look at the config)."""
    if cfg.follow is not False:
        return True
    return any(w.follow for w in config.watches) and \
        any(w.follow for w in config.watches_for(cfg))


def page_watches(config: Config, cfg: FeedConfig) -> frozenset[str]:
    """The watches of `cfg` that read page text."""
    return frozenset(w.name for w in config.watches_for(cfg)
                     if (cfg.match_page if w.match_page is None else w.match_page))


def plan(router: Router, cfg: FeedConfig, fields: TextFields,
         since: datetime) -> FollowPlan | None:
    """The plan for an item of `cfg` whose feed text is `fields` and whose follow_for counts
    from `since`; None when no rule follows it."""
    config = router.config
    watches = config.watches_for(cfg)
    needs_match = cfg.follow is True or any(w.follow is True for w in watches)
    hits = router.matching(cfg.name, fields) if needs_match else {}
    opted_out = {w.name for w in watches if w.follow is False}
    rules: list[tuple[float, float]] = []
    if cfg.follow == "all" or (cfg.follow is True and any(n not in opted_out for n in hits)):
        rules.append((cfg.follow_interval, cfg.follow_for))
    for watch in watches:
        if watch.follow == "all" or (watch.follow is True and watch.name in hits):
            rules.append((watch.follow_interval or cfg.follow_interval,
                          watch.follow_for or cfg.follow_for))
    if not rules:
        return None
    return FollowPlan(interval=min(i for i, _ in rules),
                      until=since + timedelta(seconds=max(f for _, f in rules)),
                      page_watches=page_watches(config, cfg))


def followable(link: str | None) -> bool:
    """Only http(s) links are fetched: links come from feeds and are not trusted."""
    return link is not None and link.lower().startswith(("http://", "https://"))


def on_new_item(session: Session, router: Router, cfg: FeedConfig, item: Item,
                fields: TextFields, link: str | None, published: datetime | None,
                now: datetime) -> None:
    """Record step, any new item (baseline and old ones too): follow its page when a rule
    says so and its follow_for has not run out; the first check is due now."""
    if not followable(link) or not may_follow(router.config, cfg):
        return
    chosen = plan(router, cfg, fields, published or now)
    if chosen is not None and chosen.until > now:
        assert link is not None
        if _admit(session, router.config, cfg, item.feed_id, link):
            page_store.add(session, item.id, link, chosen.until, now)


def on_changed_item(session: Session, router: Router, cfg: FeedConfig, item: Item,
                    fields: TextFields, link: str | None, published: datetime | None,
                    now: datetime) -> None:
    """Record step, an alerted feed-side revision (its event just written): check a followed
    page now, carry the page fields into the new version, and hold the event's alerts for one
    page fetch (see HOLD_MARGIN); start following an item that a rule covers from now on."""
    if not may_follow(router.config, cfg):
        return
    page = page_store.get(session, item.id)
    if page is None:
        on_new_item(session, router, cfg, item, fields, link, published or item.first_seen_at,
                    now)
        return
    if page.next_check_at is None or page.follow_until <= now:
        return  # following ended
    page.next_check_at = now
    version = item_store.version(session, item.id, item.current_version)
    carried = page_store.last_with_page(session, item.id, item.current_version - 1)
    if version is None or carried is None:
        return  # no page baseline yet: nothing to carry, nothing to join
    version.page_title, version.page_text = carried.page_title, carried.page_text
    version.page_published, version.page_modified = carried.page_published, carried.page_modified
    version.page_fingerprint = carried.page_fingerprint
    pending = page_store.pending_event(session, item, item.current_version, now, now)
    hold = now + timedelta(seconds=cfg.timeout + HOLD_MARGIN)
    for delivery in pending.deliveries if pending is not None else []:
        delivery.next_attempt_at = max(delivery.next_attempt_at, hold)


# -- caps -----------------------------------------------------------------------------------

def host_of(url: str) -> str:
    """The host a page URL is fetched from, as the per-host cap counts it."""
    try:
        return (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""


@dataclass
class FollowCounts:
    """Pages followed now, per feed id and per host."""

    per_feed: Counter[int] = field(default_factory=Counter)
    per_host: Counter[str] = field(default_factory=Counter)
    hosts_of_feed: dict[int, set[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, session: Session) -> FollowCounts:
        counts = cls()
        for feed_id, url in page_store.followed_links(session):
            counts.add(feed_id, host_of(url))
        return counts

    def add(self, feed_id: int, host: str) -> None:
        self.per_feed[feed_id] += 1
        self.per_host[host] += 1
        self.hosts_of_feed.setdefault(feed_id, set()).add(host)

    def cap(self, config: Config, feed_id: int, host: str | None = None) -> str | None:
        """Which cap a new page of `feed_id` (on `host`; any of the feed's hosts when None)
        would exceed, said for `veille feeds` and the log; None when it may be followed."""
        s = config.veille
        if self.per_feed[feed_id] >= s.follow_max_per_feed:
            return f"follow_max_per_feed = {s.follow_max_per_feed} reached"
        hosts = [host] if host is not None else sorted(self.hosts_of_feed.get(feed_id, ()))
        full = [h for h in hosts if self.per_host[h] >= s.follow_max_per_host]
        if full:
            return f"follow_max_per_host = {s.follow_max_per_host} reached on {full[0]}"
        return None


_COUNTS = "veille.follow_counts"  # one count per transaction, kept in Session.info


def _admit(session: Session, config: Config, cfg: FeedConfig, feed_id: int, link: str) -> bool:
    """Whether a new page may be followed under the caps; counts it when it may."""
    counts = session.info.get(_COUNTS)
    if counts is None:
        counts = session.info[_COUNTS] = FollowCounts.of(session)
    host = host_of(link)
    refused = counts.cap(config, feed_id, host)
    if refused is None:
        counts.add(feed_id, host)
        return True
    logged: set[str] = session.info.setdefault(_COUNTS + ".logged", set())
    if refused not in logged:  # once per poll, not once per item
        logged.add(refused)
        log.warning("feed %s: newer items' pages are not followed: %s", cfg.name, refused)
    return False
