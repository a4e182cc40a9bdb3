"""The words that made an alert match, marked wherever a person reads them.

`Alert.spans` locate the matched terms in the item's title and summary; channels show those
texts cleaned and cut, so the spans' words themselves are looked for again in what is shown
(and in a revision's before and after), as whole words, whatever the spacing between them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from notifiers.base import Alert

Segments = list[tuple[str, bool]]  # the text in order; True where it is a matched word


def phrases(alert: Alert) -> tuple[str, ...]:
    """The distinct words the alert's spans cover in its title and summary, longest first."""
    item = alert.item
    if item is None:
        return ()
    found: dict[str, None] = {}
    for name, text in (("title", item.title), ("summary", item.summary)):
        for start, end in alert.spans.get(name, ()):
            words = " ".join(text[start:end].split())
            if words:
                found[words] = None
    return tuple(sorted(found, key=len, reverse=True))


def _pattern(words: Sequence[str]) -> re.Pattern[str] | None:
    if not words:
        return None
    parts = (r"\s+".join(map(re.escape, w.split())) for w in words)
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)")


def segments(text: str, words: Sequence[str]) -> Segments:
    """`text` cut into the parts that are one of `words` (True) and the rest (False)."""
    pattern = _pattern(words)
    if pattern is None or not text:
        return [(text, False)] if text else []
    out: Segments = []
    position = 0
    for match in pattern.finditer(text):
        if match.start() > position:
            out.append((text[position:match.start()], False))
        out.append((match.group(), True))
        position = match.end()
    if position < len(text):
        out.append((text[position:], False))
    return out


def mark_html(text: str, words: Sequence[str]) -> Markup:
    """`text` escaped for HTML, each matched word in `<mark>`."""
    return Markup("").join(Markup("<mark>%s</mark>") % part if hit else escape(part)
                           for part, hit in segments(text, words))


def mark(text: str, words: Sequence[str], before: str, after: str = "",
         escape_text: Callable[[str], str] = str) -> str:
    """`text` escaped by `escape_text`, each matched word between `before` and `after`
    (`after` defaults to `before`: `*word*` in Slack, `**word**` in Markdown)."""
    close = after or before
    return "".join(f"{before}{escape_text(part)}{close}" if hit else escape_text(part)
                   for part, hit in segments(text, words))


def marker(words: Sequence[str], before: str, escape_text: Callable[[str], str]
           ) -> Callable[[str], str]:
    """A chat format's `escape` that also marks `words` (`chatformats.clip` takes it)."""
    return lambda text: mark(text, words, before, escape_text=escape_text)
