"""The email message as a real SMTP server (aiosmtpd) receives it, parsed by the stdlib."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sample_alerts import ITEM, TITLE, changed_alert, feed_alert, new_alert, probe_alert
from smtpserver import SMTPServer, sent

from notifiers.base import ItemInfo
from notifiers.email_message import encode_subject

HOSTILE = "<script>alert(1)</script> =?UTF-8?Q?=0A?=Bcc: x@example.com"


def parts(message: EmailMessage) -> tuple[str, str]:
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()


@pytest.fixture
def server() -> Iterator[SMTPServer]:
    with SMTPServer() as smtp:
        yield smtp


class TestSubject:
    """The Subject header decodes to exactly the text it was given, on every folding."""

    @pytest.mark.parametrize("pad", range(1, 80, 7))
    def test_non_ascii_subject_keeps_every_space(self, pad: int) -> None:
        text = "x" * pad + " [veille] Updated: Les partenaires de l'Indo-Pacifique invités, Corée"
        folded = encode_subject(text)
        raw = f"Subject: {folded}\n\nbody".replace("\n", "\r\n").encode("ascii")
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert parsed["Subject"] == text
        assert all(len(line) <= 78 for line in f"Subject: {folded}".split("\n"))

    def test_ascii_subject_stays_readable(self) -> None:
        assert encode_subject("[veille] New: Allies meet in Brussels") == (
            "[veille] New: Allies meet in Brussels"
        )

    def test_encoded_word_lookalike_is_text_not_a_line_break(self) -> None:
        folded = encode_subject(f"[veille] New: {HOSTILE}")
        raw = f"Subject: {folded}\r\n\r\nx".encode()
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert parsed["Subject"] == f"[veille] New: {HOSTILE}"
        assert parsed["Bcc"] is None


class TestMessage:
    """What the server receives: both parts, headers, threading, escaping."""

    def test_multipart_alternative_with_text_and_html(self, server: SMTPServer) -> None:
        [got] = sent(server, new_alert())
        msg = got.message
        assert msg.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
        assert got.mail_from == "veille@veille.example.org"
        assert got.rcpt_tos == ["analysts@example.org"]
        assert msg["To"] == "Analystes <analysts@example.org>"
        assert msg["Auto-Submitted"] == "auto-generated"
        assert msg["X-Veille-Alert-Id"] == "dlv-101"
        assert msg["Date"].datetime.utcoffset() is not None

    def test_subject_decodes_to_the_exact_title(self, server: SMTPServer) -> None:
        # Python 3.11's own folding turns this one into "…Indo-Pacifiqueinvités…".
        title = "Les partenaires de l’Indo-Pacifique invités au sommet, République de Corée là"
        item = replace(ITEM, title=title)
        new, changed = sent(server, new_alert(item=item), changed_alert(item=item))
        assert new.message["Subject"] == f"[veille] New: {title}"
        assert changed.message["Subject"] == f"[veille] Updated: {title}"

    def test_message_id_is_stable_across_retries(self, server: SMTPServer) -> None:
        first, retry, other = sent(server, new_alert(), new_alert(), changed_alert())
        assert first.message["Message-ID"] == retry.message["Message-ID"]
        assert first.message["Message-ID"] == "<dlv-101@veille.example.org>"
        assert other.message["Message-ID"] != first.message["Message-ID"]

    def test_revisions_thread_under_one_root(self, server: SMTPServer) -> None:
        new, changed = sent(server, new_alert(), changed_alert())
        root = "<thread.item-5f0c2a9e41b7d3c8a6e2f190@veille.example.org>"
        assert new.message["References"] == root and new.message["In-Reply-To"] is None
        assert changed.message["In-Reply-To"] == root
        assert changed.message["References"] == root

    def test_revision_replies_to_the_first_alert_when_known(self, server: SMTPServer) -> None:
        new, changed = sent(server, new_alert(), changed_alert(first_alert_id="dlv-101"))
        assert changed.message["In-Reply-To"] == new.message["Message-ID"]
        assert new.message["Message-ID"] in changed.message["References"].split()

    def test_changed_words_are_marked_in_both_parts(self, server: SMTPServer) -> None:
        [got] = sent(server, changed_alert())
        text, html = parts(got.message)
        assert "Mis à jour le [-23-]{+24+} mai 2024." in text
        assert "23 May 2024 08:58 CEST → 24 May 2024 10:02 CEST" in text
        assert ">23</del> mai" in html and ">24</ins> mai" in html
        assert "{+des Affaires étrangères+}" in text

    def test_body_names_feed_watch_keywords_link_and_local_dates(self, server: SMTPServer) -> None:
        [got] = sent(server, new_alert())
        text, html = parts(got.message)
        for expected in (
            "OTAN – Actualités (nato-fr)", "korea", "République de Corée, Indo-Pacifique",
            "23 May 2024 08:58 CEST", "veille · feed nato-fr · alert id dlv-101",
        ):
            assert expected in text and expected in html
        assert f'<a href="{new_alert().item.link}"' in html  # type: ignore[union-attr]

    def test_hostile_feed_content_is_escaped_and_never_a_link(self, server: SMTPServer) -> None:
        hostile = new_alert(item=ItemInfo(
            key="k", title=HOSTILE + "\r\nX-Injected: yes\u2028tail", link="javascript:alert(1)",
            published=None, updated=None, summary='<img src=x onerror="alert(2)">', version=1,
        ))
        [got] = sent(server, hostile)
        text, html = parts(got.message)
        assert got.rcpt_tos == ["analysts@example.org"]
        assert got.message["Bcc"] is None and got.message["X-Injected"] is None
        assert got.message["Subject"] == f"[veille] New: {HOSTILE} X-Injected: yes tail"
        assert "<script" not in html and "&lt;script&gt;" in html
        assert "<img" not in html and "&lt;img src=x" in html
        assert all(href.startswith("https://") for href in re.findall(r'href="([^"]*)"', html))
        assert "javascript:alert(1) (not a web link, not opened)" in text

    def test_french_labels(self, server: SMTPServer) -> None:
        [got] = sent(server, changed_alert(language="fr"))
        text, _ = parts(got.message)
        assert got.message["Subject"] == f"[veille] Mis à jour : {TITLE}"
        assert "Mis à jour le :" in text and "24 mai 2024 10:02 CEST" in text

    @pytest.mark.parametrize(
        ("alert", "subject", "body"),
        [
            (feed_alert("feed.failing"), "[veille] Feed failing: nato-fr", "HTTP 503 Service"),
            (feed_alert("feed.recovered"), "[veille] Feed recovered: nato-fr", "OTAN – Actualités"),
            (probe_alert(), "[veille] Test alert from veille", "veille can deliver"),
        ],
    )
    def test_feed_and_test_alerts(
        self, server: SMTPServer, alert: Any, subject: str, body: str
    ) -> None:
        [got] = sent(server, alert)
        text, html = parts(got.message)
        assert got.message["Subject"] == subject
        assert body in text and body in html

    def test_custom_template_and_subject(self, server: SMTPServer, tmp_path: Path) -> None:
        template = tmp_path / "alert.html.j2"
        template.write_text("<p>{{ view.headline }} ({{ alert.feed.name }})</p>", encoding="utf-8")
        [got] = sent(server, new_alert(), template=str(template),
                     subject="{{ alert.feed.name }}: {{ view.title }}", subject_prefix="[OTAN]")
        _, html = parts(got.message)
        assert html.strip() == f"<p>New: {TITLE} (nato-fr)</p>"
        assert got.message["Subject"] == f"[OTAN] nato-fr: {TITLE}"
