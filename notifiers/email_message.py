"""The alert email itself: templates, the headers written by hand, the MIME structure.

Headers that carry anything variable are folded here, not by the stdlib: Python 3.11's folder
drops spaces between encoded words and, on 3.11.7, turns the text `=?UTF-8?Q?=0A?=` into a real
line break (CVE-2024-6923). `set_raw` plus `refold_source="none"` emits them as written.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email import policy, quoprimime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    PackageLoader,
    StrictUndefined,
    Template,
    select_autoescape,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from notifiers.base import Alert
from notifiers.render import CustomTemplateLoader, cap, local_time, one_line, safe_url
from notifiers.view import build_view

POLICY = policy.SMTP.clone(refold_source="none")
SUBJECT_LIMIT = 250
_LINE = 78  # RFC 5322's recommended line length
_FIRST = _LINE - len("Subject: ")
_SAFE_ID = re.compile(r"[A-Za-z0-9_+=-]+(?:\.[A-Za-z0-9_+=-]+)*")
BANDS = {"item.new": "#1e3a5f", "item.changed": "#8a4b08", "feed.failing": "#9b1c1c",
          "feed.recovered": "#046c4e", "notifier.failing": "#9b1c1c",
          "notifier.recovered": "#046c4e", "test": "#3e4c59"}
_DEL = '<del style="background-color:#f8c4c4;color:#771d1d;text-decoration:line-through;">'
_INS = '<ins style="background-color:#bcf0da;color:#014737;text-decoration:none;">'
_MARK = '<mark style="background-color:#fde68a;color:inherit;">'


def _encoded_word(chunk: str) -> str:
    return quoprimime.header_encode(chunk.encode("utf-8"), "utf-8")


def encode_subject(text: str) -> str:
    """A Subject value folded by hand; unfolding and RFC 2047 decoding give back `text` exactly.

    Plain ASCII stays readable; anything else becomes encoded words, each ending on a space
    where it can, with the spaces inside the words (whitespace *between* encoded words is
    dropped by decoders, which is how the stdlib loses spaces).
    """
    text = one_line(text)
    words = text.split(" ")
    if text.isascii() and "=?" not in text and all(len(w) <= _FIRST for w in words):
        lines = [words[0]]
        for word in words[1:]:
            room = (_FIRST if len(lines) == 1 else _LINE - 1) - len(lines[-1]) - 1
            if len(word) > room:
                lines.append(word)
            else:
                lines[-1] += " " + word
        return "\n ".join(lines)
    chunks = [""]
    for word in re.findall(r"\S+ ?| ", text):
        if len(_encoded_word(chunks[-1] + word)) <= _FIRST:
            chunks[-1] += word
            continue
        chunks.append("")
        for char in word:  # a word too long for one encoded word is cut between characters
            if len(_encoded_word(chunks[-1] + char)) > _FIRST:
                chunks.append("")
            chunks[-1] += char
    return "\n ".join(_encoded_word(chunk) for chunk in chunks if chunk)


def id_part(value: str) -> str:
    """`value` when it is fit for the left of a Message-ID, else a digest of it (stable)."""
    if len(value) <= 64 and _SAFE_ID.fullmatch(value):
        return value
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def threading_headers(alert: Alert, domain: str) -> list[tuple[str, str]]:
    """`In-Reply-To` / `References` that group every alert about one item in one thread.

    A revision replies to the first message sent about its item through this notifier
    (`alert.first_alert_id`: that alert's id, or the id of the digest it went out in), as
    clients that thread by `In-Reply-To` need; `References` is that message's own
    (the item's thread id) followed by its Message-ID, as RFC 5322 builds it. When no earlier
    message was sent (pending, given up, sent under an id nobody kept), the revision replies
    to the item's thread id, which no message bears: clients that thread by references still
    group the revisions.
    """
    if alert.item is not None and alert.type in ("item.new", "item.changed"):
        thread = alert.thread_id or f"{alert.feed.name}\0{alert.item.key}"
        refs = [f"<thread.{id_part(thread)}@{domain}>"]
        if alert.type == "item.new":
            return [("References", refs[0])]
        if alert.first_alert_id and alert.first_alert_id != alert.id:
            refs.append(f"<{id_part(alert.first_alert_id)}@{domain}>")
        return [("In-Reply-To", refs[-1]), ("References", "\n ".join(refs))]
    if alert.type in ("feed.failing", "feed.recovered"):
        return [("References", f"<feed.{id_part(alert.feed.name)}@{domain}>")]
    if alert.notifier is not None:  # one thread per notifier's health
        return [("References", f"<notifier.{id_part(alert.notifier.name)}@{domain}>")]
    return []


def _inline_marks(html: Markup) -> Markup:
    """Style the diff's `<del>`/`<ins>` inline (mail clients drop <style>) and keep breaks."""
    styled = str(html).replace("<del>", _DEL).replace("<ins>", _INS).replace("<mark>", _MARK)
    return Markup(styled.replace("\n", "<br>\n"))


def _nl2br(text: str) -> Markup:
    return Markup(str(escape(text)).replace("\n", "<br>\n"))


class EmailTemplates:
    """The templates of one notifier: built-in text and HTML, or a custom HTML and subject."""

    def __init__(self, html_path: str | None = None, subject: str | None = None) -> None:
        builtin = Environment(
            loader=PackageLoader("notifiers", "templates"),
            autoescape=select_autoescape(["html.j2"]),
            undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        )
        builtin.filters.update(inline_marks=_inline_marks, nl2br=_nl2br)
        self.text = builtin.get_template("email.txt.j2")
        self.html: Template = builtin.get_template("email.html.j2")
        # Digests always use the built-in templates: `template` and `subject` are per alert.
        self.digest_text = builtin.get_template("digest.txt.j2")
        self.digest_html = builtin.get_template("digest.html.j2")
        if html_path is not None:
            path = Path(html_path)
            # Sandboxed: a template in config can read the alert, not reach into Python, nor
            # include the files beside it.
            custom = ImmutableSandboxedEnvironment(
                loader=CustomTemplateLoader(path), autoescape=True,
                undefined=StrictUndefined,
            )
            custom.filters.update(builtin.filters)
            self.html = custom.get_template(path.name)
        self.subject: Template | None = None
        if subject is not None:
            plain = ImmutableSandboxedEnvironment(autoescape=False, undefined=StrictUndefined)
            self.subject = plain.from_string(subject)

    def context(self, alert: Alert) -> dict[str, Any]:
        """What every template sees: `view`, `labels`, `alert`, `link`, `headline`, `band`."""
        view = build_view(alert)
        link = safe_url(alert.item.link) if alert.item is not None else safe_url(alert.feed.url)
        return dict(
            view=view, labels=view.labels, alert=alert, link=link, headline=view.headline,
            band=BANDS.get(alert.type, BANDS["test"]),
        )

    def render(self, alert: Alert) -> tuple[str, str, str]:
        """Subject (without prefix), text body and HTML body of `alert`."""
        context = self.context(alert)
        view = context["view"]
        subject = self.subject.render(context) if self.subject is not None else view.headline
        return subject, self.text.render(context), self.html.render(context)


def build_message(
    alert: Alert, *, sender: tuple[str, str], to: Sequence[tuple[str, str]], subject_prefix: str,
    templates: EmailTemplates, now: datetime | None = None,
) -> EmailMessage:
    """The `multipart/alternative` message of `alert`; addresses are (display name, address)."""
    subject, text, html = templates.render(alert)
    subject = cap(one_line(f"{subject_prefix} {one_line(subject)}"), SUBJECT_LIMIT)
    domain = sender[1].rpartition("@")[2]
    alert_id = one_line(alert.id)
    if not alert_id.isascii() or len(alert_id) > 200:
        alert_id = id_part(alert_id)
    headers = [
        *envelope_headers(sender, to, subject, now, alert.timezone),
        ("Message-ID", f"<{id_part(alert.id)}@{domain}>"),
        *threading_headers(alert, domain),
        ("Auto-Submitted", "auto-generated"),
        ("X-Auto-Response-Suppress", "All"),
        ("X-Veille-Alert-Id", alert_id),
        ("X-Veille-Alert-Type", one_line(alert.type)),
    ]
    return assemble(headers, text, html)


def envelope_headers(sender: tuple[str, str], to: Sequence[tuple[str, str]], subject: str,
                     now: datetime | None, timezone: str) -> list[tuple[str, str]]:
    """From, To, Subject (folded by hand) and Date, as every veille email carries them."""
    when = local_time(now or datetime.now(UTC), timezone)
    return [
        ("From", formataddr((one_line(sender[0]), sender[1]), charset="utf-8")),
        ("To", ",\n ".join(formataddr((one_line(n), a), charset="utf-8") for n, a in to)),
        ("Subject", encode_subject(subject)),
        ("Date", format_datetime(when)),
    ]


def assemble(headers: Sequence[tuple[str, str]], text: str, html: str) -> EmailMessage:
    """A `multipart/alternative` message with `headers` written as given."""
    msg = EmailMessage(policy=POLICY)
    for name, value in headers:
        msg.set_raw(name, value)
    msg.set_content(text, subtype="plain", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    return msg
