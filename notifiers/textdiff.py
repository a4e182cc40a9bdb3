"""Word-level differences for people: `[-removed-]{+added+}` in text, `<del>`/`<ins>` in HTML.

Works on words, punctuation and spaces as tokens (difflib), so a revision that changes one date
in a paragraph marks that date, not the paragraph.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from markupsafe import Markup, escape

_TOKEN = re.compile(r"\w+|[^\w\s]+|\s+")

# One segment of a diff: (before tokens, after tokens); equal when both are the same list.
_Segment = tuple[list[str], list[str], bool]


def _tokens(text: str | None) -> list[str]:
    return _TOKEN.findall(text or "")


def _segments(before: str | None, after: str | None) -> list[_Segment]:
    """Equal and changed runs; changes separated only by white space are merged into one."""
    a, b = _tokens(before), _tokens(after)
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    segments: list[_Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        equal = tag == "equal"
        segments.append((a[i1:i2], b[j1:j2], equal))
    merged: list[_Segment] = []
    for seg in segments:
        # "[-a-]{+b+} [-c-]{+d+}" reads worse than "[-a c-]{+b d+}".
        if (
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
