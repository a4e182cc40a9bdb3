"""A feed's bytes before feedparser sees them: decoded to UTF-8 (mis-declared encodings noticed),
DOCTYPE internal subsets and entity declarations neutralised, HTML pages recognised; and the raw
entry dates that feedparser's mapping loses.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass

from feedparser.encodings import convert_to_utf8
from lxml import etree

__all__ = ["Prepared", "entry_dates", "html_page_title", "last_entry_unfinished", "prepare"]

_SINGLE_BYTE = frozenset({"latin_1", "iso8859-1", "cp1252", "iso8859-15", "iso8859-2"})
_NAMES = {"cp1252": "windows-1252", "iso8859-2": "ISO-8859-2", "iso8859-1": "ISO-8859-1"}
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*[\"']([\w.:-]+)")
_ENTITY_DECLARED = re.compile(rb"<!ENTITY\s+([^\s%][^\s\"'>]*)")
_ENTITY_VALUE = re.compile(rb"<!ENTITY\s+([^\s%][^\s\"'>]*)\s+(?:\"([^\"]*)\"|'([^']*)')\s*>")
# A declared entity is expanded only when its value is a few characters or character
# references: a large value referenced thousands of times is the quadratic blowup.
_SAFE_VALUE = re.compile(rb"(?:&#[0-9]{1,7};|&#x[0-9A-Fa-f]{1,6};|[^&<%]){0,16}")
_REFERENCE = re.compile(rb"<!\[CDATA\[.*?(?:\]\]>|\Z)|<!--.*?(?:-->|\Z)|&([^\s&;<]+);", re.DOTALL)
_PREDEFINED = frozenset({b"lt", b"gt", b"amp", b"apos", b"quot"})
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
    """Decode `body` to UTF-8 as feedparser would, then neutralise its DOCTYPE."""
    data, warnings = _to_utf8(body, {k.lower(): v for k, v in headers.items()})
    data, doctype, dropped = _neutralise_doctype(data)
    if dropped:
        warnings.append("The feed declares XML entities that veille does not expand "
                        f"({', '.join(sorted(dropped)[:5])}); they were left out.")
    return Prepared(data, tuple(warnings), doctype, data.count(b"\n") - body.count(b"\n"))


def _canonical(name: str | None) -> str | None:
    try:
        return codecs.lookup(name).name if name else None
    except LookupError:
        return None


def _to_utf8(body: bytes, headers: dict[str, str]) -> tuple[bytes, list[str]]:
    result: dict[str, object] = {}
    try:
        data: bytes = convert_to_utf8(headers, body, result)
    except ValueError:  # a declared encoding name that is not even text (bytes ≥ 0x80, NUL)
        result = {}
    used = _canonical(str(result.get("encoding") or ""))
    charset = _CHARSET.search(headers.get("content-type", ""))
    in_xml = _XML_ENCODING.match(body)
    written = [charset.group(1) if charset else "", in_xml.group(1).decode() if in_xml else ""]
    declared = {_canonical(name): name for name in written if _canonical(name)}
    said = " and ".join(sorted(set(declared.values()), key=str.lower))
    if used is None:
        return (body.decode("utf-8", "replace").encode("utf-8"),
                ["veille could not tell the feed's character encoding; it was read as UTF-8 "
                 "and the characters it could not read were replaced."])
    if used in _SINGLE_BYTE and not body.isascii():
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:  # valid UTF-8 with non-ASCII bytes is, in practice, never Latin-1 text
            data = convert_to_utf8({"content-type": "application/xml; charset=utf-8"}, body, {})
            return data, ([f"The feed is declared as {said} but is written in UTF-8; veille "
                           "read it as UTF-8."] if used in declared else [])
    if declared and used not in declared and used != "utf-8":
        shown = _NAMES.get(used, used)
        return data, [f"The feed is declared as {said} but is not; veille read it as {shown}."]
    return data, []


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
