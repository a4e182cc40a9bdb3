"""The words that made an alert match are marked where a person reads them."""

from __future__ import annotations

from datetime import UTC, datetime

from notifiers.base import Alert, FeedInfo, ItemInfo
from notifiers.highlight import mark, mark_html, phrases, segments

TITLE = "L’OTAN et la République  de Corée <b>renforcent</b> leur coopération"
SUMMARY = "Exercice cyber : la République de\nCorée et l’OTAN."


def alert(spans: dict[str, tuple[tuple[int, int], ...]]) -> Alert:
    item = ItemInfo(key="k", title=TITLE, link="https://www.nato.int/x", published=None,
                    updated=None, summary=SUMMARY, version=1)
    return Alert(id="a", type="item.new", occurred_at=datetime(2024, 5, 24, tzinfo=UTC),
                 feed=FeedInfo("nato-fr", ""), item=item, watches=("korea",),
                 matched=("République de Corée", "cyber"), spans=spans)


def span(text: str, words: str) -> tuple[int, int]:
    start = text.index(words)
    return start, start + len(words)


class TestPhrases:
    """The spans' words, spacing made single, longest first, without repeats."""

    def test_from_title_and_summary(self) -> None:
        found = phrases(alert({"title": (span(TITLE, "République  de Corée"),),
                               "summary": (span(SUMMARY, "cyber"),
                                           span(SUMMARY, "République de\nCorée")),
                               "content": ((0, 3),)}))
        assert found == ("République de Corée", "cyber")

    def test_none_without_item_or_spans(self) -> None:
        assert phrases(alert({})) == ()


class TestMarking:
    """Matched words are marked as whole words, whatever the spacing, the rest escaped."""

    def test_segments(self) -> None:
        assert segments("la République de  Corée, cyberattaque et cyber.",
                        ["République de Corée", "cyber"]) == [
            ("la ", False), ("République de  Corée", True), (", cyberattaque et ", False),
            ("cyber", True), (".", False)]

    def test_html_escapes_the_text_and_marks_the_words(self) -> None:
        assert mark_html("<b>cyber</b> & co", ["cyber"]) == \
            "&lt;b&gt;<mark>cyber</mark>&lt;/b&gt; &amp; co"

    def test_text_marks_with_the_channel_syntax(self) -> None:
        assert mark("un *exercice* cyber", ["cyber"], "**",
                    escape_text=lambda s: s.replace("*", "\\*")) == "un \\*exercice\\* **cyber**"
        assert mark("cyber", ["cyber"], "[", "]") == "[cyber]"

    def test_no_words_no_marks(self) -> None:
        assert mark_html("a < b", []) == "a &lt; b" and mark("x", [], "*") == "x"


class TestChannels:
    """Email, console and chat show the matched words marked, in the title and summary."""

    ALERT = alert({"title": (span(TITLE, "République  de Corée"),),
                   "summary": (span(SUMMARY, "cyber"),)})

    def test_email_html_and_text(self) -> None:
        from notifiers.email_message import EmailTemplates

        _, text, html = EmailTemplates().render(self.ALERT)
        mark_tag = '<mark style="background-color:#fde68a;color:inherit;">'
        assert f"{mark_tag}République de Corée</mark>" in html  # title on one line
        assert f"Exercice {mark_tag}cyber</mark> : la {mark_tag}République de<br>" in html
        assert "&lt;b&gt;renforcent&lt;/b&gt;" in html  # the rest still escaped
        assert "Exercice *cyber* : la *République de\nCorée* et l’OTAN." in text

    def test_console_headline_bold_on_a_terminal(self) -> None:
        from notifiers.console import format_alert

        assert "\x1b[1mRépublique de Corée\x1b[0m" in format_alert(
            self.ALERT, colour=True).splitlines()[1]
        assert "\x1b" not in format_alert(self.ALERT)  # a file or the journal: plain text

    def test_chat_formats(self) -> None:
        from notifiers.formats import render

        slack = str(render("slack", self.ALERT))
        assert "Exercice *cyber* : la *République de\\nCorée*" in slack
        for name in ("discord", "mattermost", "teams"):
            assert "Exercice **cyber** : la **République de\\nCorée**" in str(
                render(name, self.ALERT)), name

    def test_alert_without_spans_is_unmarked(self) -> None:
        from notifiers.email_message import EmailTemplates

        _, text, html = EmailTemplates().render(alert({}))
        assert "<mark" not in html and "*" not in text
