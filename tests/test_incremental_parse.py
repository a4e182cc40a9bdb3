"""The incremental parse yields exactly what a full parse yields, or falls back to one."""

from __future__ import annotations

import itertools
import json
import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from monitor import incremental
from monitor.errors import NotAFeedError
from monitor.parse import parse_feed
from monitor.records import Entry, ParsedFeed

FEEDS = Path(__file__).parent / "data" / "feeds"
FIXTURES = sorted(p.name for p in FEEDS.glob("*.xml"))
URL = "https://www.nato.int/cps/rss/fr/natohq/rssFeed.xml"
HEADERS = {"content-type": "application/rss+xml; charset=utf-8"}
CHUNK = re.compile(rb"<(item|entry)[\s>](?:<!\[CDATA\[.*?\]\]>|<!--.*?-->|.)*?</\1>", re.DOTALL)

Mutation = Callable[[bytes], bytes]
_serial = itertools.count(1)


def parse(body: bytes, cache: bytes | None = None, timezone: str = "Europe/Brussels",
          url: str = URL) -> ParsedFeed:
    return parse_feed(body, url=url, headers=HEADERS, timezone=timezone, previous_cache=cache)


def rebuild(body: bytes, chunks: list[bytes]) -> bytes:
    found = list(CHUNK.finditer(body))
    if not found:
        return body
    return body[:found[0].start()] + b"\n    ".join(chunks) + body[found[-1].end():]


def chunks_of(body: bytes) -> list[bytes]:
    return [m.group(0) for m in CHUNK.finditer(body)]


def renamed(chunk: bytes) -> bytes:
    """A copy of `chunk` that is another item: new guid, id, link and title."""
    tag = f"-added-{next(_serial)}".encode()
    chunk = re.sub(rb"(<(?:guid|id|link)(?:\s[^>]*)?>\s*|(?:href|rdf:about)=\")([^<?\"]+)",
                   lambda m: m.group(1) + m.group(2).rstrip() + tag, chunk)
    return re.sub(rb"(<title[^>]*>)", rb"\1Nouveau " + tag + b" : ", chunk, count=1)


def on_chunks(change: Callable[[list[bytes]], list[bytes]]) -> Mutation:
    return lambda body: rebuild(body, change(chunks_of(body)))


def edit(index: int, old: bytes, new: bytes) -> Mutation:
    def change(chunks: list[bytes]) -> list[bytes]:
        if chunks:
            i = index % len(chunks)
            chunks[i] = chunks[i].replace(old, new, 1)
        return chunks
    return on_chunks(change)


def in_header(pattern: bytes, replacement: Callable[[re.Match[bytes]], bytes]) -> Mutation:
    def change(body: bytes) -> bytes:
        first = CHUNK.search(body)
        end = first.start() if first else len(body)
        return re.sub(pattern, replacement, body[:end], count=1) + body[end:]
    return change


def bump_feed_date(body: bytes) -> bytes:
    n = next(_serial) % 60
    dated = in_header(rb"<(lastBuildDate|updated|dc:date)>[^<]*</\1>",
                      lambda m: m.group(0)[:-len(m.group(1)) - 6] + f"{n:02d}".encode()
                      + m.group(0)[-len(m.group(1)) - 4:])(body)
    return dated if dated != body else in_header(rb"<title>", lambda m: m.group(0))(body)


def with_duplicated_guid(chunks: list[bytes]) -> list[bytes]:
    if not chunks:
        return chunks
    copy = re.sub(rb"(<link>[^<]+|href=\"[^\"]+)", rb"\1-dup", chunks[0], count=1)
    return [re.sub(rb"(<title[^>]*>)", rb"\1Copie : ", copy, count=1), *chunks]


def without_copies(chunks: list[bytes]) -> list[bytes]:
    kept: list[bytes] = []
    for chunk in chunks:
        if b"-dup" not in chunk and chunk not in kept:
            kept.append(chunk)
    return kept


MUTATIONS: list[tuple[str, Mutation]] = [
    ("item added", on_chunks(lambda c: [renamed(c[0]), *c] if c else c)),
    ("item edited", edit(1, b"</title>", " (mis à jour)</title>".encode())),
    ("feed date changed", bump_feed_date),
    ("markup-only edit", edit(2, b"<title>", b"<title> ")),
    ("character reference", edit(0, "é".encode(), b"&#233;")),
    ("items reordered", on_chunks(lambda c: c[::-1])),
    ("item removed", on_chunks(lambda c: c[:-1] if len(c) > 1 else c)),
    ("guid duplicated", on_chunks(with_duplicated_guid)),
    ("duplicate removed", on_chunks(without_copies)),
    ("exact duplicate", on_chunks(lambda c: [*c, c[0]] if c else c)),
    ("duplicate dropped", on_chunks(without_copies)),
    ("comment with an item tag", edit(0, b"<title", b"<!-- <item><entry> --><title")),
    ("CDATA with item tags", edit(-1, b"<title", b'<x:n xmlns:x="urn:x"><![CDATA[</item>'
                                                 b"<item></entry><entry>]]></x:n><title")),
    ("two items added", on_chunks(lambda c: [renamed(c[0]), *c, renamed(c[-1])] if c else c)),
    ("feed title changed", in_header(rb"<title[^>]*>", lambda m: m.group(0) + b"Nouveau ")),
    ("item added after header change", on_chunks(lambda c: [renamed(c[-1]), *c] if c else c)),
]


def check_exact(body: bytes, previous: ParsedFeed,
                previous_full: dict[str, Entry]) -> tuple[ParsedFeed, dict[str, Entry]]:
    """Parse `body` incrementally and fully, assert they agree; the incremental result and the
    full parse's entries by key."""
    full = parse(body)
    quick = parse(body, cache=previous.cache)
    assert (quick.version, quick.title, quick.link, quick.ttl_seconds, quick.warning) == (
        full.version, full.title, full.link, full.ttl_seconds, full.warning)
    by_key = {e.key: e for e in full.entries}
    assert len(by_key) == len(full.entries)
    assert sorted([e.key for e in quick.entries] + list(quick.unchanged_keys)) == sorted(by_key)
    for entry in quick.entries:
        assert entry == by_key[entry.key]
    for key in quick.unchanged_keys:
        assert by_key[key] == previous_full[key], f"{key} said unchanged but changed"
    assert quick.cache == full.cache
    return quick, by_key


def parses(name: str) -> bool:
    try:
        parse((FEEDS / name).read_bytes())
    except NotAFeedError:
        return False
    return True


class TestIncrementalEqualsFull:
    """Over every fixture and successive mutations, incremental and full parses agree."""

    @pytest.mark.parametrize("name", [n for n in FIXTURES if parses(n)])
    def test_successive_mutations(self, name: str) -> None:
        body = (FEEDS / name).read_bytes()
        previous = parse(body)
        previous_full = {e.key: e for e in previous.entries}
        skipped = 0
        for label, mutate in MUTATIONS:
            body = mutate(body)
            try:
                previous, previous_full = check_exact(body, previous, previous_full)
            except AssertionError as error:
                raise AssertionError(f"{name}, after '{label}': {error}") from error
            skipped += len(previous.unchanged_keys)
        if parse((FEEDS / name).read_bytes()).cache is not None:
            assert skipped > 0, "the incremental path was never taken"

    def test_random_mutation_sequences(self) -> None:
        rng = random.Random(20240523)
        body = (FEEDS / "nato-fr-rss-50.xml").read_bytes()
        previous = parse(body)
        previous_full = {e.key: e for e in previous.entries}
        for step in range(30):
            label, mutate = rng.choice(MUTATIONS)
            body = mutate(body)
            try:
                previous, previous_full = check_exact(body, previous, previous_full)
            except AssertionError as error:
                raise AssertionError(f"step {step} '{label}': {error}") from error


    def test_random_byte_edits(self) -> None:
        """Damage anywhere (tags, CDATA, entities, text) still gives a full parse's result."""
        rng = random.Random(11)
        pieces = [b"<", b">", b"&", b"]]>", b"<![CDATA[", b"<!--", b"-->", b"<item>",
                  b"</item>", b"<entry>", b"</entry>", b"x", b" ", "é".encode(), b"&amp;",
                  b"<guid>g</guid>", b'"']
        originals = {name: (FEEDS / name).read_bytes() for name in FIXTURES
                     if name not in ("entity-blowup.xml", "nato-fr-rss-50.xml")}  # slow ones
        states = {name: parse(body) for name, body in originals.items()}
        taken = 0
        for _ in range(300):
            name = rng.choice(sorted(originals))
            body = bytearray(originals[name])
            for _ in range(rng.randint(1, 3)):
                at = rng.randrange(len(body))
                if rng.random() < 0.3:
                    del body[at:at + rng.randint(1, 20)]
                else:
                    body[at:at] = rng.choice(pieces)
            try:
                quick, _ = check_exact(bytes(body), states[name],
                                       {e.key: e for e in states[name].entries})
            except NotAFeedError:
                continue
            taken += bool(quick.unchanged_keys)
        assert taken > 20


class TestIncrementalIsUsed:
    """Unchanged entries are skipped, not parsed again."""

    body = (FEEDS / "nato-fr-rss-50.xml").read_bytes()

    def test_one_new_item(self) -> None:
        first = parse(self.body)
        chunks = chunks_of(self.body)
        new = renamed(chunks[0])
        result = parse(rebuild(self.body, [new, *chunks]), cache=first.cache)
        assert len(result.entries) == 1 and result.entries[0].title.startswith("Nouveau")
        assert result.unchanged_keys == tuple(e.key for e in first.entries)

    def test_only_the_feed_date_changed(self) -> None:
        first = parse(self.body)
        body = self.body.replace(b"08:03:12 GMT", b"08:18:12 GMT", 1)
        assert body != self.body
        result = parse(body, cache=first.cache)
        assert result.entries == ()
        assert len(result.unchanged_keys) == 50

    def test_one_edited_item(self) -> None:
        first = parse(self.body)
        body = edit(7, b"</title>", b" (mis \xc3\xa0 jour)</title>")(self.body)
        result = parse(body, cache=first.cache)
        assert [e.key for e in result.entries] == [first.entries[7].key]
        assert result.entries[0].title.endswith("(mis à jour)")


class TestFallsBackToFullParse:
    """Whenever in doubt the whole document is parsed, and nothing is said unchanged."""

    body = (FEEDS / "nato-fr-rss.xml").read_bytes()

    def full_parse_expected(self, body: bytes, cache: bytes | None, url: str = URL,
                            timezone: str = "Europe/Brussels") -> None:
        result = parse(body, cache=cache, url=url, timezone=timezone)
        assert result.unchanged_keys == ()
        assert result.entries == parse(body, url=url, timezone=timezone).entries

    def test_header_changed(self) -> None:
        body = self.body.replace(b"<language>fr</language>", b"<language>fr-BE</language>")
        self.full_parse_expected(body, parse(self.body).cache)

    def test_other_feed_url_or_timezone(self) -> None:
        cache = parse(self.body).cache
        self.full_parse_expected(self.body, cache, url="https://other.example.org/feed")
        self.full_parse_expected(self.body, cache, timezone="Asia/Seoul")

    @pytest.mark.parametrize("cache", [b"", b"\x80garbage", b"{}", b"[]", b'{"v": 1}',
                                       b'{"v":1,"context":"x","chunks":[[1]]}'])
    def test_unusable_cache(self, cache: bytes) -> None:
        self.full_parse_expected(self.body, cache)

    def test_old_cache_version(self) -> None:
        state = json.loads(parse(self.body).cache or b"")
        state["v"] = 0
        self.full_parse_expected(self.body, json.dumps(state).encode())

    def test_new_item_sharing_a_guid_with_an_unchanged_one(self) -> None:
        cache = parse(self.body).cache
        self.full_parse_expected(on_chunks(with_duplicated_guid)(self.body), cache)

    def test_doctype(self) -> None:
        body = self.body.replace(b"<rss", b"<!DOCTYPE rss>\n<rss", 1)
        assert parse(body).cache is None
        self.full_parse_expected(body, parse(self.body).cache)

    def test_damaged_feeds_leave_no_cache(self) -> None:
        for name in ("nato-fr-truncated.xml", "entity-blowup.xml"):
            body = (FEEDS / name).read_bytes()
            assert parse_feed(body, url=URL).cache is None, name

    def test_mislabelled_feeds_parse_incrementally_like_a_full_parse(self) -> None:
        """Decoding is byte by byte, so a mis-labelled feed keeps its cache and its warning."""
        for name in ("utf8-declared-latin1.xml", "latin1-declared-utf8.xml"):
            body = (FEEDS / name).read_bytes()
            first = parse_feed(body, url=URL)
            assert first.cache is not None and first.warning, name
            again = parse_feed(body, url=URL, previous_cache=first.cache)
            assert again.warning == first.warning
            assert len(again.unchanged_keys) == len(first.entries)


class TestSplit:
    """The chunk scanner finds item boundaries or refuses."""

    def test_items_and_frame(self) -> None:
        data = (b"<rss><channel><title>t</title>\n<item>a</item>\n <item x='1'>b</item>"
                b"</channel></rss>")
        parts = incremental.split(data)
        assert parts is not None
        assert parts.chunks == (b"<item>a</item>", b"<item x='1'>b</item>")
        assert parts.header + parts.chunks[0] + b"\n " + parts.chunks[1] + parts.footer == data

    def test_tags_inside_cdata_and_comments_are_text(self) -> None:
        data = (b"<rss><channel><item><d><![CDATA[</item><item>]]></d><!-- </item> --></item>"
                b"<?pi <item> ?></channel></rss>")
        parts = incremental.split(data)
        assert parts is not None and len(parts.chunks) == 1

    @pytest.mark.parametrize("data", [
        b"<rss><channel></channel></rss>",
        b"<rss><channel><item><item>a</item></item></channel></rss>",
        b"<rss><channel><item/><item>a</item></channel></rss>",
        b"<rss><channel><item>a</item>text<item>b</item></channel></rss>",
        b"<rss><channel><item>a</item><atom:entry>b</atom:entry></channel></rss>",
        b"<rss><channel><item>a<![CDATA[ </item></channel></rss>",
        b"<rss><channel><item>a<!-- </item></channel></rss>",
        b"<rss><channel><item>a</entry></channel></rss>",
        b"<rss><channel><item>a</item><entry>b</entry></channel></rss>",
        b"<rss><channel><item a=\"x>y\">a</item></channel></rss>",
        b"<rss><channel><item>a</channel></rss>",
    ])
    def test_ambiguous_documents_are_refused(self, data: bytes) -> None:
        assert incremental.split(data) is None
