"""`veille items` (stored items, searched the way watches match) and `veille watches` (the
watches, and what one would have alerted on among recently stored items)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

from monitor import display, jsonout
from monitor.config import Config, WatchConfig
from monitor.fold import fold
from monitor.match import ItemText, Matcher
from monitor.usage import UsageError
from storage import feeds as feed_store
from storage import search
from storage.database import Database
from storage.models import ItemVersion


class NotFoundError(UsageError):
    """A name given on the command line names nothing (exit 2)."""


def _feed_ids(config: Config, db: Database, name: str | None) -> list[int] | None:
    if name is None:
        return None
    with db.read() as session:
        row = feed_store.by_name(session, name)
    if row is None:
        known = sorted({f.name for f in (*config.feeds, *config.paused)})
        raise NotFoundError(f"no feed named {name!r}; known: {', '.join(known) or 'none'}")
    return [row.id]


def items(config: Config, db: Database, *, feed: str | None, text: str | None, limit: int,
          as_json: bool) -> int:
    """Stored items, newest change first; `text`: those whose title, summary or content
    holds it, folded as matching folds (case, accents, apostrophes and dashes ignored)."""
    feed_ids = _feed_ids(config, db, feed)
    wanted = fold(text) if text else ""
    if text is not None and not wanted:
        raise NotFoundError(f"--search {text!r} has no letter or digit to look for")

    def keep(version: ItemVersion) -> bool:
        return any(wanted in fold(part) for part in
                   (version.title, version.summary, version.content) if part)

    with db.read() as session:
        found = search.current_items(session, feed_ids=feed_ids, limit=limit,
                                     keep=keep if wanted else None)
    if as_json:
        jsonout.emit([{
            "id": f.item.id, "feed": f.feed.name, "key": f.item.key, "title": f.version.title,
            "link": f.version.display_link or f.version.link, "summary": f.version.summary,
            "published": jsonout.utc(f.version.published),
            "updated": jsonout.utc(f.version.updated),
            "first_seen_at": jsonout.utc(f.item.first_seen_at),
            "changed_at": jsonout.utc(f.item.changed_at), "version": f.item.current_version,
        } for f in found])
        return 0
    if not found:
        print("no item matches" if text else "no item stored yet")
        return 0
    tz = config.veille.timezone
    rows = [[f.feed.name, display.local(f.item.changed_at, tz), str(f.item.current_version),
             display.one_line(f.version.title, 200),
             display.one_line(f.version.display_link or f.version.link or "", 200)]
            for f in found]
    print(display.table(["FEED", "CHANGED", "V", "TITLE", "LINK"], rows, shrink=[3, 4]))
    return 0


def watches(config: Config) -> int:
    """The watches of config.toml: their terms, feeds, events and notifiers."""
    if not config.watches:
        print(f"no [[watch]] in {config.path}: nothing alerts")
        return 0
    rows = []
    for w in config.watches:
        terms = [*w.keywords, *(f"all:{t}" for t in w.all), *(f"not:{t}" for t in w.exclude),
                 *(f"re:{t}" for t in w.regex), *(f"exact:{t}" for t in w.exact)]
        feeds = [f.name for f in config.feeds if w.applies_to(f)]
        rows.append([w.name, ", ".join(terms) or "(every item)", ", ".join(w.feeds),
                     str(len(feeds)), ", ".join(sorted(w.on, reverse=True)),
                     ", ".join(w.notify)])
    print(display.table(["WATCH", "TERMS", "FEEDS", "N", "ON", "NOTIFY"], rows,
                        shrink=[1, 2]))
    return 0


def watch_test(config: Config, db: Database, name: str, *, days: float) -> int:
    """What the watch `name` would have alerted on among the items stored in the last
    `days` days (their current versions), its terms highlighted."""
    watch = _watch(config, name)
    feeds = [f for f in (*config.feeds, *config.paused) if watch.applies_to(f)]
    since = datetime.now(UTC) - timedelta(days=days)
    matcher = Matcher([watch], getattr(config, "terms", None))
    with db.read() as session:
        ids = [row.id for f in feeds if (row := feed_store.by_name(session, f.name))]
        found = search.current_items(session, feed_ids=ids, since=since) if ids else []
    colour = sys.stdout.isatty()
    tz = config.veille.timezone
    hits = 0
    for f in found:
        v = f.version
        text = ItemText(v.title, v.summary, v.content, link=v.link or "", feed=f.feed.name)
        terms = matcher.match(v.title, v.summary, v.content, link=v.link or "",
                              feed=f.feed.name).get(watch.name)
        if terms is None:
            continue
        hits += 1
        spans = matcher.locate([watch.name], text)
        title = display.highlight(v.title, spans.get("title", []), colour=colour)
        print(f"{display.local(f.item.changed_at, tz)}  {f.feed.name}  {' '.join(title.split())}")
        print(f"    matched: {', '.join(terms)}")
        for field in ("summary", "content"):
            excerpt = _excerpt(getattr(v, field), spans.get(field, []), colour)
            if excerpt:
                print(f"    {field}: {excerpt}")
    days_text = f"{days:g} day{'s' if days != 1 else ''}"
    print(f"{watch.name}: {hits} of {len(found)} item{'s' if len(found) != 1 else ''} of the "
          f"last {days_text} would alert ({len(feeds)} feed{'s' if len(feeds) != 1 else ''})")
    return 0


def _watch(config: Config, name: str) -> WatchConfig:
    for w in config.watches:
        if w.name == name:
            return w
    known = ", ".join(w.name for w in config.watches) or "none"
    raise NotFoundError(f"no watch named {name!r} in {config.path}; known: {known}")


def _excerpt(text: str, spans: list[tuple[int, int]], colour: bool, width: int = 160) -> str:
    """The part of `text` around its first hit, hits highlighted, on one line."""
    if not spans or not text:
        return ""
    start = max(0, spans[0][0] - width // 3)
    end = min(len(text), start + width)
    inside = [(max(s, start) - start, min(e, end) - start) for s, e in spans
              if s < end and e > start]
    piece = display.highlight(text[start:end], inside, colour=colour)
    piece = " ".join(piece.split())
    return ("…" if start else "") + piece + ("…" if end < len(text) else "")
