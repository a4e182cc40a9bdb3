"""Parse step: a fetched body ⇒ `ParsedFeed` of normalised, keyed entries.

feedparser reads the XML; this module decides what each field means for veille (DESIGN "Events
and what counts as a change"): reduced text, normalised links, UTC dates, the entry's own
`updated` only. `monitor.incremental` skips the entries whose raw XML did not change.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from monitor import incremental
from monitor.dates import to_utc, zone
from monitor.errors import NotAFeedError
from monitor.feedbytes import (
    embedded_feed,
    entry_dates,
    html_page_title,
    last_entry_unfinished,
    prepare,
)
from monitor.identity import Candidate, KnownKeys, assign_keys, candidate, stored_among
from monitor.normalize import (
    drop_controls,
    normalize_link,
    reduce_html,
    reduce_text,
    reduce_title,
    safe_display_link,
)
from monitor.records import Entry, ParsedFeed

__all__ = ["Document", "Row", "parse_feed", "read_document"]


@dataclass(frozen=True)
class Row:
    """One parsed entry whose key is not assigned yet (keys depend on the whole document)."""

    entry: Entry  # with key ""
    candidate: Candidate

    def keyed(self, key: str) -> Entry:
        """The entry under its key."""
        return replace(self.entry, key=key)


@dataclass(frozen=True)
class Document:
    """What feedparser read from one XML document, normalised."""

    version: str
    title: str
    link: str | None
    ttl_seconds: float | None
    rows: tuple[Row, ...]
    problem: str | None  # why the XML is not well-formed, when it is not


def parse_feed(body: bytes, *, url: str, headers: Mapping[str, str] | None = None,
               timezone: str = "UTC", previous_cache: bytes | None = None,
               known: KnownKeys | None = None) -> ParsedFeed:
    """Parse a fetched feed body into normalised entries with their identity keys.

    `headers` are the response headers (their content type gives the encoding); `timezone`
    reads dates written without a zone; `previous_cache` is the `cache` of this feed's last
    `ParsedFeed`, which lets entries whose raw XML is unchanged be skipped (listed in
    `unchanged_keys`); `known(keys)` says which of those keys are stored items of the feed (so
    that a stored item keeps its key, see `identity.assign_keys`). Raises `NotAFeedError` for
    an empty body, an HTML page with no feed inside, or a document with no feed version and no
    entries; a damaged feed with entries comes with a `warning`.
    """
    zone(timezone)  # an unknown zone is the caller's error, not the feed's
    if not body.removeprefix(b"\xef\xbb\xbf").strip():
        raise NotAFeedError("The server sent an empty response instead of a feed.")
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    prepared = prepare(body, headers)
    page_title = html_page_title(prepared.data)
    if page_title is not None:
        inner = embedded_feed(prepared.data)
        if inner is None:
            named = f" (“{page_title}”)" if page_title else ""
            raise NotAFeedError(f"The server sent an HTML page{named}, not an RSS or Atom "
                                "feed.")
        prepared = replace(prepared, data=inner, warnings=(
            *prepared.warnings, "The feed came wrapped in an HTML page; veille read the feed "
            "inside it."))
    base = urljoin(url, headers["content-location"]) if "content-location" in headers else url

    def read(data: bytes) -> Document:
        return read_document(data, base=base, timezone=timezone,
                             line_shift=prepared.added_lines)

    # Decoding works byte by byte, so an entry's decoded bytes depend on its own bytes only:
    # a repaired or mis-labelled document may still be parsed incrementally.
    split = None if prepared.doctype else incremental.split(prepared.data)
    context = incremental.context(split, base=base, timezone=timezone) if split else ""
    if split and previous_cache:
        quick = incremental.reparse(split, context, previous_cache, read, known)
        if quick is not None:
            return replace(quick, warning=" ".join(prepared.warnings) or None)
    document = read(prepared.data)
    if not document.version and not document.rows:
        if document.problem:
            raise NotAFeedError("The document is not an RSS or Atom feed that veille can read "
                                f"({document.problem}).")
        raise NotAFeedError("The document is not an RSS or Atom feed: it has no feed version "
                            "and no entries.")
    if document.problem and not document.rows:
        # Damaged and nothing recovered: an empty feed would look like a healthy one.
        raise NotAFeedError(f"The feed is damaged ({document.problem}) and veille could not "
                            "read a single entry from it.")
    warnings = list(prepared.warnings)
    rows = document.rows
    if document.problem:
        # A cut entry would read as a revision that deleted its end: wait for the whole one.
        cut = bool(rows) and last_entry_unfinished(prepared.data)
        rows = rows[:-1] if cut else rows
        count = f"{len(rows)} entr{'y' if len(rows) == 1 else 'ies'}"
        warnings.append(f"The feed is damaged ({document.problem}); veille read {count} from "
                        "it" + (", leaving out the unfinished last one." if cut else "."))
    candidates = [row.candidate for row in rows]
    keys = assign_keys(candidates, stored_among(candidates, known))
    cache = None
    if split and not document.problem:
        cache = incremental.make_cache(split, context, rows, keys)
    return ParsedFeed(
        version=document.version, title=document.title, link=document.link,
        entries=tuple(row.keyed(k) for row, k in zip(rows, keys, strict=True) if k),
        ttl_seconds=document.ttl_seconds, warning=" ".join(warnings) or None, cache=cache)


def read_document(data: bytes, *, base: str, timezone: str, line_shift: int = 0) -> Document:
    """Run feedparser on UTF-8 `data` and normalise what it found (keys not assigned);
    `line_shift` lines were added above the feed's own text (error messages cite its lines)."""
    try:
        parsed = feedparser.parse(
            io.BytesIO(data),  # bytes alone may be opened as a file name
            response_headers={"content-type": "application/xml; charset=utf-8",
                              "content-location": base},
            sanitize_html=False, resolve_relative_uris=False)
    except Exception as error:  # its loose parser raises on some damaged documents
        return Document("", "", None, None, (), f"{type(error).__name__}: {error}")
    entries: list[Any] = parsed.get("entries", [])
    dates = entry_dates(data)
    if dates is None or len(dates) != len(entries):
        # The XML is too damaged for both readers to agree: feedparser's own keys are the
        # best left, with dc:date filed under `updated` as feedparser does.
        dates = [(dict.get(e, "published"), dict.get(e, "updated")) for e in entries]
    rows = tuple(_row(e, p, u, timezone) for e, (p, u) in zip(entries, dates, strict=True))
    feed: Any = parsed.get("feed", {})
    return Document(
        version=parsed.get("version") or "",
        title=_text(dict.get(feed, "title_detail"), dict.get(feed, "title"), title=True),
        link=safe_display_link(dict.get(feed, "link")),
        ttl_seconds=_ttl(dict.get(feed, "ttl")),
        rows=rows,
        problem=(_problem(parsed.get("bozo_exception"), line_shift) if parsed.get("bozo")
                 else None))


def _row(raw: Any, published_raw: str | None, updated_raw: str | None, timezone: str) -> Row:
    guid = drop_controls(dict.get(raw, "id") or "").strip() or None
    raw_link = dict.get(raw, "link")
    title = _text(dict.get(raw, "title_detail"), dict.get(raw, "title"), title=True)
    contents = [_text(c, c.get("value")) for c in dict.get(raw, "content") or []]
    content = next((c for c in contents if c), "")
    # feedparser copies the content into `summary` (without a `summary_detail`) when there is
    # no summary element: that copy is not a field of its own.
    summary_detail = dict.get(raw, "summary_detail")
    summary = _text(summary_detail, dict.get(raw, "summary")) if summary_detail else ""
    published = to_utc(published_raw, timezone)
    entry = Entry(key="", guid=guid, link=normalize_link(raw_link),
                  display_link=safe_display_link(raw_link), title=title, summary=summary,
                  content=content, published=published, updated=to_utc(updated_raw, timezone))
    fragment = urlsplit(raw_link).fragment if isinstance(raw_link, str) else ""
    return Row(entry, candidate(guid=guid, link=entry.link, title=title, published=published,
                                summary=summary, content=content, fragment=fragment))


def _text(detail: Any, value: str | None, *, title: bool = False) -> str:
    """Reduce a feedparser text construct by its type (HTML or plain text)."""
    if not value:
        return ""
    kind = str(detail.get("type") or "") if detail else ""
    html = "html" in kind
    if title:
        return reduce_title(value, html=html)
    return reduce_html(value) if html else reduce_text(value)


def _ttl(value: object) -> float | None:
    try:
        minutes = float(str(value).strip())
    except ValueError:
        return None
    return minutes * 60.0 if 0 < minutes < 1e6 else None


def _problem(error: object, line_shift: int) -> str:
    line = getattr(error, "getLineNumber", None)
    message = getattr(error, "getMessage", None)
    if callable(line) and callable(message):
        return f"line {max(1, line() - line_shift)}: {message()}"
    return str(error) or type(error).__name__
