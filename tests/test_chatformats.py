"""Chat formats: each service's documented shape and limits, and no way for feed text to ping."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from sample_alerts import changed_alert, feed_alert, new_alert, probe_alert

from notifiers.base import Alert, AlertChange, ItemInfo
from notifiers.chatformats import ELLIPSIS, clip, facts, units
from notifiers.formats import discord, mattermost, render, slack
from notifiers.view import build_view

FORMATS = ("slack", "discord", "teams", "mattermost")
HOSTILE_TITLE = "<!channel> @everyone <@U123> & <script>alert(1)</script> [x](https://evil.example)"
HOSTILE_TEXT = ("Alerte @here @channel @all <!here> <@U999|boss> <#C1> **gras** # titre "
                "[cliquez](https://evil.example/) &amp; l’OTAN 🇰🇷 ") * 60  # ~5,000 characters


def hostile_alert() -> Alert:
    """An item revision whose every text tries to ping, inject links, and break limits."""
    base = changed_alert()
    assert base.item is not None
    item = replace(base.item, title=HOSTILE_TITLE, link="javascript:alert(1)",
                   summary=HOSTILE_TEXT)
    changes = tuple(AlertChange(field, HOSTILE_TEXT, HOSTILE_TEXT[::-1], truncated=True)
                    for field in ("title", "summary", "content", "page_text"))
    return replace(base, item=item, changes=changes + (base.changes[1],),
                   watches=("@everyone",) * 30, matched=(HOSTILE_TITLE,) * 10)


ALERTS = {
    "new": new_alert(), "changed": changed_alert(), "failing": feed_alert("feed.failing"),
    "recovered": feed_alert("feed.recovered"), "test": probe_alert(),
    "french": changed_alert(language="fr"), "hostile": hostile_alert(),
}


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON-like value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def check_slack(payload: dict[str, Any]) -> None:
    """Block Kit: header ≤150, section text ≤3000, ≤10 fields of ≤2000, ≤50 blocks."""
    assert set(payload) == {"text", "blocks"} and 0 < units(payload["text"]) <= 3000
    blocks = payload["blocks"]
    assert 0 < len(blocks) <= 50
    for block in blocks:
        assert block["type"] in ("header", "section", "context", "divider")
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text" and 0 < units(block["text"]["text"]) <= 150
        elif block["type"] == "section":
            assert "text" in block or "fields" in block
            if "text" in block:
                assert block["text"]["type"] == "mrkdwn"
                assert 0 < units(block["text"]["text"]) <= 3000
            fields = block.get("fields", [None])  # Slack refuses an empty `fields`
            assert 0 < len(fields) <= 10
            assert all(f is None or 0 < units(f["text"]) <= 2000 for f in fields)
        elif block["type"] == "context":
            assert 0 < len(block["elements"]) <= 10
    for text in strings(payload):
        # The only `<` left is veille's own `<http(s)://…|…>` link: no <!channel>, <@U…>, <#C…>.
        for at in (m.start() for m in re.finditer("<", text)):
            assert re.match(r"<https?://[^|<>\s]+\|[^<>]*>", text[at:]), text[at:at + 40]
        assert not re.search(r"(?<!\w)@(?=(everyone|here|channel)\b)", text)


def check_discord(payload: dict[str, Any]) -> None:
    """Embed limits: title 256, description 4096, 25 fields of 256/1024, 6000 in all."""
    assert payload["allowed_mentions"] == {"parse": []}
    assert units(payload["content"]) <= 2000
    (embed,) = payload["embeds"]
    fields = embed.get("fields", [])
    assert 0 < units(embed["title"]) <= 256 and units(embed.get("description", "")) <= 4096
    assert len(fields) <= 25 and units(embed["footer"]["text"]) <= 2048
    assert all(0 < units(f["name"]) <= 256 and 0 < units(f["value"]) <= 1024 for f in fields)
    total = (units(embed["title"]) + units(embed.get("description", ""))
             + units(embed["footer"]["text"]) + sum(units(f["name"] + f["value"]) for f in fields))
    assert total <= 6000
    assert "url" not in embed or re.match(r"https?://", embed["url"])
    assert isinstance(embed["color"], int)
    for text in strings(payload):
        assert "@everyone" not in text and "@here" not in text
        assert not re.search(r"(?<!\\)<", text)  # no <@id>, <#id>, <t:…> left unescaped
        assert not re.search(r"(?<!\\)\]\(", text)  # no masked link from feed text


def check_teams(payload: dict[str, Any]) -> None:
    """A workflow message with one Adaptive Card ≥1.4, well under Teams' 28 KB."""
    assert payload["type"] == "message"
    (attachment,) = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and tuple(map(int, card["version"].split("."))) >= (1, 4)
    for element in card["body"]:
        assert element["type"] in ("TextBlock", "FactSet", "Container", "ActionSet")
        if element["type"] == "TextBlock":
            assert isinstance(element["text"], str) and element["wrap"] is True
        elif element["type"] == "FactSet":
            assert all(isinstance(f["title"], str) and isinstance(f["value"], str)
                       for f in element["facts"])
        elif element["type"] == "ActionSet":
            for action in element["actions"]:
                assert action["type"] == "Action.OpenUrl" and re.match(r"https?://", action["url"])
    assert len(json.dumps(payload, ensure_ascii=False).encode()) <= 28_000
    assert not any("](" in text for text in strings(card["body"]))


def check_mattermost(payload: dict[str, Any]) -> None:
    """Markdown `text` within 4000 characters; no @mention and no raw `<` from the feed."""
    assert set(payload) == {"text"} and 0 < units(payload["text"]) <= 4000
    assert not re.search(r"(?<!\w)@(?=\w)", payload["text"])
    assert not re.search(r"(?<!\\)<", payload["text"])


CHECKS = {"slack": check_slack, "discord": check_discord, "teams": check_teams,
          "mattermost": check_mattermost}


class TestDocumentedShapes:
    """Every alert type renders to each service's documented shape, within its limits."""

    @pytest.mark.parametrize("fmt", FORMATS)
    @pytest.mark.parametrize("name", list(ALERTS))
    def test_shape_and_limits(self, fmt: str, name: str) -> None:
        payload = render(fmt, ALERTS[name])
        CHECKS[fmt](payload)
        json.dumps(payload)  # serialisable as it is


class TestHostileAlert:
    """Hostile feed text pings nobody, links nowhere unsafe, and is cut with an ellipsis."""

    @pytest.mark.parametrize("fmt", FORMATS)
    def test_no_unsafe_link(self, fmt: str) -> None:
        payload = json.dumps(render(fmt, hostile_alert()))
        assert "javascript:" not in payload

    @pytest.mark.parametrize("fmt", FORMATS)
    def test_long_texts_end_with_ellipsis(self, fmt: str) -> None:
        texts = list(strings(render(fmt, hostile_alert())))
        assert any(re.search(f"{ELLIPSIS}($|\n)", t) for t in texts)  # a text cut at its end
        assert not any("Alerte" in t and len(t) > 4096 for t in texts)

    def test_slack_escapes_entities(self) -> None:
        payload = render("slack", hostile_alert())
        header = payload["blocks"][0]["text"]["text"]
        assert header.startswith(
            "Updated: &lt;!channel&gt; @\u200beveryone &lt;@\u200bU123&gt; &amp; &lt;script&gt;"
        )

    def test_discord_escapes_markdown(self) -> None:
        title = render("discord", hostile_alert())["embeds"][0]["title"]
        assert title.startswith("\\<!channel\\> @\u200beveryone \\<@\u200bU123\\> & \\<script\\>")


class TestContent:
    """What a person reads: headline, link, facts, each change before → after, local dates."""

    def test_slack_new_item(self) -> None:
        payload = render("slack", new_alert())
        text = json.dumps(payload, ensure_ascii=False)
        assert payload["blocks"][0]["text"]["text"].startswith("New: La République de Corée")
        assert "<https://www.nato.int/cps/fr/natohq/news_226000.htm|La République" in text
        assert "République de Corée, Indo-Pacifique" in text and "korea" in text
        assert "23 May 2024 08:58 CEST" in text  # published, in Europe/Brussels

    @pytest.mark.parametrize("fmt", FORMATS)
    def test_changes_before_and_after(self, fmt: str) -> None:
        text = json.dumps(render(fmt, changed_alert()), ensure_ascii=False)
        assert "Séoul invité au sommet de Washington" in text
        assert "23 May 2024 08:58 CEST" in text and "24 May 2024 10:02 CEST" in text

    @pytest.mark.parametrize("fmt", FORMATS)
    def test_feed_failing_shows_error(self, fmt: str) -> None:
        text = json.dumps(render(fmt, feed_alert("feed.failing")), ensure_ascii=False)
        assert "Feed failing: nato-fr" in text and "HTTP 503 Service Unavailable" in text

    def test_french(self) -> None:
        text = json.dumps(render("mattermost", changed_alert(language="fr")), ensure_ascii=False)
        assert "Mis à jour" in text and "Avant :" in text and "24 mai 2024 10:02 CEST" in text

    def test_discord_links_only_safe_urls(self) -> None:
        embed = render("discord", new_alert())["embeds"][0]
        assert embed["url"] == "https://www.nato.int/cps/fr/natohq/news_226000.htm"
        assert "url" not in render("discord", hostile_alert())["embeds"][0]

    def test_link_special_characters(self) -> None:
        alert = new_alert()
        assert alert.item is not None
        odd = replace(alert, item=replace(alert.item, link="https://x.example/a|b(c)?q=1&r=2"))
        assert "<https://x.example/a%7Cb(c)?q=1&amp;r=2|" in render("slack", odd)["blocks"][1][
            "text"]["text"]
        assert "(https://x.example/a|b%28c%29?q=1&r=2)" in render("mattermost", odd)["text"]

    def test_untitled_item(self) -> None:
        alert = new_alert()
        assert alert.item is not None
        untitled = replace(alert, item=replace(alert.item, title=" \r\n "))
        assert build_view(untitled).headline == "New: (untitled)"


class TestClip:
    """`clip` cuts after escaping, never inside an escape, counting UTF-16 units."""

    def test_short_text_unchanged(self) -> None:
        assert clip("Corée", 5) == "Corée"

    def test_cut_with_ellipsis_on_a_word(self) -> None:
        assert clip("Indo-Pacifique et République de Corée", 20) == "Indo-Pacifique et…"

    def test_never_splits_an_entity(self) -> None:
        cut = clip("&" * 10, 12, slack.escape)
        assert cut == "&amp;&amp;…" and units(cut) <= 12

    def test_emoji_count_double(self) -> None:
        cut = clip("🇰🇷" * 10, 9)
        assert units(cut) <= 9 and cut == "🇰🇷" * 2 + ELLIPSIS

    @pytest.mark.parametrize("escape", [str, slack.escape, discord.escape, mattermost.escape])
    @pytest.mark.parametrize("limit", [1, 2, 7, 50, 333])
    def test_limit_always_respected(self, escape: Any, limit: int) -> None:
        assert units(clip(HOSTILE_TEXT, limit, escape)) <= limit


class TestItemFields:
    """Dates of changes and facts are shown in the alert's zone, with the zone."""

    def test_unknown_zone_reads_as_utc(self) -> None:
        rows = {f.label: f.text for f in facts(build_view(new_alert(timezone="Mars/Olympus")))}
        assert rows["Published"] == "23 May 2024 06:58 UTC"

    def test_item_without_dates(self) -> None:
        alert = new_alert()
        assert alert.item is not None
        bare = replace(alert, item=ItemInfo("k", "T", None, None, None, "", 1))
        assert [f.label for f in facts(build_view(bare))] == ["Feed", "Watches", "Keywords",
                                                           "Detected"]


FIRST_BEFORE = "Le 14 mai 2024, l’OTAN a accueilli la République de Corée."
FIRST_AFTER = "Le 14 mai 2024, l’OTAN a reçu une délégation de la République de Corée."


def lead_paragraph_alert(summary_before: str = FIRST_BEFORE) -> Alert:
    """A revision whose summary is the first paragraph of the revised content."""
    base = changed_alert()
    assert base.item is not None
    changes = (
        AlertChange("summary", summary_before, FIRST_AFTER),
        AlertChange("content", f"{FIRST_BEFORE}\n\nLes entretiens ont eu lieu à Bruxelles.",
                    f"{FIRST_AFTER}\n\nLes entretiens ont eu lieu à Bruxelles."),
        base.changes[1],
    )
    return replace(base, item=replace(base.item, summary=FIRST_AFTER), changes=changes)


class TestSummaryShownOnce:
    """A summary change that the content change already shows word for word is left out, in
    every format as in email and console: one view decides what a person is shown."""

    @pytest.mark.parametrize("fmt", FORMATS)
    def test_summary_inside_content_is_shown_once(self, fmt: str) -> None:
        text = json.dumps(render(fmt, lead_paragraph_alert()), ensure_ascii=False)
        assert text.count("a accueilli la République") == 1  # in the content change only
        assert "Content" in text and "Summary" not in text

    @pytest.mark.parametrize("fmt", FORMATS)
    def test_a_different_summary_change_is_still_shown(self, fmt: str) -> None:
        other = lead_paragraph_alert("Résumé ancien, sans rapport avec le texte.")
        text = json.dumps(render(fmt, other), ensure_ascii=False)
        assert "Résumé ancien" in text and "Summary" in text
        assert text.count("a accueilli la République") == 1

    def test_same_changes_as_email_and_console(self) -> None:
        from notifiers.console import format_alert

        alert = lead_paragraph_alert()
        shown = [c.label for c in build_view(alert).changes]
        assert shown == ["Content", "Updated"]
        console = format_alert(alert)
        assert "Summary" not in console and "Content" in console
