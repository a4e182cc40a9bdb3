"""Showing alerts to people: headlines, local dates, safe links, one-line text, word diffs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sample_alerts import TITLE, changed_alert, feed_alert, new_alert, probe_alert

from notifiers.base import Alert
from notifiers.render import clean_block, format_iso, format_local, headline, one_line, safe_url
from notifiers.textdiff import mark_html, mark_text

MAY_23 = datetime(2024, 5, 23, 6, 58, tzinfo=UTC)


class TestHeadline:
    """One line that says what happened."""

    @pytest.mark.parametrize(
        ("alert", "expected"),
        [
            (new_alert(), f"New: {TITLE}"),
            (changed_alert(), f"Updated: {TITLE}"),
            (feed_alert("feed.failing"), "Feed failing: nato-fr"),
            (feed_alert("feed.recovered"), "Feed recovered: nato-fr"),
            (probe_alert(), "Test alert from veille"),
            (new_alert(language="fr"), f"Nouveau : {TITLE}"),
        ],
    )
    def test_each_kind(self, alert: Alert, expected: str) -> None:
        assert headline(alert) == expected


class TestDates:
    """Dates are shown in the alert's zone, always with the zone."""

    @pytest.mark.parametrize(
        ("zone", "language", "expected"),
        [
            ("Europe/Brussels", "en", "23 May 2024 08:58 CEST"),
            ("Europe/Brussels", "fr", "23 mai 2024 08:58 CEST"),
            ("Asia/Seoul", "en", "23 May 2024 15:58 KST"),
            ("UTC", "en", "23 May 2024 06:58 UTC"),
            ("America/Sao_Paulo", "en", "23 May 2024 03:58 UTC-03"),
            ("Not/AZone", "en", "23 May 2024 06:58 UTC"),
        ],
    )
    def test_format_local(self, zone: str, language: str, expected: str) -> None:
        assert format_local(MAY_23, zone, language) == expected

    def test_iso_from_changes(self) -> None:
        assert format_iso("2024-05-23T06:58:00Z", "Europe/Brussels") == "23 May 2024 08:58 CEST"
        assert format_iso("not a date", "UTC") == "not a date"


class TestText:
    """Feed text is made safe for one-line and block contexts."""

    def test_one_line_collapses_breaks_and_controls(self) -> None:
        raw = "a\r\nb\nc\rd\u2028e\u2029f\tg\x0bh\x85i\x1b[31mj\u202ek\u200bl"
        assert one_line(raw) == "a b c d e f g h i[31mjkl"

    def test_clean_block_keeps_paragraphs(self) -> None:
        assert clean_block("Un\r\n\r\n\r\nDeux\u2028trois\x07") == "Un\n\nDeux\ntrois"

    @pytest.mark.parametrize(
        ("url", "ok"),
        [
            ("https://www.nato.int/cps/fr/natohq/news_1.htm?x=1#a", True),
            ("http://example.org/", True),
            ("javascript:alert(1)", False),
            ("JAVASCRIPT:alert(1)", False),
            ("data:text/html,<script>", False),
            ("//example.org/x", False),
            ("https://example.org/a\nb", False),
            ('https://example.org/"onmouseover=x', False),
            ("https:///nohost", False),
            (None, False),
        ],
    )
    def test_safe_url(self, url: str | None, ok: bool) -> None:
        assert safe_url(url) == (url if ok else None)


class TestWordDiff:
    """Changed words are marked, the rest is left alone."""

    def test_text_marks(self) -> None:
        before = "Mis à jour le 23 mai 2024 à Bruxelles."
        after = "Mis à jour le 24 mai 2024 à Washington."
        assert mark_text(before, after) == (
            "Mis à jour le [-23-]{+24+} mai 2024 à [-Bruxelles-]{+Washington+}."
        )

    def test_adjacent_changes_read_as_one(self) -> None:
        marked = mark_text("Séoul invité", "La Corée invitée")
        assert marked == "[-Séoul invité-]{+La Corée invitée+}"

    def test_added_and_removed_fields(self) -> None:
        assert mark_text(None, "Nouveau résumé") == "{+Nouveau résumé+}"
        assert mark_text("Ancien résumé", None) == "[-Ancien résumé-]"

    def test_html_marks_and_escapes(self) -> None:
        old, new = mark_html("<b>Titre</b> 23 & co", "<b>Titre</b> <script>24 & co")
        assert old == "&lt;b&gt;Titre&lt;/b&gt; <del>23</del> &amp; co"
        assert new == "&lt;b&gt;Titre&lt;/b&gt; <ins>&lt;script&gt;24</ins> &amp; co"


class TestSummaryShownOnce:
    """A summary that is the content's first paragraph is not shown twice to a person."""

    def test_summary_inside_content_change_is_left_out(self) -> None:
        from datetime import UTC, datetime

        from notifiers.base import Alert, AlertChange, FeedInfo
        from notifiers.view import build_view

        first_before = "Le 14 mai 2024, l’OTAN a accueilli la République de Corée."
        first_after = "Le 14 mai 2024, l’OTAN a reçu une délégation de la République de Corée."
        changes = (
            AlertChange("summary", first_before, first_after),
            AlertChange("content", f"{first_before}\n\n…", f"{first_after}\n\n…"),
            AlertChange("updated", "2024-05-14T08:00:00Z", "2024-05-23T05:58:00Z"),
        )
        alert = Alert(id="a1", type="item.changed", occurred_at=datetime(2024, 5, 23, tzinfo=UTC),
                      feed=FeedInfo("nato-fr", "https://www.nato.int/"), changes=changes)
        assert [c.field for c in build_view(alert).changes] == ["content", "updated"]
        other = (AlertChange("summary", "Résumé ancien.", "Résumé nouveau."), *changes[1:])
        alert = Alert(id="a2", type="item.changed", occurred_at=datetime(2024, 5, 23, tzinfo=UTC),
                      feed=FeedInfo("nato-fr", "https://www.nato.int/"), changes=other)
        assert [c.field for c in build_view(alert).changes] == ["summary", "content", "updated"]
