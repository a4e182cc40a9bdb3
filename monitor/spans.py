"""Where in a field's own text the folded terms were found: the spans alerts highlight.

Folding changes lengths (`œ` → `oe`, marks dropped, spaces collapsed), so `fold_map` folds a
text character by character and keeps, for every folded character, the one it came from.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from monitor.fold import _replacements as _table
from monitor.fold import fold

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class FoldMap:
    """`folded` is `fold(text)`; `origin[i]` is the index in `text` of folded character i."""

    text: str
    folded: str
    origin: tuple[int, ...]

    def span(self, start: int, end: int) -> Span:
        """The span of `text` that folded characters [start, end) came from, with the
        marks and invisible characters that follow its last character."""
        first, last = self.origin[start], self.origin[end - 1] + 1
        while last < len(self.text) and _piece(self.text[last]) == "":
            last += 1
        return first, last


@lru_cache(maxsize=4096)
def _piece(char: str) -> str:
    """What `fold` makes of `char` alone, before spaces are collapsed."""
    if char.isascii():
        return " " if char in "-'`" else char.casefold()
    out = []
    table = _table()
    for part in unicodedata.normalize("NFKD", char):
        part = table.get(part, part)
        out.append(part.replace("-", " ").replace("'", " ").replace("`", " "))
    return "".join(out).casefold()


def fold_map(text: str) -> FoldMap | None:
    """`text` folded with the origin of each character; None in the rare text where folding
    character by character differs from folding the whole (combining marks reordered)."""
    chars: list[str] = []
    origin: list[int] = []
    space = False
    for index, char in enumerate(text):
        for out in _piece(char):
            if out.isspace():
                space = bool(chars)
                continue
            if space:
                chars.append(" ")
                origin.append(index)
                space = False
            chars.append(out)
            origin.append(index)
    folded = "".join(chars)
    if folded != fold(text):
        return None
    return FoldMap(text, folded, tuple(origin))


def _whole(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is not glued to a word character on either side."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before == "_" or after.isalnum() or after == "_")


def term_spans(mapped: FoldMap, folded_term: str) -> list[Span]:
    """Spans of `mapped.text` where `folded_term` occurs as whole words."""
    spans = []
    folded, start = mapped.folded, mapped.folded.find(folded_term)
    while start >= 0 and folded_term:
        end = start + len(folded_term)
        if _whole(folded, start, end):
            spans.append(mapped.span(start, end))
        start = folded.find(folded_term, start + 1)
    return spans


def regex_spans(mapped: FoldMap, pattern: re.Pattern[str]) -> list[Span]:
    """Spans of `mapped.text` where `pattern` matches its folded form (empty matches left)."""
    return [mapped.span(m.start(), m.end()) for m in pattern.finditer(mapped.folded)
            if m.end() > m.start()]


_GAP = "[\\s\\-'`\u2010-\u2015\u2019\u2018\u00ad\u200b]+"


def exact_spans(text: str, words: tuple[str, ...]) -> list[Span]:
    """Spans of `text` holding the case-sensitive `words`, separated as `exact` allows."""
    if not words:
        return []
    pattern = re.compile(r"(?<!\w)" + _GAP.join(map(re.escape, words)) + r"(?!\w)")
    nfc = unicodedata.normalize("NFC", text)
    if len(nfc) != len(text):  # offsets would not be the text's own
        return []
    return [m.span() for m in pattern.finditer(nfc)]


def merged(spans: list[Span]) -> list[Span]:
    """`spans` sorted, overlapping or touching ones joined."""
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out
