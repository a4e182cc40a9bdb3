"""Managing what is watched without hand-editing config.toml: `veille feeds add | remove |
pause | resume`, `veille import opml`, `veille export opml`. Each edit goes through
`monitor.tomledit` (comments and layout kept, validated before it is written)."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from monitor import opml
from monitor.config import Config, format_duration
from monitor.errors import NotAFeedError
from monitor.fold import fold
from monitor.tomledit import ConfigEdit, EditError

FEED_VERSIONS = {"rss20": "RSS 2.0", "rss10": "RSS 1.0", "rss090": "RSS 0.90",
                 "rss091n": "RSS 0.91", "rss091u": "RSS 0.91", "rss092": "RSS 0.92",
                 "rss093": "RSS 0.93", "rss094": "RSS 0.94", "atom10": "Atom 1.0",
                 "atom03": "Atom 0.3", "cdf": "CDF", "json1": "JSON Feed"}
NAME_LENGTH = 40


@dataclass(frozen=True)
class Probe:
    """What one fetch of a feed URL found."""

    ok: bool
    title: str = ""
    version: str = ""
    entries: int = 0
    warning: str | None = None
    error: str | None = None


def slug(text: str) -> str:
    """A feed name from a title or a host: folded, words joined by "-", at most 40 chars."""
    words = re.findall(r"[a-z0-9]+", fold(text))
    return "-".join(words)[:NAME_LENGTH].strip("-")


def free_name(wanted: str, taken: set[str]) -> str:
    """`wanted`, or `wanted-2`, `wanted-3`… the first not in `taken`."""
    name, n = wanted or "feed", 2
    while name in taken:
        name = f"{wanted or 'feed'}-{n}"
        n += 1
    return name


def probe(config: Config, name: str, url: str) -> Probe:
    """Fetch and parse `url` once, through the same guarded fetcher as the poll."""
    from monitor.fetch import Fetcher
    from monitor.fetch_policy import FetchPolicy
    from monitor.parse import parse_feed
    from monitor.records import FetchRequest

    feed = config.feed(name)

    async def fetch() -> Probe:
        async with Fetcher(user_agent=config.veille.user_agent,
                           policy=FetchPolicy.for_feeds(config)) as fetcher:
            result = await fetcher.fetch(FetchRequest(
                feed_name=name, url=url, headers=dict(feed.headers), timeout=feed.timeout,
                max_size=config.veille.max_size))
        if result.status != "ok" or result.body is None:
            return Probe(False, error=result.error or f"HTTP {result.http_status}")
        try:
            parsed = parse_feed(result.body, url=result.url, headers=result.headers,
                                timezone=feed.timezone)
        except NotAFeedError as exc:
            return Probe(False, error=str(exc))
        return Probe(True, parsed.title, FEED_VERSIONS.get(parsed.version, parsed.version
                                                           or "unknown format"),
                     len(parsed.entries), parsed.warning)

    return asyncio.run(fetch())


def feeds_add(config: Config, url: str, *, name: str | None, tags: Sequence[str],
              interval: str | None) -> int:
    """Fetch `url` once, say what it is, and add it as a `[[feed]]`; exit 1 when it is not
    a feed that answers (nothing is written then)."""
    edit = ConfigEdit(config.path)
    taken = edit.names()
    if name is not None and name in taken:
        raise EditError(f"a feed named {name!r} exists already in {config.path}")
    chosen = name or free_name(slug(urlsplit(url).hostname or ""), taken)
    values: dict[str, object] = {"name": chosen, "url": url}
    if tags:
        values["tags"] = list(tags)
    if interval is not None:
        values["interval"] = interval
    edit.add_feed(values)
    trial = edit.check()  # a bad URL or interval is told before anything is fetched
    found = probe(trial, chosen, url)
    if not found.ok:
        print(f"veille: {url} was not added: {trial.redact(found.error or 'no answer')}",
              file=sys.stderr)
        return 1
    if name is None and found.title:  # a name from the feed's own title reads better
        better = free_name(slug(found.title), taken)
        if better and better != chosen:
            edit = ConfigEdit(config.path)
            values["name"] = chosen = better
            edit.add_feed(values)
    new = edit.save()
    feed = new.feed(chosen)
    first = ("its current items are recorded silently at the first poll"
             if feed.first_run == "baseline" else "matching items alert from the first poll")
    print(f"added feed {chosen}: {found.title or '(no title)'} — {found.version}, "
          f"{found.entries} item{'s' if found.entries != 1 else ''}; polled every "
          f"{format_duration(feed.interval)}; {first}")
    if found.warning:
        print(f"  warning: {found.warning}")
    watching = [w.name for w in new.watches_for(feed)]
    print(f"  watches looking at it: {', '.join(watching) or 'none yet'}")
    return 0


def feeds_remove(config: Config, name: str) -> int:
    edit = ConfigEdit(config.path)
    edit.remove_feed(name)
    edit.save()
    print(f"removed feed {name} from {config.path}; its history stays in the database and "
          "its pending alerts are still delivered")
    return 0


def feeds_pause(config: Config, name: str, *, paused: bool) -> int:
    edit = ConfigEdit(config.path)
    if not edit.set_enabled(name, not paused):
        print(f"feed {name} is already {'paused' if paused else 'active'}")
        return 0
    edit.save()
    print(f"feed {name} {'paused: kept in' if paused else 'resumed: polled again per'} "
          f"{config.path}" + (" (enabled = false); veille feeds resume " + name
                              if paused else ""))
    return 0


def import_opml(config: Config, path: Path) -> int:
    """Add every feed of an OPML file that config.toml does not have yet."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EditError(f"cannot read {path}: {exc.strerror or exc}") from None
    outlines = opml.read(data)
    if outlines.error:
        raise EditError(f"{path}: {outlines.error}")
    edit = ConfigEdit(config.path)
    taken = edit.names()
    known = {opml.url_key(t.get("url")) for t in edit.feed_tables()
             if isinstance(t.get("url"), str)}
    added: list[str] = []
    skipped: list[str] = []
    for outline in outlines.feeds:
        problem = opml.url_problem(outline.url)
        if problem:
            skipped.append(f"{outline.url or '(no URL)'}: {problem}")
            continue
        if opml.url_key(outline.url) in known:
            skipped.append(f"{outline.url}: already watched")
            continue
        name = free_name(slug(outline.title) or slug(urlsplit(outline.url).hostname or ""),
                         taken)
        values: dict[str, object] = {"name": name, "url": outline.url}
        tags = [t for t in dict.fromkeys(slug(c) for c in outline.categories) if t]
        if tags:
            values["tags"] = tags
        edit.add_feed(values)
        taken.add(name)
        known.add(opml.url_key(outline.url))
        added.append(name)
    if added:
        edit.save()
    print(f"imported {len(added)} feed{'s' if len(added) != 1 else ''} from {path} into "
          f"{config.path}" + (f": {', '.join(added)}" if added else ""))
    for line in skipped:
        print(f"  skipped {line}")
    if added:
        print("  they are fetched at the next poll (veille check, or a reload of veille run)")
    return 0


def export_opml(config: Config, output: Path | None) -> int:
    """Every feed of config.toml (paused ones too) as OPML 2.0, grouped by first tag."""
    feeds = [*config.feeds, *config.paused]
    hidden = [f.name for f in feeds if config.redact(f.url) != f.url]
    text = opml.write([opml.Outline(f.url, f.name, tuple(f.tags)) for f in feeds
                       if f.name not in hidden], title=f"veille feeds ({config.path.name})")
    for name in hidden:
        print(f"veille: feed {name} left out: its URL holds a secret", file=sys.stderr)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        print(f"wrote {len(feeds) - len(hidden)} feeds to {output}")
    return 0
