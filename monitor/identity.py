"""Item identity within one feed document (DESIGN "Identity").

Each entry offers a `Candidate`: its guid, its normalised link, and hashes of its text. The keys
of a document are assigned together, because a guid or link shared by several entries of one
document is never an identity. Guid churn (an unseen guid whose link is a stored item's) needs
the database and is the poll step's, helped by `churn_link`.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.records import Entry

__all__ = ["Candidate", "assign_keys", "candidate", "churn_link"]


@dataclass(frozen=True)
class Candidate:
    """What one entry can be known by, most preferred first."""

    guid: str | None
    link: str | None  # normalised
    title_hash: str  # "h:" + 16 hex of the title and the published date
    text_hash: str  # "h:" + 16 hex of title, published, summary and content: breaks ties


def _hash(*parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return "h:" + digest[:16]


def candidate(*, guid: str | None, link: str | None, title: str, published: datetime | None,
              summary: str, content: str) -> Candidate:
    """The identity candidate of one normalised entry (reduced text, UTC date)."""
    when = published.isoformat() if published else ""
    return Candidate(guid=guid or None, link=link or None, title_hash=_hash(title, when),
                     text_hash=_hash("text", title, when, summary, content))


def assign_keys(candidates: Sequence[Candidate]) -> list[str | None]:
    """The key of each entry of one document, in order; None for an entry to drop.

    An entry identical to an earlier one (same guid, link and text) is that entry listed
    twice: it gets None, and the other entries are keyed as if it were absent. Each other
    entry is known by its guid; where missing or shared, by its normalised link; where that is
    missing or shared too, by the hash of its title and published date. Entries that still
    end with one key between them are told apart by a hash of their whole text.
    """
    first: dict[Candidate, int] = {}
    for index, cand in enumerate(candidates):
        first.setdefault(cand, index)
    guids = Counter(c.guid for c in first if c.guid)
    links = Counter(c.link for c in first if c.link)
    preferred = {
        c: c.guid if c.guid and guids[c.guid] == 1
        else c.link if c.link and links[c.link] == 1
        else c.title_hash
        for c in first
    }
    counts = Counter(preferred.values())
    result: list[str | None] = []
    used: set[str] = set()
    for index, cand in enumerate(candidates):
        key = preferred[cand] if counts[preferred[cand]] == 1 else cand.text_hash
        result.append(None if first[cand] != index or key in used else key)
        used.add(key)
    return result


def churn_link(entry: Entry, links_in_document: Iterable[str | None]) -> str | None:
    """The link by which `entry` may be the stored item it was before its guid changed.

    Only for an entry known by its guid whose normalised link appears exactly once in the
    document. `links_in_document` lists the links of every entry of the document, including
    those only known by key (`ParsedFeed.unchanged_keys`: take their stored links). When the
    poll step finds no stored item with the entry's key but one whose link equals this one,
    the entry is that item (DESIGN "Identity": guid churn).
    """
    if entry.guid is None or entry.key != entry.guid or entry.link is None:
        return None
    return entry.link if sum(1 for x in links_in_document if x == entry.link) == 1 else None
