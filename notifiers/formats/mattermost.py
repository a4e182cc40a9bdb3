"""Mattermost: an incoming-webhook body whose `text` is Markdown.

Mattermost pings `@channel`, `@all`, `@here` and any `@username` written in a post, so every
word-initial `@` in feed text gets a zero-width space, and Markdown in feed text is escaped.
The text stays within 4000 characters, the limit of older servers.
"""

from __future__ import annotations

import re
from typing import Any

from notifiers.base import Alert
from notifiers.chatformats import clip, neutralise_mentions, units, view

TEXT_MAX = 4000
SUMMARY_MAX = 1000
FACT_MAX = 300

_MARKDOWN = re.compile(r"([\\`*_~|<>\[\]#])")


def escape(text: str) -> str:
    """Markdown escaped (links, emphasis, headings, tables), mentions neutralised."""
    return _MARKDOWN.sub(r"\\\1", neutralise_mentions(text))


def _target(url: str) -> str:
    """A URL that cannot end a Markdown link early: `(`, `)`, `<`, `>` percent-encoded."""
    return url.replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")


def render(alert: Alert) -> dict[str, Any]:
    """The Mattermost message for `alert`: Markdown within 4000 characters, no ping."""
    v = view(alert)
    title = clip(v.title, 300, escape)
    head = [f"#### {clip(v.headline, 300, escape)}",
            f"**[{title}]({_target(v.link)})**" if v.link else f"**{title}**"]
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
