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
Only http(s) links are followed. The rules are evaluated again at each check, so that a
config reload applies to pages already followed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from monitor.config import Config, FeedConfig
from monitor.route import Router, TextFields
from storage import items as item_store
from storage import pages as page_store
from storage.models import Item

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
