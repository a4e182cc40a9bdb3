"""Followed article pages: the article of a page as a snapshot, and what a revision changed.

`extract_page` keeps the article's title, paragraphs and dates (see pagetext, pagedates);
`diff_pages` compares two snapshots as DESIGN.md compares feed text (folded, volatile text
removed, paragraph by paragraph), and tells a real revision from a date that merely moved.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lxml.html import HtmlElement

from monitor import pagedates, pagetext
from monitor.diff import iso_instant
from monitor.excerpt import changed_paragraphs
from monitor.fingerprint import RULES_VERSION, comparable
from monitor.records import Change

__all__ = ["PAGE_RULES_VERSION", "PageDiff", "PageSnapshot", "diff_pages", "extract_page",
           "page_fingerprint"]

# Bump whenever extraction or comparison changes what a page's text is: stored page
# fingerprints carry it, so that an upgrade re-baselines pages silently instead of alerting.
_PAGE_RULES_REVISION = 0
PAGE_RULES_VERSION: int = RULES_VERSION + _PAGE_RULES_REVISION
TEXT_LIMIT = 4096  # characters of each side of a `page_text` change

# Read on simplified text (accents removed, lower case): "Vu 1 234 fois", "Viewed 1,234 times".
_COUNTER = re.compile(r"(?:vu|lu|consulte|affiche|viewed|read|seen)\s+[\d\s.,]+\s*(?:fois|times)"
                      r"|[\d\s.,]+\s+(?:vues|views|lectures|reads|visites|visits)")
_READ_ALSO = re.compile(r"(?:a lire aussi|lire aussi|voir aussi|read more|read also|see also)"
                        r"(?:\s*:.*)?")


@dataclass(frozen=True)
class PageSnapshot:
    """What one load of an article page says; dates are aware UTC instants."""

    title: str
    paragraphs: tuple[str, ...]  # reduced text (white space collapsed, NFC), in page order
    published: datetime | None
    modified: datetime | None
    modified_source: str | None  # "visible", "article:modified_time", "json-ld" or "time"

    @property
    def text(self) -> str:
        """The paragraphs, separated by blank lines."""
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True)
class PageDiff:
    """What changed between two loads of a page.

    `changes` holds `page_modified` when the modified date moved and `page_text` when the text
    changed. Alert only when `text_changed`: a date that moves alone is volatile (recorded, not
    alerted), and nothing is reported for differences that vanish under `fold`.
    """

    changes: tuple[Change, ...]
    text_changed: bool
    date_moved: bool


@cache
def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {name!r}") from error


def _is_article_text(block: pagetext.Block) -> bool:
    if len(block.text) > pagedates.DATELINE_MAX:  # date lines, counters, "Lire aussi" are short
        return True
    simple = pagedates.simplify(block.text)
    return (any(ch.isalnum() for ch in simple) and not _COUNTER.fullmatch(simple)
            and not _READ_ALSO.fullmatch(simple)
            and not pagedates.is_dateline(block.text, block.untimed))


def _title(doc: HtmlElement, area: HtmlElement) -> str:
    """The article's h1, else og:title, else the document's <title>."""
    for candidates in (area.xpath("descendant-or-self::h1"),
                       doc.xpath("//meta[@property='og:title']/@content"),
                       doc.xpath("//title")):
        for found in candidates:
            text = pagetext.clean_text(found if isinstance(found, str) else found.text_content())
            if text:
                return text
    return ""


def _first(*found: tuple[datetime | None, str]) -> tuple[datetime | None, str | None]:
    """The first found date with its source, in the order given."""
    return next(((moment, source) for moment, source in found if moment is not None),
                (None, None))


def extract_page(html: bytes | str, *, url: str, timezone: str = "UTC") -> PageSnapshot:
    """The article of an HTML page: title, paragraphs (site chrome left out) and dates.

    Bytes are decoded by BOM, `<meta charset>`, else UTF-8 (Windows-1252 as a last resort): pass
    text when the HTTP response named a charset. `url` picks the page's own JSON-LD article.
    Dates written without a zone are read in `timezone` (an IANA name); a date without a time of
    day is midnight there. `modified` comes from the visible "Mis à jour le" / "Updated" line,
    else `article:modified_time`, else JSON-LD `dateModified`, else a `<time>`; `published` from
    JSON-LD `datePublished`, `article:published_time`, the visible date line, a `<time>`.
    """
    tz = _zone(timezone)
    doc = pagetext.parse(html)
    structured = pagedates.structured_dates(doc, url=url, tz=tz)
    body = doc.find("body")
    if body is None:
        body = doc
    pagetext.remove_chrome(body)
    area = pagetext.article_area(body)
    lines = pagetext.blocks(area)
    title = _title(doc, area)

    def visible(modified: bool) -> datetime | None:
        for candidates in (lines, pagetext.blocks(body) if area is not body else []):
            for line in candidates:
                moment = pagedates.visible_date(line.text, tz, modified=modified)
                if moment is not None:
                    return moment
        return None

    time_published, time_modified = pagedates.time_dates(area, tz)
    modified, source = _first(
        (visible(True), "visible"),
        (structured.get("meta:modified"), "article:modified_time"),
        (structured.get("json-ld:modified"), "json-ld"),
        (time_modified, "time"))
    published, _ = _first(
        (structured.get("json-ld:published"), "json-ld"),
        (structured.get("meta:published"), "article:published_time"),
        (visible(False), "visible"),
        (time_published, "time"))
    heading = next((b for b in lines if b.text == title), None)
    paragraphs = tuple(b.text for b in lines if b is not heading and _is_article_text(b))
    return PageSnapshot(title=title, paragraphs=paragraphs, published=published,
                        modified=modified, modified_source=source)


def _compared(page: PageSnapshot, ignore: Sequence[re.Pattern[str]]) -> str:
    """The page as change detection sees it: title and text, folded, volatile text removed."""
    return comparable(page.title, ignore) + "\n" + comparable(page.text, ignore)


def page_fingerprint(page: PageSnapshot, *, ignore: Sequence[re.Pattern[str]] = ()) -> str:
    """A hash of the page's title and text as compared (dates left out), prefixed with the rules
    version: equal fingerprints mean `diff_pages` finds no text change."""
    digest = hashlib.sha256(_compared(page, ignore).encode("utf-8")).hexdigest()
    return f"p{PAGE_RULES_VERSION}:{digest}"


def diff_pages(before: PageSnapshot, after: PageSnapshot, *,
               ignore: Sequence[re.Pattern[str]] = ()) -> PageDiff:
    """What changed from `before` to `after`; `ignore` is the feed's `ignore_text` patterns.

    `page_text` holds the changed paragraphs only (the title counts as the first one), runs of
    unchanged ones shown as "…", each side at most 4,096 characters. Text that differs only
    by paragraph breaks, cosmetic characters or volatile matches is unchanged.
    """
    changes: list[Change] = []
    date_moved = before.modified != after.modified
    if date_moved:
        changes.append(Change("page_modified", iso_instant(before.modified),
                              iso_instant(after.modified)))
    text_changed = _compared(before, ignore) != _compared(after, ignore)
    if text_changed:
        old, new, _ = changed_paragraphs(_titled(before), _titled(after), TEXT_LIMIT,
                                         ignore=ignore)
        changes.append(Change("page_text", old, new))
    return PageDiff(changes=tuple(changes), text_changed=text_changed, date_moved=date_moved)


def _titled(page: PageSnapshot) -> str:
    return "\n\n".join(p for p in (page.title, *page.paragraphs) if p)
