"""What every chat format shares: the one person-facing view, read the chat way, and safe
text helpers.

Every format renders `notifiers.view.build_view(alert)`, the view that email and console render,
so what a person is shown (which facts, which changes: a summary change that the content change
already shows is left out) is decided in one place. `facts`, `body`, `change_label` and
`side` read that view as a chat message shows it. Each service module in `notifiers/formats/`
escapes the text its own way and cuts it to its limits with `clip`, which counts UTF-16 units
(what the services' limits count) after escaping. A digest is packed into each service's limits
with `pack`, the alerts that do not fit counted in a "+ N more" line.

Mentions: `neutralise_mentions` puts a zero-width space after every `@` that starts a name,
whatever precedes it (Mattermost strips `_`, `.`, `-`, `:` before `@channel`, and reads the text
after Markdown escapes are undone), and `neutralise_markup` one after every `<` that opens a
service's mention or command syntax (`<!channel>`, `<@U…>`, `<#C…>`, `<at>`…) and after every
`&` that starts a character reference (Markdown turns `&#64;channel` into `@channel`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from notifiers import digest
from notifiers.base import Alert
from notifiers.render import label
from notifiers.view import AlertView, ChangeView, Row

ELLIPSIS = "\u2026"
ZWSP = "\u200b"
_MENTION = re.compile(r"@(?=\w)")
# Slack <!channel> <!here> <@U…> <#C…> <!subteam^…>, Discord <@id> <@&id> <#id> </cmd:id>,
# Teams <at>…</at>.
_TAG = re.compile(r"<(?=[!@#/]|at\b)", re.IGNORECASE)
_REFERENCE = re.compile(r"&(?=#?\w+;)")


def units(text: str) -> int:
    """Length in UTF-16 code units: how Slack, Discord and Teams count their limits."""
    return len(text.encode("utf-16-le")) // 2


def neutralise_mentions(text: str) -> str:
    """A zero-width space after every `@` followed by a word character: `@everyone`,
    `@channel`, `@here`, `@all`, `@name` ping nobody (an e-mail address keeps its look)."""
    return _MENTION.sub("@" + ZWSP, text)


def neutralise_markup(text: str) -> str:
    """A zero-width space after every `<` that opens a mention or command tag of a chat
    service and after every `&` that starts a character reference, so that `<!channel>`,
    `<@U123>`, `<at>` or `&#64;here` are shown as written, never obeyed."""
    return _REFERENCE.sub("&" + ZWSP, _TAG.sub("<" + ZWSP, text))


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


def facts(v: AlertView) -> tuple[Row, ...]:
    """The view's rows as a chat message lists them. The item's web link is on the title, so
    its row is left out; a link that is not a web link shows only the note saying so (its
    text, `javascript:` or worse, is not worth showing where it could be clicked)."""
    rows = []
    for row in v.rows:
        if row.href is None and row.note:
            rows.append(Row(row.label, row.note, key=row.key))
        elif row.key != "link":
            rows.append(row)
    return tuple(rows)


def body(v: AlertView) -> str:
    """The text under the title: the item's summary, or the test alert's message."""
    return v.summary or v.intro


def caption(v: AlertView, key: str) -> str:
    """The label `key` followed by the language's colon: "Before:", "Avant :"."""
    return v.labels[key] + v.labels["colon"]


def change_label(v: AlertView, change: ChangeView) -> str:
    """"Summary", or "Summary (excerpt: the changed paragraphs only)" when cut."""
    return change.label + (f" ({v.labels['truncated']})" if change.truncated else "")


def side(v: AlertView, text: str) -> str:
    """One side of a change as shown: the text, or "(none)"."""
    return text or v.labels["none"]


def plain_text(v: AlertView) -> str:
    """The whole alert as plain lines, for services that take text (apprise, fallbacks)."""
    parts = [v.title + (f"\n{v.link}" if v.link else "")]
    if body(v):
        parts.append(body(v))
    colon = v.labels["colon"]
    rows = facts(v)
    if rows:
        parts.append("\n".join(f"{r.label}{colon} {r.text}" for r in rows))
    for c in v.changes:
        parts.append(f"{change_label(v, c)}\n{caption(v, 'before')} {side(v, c.before)}\n"
                     f"{caption(v, 'after')} {side(v, c.after)}")
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
