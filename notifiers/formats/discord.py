"""Discord: an execute-webhook body with one embed, pings disabled.

`allowed_mentions: {"parse": []}` stops every ping; Markdown in feed text is escaped (`<` too,
so no `<@id>`, `<@&id>`, `<#id>` is formed) and every `@` before a name (`@everyone`, `@here`)
gets a zero-width space as well, so a copied message cannot ping either.
Embed limits (title 256, description 4096, 25 fields of 256/1024, 6000 in all) are kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from notifiers import digest, highlight
from notifiers.base import Alert, iso_utc
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

CONTENT_MAX = 200  # Discord allows 2000; the embed carries the detail
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FIELDS_MAX = 25
FACT_VALUE_MAX = 300  # facts are short lists; the room goes to the changes
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
LINK_MAX = 1000  # a longer link in a digest is left out rather than crowd the others out
MORE_ROOM = 40  # kept for the "+ N more" line
COLORS = {"item.new": 0x2B6CB0, "item.changed": 0xD69E2E, "feed.failing": 0xC53030,
          "feed.recovered": 0x2F855A, "notifier.failing": 0xC53030,
          "notifier.recovered": 0x2F855A, "test": 0x718096}

_MARKDOWN = re.compile(r"([\\`*_~|<>\[\]#])")


def escape(text: str) -> str:
    """Discord Markdown escaped (links, mentions, emphasis, headings), `@` neutralised."""
    return _MARKDOWN.sub(r"\\\1", neutralise_mentions(text))


def _size(embed: dict[str, Any]) -> int:
    """What Discord counts against the 6000 total: title, description, fields, footer."""
    fields = embed.get("fields", [])
    return (units(embed.get("title", "")) + units(embed.get("description", ""))
            + units(embed["footer"]["text"])
            + sum(units(f["name"]) + units(f["value"]) for f in fields))


def render(alert: Alert) -> dict[str, Any]:
    """The Discord message for `alert`: one embed within every limit, no ping possible."""
    v = build_view(alert)
    text = body(v)
    fields = [
        {"name": clip(f.label, FIELD_NAME_MAX, escape),
         "value": clip(f.text, FACT_VALUE_MAX, escape) or "-", "inline": True}
        for f in facts(v)
    ][:FIELDS_MAX]
    changes = v.changes[: FIELDS_MAX - len(fields)]
    embed: dict[str, Any] = {
        "title": clip(v.title, TITLE_MAX, escape),
        "color": COLORS.get(alert.type, COLORS["test"]),
        "fields": fields,
        "footer": {"text": clip(v.footer, FOOTER_MAX, escape)},
        "timestamp": iso_utc(alert.occurred_at),
    }
    if v.link:
        embed["url"] = v.link
    # Changes share what the 6000 total leaves after the rest and a short description.
    room = EMBED_TOTAL_MAX - _size(embed) - min(units(text), 500)
    head_b, head_a = f"**{escape(caption(v, 'before'))}** ", f"\n**{escape(caption(v, 'after'))}** "
    for c in changes:
        name = clip(change_label(v, c), FIELD_NAME_MAX, escape)
        value_max = min(FIELD_VALUE_MAX, room // len(changes) - units(name))
        width = (value_max - units(head_b) - units(head_a)) // 2
        if width < 20:
            break
        value = (f"{head_b}{clip(side(v, c.before), width, escape)}"
                 f"{head_a}{clip(side(v, c.after), width, escape)}")
        fields.append({"name": name, "value": value, "inline": False})
    while _size(embed) > EMBED_TOTAL_MAX - 20 and len(fields) > 1:
        fields.pop()  # never reached with veille's alerts; a last guard for the 6000 total
    if text:
        embed["description"] = clip(
            text, min(DESCRIPTION_MAX, EMBED_TOTAL_MAX - _size(embed)),
            highlight.marker(v.highlights, "**", escape))
    return {
        "content": clip(v.headline, CONTENT_MAX, escape),
        "embeds": [embed],
        "allowed_mentions": {"parse": []},
    }


def _digest_entry(line: digest.Line) -> str:
    title = clip(line.headline, 250, escape)
    if line.link and len(line.link) <= LINK_MAX:
        title = f"[{title}]({link_target(line.link)})"
    return f"• **{title}**\n{clip(line.meta, FACT_VALUE_MAX, escape)}"


def render_digest(alerts: Sequence[Alert]) -> dict[str, Any]:
    """One Discord message listing a digest's alerts by watch in one embed's description
    (4096), the alerts that do not fit counted at the end; no ping possible."""
    headline = digest.digest_headline(alerts)
    pieces = digest_pieces(alerts, _digest_entry, lambda t: f"\n__**{clip(t, 200, escape)}**__")
    chunks, shown = pack(pieces, DESCRIPTION_MAX - MORE_ROOM, 1)
    description = "".join(chunks).strip("\n")
    more = more_line(shown, len(alerts), alerts[0].language)
    if more:
        description += f"\n\n*{escape(more)}*"
    newest = digest.newest_first(alerts)[0]
    embed = {
        "title": clip(headline, TITLE_MAX, escape),
        "description": description,
        "color": COLORS.get(newest.type, COLORS["test"]),
        "footer": {"text": "veille"},
        "timestamp": iso_utc(newest.occurred_at),
    }
    return {
        "content": clip(headline, CONTENT_MAX, escape),
        "embeds": [embed],
        "allowed_mentions": {"parse": []},
    }
