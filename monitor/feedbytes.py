"""A feed's bytes before feedparser sees them: decoded to UTF-8 in their real encoding,
DOCTYPE internal subsets and entity declarations neutralised, HTML pages recognised; and the raw
entry dates that feedparser's mapping loses.
"""

from __future__ import annotations

import html
import html.entities
import re
from collections.abc import Mapping
from dataclasses import dataclass

from lxml import etree

from monitor.decoding import decode_document

__all__ = ["Prepared", "embedded_feed", "entry_dates", "html_page_title", "last_entry_unfinished",
           "prepare"]

_ENTITY_DECLARED = re.compile(rb"<!ENTITY\s+([^\s%][^\s\"'>]*)")
_ENTITY_VALUE = re.compile(rb"<!ENTITY\s+([^\s%][^\s\"'>]*)\s+(?:\"([^\"]*)\"|'([^']*)')\s*>")
# A declared entity is expanded only when its value is a few characters or character
# references: a large value referenced thousands of times is the quadratic blowup.
_SAFE_VALUE = re.compile(rb"(?:&#[0-9]{1,7};|&#x[0-9A-Fa-f]{1,6};|[^&<%]){0,16}")
_REFERENCE = re.compile(rb"<!\[CDATA\[.*?(?:\]\]>|\Z)|<!--.*?(?:-->|\Z)|&([^\s&;<]+);", re.DOTALL)
_PREDEFINED = frozenset({b"lt", b"gt", b"amp", b"apos", b"quot"})
_HTML5: dict[str, str] = html.entities.html5
_UNDECLARED = re.compile(rb"&(?!(?:lt|gt|amp|apos|quot);)[A-Za-z]")
_ANY_DECLARATION = re.compile(rb"<!(?:ENTITY|DOCTYPE)[^>]*>?")
_HTML_START = re.compile(rb"\A(?:\s+|(?><\?.*?\?>)|(?><!--.*?-->))*+<(?:!DOCTYPE\s+html|html)\b",
                         re.IGNORECASE | re.DOTALL)
_HTML_TITLE = re.compile(rb"<title[^>]*>([^<]{1,200})", re.IGNORECASE)


@dataclass(frozen=True)
class Prepared:
    """UTF-8 bytes ready for feedparser, and what was wrong with them."""

    data: bytes
    warnings: tuple[str, ...]
    doctype: bool  # a DOCTYPE was present (and its internal subset removed)
    added_lines: int = 0  # lines `data` has above the body's own (for error line numbers)


def prepare(body: bytes, headers: Mapping[str, str]) -> Prepared:
    """Decode `body` in its real encoding (monitor.decoding) to UTF-8, then neutralise its
    DOCTYPE."""
    decoded = decode_document(body, headers)
    warnings = list(decoded.warnings)
    data, doctype, dropped = _neutralise_doctype(decoded.text.encode("utf-8"))
    data = _html_references(data)
    if dropped:
        warnings.append("The feed declares XML entities that veille does not expand "
                        f"({', '.join(sorted(dropped)[:5])}); they were left out.")
    return Prepared(data, tuple(warnings), doctype, data.count(b"\n") - body.count(b"\n"))


def _declaration_end(data: bytes, start: int) -> int:
    """Index just past the `<!…>` declaration at `start` (quotes, an internal subset and
    comments inside it skipped), or -1 if it never ends."""
    quote: int | None = None
    in_subset = False
    i = start + 2
    while i < len(data):
        byte = data[i]
        if quote is not None:
            if byte == quote:
                quote = None
        elif data.startswith(b"<!--", i):
            end = data.find(b"-->", i + 4)
            if end < 0:
                return -1
            i = end + 2
        elif byte in b"\"'":
            quote = byte
        elif byte == ord("["):
            in_subset = True
        elif byte == ord("]"):
            in_subset = False
        elif byte == ord(">") and not in_subset:
            return i + 1
        i += 1
    return -1


def _neutralise_doctype(data: bytes) -> tuple[bytes, bool, set[str]]:
    """Rebuild the prologue without internal subsets or entity declarations.

    Entities declared there are expanded in the document when their value is small, dropped
    otherwise: feedparser must find no declaration to re-insert, or its loose parser expands
    them (feedparser's loose parser would expand them quadratically).
    """
    pieces: list[bytes] = []
    doctype = False
    declared: set[bytes] = set()
    values: dict[bytes, bytes] = {}
    i = 0
    while (j := data.find(b"<", i)) >= 0:
        if data.startswith(b"<?", j) or data.startswith(b"<!--", j):
            close = b"?>" if data[j + 1] == ord("?") else b"-->"
            end = data.find(close, j + 2)
            end = len(data) if end < 0 else end + len(close)
            pieces.append(data[i:end])
        elif data.startswith(b"<!", j):
            end = _declaration_end(data, j)
            if end < 0:  # never closed: keep the text, minus anything that declares
                pieces.append(data[i:j] + _ANY_DECLARATION.sub(b"", data[j + 2:]))
                doctype, i = True, len(data)
                break
            declaration = data[j:end]
            declared.update(m.group(1) for m in _ENTITY_DECLARED.finditer(declaration))
            for m in _ENTITY_VALUE.finditer(declaration):
                value = m.group(2) if m.group(2) is not None else m.group(3)
                if _SAFE_VALUE.fullmatch(value):
                    values[m.group(1)] = value
            pieces.append(data[i:j])
            if declaration[2:9].upper() == b"DOCTYPE":
                doctype = True
                pieces.append(declaration.split(b"[", 1)[0].rstrip(b"> \t\r\n") + b">")
        else:
            break
        i = end
    declared -= _PREDEFINED  # they keep their XML meaning whatever the subset says
    if not doctype and not declared:
        return data, False, set()

    def expand(m: re.Match[bytes]) -> bytes:
        name = m.group(1)
        return m.group(0) if name is None or name not in declared else values.get(name, b"")

    body = _REFERENCE.sub(expand, data[i:]) if declared else data[i:]
    dropped = {n.decode("utf-8", "replace") for n in declared - values.keys()}
    return b"".join(pieces) + body, True, dropped


_FEED_ROOT = re.compile(rb"<(rss|feed|rdf:RDF)(?=[\s>])")
_ESCAPED_ROOT = re.compile(rb"&lt;(rss|feed|rdf:RDF)(?=[\s&])")


def embedded_feed(data: bytes) -> bytes | None:
    """The RSS or Atom document inside an HTML page (a CMS or a proxy that wraps the feed in
    a page, raw or escaped in a `<pre>`), as a document of its own; None when there is none."""
    for pattern, escaped in ((_FEED_ROOT, False), (_ESCAPED_ROOT, True)):
        start = pattern.search(data)
        if start is None:
            continue
        name = start.group(1)
        close = (b"&lt;/" + name + b"&gt;") if escaped else (b"</" + name + b">")
        end = data.rfind(close)
        if end < start.start():
            continue
        inner = data[start.start():end + len(close)]
        if escaped:
            inner = html.unescape(inner.decode("utf-8")).encode("utf-8")
        return b'<?xml version="1.0" encoding="utf-8"?>\n' + inner
    return None


def _html_references(data: bytes) -> bytes:
    """HTML's named character references (`&eacute;`, `&rsquo;`, `&nbsp;`), which feeds use
    as if XML knew them (RSS 0.91 declares them in the Netscape DTD that nobody loads), written
    as numeric ones: expat refuses a whole document for one undefined entity."""
    if not _UNDECLARED.search(data):
        return data

    def numeric(m: re.Match[bytes]) -> bytes:
        name = m.group(1)
        if name is None or name in _PREDEFINED:
            return m.group(0)
        chars = _HTML5.get(name.decode("ascii", "replace") + ";")
        if chars is None:
            return m.group(0)
        return b"".join(b"&#%d;" % ord(c) for c in chars)

    return _REFERENCE.sub(numeric, data)


def html_page_title(data: bytes) -> str | None:
    """For a body that is an HTML page, its title ("" when it has none); None for anything
    else."""
    if not _HTML_START.match(data[:4096]):
        return None
    title = _HTML_TITLE.search(data[:65536])
    return " ".join(title.group(1).decode("utf-8", "replace").split()) if title else ""


_ENTRY_OPEN = re.compile(rb"<(?:[\w.-]+:)?(?:item|entry)(?=[\s>])")
_ENTRY_CLOSE = re.compile(rb"</(?:[\w.-]+:)?(?:item|entry)\s*>")


def last_entry_unfinished(data: bytes) -> bool:
    """Whether the last entry of a damaged document was cut before its end tag."""
    opened = [m.start() for m in _ENTRY_OPEN.finditer(data)]
    closed = [m.start() for m in _ENTRY_CLOSE.finditer(data)]
    return bool(opened) and (not closed or opened[-1] > closed[-1])


_XML_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True,
                              load_dtd=False, remove_comments=True, remove_pis=True)
_DC = "http://purl.org/dc/elements/1.1/"
_PUBLISHED = frozenset({"pubDate", "published", "issued"})
_UPDATED = frozenset({"updated", "modified"})


def entry_dates(data: bytes) -> list[tuple[str | None, str | None]] | None:
    """The raw (published, updated) strings of each entry in document order, read from the
    XML: feedparser files `dc:date` under `updated`, DESIGN counts it as published."""
    try:
        root = etree.fromstring(data, _XML_PARSER)
    except etree.XMLSyntaxError:
        return None
    if root is None:
        return None
    if isinstance(root.tag, str) and _name(root.tag)[1] == "entry":  # an Atom entry document
        return [_dates_of(root)]
    found: list[tuple[str | None, str | None]] = []
    _collect(root, found)
    return found


def _collect(element: etree._Element, found: list[tuple[str | None, str | None]]) -> None:
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if _name(child.tag)[1] in ("item", "entry"):
            found.append(_dates_of(child))
        else:
            _collect(child, found)


def _dates_of(entry: etree._Element) -> tuple[str | None, str | None]:
    published = dc_date = updated = None
    for child in entry:
        if not isinstance(child.tag, str):
            continue
        namespace, local = _name(child.tag)
        text = "".join(child.itertext()).strip() or None
        if local in _PUBLISHED:
            published = text or published
        elif local == "date" and namespace.rstrip("/") == _DC[:-1]:
            dc_date = text or dc_date
        elif local in _UPDATED:
            updated = text or updated
    return published or dc_date, updated


def _name(tag: str) -> tuple[str, str]:
    """(namespace, local name) of an lxml tag; a recovered `prefix:name` with an undeclared
    prefix has no namespace."""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag.rpartition(":")[2]
