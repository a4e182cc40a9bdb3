"""Short texts for alerts: a capped summary, and a change's changed paragraphs only.

A one-word edit of a long article shows its paragraph, not the whole article twice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher

from monitor.fingerprint import comparable

SKIPPED = "…"  # stands for unchanged paragraphs left out
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_LAST_SPACE = re.compile(r"\s\S*$")
_DANGLING = " \t\n,;:-–—"


def cap_text(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, "…" included, at a word boundary.

    A word longer than half the limit is cut inside; text that fits is returned as is.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if not text[limit - 1].isspace():
        space = _LAST_SPACE.search(head)
        if space is not None and space.start() > limit // 2:
            head = head[: space.start()]
    return head.rstrip(_DANGLING) + "…"


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in _PARAGRAPH_BREAK.split(text) if p.strip()]


def _changed_runs(old: list[str], new: list[str], keys_old: list[str],
                  keys_new: list[str]) -> tuple[list[str], list[str], bool] | None:
    """Changed paragraphs of each side, `SKIPPED` for runs of equal ones, and whether any
    run was skipped; None when no paragraph differs."""
    kept_old: list[str] = []
    kept_new: list[str] = []
    opcodes = SequenceMatcher(None, keys_old, keys_new, autojunk=False).get_opcodes()
    if all(tag == "equal" for tag, *_ in opcodes):
        return None
    for tag, i1, i2, j1, j2 in opcodes:
        if tag != "equal":
            kept_old.extend(old[i1:i2])
            kept_new.extend(new[j1:j2])
            continue
        for side in (kept_old, kept_new):
            if not side or side[-1] != SKIPPED:
                side.append(SKIPPED)
    return kept_old, kept_new, any(tag == "equal" for tag, *_ in opcodes)


def _window(text: str, start: int, limit: int) -> str:
    """At most `limit` characters of `text`, starting a little before offset `start`."""
    if len(text) <= limit:
        return text
    lead = limit // 4
    if start <= lead:
        return cap_text(text, limit)
    begin = start - lead
    boundary = re.search(r"\s", text[begin:start])
    if boundary is not None:
        begin += boundary.end()
    return cap_text(SKIPPED + " " + text[begin:], limit)


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def changed_paragraphs(before: str, after: str, limit: int = 4096, *,
                       ignore: Sequence[re.Pattern[str]] = ()) -> tuple[str, str, bool]:
    """`before` and `after` reduced to their changed paragraphs, each ≤ `limit` characters.

    Paragraphs are separated by blank lines; runs of unchanged ones become "…". Paragraphs are
    compared as change detection compares text (folded, `ignore` patterns removed); if none
    differs that way, exactly. A side longer than `limit` is cut around the first difference.
    The flag says whether anything of either text was left out.
    """
    old, new = _paragraphs(before), _paragraphs(after)
    runs = _changed_runs(
        old, new, [comparable(p, ignore) for p in old], [comparable(p, ignore) for p in new])
    if runs is None:
        runs = _changed_runs(old, new, old, new)
    if runs is None:
        return "", "", False
    kept_old, kept_new, skipped = runs
    text_old, text_new = "\n\n".join(kept_old), "\n\n".join(kept_new)
    start = _common_prefix(text_old, text_new)
    short_old, short_new = _window(text_old, start, limit), _window(text_new, start, limit)
    capped = short_old != text_old or short_new != text_new
    return short_old, short_new, skipped or capped
