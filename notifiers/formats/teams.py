"""Microsoft Teams: a message with one Adaptive Card (1.4), as Teams workflows accept it.

Office 365 connectors are retired; a Teams workflow ("When a Teams webhook request is
received") takes `{"type": "message", "attachments": [adaptive card]}`. Cards cannot ping,
but TextBlocks read Markdown, so feed text is kept from forming links; the whole message
stays well under Teams' 28 KB.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from notifiers import digest
from notifiers.base import Alert
from notifiers.chatformats import (
    AlertView,
    clip,
    digest_pieces,
    link_target,
    more_line,
    pack,
    view,
)

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
MESSAGE_MAX_BYTES = 24_000  # Teams refuses messages over ~28 KB; keep a margin
TEXT_MAX = 2000
COLORS = {"item.new": "Accent", "item.changed": "Warning", "feed.failing": "Attention",
          "feed.recovered": "Good", "test": "Default"}


def escape(text: str) -> str:
    """Feed text that cannot form a Markdown link in a TextBlock."""
    # A zero-width space between `]` and `(` is enough to stop `[text](url)`; emphasis is
    # harmless, and Teams does not reliably honour backslash escapes, so the rest stays as is.
    return text.replace("](", "]\u200b(")


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _card(v: AlertView, side: int) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        _text(clip(v.headline, 300, escape), weight="Bolder", size="Medium",
              color=COLORS.get(v.type, "Default")),
    ]
    if v.text:
        body.append(_text(clip(v.text, TEXT_MAX, escape)))
    if v.facts:
        body.append({"type": "FactSet", "facts": [
            {"title": clip(f.label, 100, escape), "value": clip(f.value, 500, escape)}
            for f in v.facts
        ]})
    for c in v.changes:
        body.append({"type": "Container", "separator": True, "items": [
            _text(clip(c.label, 200, escape), weight="Bolder"),
            _text(f"{v.caption('before')} {clip(c.before, side, escape)}", isSubtle=True),
            _text(f"{v.caption('after')} {clip(c.after, side, escape)}"),
        ]})
    if v.link:
        body.append({"type": "ActionSet", "actions": [
            {"type": "Action.OpenUrl", "title": v.labels["open"], "url": v.link},
        ]})
    body.append(_text(clip(v.footer, 300, escape), isSubtle=True, size="Small"))
    return {"$schema": SCHEMA, "type": "AdaptiveCard", "version": "1.4",
            "msteams": {"width": "Full"}, "body": body}


def render(alert: Alert) -> dict[str, Any]:
    """The Teams workflow message for `alert`, under the size Teams accepts."""
    v = view(alert)
    side = TEXT_MAX
    while True:
        message = {"type": "message", "attachments": [
            {"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": _card(v, side)},
        ]}
        size = len(json.dumps(message, ensure_ascii=False).encode("utf-8"))
        if size <= MESSAGE_MAX_BYTES or side <= 50:
            return message
        side //= 2


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
    open_label = view(alerts[0]).labels["open"]
    pieces = digest_pieces(alerts, lambda line: _digest_entry(line, open_label),
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
