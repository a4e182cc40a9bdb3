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
_SILENT_ORDER = ("link-only", "truncation", "volatile", "encoding", "cosmetic")
# Ways a UTF-8 text is misread as a single-byte one (feedparser's whole-document fallbacks).
_MISREADINGS = ("cp1252", "iso8859-2", "latin-1", "iso8859-15", "cp1251", "koi8-r", "cp932",
                "gb18030", "cp949", "big5")

# Trailing truncation markers, peeled one at a time from the end of a summary.
# WordPress writes "Continue reading <title> →"; others "Lire la suite »", "[Read more]".
_MARKERS = (
    re.compile(r"(?:\[\s*(?:…|\.{3})\s*\]|\(\s*(?:…|\.{3})\s*\)|…+|\.{3,})[»›→>]?$"),
    re.compile(r"(?:[\[(]\s*)?(?<!\w)(?:lire\s+la\s+suite|lire\s+plus|en\s+savoir\s+plus"
               r"|continuer\s+la\s+lecture|read\s+more|read\s+the\s+full\s+(?:story|article)"
               r"|continue\s+reading(?:\s[^.!?\n]{0,150})?|weiterlesen|mehr\s+lesen"
               r"|leer\s+m[aá]s|seguir\s+leyendo|continuar\s+leyendo|czytaj\s+dalej"
               r"|czytaj\s+wi[eę]cej|cite[sș]te\s+mai\s+mult|leggi\s+(?:tutto|di\s+pi[uù])"
               r"|lees\s+meer|читать\s+далее|подробнее|читати\s+далі)"
               r"(?:\s*[\])])?(?:\s*(?:>>|[»›→>\"']))?$", re.IGNORECASE),
    # Chinese, Japanese and Korean markers follow the text with no space to bound a word.
    re.compile(r"(?:阅读全文|閱讀全文|查看全文|続きを読む|もっと読む|더\s?보기|계속\s?읽기)"
               r"(?:\s*[»›→>])?$"),
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
    """None when equal, else "cosmetic", "volatile", "encoding" or "real"."""
    if before == after:
        return None
    if fold(before) == fold(after):
        return "cosmetic"
    if comparable(before, ignore) == comparable(after, ignore):
        return "volatile"
    if _same_but_for_decoding(before, after):
        return "encoding"
    return "real"


def _misread(text: str) -> str | None:
    """`text` read back as the UTF-8 it was before a single-byte misreading, if it was; bytes
    lost since (a no-break space collapsed by the text reduction) come back as U+FFFD."""
    if text.isascii():
        return None
    for name in _MISREADINGS:
        try:
            raw = text.encode(name)
        except UnicodeEncodeError:
            continue
        repaired = raw.decode("utf-8", "replace")
        if repaired != text and repaired.count("\ufffd") * 4 < len(repaired):
            return repaired
    return None


def _equal_but_for_replacements(one: str, other: str) -> bool:
    """Whether `other` is `one` with each U+FFFD standing for one character or two (compared
    folded; a Hangul syllable folds to up to three letters, an accented one to two)."""
    parts = fold(one).split("\ufffd")
    if len(parts) == 1 or len(parts) > 64:
        return fold(one) == fold(other)
    return re.fullmatch(".{0,6}".join(map(re.escape, parts)), fold(other)) is not None


def _same_but_for_decoding(before: str, after: str) -> bool:
    """Whether two texts differ only by how their bytes were decoded: mojibake of the same
    text ("BrĂśtzmann" for "Brötzmann"), or characters a decoder could not read (U+FFFD)."""
    for one, other in ((before, after), (after, before)):
        repaired = _misread(one)
        if repaired is not None and _equal_but_for_replacements(repaired, other):
            return True
        if "\ufffd" in one and _equal_but_for_replacements(one, other):
            return True
    return False


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


def _paragraphs(text: str, ignore: Sequence[re.Pattern[str]]) -> list[str]:
    body, _ = _peel_markers(strip_volatile(text, ignore))
    return [folded for line in body.split("\n") if (folded := fold(line))]


def _cut_inside_paragraph(cut: list[str], whole: list[str]) -> bool:
    """Whether `cut` is `whole` stopped inside one of its paragraphs, not between two."""
    if not cut or len(cut) > len(whole) or cut[:-1] != whole[:len(cut) - 1]:
        return False
    last, full = cut[-1], whole[len(cut) - 1]
    return full != last and full.startswith(last)


def _is_truncation(name: str, previous: VersionFields, current: VersionFields,
                   ignore: Sequence[re.Pattern[str]]) -> bool:
    """Whether two different texts of field `name` agree on the part both versions have."""
    a = _summary(getattr(previous, name) or "", ignore)
    b = _summary(getattr(current, name) or "", ignore)
    if a.text == b.text:
        return True
    short, long = (a, b) if len(a.text) <= len(b.text) else (b, a)
    if not long.text.startswith(short.text):
        return False
    # A marked or mid-sentence cut hides what follows it. A complete sentence that gains
    # another is an addition, and an addition is news. A title has no final stop, so only
    # an explicit marker ("…") makes a shorter title a cut one; an article's text often ends
    # a paragraph without one (a photo caption), so there a cut must fall inside a paragraph.
    if short.text and short.marked:
        return True
    if name == "content":
        texts = (getattr(previous, name) or "", getattr(current, name) or "")
        cut, whole = (_paragraphs(t, ignore) for t in (texts if short is a else texts[::-1]))
        return short.open_ended and _cut_inside_paragraph(cut, whole)
    if name == "title":
        return False
    if short.text and short.open_ended:
        return True
    # Both summaries cut from one content: the content itself is compared as its own field.
    contents = {comparable(previous.content, ignore), comparable(current.content, ignore)}
    return any(len(c) > len(short.text) and c.startswith(long.text) for c in contents)


def diff(previous: VersionFields, current: VersionFields, *, identified_by_guid: bool,
         ignore: Sequence[re.Pattern[str]] = ()) -> DiffResult:
    """Compare `current` with `previous` (the stored current version of the same item).

    unchanged: every stored field is exactly equal, nothing to store. silent: store a new
    version, alert nobody; `reason` is "link-only", "truncation", "volatile", "encoding" or
    "cosmetic"
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
        if verdict == "real" and _is_truncation(name, previous, current, ignore):
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
