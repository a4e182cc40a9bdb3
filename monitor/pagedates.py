"""Dates of an article page: visible "Mis à jour le" / "Updated" lines and machine-readable ones.

`page.extract_page` calls `structured_dates` on the raw document (meta tags and JSON-LD live in
scripts it later removes) and `visible_date` / `time_dates` on the article's cleaned text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from lxml.html import HtmlElement

_MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "january": 1, "fevrier": 2, "fevr": 2, "fev": 2, "feb": 2,
    "february": 2, "mars": 3, "mar": 3, "march": 3, "avril": 4, "avr": 4, "apr": 4, "april": 4,
    "mai": 5, "may": 5, "juin": 6, "jun": 6, "june": 6, "juillet": 7, "juil": 7, "jul": 7,
    "july": 7, "aout": 8, "aug": 8, "august": 8, "septembre": 9, "sept": 9, "sep": 9,
    "september": 9, "octobre": 10, "oct": 10, "october": 10, "novembre": 11, "nov": 11,
    "november": 11, "decembre": 12, "dec": 12, "december": 12,
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_MONTH_YEAR = re.compile(
    rf"(?<!\d)(?P<d>\d{{1,2}})(?:er|st|nd|rd|th)?\s+(?P<m>{_MONTH})\b\.?,?\s+(?P<y>\d{{4}})(?!\d)")
_MONTH_DAY_YEAR = re.compile(
    rf"\b(?P<m>{_MONTH})\b\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})(?!\d)")
# Numeric dates are read day first (European usage) unless only month-first is possible.
_NUMERIC = re.compile(r"(?<!\d)(?P<d>\d{1,2})(?P<sep>[/.])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4})(?!\d)")
_ISO_DAY = re.compile(r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?!\d)")
_TIME = re.compile(
    r"[\s,]*(?:(?:a|at|-|@)\s+)?(?P<h>\d{1,2})\s*[:h]\s*(?P<min>\d{2})(?::(?P<s>\d{2}))?"
    r"(?:\s*(?P<ampm>[ap])\.?m\b\.?)?(?:\s*(?P<zone>utc|gmt|cest|cet)\b)?"
    r"(?:\s*(?P<sign>[+-])(?P<oh>\d{2}):?(?P<om>\d{2}))?")
_ZONES = {"utc": 0, "gmt": 0, "cet": 60, "cest": 120}  # minutes east of UTC
_MODIFIED_LABEL = re.compile(
    r"\b(?:derniere mise a jour|mise? a jour|maj|actualise|modifie|last updated|last modified"
    r"|updated|modified|revised)\b(?:\s+(?:le|on))?\s*:?\s*")
_PUBLISHED_LABEL = re.compile(
    r"\b(?:publie|mis en ligne|date de publication|first published|published|posted)\b"
    r"(?:\s+(?:le|on))?\s*:?\s*")
_LABELS = (_MODIFIED_LABEL, _PUBLISHED_LABEL)
_ARTICLE_TYPES = {"Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle",
                  "OpinionNewsArticle", "BackgroundNewsArticle", "BlogPosting", "LiveBlogPosting",
                  "Report", "TechArticle", "ScholarlyArticle"}
DATELINE_MAX = 200  # a visible date line is short; a long paragraph that says "updated" is text


def simplify(text: str) -> str:
    """Accents removed, casefolded, white space collapsed: what the date patterns read.

    Not `fold`: it turns dashes into spaces, and dates need their "-" and "+02:00".
    """
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def _dates(text: str) -> Iterator[re.Match[str]]:
    """Date expressions of simplified `text`, in order, without overlaps."""
    found = sorted((m for p in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR, _NUMERIC, _ISO_DAY)
                    for m in p.finditer(text)), key=lambda m: m.start())
    end = -1
    for match in found:
        if match.start() >= end:
            end = match.end()
            yield match


def _instant(text: str, match: re.Match[str], tz: tzinfo) -> datetime | None:
    """The UTC instant of a date match plus the time of day that may follow it."""
    day, year = int(match["d"]), int(match["y"])
    month_text = match["m"]
    month = _MONTHS[month_text] if month_text in _MONTHS else int(month_text)
    if match.re is _NUMERIC and month > 12 >= day:
        day, month = month, day
    clock = _TIME.match(text, match.end())
    hour = minute = second = 0
    zone: tzinfo = tz
    if clock:
        hour, minute, second = int(clock["h"]), int(clock["min"]), int(clock["s"] or 0)
        if clock["ampm"]:
            hour = hour % 12 + (12 if clock["ampm"] == "p" else 0)
        if clock["sign"]:
            offset = timedelta(hours=int(clock["oh"]), minutes=int(clock["om"]))
            zone = timezone(-offset if clock["sign"] == "-" else offset)
        elif clock["zone"]:
            zone = timezone(timedelta(minutes=_ZONES[clock["zone"]]))
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=zone).astimezone(UTC)
    except ValueError:  # 31/02, 25:00: not a date after all
        return None


def _labelled(text: str, label: re.Pattern[str]) -> list[re.Match[str]]:
    """Label matches that open the line or follow a separator ("| Updated", "Par X, mis à jour").

    "The report was updated on 3 May" is a sentence of the article, not its date line.
    """
    heads = ((found, text[: found.start()].rstrip()) for found in label.finditer(text))
    return [found for found, head in heads if not head or not head[-1].isalnum()]


def visible_date(line: str, tz: tzinfo, *, modified: bool) -> datetime | None:
    """The date that a label ("Mis à jour le", "Updated on", "Publié le", …) introduces.

    With `modified=False`, a date line's first unlabelled date counts too ("14 May. 2024 - |
    Mis à jour le: …"): news sites print the publication date bare, the update labelled.
    """
    text = simplify(line) if len(line) <= DATELINE_MAX else ""
    if not text:
        return None
    dates = list(_dates(text))
    for found in _labelled(text, _MODIFIED_LABEL if modified else _PUBLISHED_LABEL):
        match = next((m for m in dates if m.start() == found.end()), None)
        if match is not None and (instant := _instant(text, match, tz)) is not None:
            return instant
    if modified or not is_dateline(line):
        return None
    after_update = {m.end() for m in _MODIFIED_LABEL.finditer(text)}
    bare = (m for m in dates if m.start() not in after_update)
    return next((i for m in bare if (i := _instant(text, m, tz)) is not None), None)


def is_dateline(line: str, untimed: str | None = None) -> bool:
    """Whether `line` is page chrome about dates, not article text.

    True for a short line of dates, labels and punctuation only ("14 May. 2024 - |"), one where
    a label introduces a date ("Par J. Dupont, mis à jour le 23 mai 2024"), and one with
    `<time>` elements whose other text (`untimed`) is labels and punctuation or has a label
    ("Press office · updated <time>2 hours ago</time>").
    """
    text = simplify(line) if len(line) <= DATELINE_MAX else ""
    if not text:
        return False
    if untimed is not None and untimed != line:
        bare = simplify(untimed)
        if not _has_words(bare) or any(_labelled(bare, label) for label in _LABELS):
            return True
    dates = list(_dates(text))
    starts = {m.start() for m in dates}
    if any(found.end() in starts for label in _LABELS for found in _labelled(text, label)):
        return True
    for match in reversed(dates):
        clock = _TIME.match(text, match.end())
        text = text[: match.start()] + " " + text[clock.end() if clock else match.end():]
    return bool(dates) and not _has_words(text)


def _has_words(text: str) -> bool:
    """Whether simplified `text` says anything once date labels are removed."""
    for label in _LABELS:
        text = label.sub(" ", text)
    return any(ch.isalnum() for ch in text)


def parse_machine_date(value: str, tz: tzinfo) -> datetime | None:
    """An ISO 8601 (or RFC 822) date of a meta tag, JSON-LD or `<time datetime>`, in UTC."""
    value = value.strip()
    try:
        moment = datetime.fromisoformat(value.upper().replace(" ", "T", 1))
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return visible_date(f"updated {value}", tz, modified=True)
    return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).astimezone(UTC)


def _json_ld_nodes(doc: HtmlElement) -> Iterator[dict[str, object]]:
    for script in doc.xpath("//script[contains(translate(@type, 'LDJSON', 'ldjson'), 'ld+json')]"):
        try:
            data = json.loads(script.text or "", strict=False)
        except ValueError:  # sites ship broken JSON-LD; the other sources remain
            continue
        for node in data if isinstance(data, list) else [data]:
            if not isinstance(node, dict):
                continue
            graph = node.get("@graph")
            if isinstance(graph, list):
                yield from (n for n in graph if isinstance(n, dict))
            yield node


def _page_key(url: str) -> str:
    parts = urlsplit(url.strip())
    return parts.netloc.lower().removeprefix("www.") + parts.path.rstrip("/")


def _article_node(doc: HtmlElement, url: str) -> dict[str, object]:
    """The JSON-LD article describing `url`, else the first article, else a WebPage, else {}."""
    articles: list[dict[str, object]] = []
    pages: list[dict[str, object]] = []
    for node in _json_ld_nodes(doc):
        kind = node.get("@type")
        kinds = set(kind) if isinstance(kind, list) else {kind}
        if kinds & _ARTICLE_TYPES:
            articles.append(node)
        elif "WebPage" in kinds:
            pages.append(node)
    for node in articles:
        main = node.get("mainEntityOfPage")
        main = main.get("@id") if isinstance(main, dict) else main
        if url and any(isinstance(i, str) and _page_key(i) == _page_key(url)
                       for i in (node.get("url"), node.get("@id"), main)):
            return node
    return (articles or pages or [{}])[0]


def structured_dates(doc: HtmlElement, *, url: str, tz: tzinfo) -> dict[str, datetime]:
    """Dates of the meta tags and JSON-LD, keyed "meta:published", "meta:modified",
    "json-ld:published", "json-ld:modified" (only those found)."""
    found: dict[str, datetime] = {}
    node = _article_node(doc, url)
    for kind, meta_name, ld_key in (("published", "article:published_time", "datePublished"),
                                    ("modified", "article:modified_time", "dateModified")):
        metas = doc.xpath(f"//meta[@property='{meta_name}' or @name='{meta_name}']/@content")
        for source, raw in (("meta", metas[0] if metas else None), ("json-ld", node.get(ld_key))):
            if isinstance(raw, str) and (moment := parse_machine_date(raw, tz)) is not None:
                found[f"{source}:{kind}"] = moment
    return found


def time_dates(area: HtmlElement, tz: tzinfo) -> tuple[datetime | None, datetime | None]:
    """(published, modified) from the article's `<time>` elements.

    A `<time>` is a modification date when its itemprop, class or the words just before it say
    so; the first other one is the publication date.
    """
    published = modified = None
    for element in area.iter("time"):
        raw = element.get("datetime") or element.text_content()
        if not raw.strip() or (moment := parse_machine_date(raw, tz)) is None:
            continue
        previous, parent = element.getprevious(), element.getparent()
        before = previous.tail if previous is not None else parent.text if parent is not None \
            else None
        hints = simplify(" ".join((element.get("itemprop", ""), element.get("class", ""),
                                   (before or "")[-40:], element.text_content())))
        if "datemodified" in hints or _MODIFIED_LABEL.search(hints):
            modified = modified or moment
        else:
            published = published or moment
    return published, modified
