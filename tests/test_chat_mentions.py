"""Feed text never pings anyone, in any chat format and any path (short, long, digest).

Hostile text, built from every service's documented mention syntax behind the characters that
services strip or undo before reading a mention (`_`, `.`, `-`, `:`, `\\`, Markdown, entities),
goes into an alert's title, summary, changes (before and after), feed title and error. Each
rendered payload is then read the way its service reads a message:

- Mattermost (server `ExpandAnnouncement` and the standard mention parser): its incoming
  webhooks turn `<!channel>`, `<!here>`, `<!all>` into mentions; the parser splits the text
  that Markdown leaves (escapes undone, entities decoded) on anything but letters, digits and
  `:._-@`, trims leading `:._-`, strips trailing ones, and splits again on `.-:`.
- Slack (message formatting reference): `<!channel>`, `<!here>`, `<!everyone>`, `<@U…>`,
  `<#C…>`, `<!subteam^…>`, `<!date…>` all need a raw `<`; `&`, `<`, `>` must be escaped.
- Discord (message formatting): `<@id>`, `<@!id>`, `<@&id>`, `<#id>`, `</name:id>`,
  `@everyone`, `@here`; and `allowed_mentions: {"parse": []}`.
- Teams (Adaptive Card mentions): an `<at>…</at>` tag named in `msteams.entities`.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sample_alerts import changed_alert, feed_alert, new_alert

from notifiers.apprise import message
from notifiers.base import Alert, AlertChange, FeedInfo
from notifiers.formats import render, render_digest

FORMATS = ("slack", "discord", "teams", "mattermost")
LINK = "https://www.nato.int/cps/fr/natohq/news_226000.htm"

MENTIONS = [
    "<!channel>", "<!here>", "<!all>", "<!everyone>", "<!here|here>", "@channel", "@here",
    "@all", "@everyone", "@Channel", "@HERE", "@bob", "@bob.smith", "<@U024BE7LH>",
    "<@W024BE7LH|bob>", "<#C024BE7LB>", "<#C024BE7LB|general>", "<!subteam^SAZ94GDB8>",
    "<!date^1392734382^{date}|Feb 18>", "<@123456789012345678>", "<@!123456789012345678>",
    "<@&123456789012345678>", "<#123456789012345678>", "</deploy:123456789012345678>",
    "<at>Adele Vance</at>", "<AT>x</AT>", '<at id="0">Megan</at>', "&lt;!channel&gt;",
    "&#64;channel", "&#x40;here", "&amp;lt;!here&amp;gt;", "<https://evil.example|cliquez>",
    "[cliquez](https://evil.example/)", "<https://evil.example>",
]
# What services strip before a mention, undo (Markdown escapes, entities) or read as markup.
PREFIXES = ["", "_", "__", "\\", "\\_", ".", "-", ":", "x.", "x", "*", "**", "`", "~", "(",
            "é", " ", "\n", "&", "<", "\\<", "@", "#"]
FILLER = st.text(alphabet="abcé É’«»…!?;,.:-_*`~|#[]()<>&@\\/ \n🇰🇷", max_size=12)


@st.composite
def hostile(draw: st.DrawFn, marker: str, long: bool) -> str:
    """`marker` first (to find the text again), then mentions, markup and filler."""
    pieces = draw(st.lists(st.one_of(
        st.tuples(st.sampled_from(PREFIXES), st.sampled_from(MENTIONS)).map("".join),
        FILLER), min_size=1, max_size=25))
    text = marker + " " + "".join(pieces)
    return text * (-(-5000 // len(text))) if long else text


def alerts(long: bool) -> st.SearchStrategy[list[Alert]]:
    """An item revision, a new item and a failing feed, every feed text hostile."""
    texts = st.fixed_dictionaries({
        key: hostile(key.upper().replace("_", "") + "MARK", long)
        for key in ("title", "summary", "feed", "error", "b_title", "a_title", "b_summary",
                    "a_summary", "b_content", "a_content", "b_page", "a_page")
    })

    def build(t: dict[str, str]) -> list[Alert]:
        feed = FeedInfo("nato-fr", "https://www.nato.int/cps/rss/fr/natohq/rss.xml", t["feed"])
        base = changed_alert(feed=feed)
        assert base.item is not None
        item = replace(base.item, title=t["title"], summary=t["summary"], link=LINK)
        changes = (AlertChange("title", t["b_title"], t["a_title"]),
                   AlertChange("summary", t["b_summary"], t["a_summary"], truncated=long),
                   AlertChange("content", t["b_content"], t["a_content"], truncated=long),
                   AlertChange("page_text", t["b_page"], t["a_page"]),
                   base.changes[1])
        changed = replace(base, item=item, changes=changes)
        return [changed, replace(new_alert(feed=feed, item=item), id="dlv-103"),
                feed_alert(feed=feed, error=t["error"])]

    return texts.map(build)


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def unescaped(text: str, char: str) -> bool:
    """Whether `char` occurs in `text` not escaped by a backslash (Markdown's rule)."""
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == char:
            return True
        i += 1
    return False


def _mattermost_words(text: str) -> Iterator[str]:
    word: list[str] = []
    for ch in text + " ":
        if ch in ":.-_@" or ch.isalpha() or ch.isnumeric():
            word.append(ch)
        elif word:
            yield "".join(word)
            word = []


def mattermost_mentions(text: str) -> list[str]:
    """What Mattermost's mention parser reads as @-mentions in the Markdown `text` of a post:
    the text Markdown leaves, split into words, each trimmed and split as the server does."""
    plain = html.unescape(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text))
    found = []
    for word in _mattermost_words(plain):
        if word[0] == ":" and word[-1] == ":":
            continue  # an emoji
        word = word.lstrip(":.-_")
        candidates = [word, word.rstrip(".-:_"), *re.split(r"[.\-:]", word)]
        found += [c for c in candidates if re.match(r"@[^\W_]", c)]
    return found


def check_mattermost(payload: dict[str, Any]) -> None:
    text = payload["text"]
    # The webhook's Slack translation runs on the raw text, before Markdown: no `<` at all.
    assert "<" not in text, text[max(0, text.find("<") - 30):text.find("<") + 30]
    assert mattermost_mentions(text) == []


def check_slack(payload: dict[str, Any]) -> None:
    for text in strings(payload):
        for at in (m.start() for m in re.finditer("<", text)):
            # The only `<` is veille's own link to the item: `<https://…|text>`.
            assert re.match(re.escape(f"<{LINK}|") + r"[^<>]*>", text[at:]), text[at:at + 60]
        for at in (m.start() for m in re.finditer("&", text)):
            assert re.match("&(amp|lt|gt);", text[at:]), text[at:at + 20]
        assert not re.search(r"@\w", text), text  # for clients that parse names


def check_discord(payload: dict[str, Any]) -> None:
    assert payload["allowed_mentions"] == {"parse": []}
    for text in strings(payload):
        assert not re.search("@(everyone|here)", text, re.IGNORECASE), text
        assert not unescaped(text, "<"), text  # no <@id>, <@&id>, <#id>, </name:id>


def check_teams(payload: dict[str, Any]) -> None:
    assert "entities" not in json.dumps(payload)
    for text in strings(payload):
        assert not re.search(r"<\s*/?\s*at\b", text, re.IGNORECASE), text
        assert not re.search(r"@\w", text), text


CHECKS = {"slack": check_slack, "discord": check_discord, "teams": check_teams,
          "mattermost": check_mattermost}
# Long alerts cost ~0.1 s each to render: fewer of them, so the file stays within ~30 s.
_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large]
PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=_HEALTH)
LONG_PROPERTY = settings(max_examples=8, deadline=None, suppress_health_check=_HEALTH)


class TestTheCheckersCatchPings:
    """The service readers above find the pings they look for (else the tests prove nothing)."""

    @pytest.mark.parametrize("text", ["_@channel", "\\_@here", "x.@all", "&#64;channel",
                                      "**@bob**", "a-@channel:", "@here."])
    def test_mattermost_parser(self, text: str) -> None:
        assert mattermost_mentions(text)

    @pytest.mark.parametrize("text", ["x@channel", "@\u200bchannel", "@", "@@", "user@\u200bx"])
    def test_mattermost_parser_leaves_non_mentions(self, text: str) -> None:
        assert mattermost_mentions(text) == []

    @pytest.mark.parametrize(("fmt", "payload"), [
        ("mattermost", {"text": "\\<!channel\\>"}),
        ("slack", {"text": "<!here>"}), ("slack", {"text": "AT&T"}),
        ("discord", {"content": "\\\\<@123>", "allowed_mentions": {"parse": []}}),
        ("discord", {"content": "x", "allowed_mentions": {"parse": ["everyone"]}}),
        ("teams", {"text": "<at>Adele</at>"}),
    ])
    def test_each_checker_fails_on_a_ping(self, fmt: str, payload: dict[str, Any]) -> None:
        with pytest.raises(AssertionError):
            CHECKS[fmt](payload)


class TestNoPingFromFeedText:
    """Whatever the feed writes, each service reads no mention in what veille posts."""

    @pytest.mark.parametrize("fmt", FORMATS)
    @PROPERTY
    @given(data=st.data())
    def test_short_alert(self, fmt: str, data: st.DataObject) -> None:
        self.alert(fmt, False, data)

    @pytest.mark.parametrize("fmt", FORMATS)
    @LONG_PROPERTY
    @given(data=st.data())
    def test_long_alert(self, fmt: str, data: st.DataObject) -> None:
        """Texts past every limit: split, cut and packed, never cut inside an escape."""
        self.alert(fmt, True, data)

    def alert(self, fmt: str, long: bool, data: st.DataObject) -> None:
        changed, new, failing = data.draw(alerts(long))
        for alert in (changed, new, failing):
            payload = render(fmt, alert)
            CHECKS[fmt](payload)
        text = json.dumps(render(fmt, changed), ensure_ascii=False)
        markers = ["TITLEMARK", "FEEDMARK"] + ([] if long else [
            "SUMMARYMARK", "BTITLEMARK", "ATITLEMARK", "BCONTENTMARK", "ACONTENTMARK"])
        assert all(m in text for m in markers)  # the hostile text is there, made harmless
        assert "ERRORMARK" in json.dumps(render(fmt, failing))

    @pytest.mark.parametrize("fmt", FORMATS)
    @LONG_PROPERTY
    @given(data=st.data())
    def test_digest(self, fmt: str, data: st.DataObject) -> None:
        long = data.draw(st.booleans())
        batch = data.draw(alerts(long))
        many = [replace(a, id=f"{a.id}-{i}") for i in range(8 if long else 1) for a in batch]
        payload = render_digest(fmt, many)
        CHECKS[fmt](payload)
        assert "TITLEMARK" in json.dumps(payload)

    @LONG_PROPERTY
    @given(data=st.data())
    def test_apprise_text(self, data: st.DataObject) -> None:
        for alert in data.draw(alerts(data.draw(st.booleans()))):
            title, body = message(alert)
            for text in (title, body):
                # apprise forwards to all of these services: none of their syntaxes survives.
                assert not re.search(r"<[!@#/]|<\s*at\b", text, re.IGNORECASE), text
                assert not re.search(r"@\w", text), text
                assert mattermost_mentions(text) == []
