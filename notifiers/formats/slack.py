"""Slack: an incoming-webhook message in Block Kit (header, sections, context) + `text` fallback.

Slack turns `<!channel>`, `<!here>`, `<!everyone>`, `<@U…>`, `<#C…>`, `<!subteam^…>` and
`<url|text>` into pings and links, so `&`, `<` and `>` in feed text are escaped as Slack
documents; only veille's own links use `<…|…>`. Text objects are `verbatim` so that Slack does
not auto-parse `@channel`-style names, and every `@` before a name gets a zero-width space too.
"""

from __future__ import annotations

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
    more_line,
    neutralise_mentions,
    pack,
    side,
    units,
)
from notifiers.view import AlertView, ChangeView, build_view

HEADER_MAX = 150
SECTION_MAX = 3000
FIELD_MAX = 2000
FIELDS_MAX = 10
BLOCKS_MAX = 50
TEXT_MAX = 3000
DIGEST_SECTIONS = 10  # a digest's list stays readable and under Slack's ~40,000 characters


def escape(text: str) -> str:
    """Slack's escaping of `&`, `<`, `>`, with word-initial `@` neutralised too."""
    text = neutralise_mentions(text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, text: str, limit: int) -> str:
    """`<url|text>` within `limit`; plain escaped text when the URL alone would not fit."""
    # `|` would end the URL and `<`/`>` the link: percent-encoded, they keep the same target.
    target = url.replace("&", "&amp;").replace("|", "%7C").replace("<", "%3C").replace(">", "%3E")
    room = limit - units(target) - 3
    if room < 20:
        return clip(text, limit, escape)
    return f"<{target}|{clip(text, room, escape)}>"


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}


def _change_block(v: AlertView, change: ChangeView) -> dict[str, Any]:
    head = f"*{clip(change_label(v, change), 300, escape)}*"
    b_label, a_label = f"*{escape(caption(v, 'before'))}* ", f"*{escape(caption(v, 'after'))}* "
    room = (SECTION_MAX - units(head) - units(b_label) - units(a_label) - 2) // 2
    return _section(f"{head}\n{b_label}{clip(side(v, change.before), room, escape)}\n"
                    f"{a_label}{clip(side(v, change.after), room, escape)}")


def render(alert: Alert) -> dict[str, Any]:
    """The Slack message for `alert`: every limit of Block Kit respected, no ping possible."""
    v = build_view(alert)
    blocks: list[dict[str, Any]] = [
        {"type": "header",
         "text": {"type": "plain_text", "text": clip(v.headline, HEADER_MAX, escape)}},
    ]
    title = f"*{link(v.link, v.title, 1000)}*" if v.link else f"*{clip(v.title, 1000, escape)}*"
    text = body(v)
    marked = highlight.marker(v.highlights, "*", escape)
    blocks.append(_section(f"{title}\n{clip(text, SECTION_MAX - units(title) - 1, marked)}"
                           if text else title))
    fields = []
    for fact in facts(v):
        label = f"*{clip(fact.label, 200, escape)}*\n"
        fields.append(_mrkdwn(label + clip(fact.text, FIELD_MAX - units(label), escape)))
    # Slack takes at most 10 fields per section, and refuses a section whose `fields` is empty.
    blocks.extend({"type": "section", "fields": fields[i:i + FIELDS_MAX]}
                  for i in range(0, len(fields), FIELDS_MAX))
    room = BLOCKS_MAX - len(blocks) - 2  # keep one block for "more" and one for the context
    for change in v.changes[:room]:
        blocks.append(_change_block(v, change))
    if len(v.changes) > room:
        more = ", ".join(c.label for c in v.changes[room:])
        blocks.append(_section(clip(f"+ {more}", SECTION_MAX, escape)))
    blocks.append({"type": "context", "elements": [_mrkdwn(clip(v.footer, 300, escape))]})
    return {"text": clip(v.headline, TEXT_MAX, escape), "blocks": blocks}


def _digest_entry(line: digest.Line) -> str:
    title = link(line.link, line.headline, 1000) if line.link else clip(line.headline, 1000, escape)
    return f"• *{title}*\n      {clip(line.meta, 500, escape)}"


def render_digest(alerts: Sequence[Alert]) -> dict[str, Any]:
    """One Slack message listing a digest's alerts by watch: at most 10 sections of at most
    3000 characters, the alerts that do not fit counted at the end."""
    headline = digest.digest_headline(alerts)
    blocks: list[dict[str, Any]] = [
        {"type": "header",
         "text": {"type": "plain_text", "text": clip(headline, HEADER_MAX, escape)}},
    ]
    pieces = digest_pieces(alerts, _digest_entry, lambda t: f"*{clip(t, 300, escape)}*")
    chunks, shown = pack(pieces, SECTION_MAX, DIGEST_SECTIONS)
    blocks.extend(_section(chunk) for chunk in chunks)
    more = more_line(shown, len(alerts), alerts[0].language)
    if more:
        blocks.append(_section(escape(more)))
    footer = f"veille · {digest.digest_id(alerts)}"
    blocks.append({"type": "context", "elements": [_mrkdwn(clip(footer, 300, escape))]})
    return {"text": clip(headline, TEXT_MAX, escape), "blocks": blocks}
