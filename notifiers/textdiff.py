"""Word-level differences for people: `[-removed-]{+added+}` in text, `<del>`/`<ins>` in HTML.

Works on words, punctuation and spaces as tokens (difflib), so a revision that changes one date
in a paragraph marks that date, not the paragraph. difflib's cost grows with the product of the
two lengths and with how often tokens repeat (a 4,000-character text repeating a few words took
seconds), so long texts are compared sentence by sentence first, and words are compared only
inside a changed run of sentences that is small enough; a longer run is shown as replaced whole.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from markupsafe import Markup, escape

_TOKEN = re.compile(r"\w+|[^\w\s]+|\s+")
_SENTENCE_END = re.compile(r"[.!?…;:]$")
WORD_BUDGET = 40_000  # token pairs one word-level comparison may weigh (~200 × 200 tokens)

# One segment of a diff: (before tokens, after tokens); equal when both are the same list.
_Segment = tuple[list[str], list[str], bool]


def _tokens(text: str | None) -> list[str]:
    return _TOKEN.findall(text or "")


def _words(a: list[str], b: list[str]) -> list[_Segment]:
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return [(a[i1:i2], b[j1:j2], tag == "equal") for tag, i1, i2, j1, j2 in matcher.get_opcodes()]


def _sentences(tokens: list[str]) -> list[tuple[str, ...]]:
    """`tokens` cut after each sentence end followed by a space, and at each line break."""
    units: list[tuple[str, ...]] = []
    start = 0
    for i, token in enumerate(tokens):
        ends = "\n" in token or (token.isspace() and i > 0 and _SENTENCE_END.search(tokens[i - 1]))
        if ends or i == len(tokens) - 1:
            units.append(tuple(tokens[start:i + 1]))
            start = i + 1
    return units


def _bounded(a: list[str], b: list[str]) -> list[_Segment]:
    """Sentences compared first; inside a changed run, sentence pairs compared word by word
    while each pair stays within WORD_BUDGET, anything longer shown replaced whole."""
    sa, sb = _sentences(a), _sentences(b)
    segments: list[_Segment] = []
    matcher = SequenceMatcher(None, sa, sb, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            segments.append(([t for u in sa[i1:i2] for t in u],
                             [t for u in sb[j1:j2] for t in u], True))
            continue
        old, new = list(sa[i1:i2]), list(sb[j1:j2])
        while old and new and len(old[0]) * len(new[0]) <= WORD_BUDGET:
            segments += _words(list(old.pop(0)), list(new.pop(0)))
        if old or new:
            segments.append(([t for u in old for t in u], [t for u in new for t in u], False))
    return segments


def _segments(before: str | None, after: str | None) -> list[_Segment]:
    """Equal and changed runs; changes separated only by white space are merged into one."""
    a, b = _tokens(before), _tokens(after)
    segments = _words(a, b) if len(a) * len(b) <= WORD_BUDGET else _bounded(a, b)
    merged: list[_Segment] = []
    for seg in segments:
        if merged and seg[2] == merged[-1][2]:  # runs of sentences compared apart, joined
            prev = merged.pop()
            seg = (prev[0] + seg[0], prev[1] + seg[1], seg[2])
        # "[-a-]{+b+} [-c-]{+d+}" reads worse than "[-a c-]{+b d+}".
        elif (
            not seg[2]
            and len(merged) >= 2
            and merged[-1][2]
            and "".join(merged[-1][0]).isspace()
            and not merged[-2][2]
        ):
            space = merged.pop()[0]
            prev = merged.pop()
            seg = (prev[0] + space + seg[0], prev[1] + space + seg[1], False)
        merged.append(seg)
    return merged


def _split_edges(text: str) -> tuple[str, str, str]:
    """Leading space, core, trailing space: markers hug the words, not the spaces."""
    core = text.strip()
    if not core:
        return text, "", ""
    start = text.index(core)
    return text[:start], core, text[start + len(core) :]


def _wrap(text: str, opening: str, closing: str) -> str:
    lead, core, trail = _split_edges(text)
    return f"{lead}{opening}{core}{closing}{trail}" if core else lead


def mark_text(before: str | None, after: str | None) -> str:
    """One line of text showing both versions: `[-removed-]{+added+}` around changed words."""
    out: list[str] = []
    for old, new, equal in _segments(before, after):
        if equal:
            out.append("".join(old))
            continue
        removed, added = "".join(old), "".join(new)
        if removed.strip():
            out.append(_wrap(removed, "[-", "-]"))
        if added.strip():
            out.append(_wrap(added, "{+", "+}"))
        elif not removed.strip():
            out.append(removed or added)
    return "".join(out)


def mark_html(before: str | None, after: str | None) -> tuple[Markup, Markup]:
    """Both versions as escaped HTML: removed words in `<del>` (before), added in `<ins>`."""
    old_html: list[str] = []
    new_html: list[str] = []
    for old, new, equal in _segments(before, after):
        removed, added = "".join(old), "".join(new)
        if equal:
            old_html.append(str(escape(removed)))
            new_html.append(str(escape(added)))
            continue
        old_html.append(_wrap_html(removed, "del"))
        new_html.append(_wrap_html(added, "ins"))
    return Markup("".join(old_html)), Markup("".join(new_html))


def _wrap_html(text: str, tag: str) -> str:
    lead, core, trail = _split_edges(text)
    if not core:
        return str(escape(lead))
    return f"{escape(lead)}<{tag}>{escape(core)}</{tag}>{escape(trail)}"
