"""OPML, the feed readers' exchange format: read with listparser (nested categories, missing
titles, duplicates and the other shapes found in the wild), written as plain OPML 2.0."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit
from xml.etree import ElementTree

import listparser


@dataclass(frozen=True)
class Outline:
    """One feed of an OPML file: its URL, title and categories (outer first)."""

    url: str
    title: str = ""
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outlines:
    feeds: tuple[Outline, ...] = ()
    error: str | None = None


def read(data: bytes) -> Outlines:
    """The feeds of an OPML document; `error` when it holds none (not OPML, or empty)."""
    parsed = listparser.parse(data)
    feeds = []
    for feed in parsed.feeds:
        categories = [name for path in feed.get("categories", []) for name in path]
        categories += list(feed.get("tags", []))
        feeds.append(Outline(str(feed.get("url") or "").strip(),
                             " ".join(str(feed.get("title") or "").split()),
                             tuple(dict.fromkeys(c for c in categories if c))))
    if not feeds:
        reason = parsed.get("bozo_exception")
        return Outlines(error="holds no feed (no <outline> with an xmlUrl)"
                        + (f"; it is not valid XML: {reason}" if reason else ""))
    return Outlines(tuple(feeds))


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a feed of config.toml, or None."""
    try:
        parts = urlsplit(url)
        ok = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        ok = False
    if not ok:
        return "not an http:// or https:// URL"
    if any(c.isspace() for c in url):
        return "the URL contains spaces"
    return None


def url_key(url: object) -> str:
    """Two spellings of one feed URL compare equal (scheme and host case, trailing slash)."""
    if not isinstance(url, str):
        return ""
    parts = urlsplit(url.strip())
    return (f"{parts.scheme.lower()}://{(parts.netloc or '').lower()}"
            f"{parts.path.rstrip('/') or '/'}?{parts.query}")


def write(feeds: Sequence[Outline], *, title: str) -> str:
    """OPML 2.0: feeds grouped under an outline per first category, the rest at the top."""
    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = title
    body = ElementTree.SubElement(root, "body")
    groups: dict[str, ElementTree.Element] = {}
    for feed in feeds:
        parent = body
        if feed.categories:
            category = feed.categories[0]
            if category not in groups:
                groups[category] = ElementTree.SubElement(body, "outline", text=category,
                                                          title=category)
            parent = groups[category]
        attrs = {"type": "rss", "text": feed.title or feed.url, "title": feed.title or feed.url,
                 "xmlUrl": feed.url}
        if feed.categories:  # every tag, in order: readers that ignore folders keep them
            attrs["category"] = ",".join(feed.categories)
        ElementTree.SubElement(parent, "outline", attrs)
    ElementTree.indent(root)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ElementTree.tostring(root, encoding="unicode") + "\n")
