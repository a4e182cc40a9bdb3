"""An article page's HTML reduced to its title and the text blocks of the article only.

Site chrome (navigation, header, footer, cookie banners, share widgets, related links, comments,
hidden and scripted parts) is removed; the article is the semantic element (`articleBody`,
`<article>`, `<main>`) that holds the page's densest run of paragraphs, else that run itself.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from typing import NamedTuple

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from monitor.normalize import drop_controls

_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "svg", "canvas", "form",
              "button", "input", "select", "textarea", "dialog", "object", "embed", "video",
              "audio", "map", "nav", "footer", "aside")
_DROP_ROLES = {"navigation", "banner", "contentinfo", "complementary", "dialog", "alertdialog",
               "search", "menu", "menubar", "toolbar"}
# Matched inside class and id values ("cookieNotice", "share-buttons", "related-articles").
_CHROME_PARTS = ("cookie", "consent", "gdpr", "breadcrumb", "share", "sharing", "social",
                 "related", "recommend", "newsletter", "subscribe", "comment", "disqus",
                 "sidebar", "promo", "advert", "sponsor", "popup", "modal", "outbrain", "taboola")
# Matched as whole words of class and id values only: short, or common inside other words.
_CHROME_WORDS = {"ad", "ads", "nav", "navbar", "navigation", "menu", "tags", "tag", "print",
                 "views", "pageviews", "hits", "counter", "pager", "pagination", "skip", "masthead"}
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "div", "dl",
    "dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
    "li", "main", "ol", "p", "pre", "section", "summary", "table", "tr", "ul"})
_CELLS = frozenset({"td", "th"})  # a space apart, as monitor.normalize reads feed tables
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_KEEP = "self::h1 or self::main or @itemprop='articleBody'"
_MIN_PARAGRAPH = 25  # characters; shorter blocks are captions, labels, buttons


def decode(html: bytes) -> str:
    """Bytes as text: a BOM, else `<meta charset>`, else UTF-8, else Windows-1252."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                          (codecs.BOM_UTF16_BE, "utf-16-be")):
        if html.startswith(bom):
            return html[len(bom):].decode(encoding, errors="replace")
    declared = _META_CHARSET.search(html[:4096])
    if declared:
        name = declared.group(1).decode("ascii").lower()
        # WHATWG: pages labelled Latin-1 are really Windows-1252.
        name = "cp1252" if name in ("iso-8859-1", "latin1", "latin-1", "us-ascii") else name
        try:
            return html.decode(name, errors="replace")
        except LookupError:
            pass
    try:
        return html.decode("utf-8")
    except UnicodeDecodeError:
        return html.decode("cp1252", errors="replace")


def parse(html: bytes | str) -> HtmlElement:
    """The page as an lxml tree, without comments or processing instructions."""
    # lxml refuses text holding NUL or other controls: they go where the page enters.
    text = drop_controls(_XML_DECLARATION.sub("", decode(html) if isinstance(html, bytes)
                                              else html), readable=True)
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
    try:
        return lxml.html.document_fromstring(text or "<html></html>", parser=parser)
    except etree.ParserError:  # nothing but white space or comments
        return lxml.html.document_fromstring("<html><body></body></html>", parser=parser)


def clean_text(text: str) -> str:
    """Control characters dropped, white space collapsed (no-break spaces too), trimmed, NFC."""
    # Character references (`&#1;`) bring controls back after parsing.
    return unicodedata.normalize("NFC", " ".join(drop_controls(text, readable=True).split()))


def _is_chrome(element: HtmlElement) -> bool:
    if element.tag in _DROP_TAGS or (element.get("role") or "").lower() in _DROP_ROLES:
        return True
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    if _HIDDEN_STYLE.search(element.get("style") or ""):
        return True
    if element.tag == "header" and not element.xpath("ancestor::article or ancestor::main"):
        return True
    names = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
    return any(part in names for part in _CHROME_PARTS) or \
        not _CHROME_WORDS.isdisjoint(_WORD_SPLIT.split(names))


def _link_heavy(element: HtmlElement) -> bool:
    """A list of links with little else: menus, "More news", share bars."""
    if element.tag not in ("ul", "ol", "div", "section", "table", "dl", "p"):
        return False
    links = element.findall(".//a")
    if len(links) < 2:
        return False
    text = len("".join(element.text_content().split()))
    linked = sum(len("".join(a.text_content().split())) for a in links)
    return text > 0 and linked / text >= 0.6


def remove_chrome(body: HtmlElement) -> None:
    """Drop site chrome in place; never an element holding the article's h1 or body."""
    pending = list(body)
    while pending:
        element = pending.pop()
        if not isinstance(element.tag, str):
            continue
        if (_is_chrome(element) or _link_heavy(element)) and \
                not element.xpath(f"descendant-or-self::*[{_KEEP}]"):
            element.drop_tree()
        else:
            pending.extend(element)


def _densest(body: HtmlElement) -> HtmlElement:
    """The element whose paragraphs hold the most text (a parent scores a child's full length,
    a grandparent half)."""
    scores: dict[HtmlElement, float] = {}
    for block in body.iter("p", "pre", "blockquote", "div"):
        if block.tag == "div":  # text written straight into a div, between <br>s
            length = len(clean_text((block.text or "") + " ".join(c.tail or "" for c in block)))
            holders = [block, block.getparent()]
        else:
            length = len(clean_text(block.text_content()))
            parent = block.getparent()
            holders = [parent, parent.getparent() if parent is not None else None]
        if length < _MIN_PARAGRAPH:
            continue
        for weight, holder in zip((1.0, 0.5), holders, strict=True):
            if holder is not None:
                scores[holder] = scores.get(holder, 0.0) + weight * length
    return max(scores, key=lambda e: scores[e]) if scores else body


def article_area(body: HtmlElement) -> HtmlElement:
    """The article: the semantic element around the densest text, widened to its h1."""
    area = _densest(body)
    for query in ("ancestor-or-self::*[@itemprop='articleBody'][1]",
                  "ancestor-or-self::article[1]", "ancestor-or-self::main[1]"):
        found = area.xpath(query)
        if found:
            area = found[0]
            break
    # Title and date line often sit just above the body: widen to the nearest block with an h1,
    # but only a few levels up: sites that use h1 for their logo would widen to the whole page.
    headed = area.xpath(
        "ancestor-or-self::*[position() <= 4][.//h1][not(self::body or self::html)][1]")
    return headed[0] if headed else area


class Block(NamedTuple):
    """One text block; `untimed` is its text outside `<time>` elements."""

    text: str
    untimed: str


def blocks(area: HtmlElement) -> list[Block]:
    """The text blocks of `area` in order: a break at every block element, none at inline ones
    (`Co<span>rée</span>` stays "Corée")."""
    out: list[Block] = []
    parts: list[str] = []
    untimed: list[str] = []
    in_time = 0

    def add(text: str | None) -> None:
        parts.append(text or "")
        if not in_time:
            untimed.append(text or "")

    def flush() -> None:
        text = clean_text("".join(parts))
        if text:
            out.append(Block(text, clean_text("".join(untimed))))
        parts.clear()
        untimed.clear()

    for event, element in etree.iterwalk(area, events=("start", "end")):
        block = element.tag in _BLOCK_TAGS
        if event == "start":
            if block:
                flush()
            in_time += element.tag == "time"
            add(" " if element.tag in _CELLS else None)
            add(element.text)
        else:
            if block:
                flush()
            add(" " if element.tag in _CELLS else None)
            in_time -= element.tag == "time"
            if element is not area:
                add(element.tail)
    flush()
    return out
