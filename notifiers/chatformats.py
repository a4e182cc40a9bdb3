"""What every chat format shares: an Alert as a person reads it, and safe text helpers.

`view(alert)` gives raw (unescaped) text: headline, link, facts, changes, footer. Each
service module in `notifiers/formats/` escapes it its own way and cuts it to its limits with
`clip`, which counts UTF-16 units (what the services' limits count) after escaping. A digest
is packed into each service's limits with `pack`, the alerts that do not fit counted in a
"+ N more" line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from notifiers import digest
from notifiers.base import Alert
from notifiers.render import (
    DATE_FIELDS,
    clean_block,
    format_iso,
    format_local,
    headline,
    item_title,
    label,
    labels,
    one_line,
    safe_url,
)

ELLIPSIS = "\u2026"
ZWSP = "\u200b"
_OPEN = {"en": "Open", "fr": "Ouvrir"}
_MENTION = re.compile(r"(?<!\w)@(?=\w)")


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class ChangeView:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class AlertView:
    """The alert's text for a person, raw: every format escapes and clips it."""

    type: str
    headline: str
    title: str
    link: str | None  # an http(s) URL, or None
    text: str  # the item summary, the feed error, or the test message; may span lines
    facts: tuple[Fact, ...]
    changes: tuple[ChangeView, ...]
    footer: str
    labels: dict[str, str]  # render.labels() of the alert's language, plus "open"

    def caption(self, key: str) -> str:
        """The label `key` followed by the language's colon: "Before:", "Avant :"."""
        return self.labels[key] + self.labels["colon"]


def units(text: str) -> int:
    """Length in UTF-16 code units: how Slack, Discord and Teams count their limits."""
    return len(text.encode("utf-16-le")) // 2


def neutralise_mentions(text: str) -> str:
    """Put a zero-width space after every word-initial `@` so `@everyone` pings nobody."""
    return _MENTION.sub("@" + ZWSP, text)


def link_target(url: str) -> str:
    """A URL that cannot end a Markdown link early: `(`, `)`, `<`, `>` percent-encoded."""
    return url.replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")


def clip(text: str, limit: int, escape: Callable[[str], str] = str) -> str:
    """`escape(text)` cut to at most `limit` UTF-16 units, ending with an ellipsis if cut.

    The raw text is cut before escaping, so no entity or escape sequence is ever split.
    """
    escaped = escape(text)
    if units(escaped) <= limit:
        return escaped
    budget = limit - units(ELLIPSIS)
    if budget <= 0:
        return ELLIPSIS if limit >= 1 else ""
    lo, hi = 0, len(text)
    while lo < hi:  # longest prefix whose escaped form fits the budget
        mid = (lo + hi + 1) // 2
        if units(escape(text[:mid])) <= budget:
            lo = mid
        else:
            hi = mid - 1
    space = max(text.rfind(" ", 0, lo), text.rfind("\n", 0, lo))
    if space > lo - 30 and space > lo // 2:  # end on a word when one ends nearby
        lo = space
    return escape(text[:lo].rstrip()) + ELLIPSIS


def _facts(alert: Alert) -> list[Fact]:
    lang, feed = alert.language, alert.feed
    feed_text = one_line(feed.name)
    if one_line(feed.title) and one_line(feed.title) != feed_text:
        feed_text = f"{one_line(feed.title)} ({feed_text})"
    facts = [Fact(label("feed", lang), feed_text)]
    if alert.watches:
        facts.append(Fact(label("watches", lang), ", ".join(one_line(w) for w in alert.watches)))
    if alert.matched:
        facts.append(Fact(label("matched", lang), ", ".join(one_line(m) for m in alert.matched)))
    if alert.type == "item.changed" and alert.match in ("added", "removed", "kept"):
        facts.append(Fact(label("match", lang), label(f"match.{alert.match}", lang)))
    item = alert.item
    if item is not None:
        if item.link and safe_url(item.link) is None:
            facts.append(Fact(label("link", lang), label("not_a_link", lang)))
        for key in DATE_FIELDS:
            value = getattr(item, key)
            if value is not None:
                facts.append(Fact(label(key, lang), format_local(value, alert.timezone, lang)))
    return facts


def _change_text(field: str, value: str | None, alert: Alert) -> str:
    if not value:
        return label("none", alert.language)
    if field in DATE_FIELDS:
        return format_iso(value, alert.timezone, alert.language)
    return one_line(value) if field == "link" else clean_block(value)


def view(alert: Alert) -> AlertView:
    """The alert as a person reads it, in `alert.language`, dates in `alert.timezone`."""
    lang = alert.language
    text, link = "", None
    if alert.type == "test":
        title, text = label("test", lang), label("test_body", lang)
    elif alert.item is not None:
        title, link, text = item_title(alert), safe_url(alert.item.link), alert.item.summary
    else:
        title, text = one_line(alert.feed.name), alert.error or ""
    note = f" ({label('truncated', lang)})"
    changes = tuple(
        ChangeView(
            label(c.field, lang) + (note if c.truncated else ""),
            _change_text(c.field, c.before, alert),
            _change_text(c.field, c.after, alert),
        )
        for c in alert.changes
    )
    detected = format_local(alert.occurred_at, alert.timezone, lang)
    detected_word = label("detected", lang)
    all_labels = labels(lang) | {"open": _OPEN.get(lang, _OPEN["en"])}
    return AlertView(
        type=alert.type,
        headline=headline(alert),
        title=title,
        link=link,
        text=clean_block(text),
        facts=() if alert.type == "test" else tuple(_facts(alert)),
        changes=changes,
        footer=f"veille · {detected_word[:1].lower()}{detected_word[1:]} {detected}",
        labels=all_labels,
    )


def plain_text(v: AlertView) -> str:
    """The whole alert as plain lines, for services that take text (apprise, fallbacks)."""
    parts = [v.title + (f"\n{v.link}" if v.link else "")]
    if v.text:
        parts.append(v.text)
    colon = v.labels["colon"]
    if v.facts:
        parts.append("\n".join(f"{f.label}{colon} {f.value}" for f in v.facts))
    for c in v.changes:
        parts.append(f"{c.label}\n{v.caption('before')} {c.before}\n{v.caption('after')} {c.after}")
    parts.append(v.footer)
    return "\n\n".join(parts)


def pack(pieces: Sequence[tuple[str, int]], limit: int, max_chunks: int,
         sep: str = "\n") -> tuple[list[str], int]:
    """Join `pieces` (text, alerts it shows) in order into at most `max_chunks` chunks of at
    most `limit` UTF-16 units; stop at the first piece that does not fit. Returns the chunks
    and how many alerts they show, so the caller can say how many more there are."""
    chunks: list[str] = []
    shown = 0
    for text, count in pieces:
        if chunks and units(chunks[-1]) + units(sep) + units(text) <= limit:
            chunks[-1] += sep + text
        elif units(text) <= limit and len(chunks) < max_chunks:
            chunks.append(text)
        else:
            break
        shown += count
    return chunks, shown


def digest_pieces(alerts: Sequence[Alert], entry: Callable[[digest.Line], str],
                  heading: Callable[[str], str], sep: str = "\n") -> list[tuple[str, int]]:
    """One piece per alert of a digest, newest first within each watch; the first of each
    group carries the group's heading, so that a heading never ends a chunk alone."""
    pieces = []
    for group in digest.groups(alerts):
        for i, alert in enumerate(group.alerts):
            text = entry(digest.line(alert))
            pieces.append((heading(group.title) + sep + text if i == 0 else text, 1))
    return pieces


def more_line(shown: int, total: int, language: str) -> str:
    """"+ 3 more" when only `shown` of `total` alerts fit in the message; else ""."""
    return f"+ {total - shown} {label('more', language)}" if shown < total else ""
