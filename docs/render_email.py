"""Render the `item.changed` alert email that veille sends, as a picture and as plain text.

What it shows: NATO's French article on staff talks with the Republic of Korea (item 1 of
tests/data/feeds/nato-fr-rss.xml) revised by its editors: a
new "Mis à jour le" date and a reworded first paragraph, seen by the watch "korea". The changes
are exactly what veille records for that revision (the summary, and the changed paragraphs of the
content). The email is built by veille's own email notifier, `EmailNotifier.message(alert)`.

Regenerate (from the repository root, after changing notifiers/templates/):

    apt-get install -y chromium          # once; Debian's package, run headless
    .venv/bin/python docs/render_email.py

It writes docs/email-changed.png (the HTML part in an 800×1100 window, as a mail client would
show it) and docs/email-changed.txt (the main headers and the text/plain part). Options:
`--chromium PATH` (default: `chromium` on PATH), `--html PATH` to keep the HTML part too.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))  # run from a checkout without installing veille

from notifiers.base import Alert, AlertChange, FeedInfo, ItemInfo  # noqa: E402
from notifiers.email import EmailNotifier  # noqa: E402

TITLE = ("Entretiens de travail entre les États-majors militaires de l’OTAN et de la "
         "République de Corée sur la coopération")
OLD_LEAD = ("Le 14 mai 2024, l’OTAN a accueilli la République de Corée dans le cadre "
            "d’entretiens de travail tenus au siège de l’Organisation, à Bruxelles.")
NEW_LEAD = ("Le 14 mai 2024, l’OTAN a reçu une délégation militaire de la République de Corée "
            "pour des entretiens de travail au siège de l’Organisation, à Bruxelles, consacrés "
            "au partenariat et à la résilience.")
REST = (" Il a principalement été question du partenariat OTAN-République de Corée actuel, du "
        "renforcement de la résilience et des possibilités futures de coopération. La réunion "
        "s’est tenue sous la conduite de la Division Sécurité coopérative de l’OTAN.")
OLD_DATE, NEW_DATE = "Mis à jour le: 23 May. 2024 07:58", "Mis à jour le: 24 May. 2024 09:12"
DETECTED = datetime(2024, 5, 24, 7, 16, 40, tzinfo=UTC)  # 09:16 CEST


def revision_alert() -> Alert:
    """The `item.changed` alert of the revision, as the dispatcher builds it."""
    link = "https://www.nato.int/cps/fr/natohq/news_225946.htm?selectedLocale=fr"
    item = ItemInfo(
        key="nato-news-225946-fr", title=TITLE,
        link=f"{link}&utm_source=rss&utm_medium=feed&xtor=RSS-1",
        published=datetime(2024, 5, 14, 16, 20, tzinfo=UTC), updated=None,
        summary=f"{NEW_LEAD}\n\n{NEW_DATE}", version=2,
    )
    changes = (
        AlertChange("summary", f"{OLD_LEAD}\n\n{OLD_DATE}", f"{NEW_LEAD}\n\n{NEW_DATE}"),
        AlertChange("content", f"…\n\n{OLD_DATE}\n\n{OLD_LEAD}{REST}\n\n…",
                    f"…\n\n{NEW_DATE}\n\n{NEW_LEAD}{REST}\n\n…", truncated=True),
    )
    return Alert(
        id="5b1f0c7e9a2d4c63b8e1f40a7d9c2e15", type="item.changed", occurred_at=DETECTED,
        feed=FeedInfo("nato-fr", "https://www.nato.int/cps/rss/fr/natohq/rssFeed.xsl/rssFeed.xml",
                      "OTAN – Actualités"),
        item=item, watches=("korea",), matched=("République de Corée",), match="kept",
        changes=changes, thread_id="item-3c9e51d0a7b24f8e6d1a0b92",
        first_alert_id="0f4d2b8c6e1a4b7d9c3e5f6a8b0d2c4e", timezone="Europe/Brussels",
    )


def build_email(alert: Alert) -> EmailMessage:
    mailer = EmailNotifier.from_options("analysts", {
        "host": "smtp.example.org", "from": "veille <veille@example.org>",
        "to": ["Cellule Asie <analystes-asie@example.org>"],
    })
    return mailer.message(alert, now=DETECTED)


def as_text(message: EmailMessage) -> str:
    """The main headers, decoded, then the text/plain part."""
    names = ("From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References")
    head = [f"{name}: {' '.join(str(message[name]).split())}" for name in names if message[name]]
    plain = message.get_body(("plain",))
    assert plain is not None
    body: str = plain.get_content()
    return "\n".join(head) + "\n\n" + body


def screenshot(html: str, png: Path, chromium: str) -> None:
    with tempfile.TemporaryDirectory(prefix="veille-email-") as tmp:
        page = Path(tmp) / "email.html"
        page.write_text(html, encoding="utf-8")
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", "--hide-scrollbars", "--force-device-scale-factor=1",
             # Without it the bottom of the window can be captured before it is painted.
             "--run-all-compositor-stages-before-draw",
             f"--user-data-dir={Path(tmp) / 'profile'}", f"--screenshot={png}",
             "--window-size=800,1100", page.as_uri()],
            check=True, capture_output=True, timeout=120,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("--html", type=Path, help="also write the HTML part here")
    args = parser.parse_args()
    message = build_email(revision_alert())
    html_part = message.get_body(("html",))
    assert html_part is not None
    html = html_part.get_content()
    if args.html:
        args.html.write_text(html, encoding="utf-8")
    (DOCS / "email-changed.txt").write_text(as_text(message), encoding="utf-8")
    screenshot(html, DOCS / "email-changed.png", args.chromium)
    print(f"wrote {DOCS / 'email-changed.png'} and {DOCS / 'email-changed.txt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
