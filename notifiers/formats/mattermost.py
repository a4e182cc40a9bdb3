"""Mattermost: an incoming-webhook body whose `text` is Markdown.

Mattermost pings `@channel`, `@all`, `@here` and any `@username` written in a post, so every
word-initial `@` in feed text gets a zero-width space, and Markdown in feed text is escaped.
The text stays within 4000 characters, the limit of older servers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from notifiers import digest
from notifiers.base import Alert
from notifiers.chatformats import (
    clip,
    digest_pieces,
    link_target,
    more_line,
    neutralise_mentions,
    pack,
    units,
    view,
)

TEXT_MAX = 4000
SUMMARY_MAX = 1000
FACT_MAX = 300
LINK_MAX = 1000  # a longer link in a digest is left out rather than crowd the others out
MORE_ROOM = 40  # kept for the "+ N more" line

_MARKDOWN = re.compile(r"([\\`*_~|<>\[\]#])")


def escape(text: str) -> str:
    """Markdown escaped (links, emphasis, headings, tables), mentions neutralised."""
    return _MARKDOWN.sub(r"\\\1", neutralise_mentions(text))


def render(alert: Alert) -> dict[str, Any]:
    """The Mattermost message for `alert`: Markdown within 4000 characters, no ping."""
    v = view(alert)
    title = clip(v.title, 300, escape)
    head = [f"#### {clip(v.headline, 300, escape)}",
            f"**[{title}]({link_target(v.link)})**" if v.link else f"**{title}**"]
    colon = v.labels["colon"]
    facts = "\n".join(
        f"**{escape(f.label + colon)}** {clip(f.value, FACT_MAX, escape)}" for f in v.facts
    )
    footer = f"_{clip(v.footer, 300, escape)}_"
    used = sum(units(p) + 2 for p in (*head, facts, footer))
    parts = list(head)
    if v.text:
        parts.append(clip(v.text, min(SUMMARY_MAX, TEXT_MAX - used - 2), escape))
        used += units(parts[-1]) + 2
    if facts:
        parts.append(facts)
    before, after = f"**{escape(v.caption('before'))}** ", f"**{escape(v.caption('after'))}** "
    for i, c in enumerate(v.changes):
        label = f"**{clip(c.label, 200, escape)}**"
        share = (TEXT_MAX - used) // (len(v.changes) - i)
        side = (share - units(label) - units(before) - units(after) - 6) // 2
        if side < 20:
            break
        block = (f"{label}\n{before}{clip(c.before, side, escape)}\n"
                 f"{after}{clip(c.after, side, escape)}")
        parts.append(block)
        used += units(block) + 2
    parts.append(footer)
    return {"text": "\n\n".join(parts)}


def _digest_entry(line: digest.Line) -> str:
    title = clip(line.headline, 300, escape)
    if line.link and len(line.link) <= LINK_MAX:
        title = f"[{title}]({link_target(line.link)})"
    return f"- **{title}**\n  {clip(line.meta, FACT_MAX, escape)}"


def render_digest(alerts: Sequence[Alert]) -> dict[str, Any]:
    """One Mattermost message listing a digest's alerts by watch, within 4000 characters."""
    head = f"#### {clip(digest.digest_headline(alerts), 300, escape)}"
    pieces = digest_pieces(alerts, _digest_entry, lambda t: f"\n**{clip(t, 200, escape)}**")
    chunks, shown = pack(pieces, TEXT_MAX - units(head) - MORE_ROOM, 1)
    parts = [head, *chunks]
    more = more_line(shown, len(alerts), alerts[0].language)
    if more:
        parts.append(f"_{escape(more)}_")
    return {"text": "\n".join(parts)}
