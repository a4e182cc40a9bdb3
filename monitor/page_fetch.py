"""The HTTP side of a page check: what is asked for an article page, and how its response is
read into a `PageSnapshot` (the response's charset first, then the page's own declaration)."""

from __future__ import annotations

import codecs
import logging
import re
from dataclasses import dataclass

from monitor.config import FeedConfig
from monitor.fetch_policy import origin_of
from monitor.page import PageSnapshot, extract_page
from monitor.records import FetchResult

log = logging.getLogger(__name__)

ACCEPT_HTML = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HTML_TYPES = ("text/html", "application/xhtml+xml", "")  # "": servers that send no type
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def request_headers(cfg: FeedConfig, url: str) -> dict[str, str]:
    """The feed's configured headers when the page is on the feed's own origin (they may be
    secrets: an API key is for that server only), and the Accept of a page."""
    home = origin_of(cfg.url)
    headers = dict(cfg.headers) if home is not None and origin_of(url) == home else {}
    if not any(k.lower() == "accept" for k in headers):
        headers["Accept"] = ACCEPT_HTML
    return headers


@dataclass(frozen=True)
class Reading:
    """A fetched page read: its article, or why there is none (`final`: never worth a retry)."""

    snapshot: PageSnapshot | None
    error: str | None = None
    final: bool = False


def read_page(result: FetchResult, cfg: FeedConfig) -> Reading:
    """The article of a fetched page; dates without a zone are read in the feed's timezone."""
    assert result.body is not None
    content_type = result.headers.get("content-type", "")
    kind = content_type.split(";")[0].strip().lower()
    if kind not in _HTML_TYPES:
        return Reading(None, f"not an HTML page ({kind})", final=True)
    markup: bytes | str = result.body
    declared = _CHARSET.search(content_type)
    if declared and not result.body.startswith(_BOMS):  # a BOM wins (WHATWG)
        name = declared.group(1).lower()
        # WHATWG: pages labelled Latin-1 are really Windows-1252.
        name = "cp1252" if name in ("iso-8859-1", "latin1", "latin-1", "us-ascii") else name
        try:
            markup = result.body.decode(name, errors="replace")
        except LookupError:
            pass
    try:
        snapshot = extract_page(markup, url=result.url, timezone=cfg.timezone)
    except Exception as exc:  # an extraction bug must not stop the other pages
        log.exception("feed %s: page %s could not be read", cfg.name, result.url)
        return Reading(None, f"could not read the page: {exc}")
    if not snapshot.paragraphs:  # an error or consent page served with 200: not a revision
        return Reading(None, "no article text found on the page")
    return Reading(snapshot)
