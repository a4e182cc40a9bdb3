"""Incremental parse: only entries whose raw XML changed since the last poll go through
feedparser; the others are known unchanged by their bytes.

The document is split into a header, one chunk per `<item>`/`<entry>` and a footer. The
`ParsedFeed.cache` of a parse remembers, for its context (header, footer, base URL, time zone,
rules), each chunk's hash, key and identity candidate. The next parse in the same context sends
only the unknown chunks, framed by the header and footer, to feedparser, and assigns the keys
of the whole document again from the remembered candidates, so they are exactly a full
parse's. Anything unusual returns None: the caller then parses the whole document.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

import feedparser

from monitor.fingerprint import RULES_VERSION
from monitor.identity import Candidate, KnownKeys, assign_keys, stored_among
from monitor.records import ParsedFeed

if TYPE_CHECKING:
    from monitor.parse import Document, Row

__all__ = ["CACHE_VERSION", "Split", "context", "make_cache", "reparse", "split"]

# Bump whenever parsing or identity rules change what a chunk yields: old caches then miss.
# (feedparser's version and `RULES_VERSION` are part of every cache's context too.)
CACHE_VERSION = 2

# CDATA sections, comments and processing instructions are matched whole so that an `<item>`
# inside them is never taken for a tag; unterminated ones run to the end and are refused.
_TOKEN = re.compile(
    rb"<!\[CDATA\[.*?(?:\]\]>|\Z)|<!--.*?(?:-->|\Z)|<\?.*?(?:\?>|\Z)"
    rb"|<(/?)([\w.-]+:)?(item|entry)(?=[\s/>])[^<>]*>?",
    re.DOTALL)
_START_TAG = re.compile(rb"<(item|entry)(?:\s+[\w:.-]+\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'))*\s*>")
_END_TAG = re.compile(rb"</(item|entry)\s*>")
_CLOSERS = {b"<![": b"]]>", b"<!-": b"-->", b"<?": b"?>"}
# Feed-level dates change with every regeneration of a feed and never reach an entry.
_FEED_DATES = re.compile(
    rb"<(lastBuildDate|pubDate|updated|dc:date|dcterms:modified|atom:updated)>[^<]*</\1>")


@dataclass(frozen=True)
class Split:
    """A feed document as header + entry chunks + footer (separators were white space)."""

    header: bytes
    chunks: tuple[bytes, ...]
    footer: bytes


def split(data: bytes) -> Split | None:
    """Split `data` into entry chunks, or None if the scan is in any way ambiguous."""
    bounds: list[tuple[int, int]] = []
    start = -1
    name = b""
    for token in _TOKEN.finditer(data):
        text = token.group(0)
        if token.group(3) is None:
            closer = _CLOSERS[text[:2] if text[1] == ord("?") else text[:3]]
            if not text.endswith(closer) or len(text) < 4 + len(closer):
                return None
            continue
        if token.group(2) is not None:  # a prefixed item/entry: leave it to a full parse
            return None
        if token.group(1):
            if start < 0 or not _END_TAG.fullmatch(text) or token.group(3) != name:
                return None
            bounds.append((start, token.end()))
            start = -1
        else:
            if start >= 0 or not _START_TAG.fullmatch(text):
                return None
            if name and token.group(3) != name:
                return None
            start, name = token.start(), token.group(3)
    if start >= 0 or not bounds:
        return None
    for (_, end), (next_start, _) in pairwise(bounds):
        if data[end:next_start].strip():
            return None
    return Split(header=data[:bounds[0][0]],
                 chunks=tuple(data[a:b] for a, b in bounds),
                 footer=data[bounds[-1][1]:])


def context(parts: Split, *, base: str, timezone: str) -> str:
    """The digest of everything besides a chunk that decides what the chunk yields."""
    digest = hashlib.blake2b(digest_size=16)
    # A new version of the fingerprint rules misses every cache, so that the poll step sees
    # every entry again and can re-fingerprint them.
    for text in (str(CACHE_VERSION), str(RULES_VERSION), feedparser.__version__, base, timezone):
        digest.update(text.encode("utf-8") + b"\x00")
    digest.update(_FEED_DATES.sub(b"", parts.header) + b"\x00" + parts.footer)
    return digest.hexdigest()


def _hash(chunk: bytes) -> str:
    return hashlib.blake2b(chunk, digest_size=16).hexdigest()


def make_cache(parts: Split, context: str, rows: Sequence[Row],
               keys: Sequence[str | None]) -> bytes | None:
    """The cache of a full parse, or None when its entries cannot be tied to the chunks."""
    hashes = [_hash(chunk) for chunk in parts.chunks]
    if len(rows) != len(hashes) or len(set(hashes)) != len(hashes) or None in keys:
        return None
    return _dump(context, hashes, [row.candidate for row in rows], keys)


def _dump(context: str, hashes: Sequence[str], candidates: Sequence[Candidate],
          keys: Sequence[str | None]) -> bytes:
    chunks = [[h, k, c.guid, c.link, c.title_hash, c.text_hash, c.anchored]
              for h, k, c in zip(hashes, keys, candidates, strict=True)]
    return json.dumps({"v": CACHE_VERSION, "context": context, "chunks": chunks},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _load(cache: bytes, context: str) -> dict[str, tuple[str, Candidate]] | None:
    try:
        state = json.loads(cache)
        if state["v"] != CACHE_VERSION or state["context"] != context:
            return None
        return {h: (k, Candidate(guid=g, link=ln, title_hash=th, text_hash=xh, anchored=a))
                for h, k, g, ln, th, xh, a in state["chunks"]}
    except (ValueError, KeyError, TypeError):
        return None


def reparse(parts: Split, context: str, cache: bytes, read: Callable[[bytes], Document],
            known: KnownKeys | None = None) -> ParsedFeed | None:
    """Parse only the chunks `cache` does not know; None whenever a full parse is needed."""
    remembered = _load(cache, context)
    if remembered is None:
        return None
    hashes = [_hash(chunk) for chunk in parts.chunks]
    if len(set(hashes)) != len(hashes):
        return None
    fresh = [i for i, h in enumerate(hashes) if h not in remembered]
    frame = parts.header + b"\n".join(parts.chunks[i] for i in fresh) + parts.footer
    document = read(frame)
    if document.problem or not document.version or len(document.rows) != len(fresh):
        return None
    rows: dict[int, Row] = dict(zip(fresh, document.rows, strict=True))
    candidates = [rows[i].candidate if i in rows else remembered[h][1]
                  for i, h in enumerate(hashes)]
    keys: list[str] = []
    for i, key in enumerate(assign_keys(candidates, stored_among(candidates, known))):
        # A remembered chunk whose key moves (a guid now shared, a duplicate) is not unchanged.
        if key is None or (i not in rows and key != remembered[hashes[i]][0]):
            return None
        keys.append(key)
    return ParsedFeed(
        version=document.version, title=document.title, link=document.link,
        entries=tuple(rows[i].keyed(keys[i]) for i in fresh),
        ttl_seconds=document.ttl_seconds,
        unchanged_keys=tuple(keys[i] for i in range(len(keys)) if i not in rows),
        cache=_dump(context, hashes, candidates, keys))
