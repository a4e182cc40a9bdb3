"""A page load as an item version stores it, and back: snapshots, the text that watches read
(match_page), and a page change as an event stores it."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.config import FeedConfig
from monitor.excerpt import changed_paragraphs
from monitor.page import TEXT_LIMIT, PageSnapshot
from monitor.records import Change
from storage.models import ItemVersion


@dataclass(frozen=True)
class WatchedText:
    """Feed text, with the page's title and text for the watches that read them (match_page)."""

    title: str
    summary: str
    content: str
    page: str = ""  # the page's title and text alone, for a query's `page:`
    link: str = ""  # for a query's `link:`

    @classmethod
    def of(cls, version: ItemVersion, page: ItemVersion | PageSnapshot | None) -> WatchedText:
        link = version.display_link or version.link or ""
        if page is None:
            return cls(version.title, version.summary, version.content, link=link)
        title, text = (page.title, page.text) if isinstance(page, PageSnapshot) else (
            page.page_title or "", page.page_text or "")
        return cls(f"{version.title}\n{title}", version.summary, f"{version.content}\n\n{text}",
                   f"{title}\n\n{text}", link)


def stored_snapshot(version: ItemVersion) -> PageSnapshot:
    """The page fields of a stored version as a snapshot (without its date source)."""
    return PageSnapshot(title=version.page_title or "",
                        paragraphs=tuple(p for p in (version.page_text or "").split("\n\n") if p),
                        published=version.page_published, modified=version.page_modified,
                        modified_source=None)


def stored_snapshot_of(snapshot: PageSnapshot) -> PageSnapshot:
    """`snapshot` as a stored version gives it back (no date source)."""
    return PageSnapshot(snapshot.title, snapshot.paragraphs, snapshot.published,
                        snapshot.modified, None)


def stored_change(change: Change, known: ItemVersion | None, snapshot: PageSnapshot,
                  cfg: FeedConfig) -> dict[str, object]:
    """A change as the event stores it; `page_text` says when paragraphs were left out."""
    stored: dict[str, object] = {"field": change.field, "before": change.before,
                                 "after": change.after}
    if change.field == "page_text" and known is not None:
        _, _, truncated = changed_paragraphs(
            _titled(stored_snapshot(known)), _titled(snapshot), TEXT_LIMIT,
            ignore=cfg.ignore_text)
        if truncated:
            stored["truncated"] = True
    return stored


def _titled(page: PageSnapshot) -> str:
    return "\n\n".join(p for p in (page.title, *page.paragraphs) if p)
