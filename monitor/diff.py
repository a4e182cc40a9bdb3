"""Compare an entry with its stored current version: unchanged, silent (and why), or changed.

The rules are DESIGN.md's "Events and what counts as a change"; `fingerprint.RULES_VERSION`
must be bumped whenever they change.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.excerpt import cap_text, changed_paragraphs
from monitor.fingerprint import VersionFields, as_utc, comparable, strip_volatile
from monitor.fold import fold
from monitor.records import Change, DiffResult

# The alert excerpts live in excerpt.py; callers may take them from here with the diff.
__all__ = ["VersionFields", "cap_text", "changed_paragraphs", "diff", "iso_instant"]

# Most telling first: a silent version carries the reason of its weightiest difference.
_SILENT_ORDER = ("link-only", "truncation", "volatile", "cosmetic")

# Trailing truncation markers, peeled one at a time from the end of a summary.
# WordPress writes "Continue reading <title> →"; others "Lire la suite »", "[Read more]".
_MARKERS = (
    re.compile(r"(?:\[\s*(?:…|\.{3})\s*\]|\(\s*(?:…|\.{3})\s*\)|…|\.{3,})[»›→>]?$"),
    re.compile(r"(?:[\[(]\s*)?(?<!\w)(?:lire\s+la\s+suite|read\s+more|continue\s+reading"
               r"(?:\s[^.!?\n]{0,150})?)(?:\s*[\])])?(?:\s*[»›→>])?$", re.IGNORECASE),
)
_MAX_MARKERS = 3  # "… Lire la suite »" is two; more is text, not a trailer
_MARKER_WINDOW = 200  # no marker is longer: searching a short tail keeps long input cheap
_CLOSERS = " \t\n\"'”’»)]"


@dataclass(frozen=True)
class _Summary:
    """A summary as the truncation rule sees it."""

    text: str  # volatile text and truncation marker removed, folded
    marked: bool  # ended with "…", "[…]", "Read more", …
    open_ended: bool  # stops mid-sentence


def iso_instant(value: datetime | None) -> str | None:
    """ISO 8601 UTC with a Z (`2024-05-23T06:03:12Z`); sub-seconds only when present."""
    utc = as_utc(value)
    return None if utc is None else utc.isoformat().replace("+00:00", "Z")


def _text_verdict(before: str, after: str, ignore: Sequence[re.Pattern[str]]) -> str | None:
    """None when equal, else "cosmetic", "volatile" or "real"."""
    if before == after:
        return None
    if fold(before) == fold(after):
        return "cosmetic"
    if ignore and comparable(before, ignore) == comparable(after, ignore):
        return "volatile"
    return "real"


def _peel_markers(text: str) -> tuple[str, bool]:
    """`text` without its trailing truncation markers, and whether it had any."""
    marked = False
    for _ in range(_MAX_MARKERS):
        text = text.rstrip()
        start = max(0, len(text) - _MARKER_WINDOW)
        found = next((m for p in _MARKERS if (m := p.search(text, start))), None)
        if found is None:
            break
        text, marked = text[: found.start()], True
    return text, marked


def _summary(text: str, ignore: Sequence[re.Pattern[str]]) -> _Summary:
    body, marked = _peel_markers(strip_volatile(text, ignore))
    end = body.rstrip(_CLOSERS)
    return _Summary(fold(body), marked, bool(end) and end[-1] not in ".!?")


def _is_truncation(previous: VersionFields, current: VersionFields,
                   ignore: Sequence[re.Pattern[str]]) -> bool:
    """Whether two different summaries agree on the part both versions have."""
    a, b = _summary(previous.summary or "", ignore), _summary(current.summary or "", ignore)
    if a.text == b.text:
        return True
    short, long = (a, b) if len(a.text) <= len(b.text) else (b, a)
    if not long.text.startswith(short.text):
        return False
    # A marked or mid-sentence cut hides what follows it. A complete sentence that gains
    # another is an addition, and an addition is news.
    if short.text and (short.marked or short.open_ended):
        return True
    # Both summaries cut from one content: the content itself is compared as its own field.
    contents = {comparable(previous.content, ignore), comparable(current.content, ignore)}
    return any(len(c) > len(short.text) and c.startswith(long.text) for c in contents)


def diff(previous: VersionFields, current: VersionFields, *, identified_by_guid: bool,
         ignore: Sequence[re.Pattern[str]] = ()) -> DiffResult:
    """Compare `current` with `previous` (the stored current version of the same item).

    unchanged: every stored field is exactly equal, nothing to store. silent: store a new
    version, alert nobody; `reason` is "link-only", "truncation", "volatile" or "cosmetic"
    (the first that applies, in that order). changed: one `Change` per really changed field,
    before and after as stored (dates as ISO 8601 UTC), cosmetic and volatile ones left out.
    """
    real: list[Change] = []
    silent: set[str] = set()
    link_change: Change | None = None
    texts = (("title", previous.title, current.title),
             ("summary", previous.summary, current.summary),
             ("content", previous.content, current.content))
    for name, before, after in texts:
        verdict = _text_verdict(before or "", after or "", ignore)
        if verdict == "real" and name == "summary" and _is_truncation(previous, current, ignore):
            verdict = "truncation"
        if verdict == "real":
            real.append(Change(name, before, after))
        elif verdict is not None:
            silent.add(verdict)
    if (previous.link or "") != (current.link or ""):
        link_change = Change("link", previous.link, current.link)
    dates = (("published", previous.published, current.published),
             ("updated", previous.updated, current.updated))
    for name, old, new in dates:
        if as_utc(old) != as_utc(new):
            real.append(Change(name, iso_instant(old), iso_instant(new)))

    if link_change is not None:
        if real or not identified_by_guid:
            real.append(link_change)
        else:
            silent.add("link-only")
    if real:
        order = ("title", "link", "summary", "content", "published", "updated")
        return DiffResult("changed", tuple(sorted(real, key=lambda c: order.index(c.field))))
    if silent:
        return DiffResult("silent", reason=next(r for r in _SILENT_ORDER if r in silent))
    return DiffResult("unchanged")
