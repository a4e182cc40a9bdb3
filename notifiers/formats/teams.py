"""Microsoft Teams: a message with one Adaptive Card (1.4), as Teams workflows accept it.

Office 365 connectors are retired; a Teams workflow ("When a Teams webhook request is
received") takes `{"type": "message", "attachments": [adaptive card]}`. A card pings only
through an `<at>…</at>` tag named in `msteams.entities`: veille never writes entities, and feed
text gets a zero-width space inside any `<at>`-like tag (and after `@` before a name) all the
same. TextBlocks read Markdown, so feed text is kept from forming links; the whole message
stays well under Teams' 28 KB.
"""

from __future__ import annotations

import json
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
    neutralise_markup,
    neutralise_mentions,
    pack,
    side,
)
from notifiers.view import AlertView, build_view

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
MESSAGE_MAX_BYTES = 24_000  # Teams refuses messages over ~28 KB; keep a margin
TEXT_MAX = 2000
COLORS = {"item.new": "Accent", "item.changed": "Warning", "feed.failing": "Attention",
          "feed.recovered": "Good", "notifier.failing": "Attention",
          "notifier.recovered": "Good", "test": "Default"}
OPEN = {"en": "Open", "fr": "Ouvrir"}


def escape(text: str) -> str:
    """Feed text that cannot form a Markdown link nor a mention tag in a TextBlock."""
    # A zero-width space between `]` and `(` is enough to stop `[text](url)`; emphasis is
    # harmless, and Teams does not reliably honour backslash escapes, so the rest stays as is.
    return neutralise_markup(neutralise_mentions(text)).replace("](", "]\u200b(")


def open_label(language: str) -> str:
    """The word on the button that opens the item: "Open", "Ouvrir"."""
    return OPEN.get(language, OPEN["en"])


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _card(v: AlertView, width: int) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        _text(clip(v.headline, 300, escape), weight="Bolder", size="Medium",
              color=COLORS.get(v.alert.type, "Default")),
    ]
    text = body(v)
    if text:
        blocks.append(_text(clip(text, TEXT_MAX, highlight.marker(v.highlights, "**", escape))))
    rows = facts(v)
    if rows:
        blocks.append({"type": "FactSet", "facts": [
            {"title": clip(f.label, 100, escape), "value": clip(f.text, 500, escape)}
            for f in rows
        ]})
    for c in v.changes:
        blocks.append({"type": "Container", "separator": True, "items": [
            _text(clip(change_label(v, c), 200, escape), weight="Bolder"),
            _text(f"{caption(v, 'before')} {clip(side(v, c.before), width, escape)}",
                  isSubtle=True),
            _text(f"{caption(v, 'after')} {clip(side(v, c.after), width, escape)}"),
        ]})
    if v.link:
        blocks.append({"type": "ActionSet", "actions": [
            {"type": "Action.OpenUrl", "title": open_label(v.alert.language), "url": v.link},
        ]})
    blocks.append(_text(clip(v.footer, 300, escape), isSubtle=True, size="Small"))
    return {"$schema": SCHEMA, "type": "AdaptiveCard", "version": "1.4",
            "msteams": {"width": "Full"}, "body": blocks}


def render(alert: Alert) -> dict[str, Any]:
    """The Teams workflow message for `alert`, under the size Teams accepts."""
    v = build_view(alert)
    width = TEXT_MAX
    while True:
        message = {"type": "message", "attachments": [
            {"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": _card(v, width)},
        ]}
        size = len(json.dumps(message, ensure_ascii=False).encode("utf-8"))
        if size <= MESSAGE_MAX_BYTES or width <= 50:
            return message
        width //= 2


def _digest_entry(line: digest.Line, open_label: str) -> str:
    # The link goes on an "Open" word, not on the title: a feed's `]` cannot break it.
    meta = clip(line.meta, 500, escape)
    if line.link:
        meta += f" · [{open_label}]({link_target(line.link)})"
    return f"**{clip(line.headline, 300, escape)}**\n{meta}"


def render_digest(alerts: Sequence[Alert]) -> dict[str, Any]:
    """One Teams card listing a digest's alerts by watch, under the size Teams accepts; the
    alerts that do not fit are counted at the end."""
    language = alerts[0].language
    button = open_label(language)
    pieces = digest_pieces(alerts, lambda line: _digest_entry(line, button),
                           lambda t: f"**{clip(t, 200, escape)}**", sep="\n\n")
    blocks = len(pieces)
    while True:
        chunks, shown = pack(pieces, TEXT_MAX, blocks, sep="\n\n")
        body: list[dict[str, Any]] = [
            _text(clip(digest.digest_headline(alerts), 300, escape), weight="Bolder",
                  size="Medium", color="Accent"),
            *(_text(chunk, separator=True) for chunk in chunks),
        ]
        more = more_line(shown, len(alerts), language)
        if more:
            body.append(_text(escape(more), isSubtle=True))
        card = {"$schema": SCHEMA, "type": "AdaptiveCard", "version": "1.4",
                "msteams": {"width": "Full"}, "body": body}
        message = {"type": "message", "attachments": [
            {"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": card},
        ]}
        size = len(json.dumps(message, ensure_ascii=False).encode("utf-8"))
        if size <= MESSAGE_MAX_BYTES or blocks <= 1:
            return message
        blocks = min(blocks, len(chunks)) - 1
