"""Mattermost: an incoming-webhook body whose `text` is Markdown.

Mattermost pings `@channel`, `@all`, `@here` and any `@username` written in a post, after
undoing Markdown escapes and even behind `_`, `.`, `-` or `:` (`\\_@channel` pings), so every
`@` before a name in feed text gets a zero-width space. Its incoming webhooks also turn
Slack's `<!channel>`, `<!here>`, `<!all>` into those mentions, and `<url|text>` into links,
before anything else: feed text never reaches the post with a raw `<` (`&`, `<`, `>` become
entities, which Markdown shows as the characters), and the rest of Markdown is escaped with
backslashes. The text stays within 4000 characters, the limit of older servers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from notifiers import digest, highlight
from notifiers.base import Alert
from notifiers.chatformats import (
    body,
    caption,
    change_label,
    clip,
    digest_pieces,
    facts,
    link_target,
    more_line,
    neutralise_mentions,
    pack,
    side,
    units,
)
from notifiers.view import build_view

TEXT_MAX = 4000
SUMMARY_MAX = 1000
FACT_MAX = 300
LINK_MAX = 1000  # a longer link in a digest is left out rather than crowd the others out
MORE_ROOM = 40  # kept for the "+ N more" line

_MARKDOWN = re.compile(r"([\\`*_~|\[\]#])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape(text: str) -> str:
    """Markdown escaped (links, emphasis, headings, tables), `&<>` as entities (no raw `<`
    for the webhook's Slack translation), mentions neutralised."""
    text = _MARKDOWN.sub(r"\\\1", neutralise_mentions(text))
    return re.sub("[&<>]", lambda m: _ENTITIES[m.group()], text)


def render(alert: Alert) -> dict[str, Any]:
    """The Mattermost message for `alert`: Markdown within 4000 characters, no ping."""
    v = build_view(alert)
    title = clip(v.title, 300, escape)
    head = [f"#### {clip(v.headline, 300, escape)}",
            f"**[{title}]({link_target(v.link)})**" if v.link else f"**{title}**"]
    colon = v.labels["colon"]
    fact_lines = "\n".join(
        f"**{clip(f.label + colon, 200, escape)}** {clip(f.text, FACT_MAX, escape)}"
        for f in facts(v)
    )
    footer = f"_{clip(v.footer, 300, escape)}_"
    used = sum(units(p) + 2 for p in (*head, fact_lines, footer))
    parts = list(head)
    text = body(v)
    if text:
        parts.append(clip(text, min(SUMMARY_MAX, TEXT_MAX - used - 2),
                          highlight.marker(v.highlights, "**", escape)))
        used += units(parts[-1]) + 2
    if fact_lines:
        parts.append(fact_lines)
    before, after = f"**{escape(caption(v, 'before'))}** ", f"**{escape(caption(v, 'after'))}** "
    for i, c in enumerate(v.changes):
        label = f"**{clip(change_label(v, c), 200, escape)}**"
        share = (TEXT_MAX - used) // (len(v.changes) - i)
        width = (share - units(label) - units(before) - units(after) - 6) // 2
        if width < 20:
            break
        block = (f"{label}\n{before}{clip(side(v, c.before), width, escape)}\n"
                 f"{after}{clip(side(v, c.after), width, escape)}")
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
