"""What the console shows of stored rows: alerts through the one view model of every channel
(`notifiers.view`), matched terms highlighted, feed URLs and errors redacted, watches tried.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape

from monitor.alerts import build_alert
from monitor.config import Config, WatchConfig
from monitor.fold import fold
from notifiers.render import cap, clean_block, format_local, one_line
from notifiers.textdiff import mark_html
from notifiers.view import AlertView, build_view
from storage.console import EventRow, hits_of
from storage.deliveries import Claimed
from storage.models import Delivery, Feed, ItemVersion

_WORD = re.compile(r"\w+")
VERSION_FIELDS = ("title", "link", "summary", "content", "published", "updated")
PAGE_FIELDS = ("page_title", "page_published", "page_modified", "page_text")


def feed_url(config: Config, feed: Feed) -> str:
    """The feed's URL as a person may see it: secrets in it replaced by ***."""
    try:
        return config.redact(config.feed(feed.name).url)
    except KeyError:  # removed from config.toml: the stored URL, unless it was a secret
        return "(hidden: it carried a secret)" if feed.url.startswith("secret:") else \
            config.redact(feed.url)


def alert_view(row: EventRow, config: Config) -> AlertView:
    """The event as its email shows it: the same Alert, the same view model."""
    hits = hits_of(row.event)
    status = row.event.watches.get("status") if isinstance(row.event.watches, dict) else None
    match = "new" if row.event.type == "item.new" else str(status or "")
    delivery = Delivery(alert_id=f"event-{row.event.id}", notifier="console",
                        watches=list(hits), match=match,
                        matched=list(dict.fromkeys(t for terms in hits.values() for t in terms)))
    alert = build_alert(Claimed(delivery, row.event, row.feed, row.item, row.version), config)
    if alert.error:
        alert = replace(alert, error=config.redact(alert.error))
    return build_view(alert)


def highlight(text: str | None, terms: list[str]) -> Markup:
    """`text` escaped, with each whole-word occurrence of `terms` in <mark>, found the way
    watches match: case, accents, apostrophes and hyphens aside."""
    text = clean_block(text)
    words = [(m.start(), m.end(), fold(m.group())) for m in _WORD.finditer(text)]
    wanted = [t for t in (fold(term).split() for term in terms) if t]
    spans: list[tuple[int, int]] = []
    for i in range(len(words)):
        for term in wanted:
            run = words[i:i + len(term)]
            if len(run) == len(term) and all(w[2] == t for w, t in zip(run, term, strict=True)):
                spans.append((run[0][0], run[-1][1]))
                break
    out, at = Markup(""), 0
    for start, end in spans:
        if start < at:
            continue
        out += escape(text[at:start]) + Markup("<mark>%s</mark>") % text[start:end]
        at = end
    return out + escape(text[at:])


def value_of(version: ItemVersion, name: str) -> str:
    value = getattr(version, name)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return "" if value is None else str(value)


@dataclass(frozen=True)
class FieldDiff:
    field: str
    before: Markup
    after: Markup


def diff(old: ItemVersion, new: ItemVersion) -> list[FieldDiff]:
    """Each field that differs between two versions, changed words marked."""
    found = []
    for name in VERSION_FIELDS + PAGE_FIELDS:
        a, b = clean_block(value_of(old, name)), clean_block(value_of(new, name))
        if a != b:
            before, after = mark_html(a, b)
            found.append(FieldDiff(name, before, after))
    return found


@dataclass(frozen=True)
class Trial:
    """One stored item a watch would have alerted on, with the terms it matched."""

    item_id: int
    feed: str
    title: Markup
    summary: Markup
    terms: tuple[str, ...]
    recorded: str


def try_watch(watch: WatchConfig, rows: list[tuple[Any, Feed, ItemVersion]],
              config: Config) -> list[Trial]:
    """Run `watch` over stored items (its feed patterns apply); what would have alerted."""
    from monitor.match import Matcher

    matcher = Matcher([watch])
    configured = {f.name: f for f in config.feeds}
    found = []
    for item, feed, version in rows:
        feed_cfg = configured.get(feed.name)
        if feed_cfg is not None and not watch.applies_to(feed_cfg):
            continue
        terms = matcher.match(version.title, version.summary, version.content).get(watch.name)
        if terms is None:
            continue
        found.append(Trial(item.id, feed.name, highlight(one_line(version.title), list(terms)),
                           highlight(cap(version.summary or version.content, 600), list(terms)),
                           tuple(terms),
                           format_local(version.recorded_at, config.veille.timezone)))
    return found
