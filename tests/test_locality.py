"""Property: corrupting, adding, editing or removing one entry of a realistic feed (bytes,
markup, encoding) yields events for that entry only — never for another one, and no other
entry's key moves.

The poll's decisions are replayed without a database: parse the feed before and after, with
the stored items of the first parse as `known` (as the poll step passes them), then diff each
entry against its stored version, as the record step does.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from html import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.diff import diff
from monitor.identity import Stored, stored_identity
from monitor.parse import parse_feed
from monitor.records import Entry

URL = "https://www.example.org/feed.xml"
WORDS = ["OTAN", "République", "Corée", "coopération", "sécurité", "l’Alliance", "défense",
         "Indo-Pacifique", "ministres", "réunion", "Brötzmann", "Œuvre", "été", "Genève",
         "partenariat", "« essentiel »", "déclaration", "Bruxelles", "exercice", "maritime",
         "cyber", "résilience", "Washington", "sommet", "Ukraine", "Łódź", "Șerban", "naïve"]
LATIN1_WORDS = [w for w in WORDS if all(ord(c) < 0x100 or c in "’«»Œ" for c in w)]
BASE = datetime(2024, 5, 14, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Model:
    """One entry as the publisher writes it; `number` fixes its publication date, which
    identifies the entry in the property (it is never mutated)."""

    number: int
    title: str
    summary: str
    guid: str | None
    link: str | None


@dataclass(frozen=True)
class Feed:
    entries: tuple[Model, ...]
    atom: bool
    latin1: bool  # declared ISO-8859-1 and written in windows-1252


def published(number: int) -> datetime:
    return BASE + timedelta(hours=number)


def render(feed: Feed) -> str:
    if feed.atom:
        items = []
        for e in feed.entries:
            parts = ["<entry>", f"<title>{escape(e.title)}</title>"]
            if e.guid:
                parts.append(f"<id>{escape(e.guid)}</id>")
            if e.link:
                parts.append(f'<link href="{escape(e.link)}"/>')
            parts.append(f"<published>{published(e.number).isoformat()}</published>")
            parts.append(f'<summary type="html">{escape(e.summary)}</summary></entry>')
            items.append("".join(parts))
        return ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/'
                'Atom"><title>Revue – OTAN</title><id>urn:revue</id>'
                "<updated>2024-05-24T09:30:00Z</updated>\n" + "\n".join(items) + "\n</feed>\n")
    items = []
    for e in feed.entries:
        parts = ["<item>", f"<title>{escape(e.title)}</title>"]
        if e.guid:
            parts.append(f'<guid isPermaLink="false">{escape(e.guid)}</guid>')
        if e.link:
            parts.append(f"<link>{escape(e.link)}</link>")
        date = published(e.number).strftime("%a, %d %b %Y %H:%M:%S +0000")
        parts.append(f"<pubDate>{date}</pubDate>")
        parts.append(f"<description><![CDATA[{e.summary}]]></description></item>")
        items.append("".join(parts))
    encoding = "ISO-8859-1" if feed.latin1 else "UTF-8"
    return (f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0"><channel>'
            "<title>Revue – OTAN</title><link>https://www.example.org/</link>"
            "<lastBuildDate>Fri, 24 May 2024 09:30:00 +0000</lastBuildDate>\n"
            + "\n".join(items) + "\n</channel></rss>\n")


def encode(feed: Feed, text: str) -> bytes:
    return text.encode("cp1252" if feed.latin1 else "utf-8")


@st.composite
def feeds(draw: st.DrawFn) -> Feed:
    latin1 = draw(st.booleans()) and not draw(st.booleans())  # a quarter of them
    words = LATIN1_WORDS if latin1 else WORDS
    atom = not latin1 and draw(st.booleans())
    identity = draw(st.sampled_from(["guid", "link", "fragment", "shared", "none"]))
    count = draw(st.integers(3, 7))
    entries = []
    for number in range(count):
        title = " ".join(draw(st.lists(st.sampled_from(words), min_size=2, max_size=6)))
        title = f"{title} n°{number}"  # titles differ, as a feed's do
        body = " ".join(draw(st.lists(st.sampled_from(words), min_size=0, max_size=12)))
        summary = f"<p>{escape(body)}</p>" if body else ""
        guid = f"urn:news:{number}" if identity == "guid" else None
        link = {"guid": f"https://www.example.org/news/{number}",
                "link": f"https://www.example.org/news/{number}?utm_source=rss",
                "fragment": f"https://www.example.org/article#comment-{number}",
                "shared": f"https://www.example.org/live{'/' if number % 2 else ''}",
                "none": None}[identity]
        entries.append(Model(number, title, summary, guid, link))
    return Feed(tuple(entries), atom, latin1)


MUTATIONS = ["stray_byte", "control", "pasted_latin1", "markup", "entity", "edit_title",
             "edit_summary", "remove", "add"]


def mutate(feed: Feed, kind: str, index: int, byte: int) -> tuple[bytes, int | None]:
    """The document after one mutation of entry `index`, and the number of the entry that
    may have events (None: none may)."""
    target = feed.entries[index]
    text = render(feed)
    if kind == "add":
        new = replace(target, number=len(feed.entries), title=target.title + " (suite)",
                      guid=target.guid and target.guid + "-new",
                      link=target.link and target.link.replace("news/", "news/new-"))
        return encode(feed, render(replace(feed, entries=(new, *feed.entries)))), new.number
    if kind == "remove":
        rest = tuple(e for e in feed.entries if e is not target)
        return encode(feed, render(replace(feed, entries=rest))), None
    if kind in ("edit_title", "edit_summary"):
        edited = (replace(target, title=target.title + " – mise à jour") if kind == "edit_title"
                  else replace(target, summary=target.summary + "<p>Mis à jour le 23 mai.</p>"))
        entries = tuple(edited if e is target else e for e in feed.entries)
        return encode(feed, render(replace(feed, entries=entries))), target.number
    if kind in ("markup", "entity"):
        if kind == "markup":
            changed = replace(target, summary=target.summary.replace(
                "<p>", "<p><span>", 1).replace("</p>", "</span></p>", 1))
        else:
            changed = replace(target, title=target.title.replace("é", "&#233;"))
        entries = tuple(changed if e is target else e for e in feed.entries)
        body = encode(feed, render(replace(feed, entries=entries)))
        if kind == "entity":  # escape() turned "&#233;" into "&amp;#233;": undo it
            body = body.replace(b"&amp;#233;", b"&#233;")
        return body, target.number
    raw = encode(feed, text)
    title_at = raw.index(encode(feed, escape(target.title)))
    if kind == "stray_byte":
        return raw[:title_at] + bytes([byte]) + raw[title_at:], target.number
    if kind == "control":
        control = bytes([byte % 0x20]) if byte % 0x20 not in (9, 10, 13) else b"\x00"
        return raw[:title_at] + control + raw[title_at:], target.number
    # pasted_latin1: the entry's text comes from a windows-1252 source into a UTF-8 feed
    if feed.latin1:
        return raw, None
    start = text.index("<item>" if not feed.atom else "<entry>")
    pieces = text.split("\n")
    mine = next(p for p in pieces if escape(target.title) in p)
    try:
        pasted = mine.encode("cp1252")
    except UnicodeEncodeError:
        return raw, None
    assert start >= 0
    return raw.replace(mine.encode("utf-8"), pasted), target.number


def replay(before: bytes, after: bytes) -> tuple[dict[datetime, str], dict[datetime, str],
                                                  set[datetime]]:
    """Keys by publication date before and after, and the dates of entries with events."""
    first = parse_feed(before, url=URL)
    stored: dict[str, Entry] = {e.key: e for e in first.entries}

    def known(keys: object) -> dict[str, Stored]:
        assert isinstance(keys, set | frozenset | list | tuple)
        return {k: stored_identity(title=stored[k].title, published=stored[k].published,
                                   summary=stored[k].summary, content=stored[k].content)
                for k in keys if k in stored}

    second = parse_feed(after, url=URL, known=known)
    quick = parse_feed(after, url=URL, known=known, previous_cache=first.cache)
    full_keys = {e.key for e in second.entries}
    assert full_keys | set(second.unchanged_keys) == {e.key for e in quick.entries} | set(
        quick.unchanged_keys)
    events: set[datetime] = set()
    for entry in second.entries:
        previous = stored.get(entry.key)
        assert entry.published is not None
        if previous is None:
            events.add(entry.published)
        elif diff(previous, entry, identified_by_guid=previous.guid is not None
                  and previous.key == previous.guid).kind == "changed":
            events.add(entry.published)
    keys_before = {e.published: e.key for e in first.entries if e.published}
    keys_after = {e.published: e.key for e in second.entries if e.published}
    return keys_before, keys_after, events


class TestDamageStaysLocal:
    """One entry's accident is that entry's alone."""

    @settings(max_examples=300, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(feed=feeds(), kind=st.sampled_from(MUTATIONS), pick=st.integers(0, 100),
           byte=st.integers(0x80, 0xFF))
    def test_one_mutation_touches_one_entry(self, feed: Feed, kind: str, pick: int,
                                            byte: int) -> None:
        index = pick % len(feed.entries)
        before = encode(feed, render(feed))
        after, allowed = mutate(feed, kind, index, byte)
        keys_before, keys_after, events = replay(before, after)
        may = {published(allowed)} if allowed is not None else set()
        assert events <= may, (kind, sorted(events))
        for when, key in keys_before.items():
            if when in keys_after and when not in may:
                assert keys_after[when] == key, (kind, when)
        if kind in ("markup", "control", "remove"):
            assert events == set(), kind
