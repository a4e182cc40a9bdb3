"""How an alert reads to a person, in every channel: headline, labels, local dates, safe links.

Everything that came from a feed goes through `one_line` or `clean_block` before it is shown:
feeds carry CR/LF in titles, terminal escapes, bidi overrides and `javascript:` links.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import BaseLoader, Environment, PackageLoader, TemplateNotFound

from notifiers.base import Alert

# label key → (English, French)
_LABELS: dict[str, tuple[str, str]] = {
    "item.new": ("New", "Nouveau"),
    "item.changed": ("Updated", "Mis à jour"),
    "feed.failing": ("Feed failing", "Flux en échec"),
    "feed.recovered": ("Feed recovered", "Flux rétabli"),
    "notifier.failing": ("Notifier failing", "Canal d’alerte en échec"),
    "notifier.recovered": ("Notifier recovered", "Canal d’alerte rétabli"),
    "notifier": ("Notifier", "Canal"),
    "notifier_health": ("Notifier health", "Santé des canaux"),
    "test": ("Test alert from veille", "Alerte de test de veille"),
    "untitled": ("(untitled)", "(sans titre)"),
    "feed": ("Feed", "Flux"),
    "feed_url": ("Feed URL", "Adresse du flux"),
    "watches": ("Watches", "Veilles"),
    "matched": ("Keywords", "Mots-clés"),
    "match": ("Watched terms", "Termes surveillés"),
    "match.added": ("added by this revision", "ajoutés par cette révision"),
    "match.removed": ("removed by this revision", "retirés par cette révision"),
    "match.kept": ("still present", "toujours présents"),
    "title": ("Title", "Titre"),
    "link": ("Link", "Lien"),
    "summary": ("Summary", "Résumé"),
    "content": ("Content", "Contenu"),
    "published": ("Published", "Publié le"),
    "updated": ("Updated", "Mis à jour le"),
    "page_title": ("Page title", "Titre de la page"),
    "page_published": ("Page published", "Page publiée le"),
    "page_modified": ("Page modified", "Page modifiée le"),
    "page_text": ("Page text", "Texte de la page"),
    "detected": ("Detected", "Détecté le"),
    "error": ("Error", "Erreur"),
    "changes": ("What changed", "Modifications"),
    "before": ("Before", "Avant"),
    "after": ("After", "Après"),
    "none": ("(none)", "(aucun)"),
    "truncated": ("excerpt: the changed paragraphs only", "extrait : paragraphes modifiés"),
    "not_a_link": ("not a web link, not opened", "pas un lien web, non ouvert"),
    "test_body": (
        "This is a test alert: veille can deliver through this notifier.",
        "Ceci est une alerte de test : veille peut envoyer par ce canal.",
    ),
    "alert_id": ("alert id", "alerte"),
    "digest": ("Digest", "Récapitulatif"),
    "alert": ("alert", "alerte"),
    "alerts": ("alerts", "alertes"),
    "feed_health": ("Feed health", "Santé des flux"),
    "other": ("Other", "Autres"),
    "more": ("more", "de plus"),
    "colon": (":", " :"),
}
_MONTHS = {
    "en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(),
    "fr": "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.".split(),
}
DATE_FIELDS = ("published", "updated", "page_published", "page_modified")
_SPACES = re.compile(r"\s+")


def label(key: str, language: str = "en") -> str:
    """The label `key` in `language` ("en" or "fr"; anything else reads as English)."""
    en, fr = _LABELS.get(key, (key, key))
    return fr if language == "fr" else en


def labels(language: str = "en") -> dict[str, str]:
    """Every label in `language`, for templates (`labels.title`)."""
    return {key: label(key, language) for key in _LABELS}


def _strip_controls(text: str, keep_newlines: bool) -> str:
    """Line breaks and tabs become spaces (or "\\n"), other Cc/Cf characters are dropped."""
    text = text.replace("\r\n", "\n")
    out: list[str] = []
    for ch in text:
        if ch in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029":
            out.append("\n" if keep_newlines else " ")
        elif ch == "\t":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs"):
            continue  # zero-width and bidi controls vanish rather than split a word
        else:
            out.append(ch)
    return "".join(out)


def one_line(text: str | None) -> str:
    """`text` on one line: control characters and line breaks collapsed, spaces squeezed."""
    if not text:
        return ""
    return _SPACES.sub(" ", _strip_controls(text, keep_newlines=False)).strip()


def clean_block(text: str | None) -> str:
    """`text` with its line breaks kept ("\\n"), other control characters removed."""
    if not text:
        return ""
    lines = [one_line(line) for line in _strip_controls(text, keep_newlines=True).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def cap(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, an ellipsis included."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "…"


def safe_url(url: str | None) -> str | None:
    """`url` when it is an absolute http(s) URL fit for a link; None for anything else."""
    if not url or url != url.strip() or any(ch.isspace() for ch in url):
        return None
    if one_line(url) != url or any(ch in url for ch in "<>\"'`\\"):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def _zone(tz_name: str) -> ZoneInfo | timezone:
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def local_time(dt: datetime, tz_name: str) -> datetime:
    """`dt` (aware; naive means UTC) in the zone `tz_name`; an unknown zone reads as UTC."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(_zone(tz_name))


def format_local(dt: datetime | None, tz_name: str, language: str = "en") -> str:
    """`dt` as "23 May 2024 08:58 CEST" in `tz_name`, always with its zone; "" for None."""
    if dt is None:
        return ""
    local = local_time(dt, tz_name)
    zone = local.strftime("%Z") or "UTC"
    if zone[0] in "+-":  # zones without an abbreviation print as an offset only
        zone = "UTC" + zone
    month = _MONTHS.get(language, _MONTHS["en"])[local.month - 1]
    return f"{local.day} {month} {local.year} {local:%H:%M} {zone}"


def format_iso(value: str | None, tz_name: str, language: str = "en") -> str:
    """An ISO 8601 instant (as `changes` carry dates) in local time; unparsable text as is."""
    if not value:
        return ""
    try:
        return format_local(datetime.fromisoformat(value), tz_name, language)
    except ValueError:
        return one_line(value)


def item_title(alert: Alert) -> str:
    """The item's title on one line, or "(untitled)"."""
    title = one_line(alert.item.title) if alert.item is not None else ""
    return title or label("untitled", alert.language)


def headline(alert: Alert) -> str:
    """What happened in one line: "New: <title>", "Feed failing: <feed>", …"""
    what = label(alert.type, alert.language)
    if alert.type == "test":
        return what
    sep = label("colon", alert.language)
    if alert.type in ("feed.failing", "feed.recovered"):
        return f"{what}{sep} {one_line(alert.feed.name)}"
    if alert.notifier is not None:
        return f"{what}{sep} {one_line(alert.notifier.name)}"
    return f"{what}{sep} {item_title(alert)}"


class CustomTemplateLoader(BaseLoader):
    """Loads a notifier's `template` file and veille's own templates, and nothing else.

    A `{% include %}`, `{% import %}` or `{% extends %}` of any other name fails: the files
    beside a template (an `env` file of secrets, config.toml) are not the template's to read.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.builtin = PackageLoader("notifiers", "templates")

    def get_source(self, environment: Environment, template: str
                   ) -> tuple[str, str | None, Callable[[], bool] | None]:
        if template == self.path.name:
            try:
                mtime = os.path.getmtime(self.path)
                source = self.path.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise TemplateNotFound(template) from None
            return source, str(self.path), lambda: _unchanged(self.path, mtime)
        builtin = self.builtin.list_templates()
        if template in builtin:
            return self.builtin.get_source(environment, template)
        raise TemplateNotFound(template, (
            f"{template!r} cannot be loaded: a custom template may load only itself "
            f"({self.path.name}) and veille's own templates ({', '.join(builtin)})"))

    def list_templates(self) -> list[str]:
        return sorted({self.path.name, *self.builtin.list_templates()})


def _unchanged(path: Path, mtime: float) -> bool:
    try:
        return os.path.getmtime(path) == mtime
    except OSError:
        return False
