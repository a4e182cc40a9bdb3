"""An alert made ready for a person: rows of facts, changes with marked words, text cleaned.

The one view model of every channel: built once per alert and handed to templates (email),
printed (console), or escaped and cut by each chat format (`notifiers/chatformats.py`) and
apprise, so that every channel shows the same facts, cleaned and chosen the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

from notifiers import highlight
from notifiers.base import Alert, AlertChange
from notifiers.render import (
    DATE_FIELDS,
    cap,
    clean_block,
    format_iso,
    format_local,
    headline,
    item_title,
    label,
    labels,
    one_line,
    safe_url,
)
from notifiers.textdiff import mark_html, mark_text

SUMMARY_LIMIT = 1000
CHANGE_LIMIT = 4096


@dataclass(frozen=True)
class Row:
    """One fact: "Feed: nato-fr". `href` is set only for a safe http(s) link; `key` is the
    label's key ("feed", "link", "detected"…), for channels that leave a row out."""

    label: str
    text: str
    href: str | None = None
    note: str = ""
    key: str = ""


@dataclass(frozen=True)
class ChangeView:
    """One changed field; `kind` is "text", "date" or "link"."""

    field: str
    label: str
    kind: str
    before: str
    after: str
    marked: str  # both versions in one text: [-removed-]{+added+}, or "before → after"
    before_html: Markup
    after_html: Markup
    truncated: bool


@dataclass(frozen=True)
class AlertView:
    """Everything a template needs; every string is clean (feeds' control characters gone)."""

    alert: Alert
    headline: str
    what: str
    title: str
    link: str | None  # the item's link when it is a safe http(s) URL
    rows: tuple[Row, ...]
    intro: str
    summary: str
    changes: tuple[ChangeView, ...]
    footer: str
    labels: dict[str, str]
    label_width: int
    # The words that made the alert match (notifiers/highlight.py), and the title and summary
    # with them marked: <mark> in HTML, *word* in text.
    highlights: tuple[str, ...] = ()
    title_html: Markup = Markup("")
    summary_html: Markup = Markup("")
    summary_marked: str = ""


def _row(key: str, text: str, lang: str) -> Row:
    return Row(label(key, lang), text, key=key)


def _link_row(key: str, url: str | None, lang: str) -> Row | None:
    if not url:
        return None
    href = safe_url(url)
    note = "" if href else label("not_a_link", lang)
    return Row(label(key, lang), one_line(url), href, note, key)


def _date_row(key: str, value: datetime | None, alert: Alert) -> Row | None:
    if value is None:
        return None
    return _row(key, format_local(value, alert.timezone, alert.language), alert.language)


def _rows(alert: Alert) -> list[Row | None]:
    lang, feed = alert.language, alert.feed
    feed_text = one_line(feed.name)
    if one_line(feed.title) and one_line(feed.title) != feed_text:
        feed_text = f"{one_line(feed.title)} ({feed_text})"
    # A test alert is about no feed (the dispatcher fills in a placeholder), nor is a
    # notifier's health alert: it names the notifier instead.
    rows: list[Row | None] = [] if alert.type == "test" or alert.notifier is not None \
        else [_row("feed", feed_text, lang)]
    if alert.notifier is not None:
        about = alert.notifier
        rows.append(_row("notifier", f"{one_line(about.name)} ({one_line(about.type)})", lang))
    if alert.watches:
        rows.append(_row("watches", ", ".join(one_line(w) for w in alert.watches), lang))
    if alert.matched:
        rows.append(_row("matched", ", ".join(one_line(m) for m in alert.matched), lang))
    if alert.type == "item.changed" and alert.match in ("added", "removed", "kept"):
        rows.append(_row("match", label(f"match.{alert.match}", lang), lang))
    item = alert.item
    if item is not None:
        rows.append(_link_row("link", item.link, lang))
        if item.page_title and one_line(item.page_title) != one_line(item.title):
            rows.append(_row("page_title", one_line(item.page_title), lang))
        rows += [_date_row(key, getattr(item, key), alert) for key in DATE_FIELDS]
    elif alert.type in ("feed.failing", "feed.recovered"):
        rows.append(_link_row("feed_url", feed.url, lang))
    if alert.error:
        rows.append(_row("error", one_line(alert.error), lang))
    rows.append(_date_row("detected", alert.occurred_at, alert))
    return rows


def _change(change: AlertChange, alert: Alert) -> ChangeView:
    lang, tz = alert.language, alert.timezone
    kind = "date" if change.field in DATE_FIELDS else "link" if change.field == "link" else "text"
    truncated = change.truncated
    if kind == "text":
        before, after = clean_block(change.before), clean_block(change.after)
        if len(before) > CHANGE_LIMIT or len(after) > CHANGE_LIMIT:
            before, after, truncated = cap(before, CHANGE_LIMIT), cap(after, CHANGE_LIMIT), True
        old_html, new_html = mark_html(before, after)
        marked = mark_text(before, after)
    else:
        if kind == "date":
            before, after = format_iso(change.before, tz, lang), format_iso(change.after, tz, lang)
        else:
            before, after = one_line(change.before), one_line(change.after)
        old_html = Markup("<del>%s</del>") % before if before else escape("")
        new_html = Markup("<ins>%s</ins>") % after if after else escape("")
        none = label("none", lang)
        marked = f"{before or none} → {after or none}"
    return ChangeView(
        change.field, label(change.field, lang), kind, before, after, marked,
        old_html, new_html, truncated,
    )


def _shown(changes: tuple[AlertChange, ...]) -> tuple[AlertChange, ...]:
    """The changes worth showing a person: a summary change that the content change already
    shows word for word (the summary is the article's first paragraph) is left out."""
    by_field = {c.field: c for c in changes}
    summary, content = by_field.get("summary"), by_field.get("content")
    if summary is None or content is None:
        return changes

    def within(part: str | None, whole: str | None) -> bool:
        flat = " ".join((part or "").split()).rstrip("…").strip()
        return bool(flat) and flat in " ".join((whole or "").split())

    if within(summary.before, content.before) and within(summary.after, content.after):
        return tuple(c for c in changes if c is not summary)
    return changes


def build_view(alert: Alert) -> AlertView:
    """The person-facing view of `alert`, in `alert.language` and `alert.timezone`."""
    lang = alert.language
    rows = tuple(row for row in _rows(alert) if row is not None)
    item = alert.item
    title = item_title(alert) if item is not None else one_line(
        alert.notifier.name if alert.notifier is not None else alert.feed.name)
    summary = cap(clean_block(item.summary), SUMMARY_LIMIT) if item is not None else ""
    feed = "" if alert.type == "test" or alert.notifier is not None \
        else f" · {label('feed', lang).lower()} {alert.feed.name}"
    footer = one_line(f"veille{feed} · {label('alert_id', lang)} {alert.id}")
    colon = label("colon", lang)
    words = highlight.phrases(alert)
    return AlertView(
        alert=alert,
        headline=headline(alert),
        what=label(alert.type, lang),
        title=title,
        link=safe_url(item.link) if item is not None else None,
        rows=rows,
        intro=label("test_body", lang) if alert.type == "test" else "",
        summary=summary,
        changes=tuple(_change(c, alert) for c in _shown(alert.changes)),
        footer=footer,
        labels=labels(lang),
        label_width=max((len(r.label + colon) for r in rows), default=0),
        highlights=words,
        title_html=highlight.mark_html(title, words),
        summary_html=highlight.mark_html(summary, words),
        summary_marked=highlight.mark(summary, words, "*"),
    )
