"""Item identity within one feed document (DESIGN "Identity").

Each entry offers a `Candidate`: its guid, its normalised link (and that link with its
fragment, for comment feeds whose entries differ only by `#comment-12`), and hashes of its text.
The keys of a document are assigned together, because a guid or link shared by several entries
of one document is never an identity — and knowing the stored items, because a stored item keeps
its key for as long as one entry of the document can carry it: a newcomer that shares its link
never re-keys it. Guid churn (an unseen guid whose link is a stored item's) is the record
step's, helped by `churn_link`.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from difflib import SequenceMatcher
from typing import Protocol

from monitor.fold import fold
from monitor.records import Entry

__all__ = ["Candidate", "KnownKeys", "Stored", "assign_keys", "candidate", "churn_link",
           "same_article", "stored_among", "stored_identity"]


@dataclass(frozen=True)
class Candidate:
    """What one entry can be known by, most preferred first."""

    guid: str | None
    link: str | None  # normalised
    title_hash: str  # "h:" + 16 hex of the title and the published date
    text_hash: str  # "h:" + 16 hex of title, published, summary and content: breaks ties
    anchored: str | None = None  # the normalised link + "#fragment", when it had one

    def keys(self) -> tuple[str, ...]:
        """Every key this entry could be known by, most preferred first."""
        return tuple(k for k in (self.guid, self.link, self.anchored, self.title_hash,
                                 self.text_hash) if k)


@dataclass(frozen=True)
class Stored:
    """What the poll knows of a stored item's current version, to tell which of several
    entries able to carry its key is that item."""

    title_hash: str
    text_hash: str


def _hash(*parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return "h:" + digest[:16]


def candidate(*, guid: str | None, link: str | None, title: str, published: datetime | None,
              summary: str, content: str, fragment: str = "") -> Candidate:
    """The identity candidate of one normalised entry (reduced text, UTC date); `fragment` is
    the `#…` part of its link as written (normalisation drops it)."""
    when = published.isoformat() if published else ""
    return Candidate(guid=guid or None, link=link or None, title_hash=_hash(title, when),
                     text_hash=_hash("text", title, when, summary, content),
                     anchored=f"{link}#{fragment}" if link and fragment else None)


# Which of the given keys are stored items of the feed, and what their current versions are.
KnownKeys = Callable[[Collection[str]], Mapping[str, Stored]]


def stored_among(candidates: Sequence[Candidate],
                 known: KnownKeys | None) -> Mapping[str, Stored] | None:
    """The stored items among every key the candidates could be known by."""
    if known is None:
        return None
    return known({key for c in candidates for key in c.keys()})


class _Version(Protocol):
    @property
    def title(self) -> str | None: ...
    @property
    def published(self) -> datetime | None: ...
    @property
    def summary(self) -> str | None: ...
    @property
    def content(self) -> str | None: ...


def stored_identity(*, title: str, published: datetime | None, summary: str,
                    content: str) -> Stored:
    """The `Stored` identity of a stored version (its fields as the parse step made them)."""
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=UTC)  # a naive stored date is UTC
    made = candidate(guid=None, link=None, title=title, published=published, summary=summary,
                     content=content)
    return Stored(made.title_hash, made.text_hash)


def assign_keys(candidates: Sequence[Candidate],
                known: Mapping[str, Stored] | None = None) -> list[str | None]:
    """The key of each entry of one document, in order; None for an entry to drop.

    An entry identical to an earlier one (same guid, link and text) is that entry listed
    twice: it gets None, and the other entries are keyed as if it were absent. Each other
    entry is known by its guid; where missing or shared, by its normalised link; where that is
    shared too, by its link with its fragment; else by the hash of its title and published
    date. Entries that still end with one key between them are told apart by a hash of their
    whole text.

    `known` holds the stored items among the candidates' keys. An entry whose own key is stored
    keeps it; a stored key no entry owns goes to an entry that can carry it — the one with the
    item's text, else its title, else the last in the document (feeds list newest first) — so
    that a newcomer sharing a stored item's link or guid never moves the stored item's key.
    """
    first: dict[Candidate, int] = {}
    for index, cand in enumerate(candidates):
        first.setdefault(cand, index)
    guids = Counter(c.guid for c in first if c.guid)
    links = Counter(c.link for c in first if c.link)
    anchors = Counter(c.anchored for c in first if c.anchored)
    preferred = {
        c: c.guid if c.guid and guids[c.guid] == 1
        else c.link if c.link and links[c.link] == 1
        else c.anchored if c.anchored and anchors[c.anchored] == 1
        else c.title_hash
        for c in first
    }
    counts = Counter(preferred.values())
    own = {c: key if counts[key] == 1 else c.text_hash for c, key in preferred.items()}
    if known:
        own = _keep_stored_keys(list(first), own, known)
    result: list[str | None] = []
    used: set[str] = set()
    for index, cand in enumerate(candidates):
        key = own[cand]
        result.append(None if first[cand] != index or key in used else key)
        used.add(key)
    return result


def _keep_stored_keys(order: list[Candidate], own: dict[Candidate, str],
                      known: Mapping[str, Stored]) -> dict[Candidate, str]:
    """`own` with every stored key that some entry can carry given to one such entry.

    Pairs of (entry, stored key it can carry) are settled best first: the entry has the
    item's very text, else its title, else the key is the entry's own; a stored key left over
    goes to the last entry that can carry it (feeds list newest first, so the older entry)."""
    def score(cand: Candidate, key: str) -> int:
        item = known[key]
        return (3 if cand.text_hash == item.text_hash else
                2 if cand.title_hash == item.title_hash else
                1 if own[cand] == key else 0)

    pairs = [(score(c, key), -index, rank, c, key)
             for index, c in enumerate(order)
             for rank, key in enumerate(c.keys()) if key in known]
    # Best score first; among equals the later entry, then its more preferred key.
    pairs.sort(key=lambda p: (-p[0], p[1] if p[0] == 0 else -p[1], p[2]))
    result = dict(own)
    settled: set[Candidate] = set()
    taken: set[str] = set()
    for _, _, _, cand, key in pairs:
        if cand in settled or key in taken:
            continue
        result[cand] = key
        settled.add(cand)
        taken.add(key)
    # An entry left with its own key while that key went to another entry needs another one.
    for cand in order:
        if cand not in settled and result[cand] in taken:
            result[cand] = cand.text_hash
    return result


def same_article(before: _Version, after: _Version) -> bool:
    """Whether two versions with nothing but their text to go by are one article reworded:
    nearly the same summary and content, or, when they have none, nearly the same title."""
    def words(*texts: str | None) -> list[str]:
        return fold(" ".join(t or "" for t in texts)).split()

    body_before, body_after = words(before.summary, before.content), words(
        after.summary, after.content)
    if body_before and body_after:
        return SequenceMatcher(None, body_before, body_after, autojunk=False).ratio() >= 0.8
    if body_before or body_after:
        return False
    title_before, title_after = words(before.title), words(after.title)
    return bool(title_before and title_after) and SequenceMatcher(
        None, title_before, title_after, autojunk=False).ratio() >= 0.6


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
