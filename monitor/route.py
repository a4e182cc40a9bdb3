"""Which watches an item matches and which notifiers hear of it: one route per notifier.

One alert per (event, notifier): an item matching two watches routed to one notifier gives one
alert naming both.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from monitor.config import Config
from monitor.match import ItemText, Matcher, describe_match
from monitor.spans import Span

# watch -> field -> spans of that field's text where the watch's terms are (monitor/spans.py)
Spans = Mapping[str, Mapping[str, list[Span]]]


class TextFields(Protocol):
    @property
    def title(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def content(self) -> str: ...


@dataclass(frozen=True)
class Route:
    """What one notifier is told: the watches routed to it and the terms they matched."""

    notifier: str
    watches: tuple[str, ...]
    matched: tuple[str, ...]
    match: str  # "new" | "added" | "removed" | "kept"


@dataclass(frozen=True)
class Verdict:
    """The watches' verdict on one event."""

    status: str  # "new", "added", "removed", "kept"; "" when nothing matched
    hits: Mapping[str, tuple[str, ...]]  # watch -> terms as configured
    routes: tuple[Route, ...]
    # Where the terms are in the version the alert shows (the new one, for a revision).
    spans: Spans = field(default_factory=dict)

    def stored(self) -> dict[str, object]:
        """The verdict as an event stores it (`event.watches`)."""
        return {"status": self.status, "hits": {w: list(t) for w, t in self.hits.items()},
                "spans": {w: {f: [list(s) for s in spans] for f, spans in by_field.items()}
                          for w, by_field in self.spans.items() if by_field}}


NO_MATCH = Verdict("", {}, ())


class Router:
    """Compiled watches of one config, evaluated per feed."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.matcher = Matcher(config.watches, config.terms)
        self._watches = {w.name: w for w in config.watches}
        self._by_feed = {f.name: tuple(w.name for w in config.watches_for(f))
                         for f in config.feeds}

    def _eligible(self, feed: str, event: str) -> list[str]:
        return [name for name in self._by_feed.get(feed, ())
                if event in self._watches[name].on]

    @staticmethod
    def _text(feed: str, fields: TextFields) -> ItemText:
        """What a query reads; `page`, `link` and `feed:` where the fields carry them."""
        link = getattr(fields, "display_link", None) or getattr(fields, "link", None) or ""
        return ItemText(fields.title, fields.summary, fields.content,
                        getattr(fields, "page", "") or "", link, feed)

    def _hits(self, fields: TextFields, names: Sequence[str],
              feed: str = "") -> dict[str, tuple[str, ...]]:
        if not names:
            return {}
        text = self._text(feed, fields)
        return self.matcher.match(text.title, text.summary, text.content, only=names,
                                  page=text.page, link=text.link, feed=text.feed)

    def _spans(self, feed: str, fields: TextFields, names: Collection[str]) -> dict[
            str, dict[str, list[Span]]]:
        text = self._text(feed, fields)
        return {name: self.matcher.locate((name,), text) for name in names}

    def new(self, feed: str, entry: TextFields) -> Verdict:
        """Verdict for a new item of `feed`."""
        hits = self._hits(entry, self._eligible(feed, "new"), feed)
        if not hits:
            return NO_MATCH
        return Verdict("new", hits, self._routes(hits, lambda sub: "new"),
                       self._spans(feed, entry, hits))

    def changed(self, feed: str, before: TextFields, after: TextFields) -> Verdict:
        """Verdict for a revision: watches evaluated on both versions (DESIGN)."""
        names = self._eligible(feed, "changed")
        cur = self._hits(after, names, feed)
        return self._revision(self._hits(before, names, feed), cur,
                              lambda: self._spans(feed, after, cur))

    def _revision(self, prev: Mapping[str, tuple[str, ...]],
                  cur: Mapping[str, tuple[str, ...]],
                  spans: Callable[[], Spans] = dict) -> Verdict:
        if not prev and not cur:
            return NO_MATCH
        status, hits = describe_match(prev, cur)

        def status_of(sub: list[str]) -> str:
            return describe_match({w: prev[w] for w in sub if w in prev},
                                  {w: cur[w] for w in sub if w in cur})[0]

        return Verdict(status, hits, self._routes(hits, status_of), spans())

    def _routes(self, hits: Mapping[str, tuple[str, ...]],
                status_of: Callable[[list[str]], str]) -> tuple[Route, ...]:
        per_notifier: dict[str, list[str]] = {}
        for watch in hits:
            for notifier in self._watches[watch].notify:
                per_notifier.setdefault(notifier, []).append(watch)
        routes = []
        for notifier, watches in per_notifier.items():
            terms = tuple(dict.fromkeys(t for w in watches for t in hits[w]))
            match = status_of(watches)
            routes.append(Route(notifier, tuple(watches), terms, match))
        return tuple(routes)

    # -- followed pages (issue 4) ---------------------------------------------------------
    def matching(self, feed: str, fields: TextFields) -> dict[str, tuple[str, ...]]:
        """Every watch of `feed` that `fields` match, whatever its `on` (whom to follow)."""
        return self._hits(fields, self._by_feed.get(feed, ()), feed)

    def _split_hits(self, plain: TextFields, paged: TextFields, names: Sequence[str],
                    page_watches: Collection[str], feed: str = "") -> dict[str, tuple[str, ...]]:
        hits = self._hits(plain, [n for n in names if n not in page_watches], feed)
        hits.update(self._hits(paged, [n for n in names if n in page_watches], feed))
        return {n: hits[n] for n in names if n in hits}  # config order

    def _split_spans(self, feed: str, plain: TextFields, paged: TextFields,
                     names: Collection[str], page_watches: Collection[str]) -> Spans:
        return {**self._spans(feed, plain, [n for n in names if n not in page_watches]),
                **self._spans(feed, paged, [n for n in names if n in page_watches])}

    def page_new(self, feed: str, plain: TextFields, paged: TextFields,
                 page_watches: Collection[str]) -> Verdict:
        """As `new`, but the watches in `page_watches` (match_page) read `paged`: the feed
        text with the page's title and text."""
        hits = self._split_hits(plain, paged, self._eligible(feed, "new"), page_watches, feed)
        if not hits:
            return NO_MATCH
        return Verdict("new", hits, self._routes(hits, lambda sub: "new"),
                       self._split_spans(feed, plain, paged, hits, page_watches))

    def page_changed(self, feed: str, before: tuple[TextFields, TextFields],
                     after: tuple[TextFields, TextFields],
                     page_watches: Collection[str]) -> Verdict:
        """As `changed` for a revision that involves the page: each side is (feed text, feed
        and page text); the watches in `page_watches` read the second, the others the first."""
        names = self._eligible(feed, "changed")
        cur = self._split_hits(*after, names, page_watches, feed)
        return self._revision(self._split_hits(*before, names, page_watches, feed), cur,
                              lambda: self._split_spans(feed, *after, cur, page_watches))

    def health_notifiers(self, feed: str) -> tuple[str, ...]:
        """Who hears that `feed` fails or recovers: health_notify, else its watches' notifiers."""
        explicit = self.config.veille.health_notify
        if explicit is not None:
            return tuple(explicit)
        names: dict[str, None] = {}
        for watch in self._by_feed.get(feed, ()):
            for notifier in self._watches[watch].notify:
                names[notifier] = None
        return tuple(names)
