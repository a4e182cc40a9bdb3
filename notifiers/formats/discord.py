"""Discord: an execute-webhook body with one embed, pings disabled.

`allowed_mentions: {"parse": []}` stops every ping; Markdown in feed text is escaped and
`@everyone`/`@here` get a zero-width space as well, so a copied message cannot ping either.
Embed limits (title 256, description 4096, 25 fields of 256/1024, 6000 in all) are kept.
"""

from __future__ import annotations

import re
from typing import Any

from notifiers.base import Alert, iso_utc
from notifiers.chatformats import clip, neutralise_mentions, units, view

CONTENT_MAX = 200  # Discord allows 2000; the embed carries the detail
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FIELDS_MAX = 25
FACT_VALUE_MAX = 300  # facts are short lists; the room goes to the changes
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
COLORS = {"item.new": 0x2B6CB0, "item.changed": 0xD69E2E, "feed.failing": 0xC53030,
          "feed.recovered": 0x2F855A, "test": 0x718096}

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
    v = view(alert)
    fields = [
        {"name": clip(f.label, FIELD_NAME_MAX, escape),
         "value": clip(f.value, FACT_VALUE_MAX, escape) or "-", "inline": True}
        for f in v.facts
    ]
    changes = v.changes[: FIELDS_MAX - len(fields)]
    embed: dict[str, Any] = {
        "title": clip(v.title, TITLE_MAX, escape),
        "color": COLORS.get(v.type, COLORS["test"]),
        "fields": fields,
        "footer": {"text": clip(v.footer, FOOTER_MAX, escape)},
        "timestamp": iso_utc(alert.occurred_at),
    }
    if v.link:
        embed["url"] = v.link
    # Changes share what the 6000 total leaves after the rest and a short description.
    room = EMBED_TOTAL_MAX - _size(embed) - min(units(v.text), 500)
    head_b, head_a = f"**{escape(v.caption('before'))}** ", f"\n**{escape(v.caption('after'))}** "
    for c in changes:
        name = clip(c.label, FIELD_NAME_MAX, escape)
        value_max = min(FIELD_VALUE_MAX, room // len(changes) - units(name))
        side = (value_max - units(head_b) - units(head_a)) // 2
        if side < 20:
            break
        value = f"{head_b}{clip(c.before, side, escape)}{head_a}{clip(c.after, side, escape)}"
        fields.append({"name": name, "value": value, "inline": False})
    while _size(embed) > EMBED_TOTAL_MAX - 20 and len(fields) > 1:
        fields.pop()  # never reached with veille's alerts; a last guard for the 6000 total
    if v.text:
        embed["description"] = clip(
            v.text, min(DESCRIPTION_MAX, EMBED_TOTAL_MAX - _size(embed)), escape
        )
    return {
        "content": clip(v.headline, CONTENT_MAX, escape),
        "embeds": [embed],
        "allowed_mentions": {"parse": []},
    }
