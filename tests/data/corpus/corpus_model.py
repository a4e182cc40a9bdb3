"""The regression corpus as data: a feed's specification, its entries, and how a publisher's
server writes them out (RSS 0.91/0.92/1.0/2.0, Atom 0.3/1.0) in a given encoding, with a BOM,
a leading newline or inside an HTML page. Rendering is a pure function of the data."""

from __future__ import annotations

import html
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from html.entities import codepoint2name
from xml.sax.saxutils import escape, quoteattr

FORMATS = ("rss091", "rss092", "rss10", "rss20", "atom03", "atom10")
MARK = "@@STRAY{}@@"  # replaced by raw bytes after encoding (bytes invalid in the encoding)


@dataclass(frozen=True)
class Entry:
    """One entry as its publisher's CMS holds it. `uid` is the corpus's own handle (never
    served); `summary` and `content` are HTML, or plain text in a feed whose style is
    "plain"."""

    uid: str
    title: str
    link: str | None
    guid: str | None
    summary: str | None
    content: str | None = None
    published: datetime | None = None
    updated: datetime | None = None  # the entry's own updated date element
    line: datetime | None = None  # the date of its visible "updated on" line, if it has one
    author: str | None = None
    categories: tuple[str, ...] = ()
    enclosure: tuple[str, int, str] | None = None
    comments: int | None = None  # slash:comments, the count WordPress updates on every comment
    permalink: bool = False  # guid isPermaLink (RSS 2.0)
    cdata: bool | None = None  # None: the feed's style decides
    refs: bool = False  # the title's first non-ASCII character written as &#N;
    utf8_pasted: bool = False  # the whole entry written in UTF-8 inside a legacy document
    # (field, text as meant, bytes as served): bytes invalid in the feed's encoding
    stray: tuple[tuple[str, str, bytes], ...] = ()
    xml_base: str | None = None  # an entry-level xml:base (Atom)

    def but(self, **changes: object) -> Entry:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Spec:
    """A feed: its publisher's habits and how its server serves it."""

    name: str
    lang: str
    fmt: str
    kind: str  # news | blog | comments | forum | podcast | notices
    identity: str  # guid | link | keyless | mixed
    encoding: str  # Python codec the bytes are written in
    declared: str | None  # label in the XML declaration (None: no encoding attribute)
    content_type: str  # the HTTP Content-Type header
    title: str
    site: str  # https://…/ the publisher's home page
    description: str
    zone: int  # UTC offset of the publisher's dates, in hours
    entries: int
    style: str = "escaped"  # summary: escaped | cdata | plain | xhtml
    content: bool = False  # content:encoded (RSS) / <content> (Atom)
    excerpt: bool = False  # the summary is an excerpt of the content (WordPress)
    updated_element: bool = True  # entries carry their own updated date
    bom: bool = False
    leading: str = ""  # characters before <?xml (a newline, say)
    xml_base: str | None = None  # Atom: relative links resolved against this
    doctype: bool = False  # RSS 0.91's Netscape DOCTYPE, whose DTD names HTML's entities
    reencode: tuple[str, str] = ("utf-8", "UTF-8")  # (codec, label) for the re-encode step
    stray: str = "cp1252"  # cp1252 | latin1-byte | utf8-entry | cut-char (the stray step)
    generator: str | None = None
    tracking: bool = False  # links carry utm_* parameters (feed proxies)
    notes: str = ""

    @property
    def tz(self) -> timezone:
        return timezone(timedelta(hours=self.zone))


@dataclass(frozen=True)
class State:
    """A feed as served at one step: its entries and how the bytes go out."""

    entries: tuple[Entry, ...]
    build_date: datetime
    codec: str | None = None  # None: the spec's encoding
    label: str | None = None  # declaration and header charset, with `codec`
    bom: bool | None = None  # None: the spec's
    leading: str | None = None
    wrapped: str = ""  # "" | raw | escaped: the document inside an HTML page
    held: Entry | None = None  # an entry taken out of the feed for a while
    held_at: int = 0  # where it was
    cut: float = 0.0  # the body stops after this fraction of its bytes (a dropped connection)

    def but(self, **changes: object) -> State:
        return replace(self, **changes)  # type: ignore[arg-type]


# -- dates --------------------------------------------------------------------------------
def rfc822(when: datetime) -> str:
    return format_datetime(when)


def w3c(when: datetime) -> str:
    text = when.isoformat()
    return text.replace("+00:00", "Z")


# -- text in XML ----------------------------------------------------------------------------
def _text(value: str, *, refs: bool = False) -> str:
    """Character data: escaped, and with `refs` the first non-ASCII character as &#N;."""
    out = escape(value)
    if refs:
        for index, char in enumerate(out):
            if ord(char) > 127:
                return out[:index] + f"&#{ord(char)};" + out[index + 1:]
    return out


def _html_field(value: str, cdata: bool) -> str:
    if cdata:
        return f"<![CDATA[{value}]]>"
    return escape(value)


def _tag(name: str, value: str | None, **attrs: str) -> str:
    if value is None:
        return ""
    attributes = "".join(f" {k.replace('_', ':')}={quoteattr(v)}" for k, v in attrs.items())
    return f"<{name}{attributes}>{value}</{name}>"


def _marked(entry: Entry, name: str, value: str) -> str:
    """`value` of field `name` with its stray characters replaced by their marks."""
    for index, (field_name, meant, _) in enumerate(entry.stray):
        if field_name == name:
            value = value.replace(meant, MARK.format(index), 1)
    return value


def _title(entry: Entry) -> str:
    return _text(_marked(entry, "title", entry.title), refs=entry.refs)


# -- formats --------------------------------------------------------------------------------
def _summary(spec: Spec, entry: Entry) -> str | None:
    if entry.summary is None:
        return None
    summary = _marked(entry, "summary", entry.summary)
    if spec.style == "plain":
        return _text(summary) if not entry.cdata else f"<![CDATA[{summary}]]>"
    cdata = entry.cdata if entry.cdata is not None else spec.style == "cdata"
    return _html_field(summary, cdata)


def _rss_item(spec: Spec, entry: Entry) -> str:
    parts = ["<item>"]
    if spec.fmt == "rss10":
        parts = [f"<item rdf:about={quoteattr(entry.link or entry.guid or '')}>"]
    parts.append(_tag("title", _title(entry)) if entry.title else "")
    parts.append(_tag("link", _text(entry.link)) if entry.link else "")
    if spec.fmt == "rss20":
        if spec.kind in ("blog", "news") and entry.link and spec.content:
            parts.append(_tag("comments", _text(entry.link + "#respond")))
        if entry.author:
            parts.append(_tag("dc:creator", f"<![CDATA[{entry.author}]]>"))
        if entry.published:
            parts.append(_tag("pubDate", rfc822(entry.published)))
        parts += [_tag("category", f"<![CDATA[{c}]]>") for c in entry.categories]
        if entry.comments is not None:
            parts.append(_tag("slash:comments", str(entry.comments)))
        if entry.guid:
            if entry.permalink:
                parts.append(_tag("guid", _text(entry.guid)))
            else:
                parts.append(_tag("guid", _text(entry.guid), isPermaLink="false"))
    if spec.fmt == "rss10":
        if entry.author:
            parts.append(_tag("dc:creator", _text(entry.author)))
        if entry.published:
            parts.append(_tag("dc:date", w3c(entry.published)))
    if spec.fmt == "rss092":
        parts += [_tag("category", _text(c)) for c in entry.categories]
    parts.append(_tag("description", _summary(spec, entry)))
    if entry.content is not None:
        parts.append(_tag("content:encoded", f"<![CDATA[{entry.content}]]>"))
    if entry.updated and spec.updated_element:
        name = "dcterms:modified" if spec.fmt == "rss10" else "atom:updated"
        parts.append(_tag(name, w3c(entry.updated)))
    if entry.enclosure:
        url, length, kind = entry.enclosure
        parts.append(f"<enclosure url={quoteattr(url)} length=\"{length}\" "
                     f"type={quoteattr(kind)}/>")
        if spec.kind == "podcast":
            minutes = length // 960000
            parts.append(_tag("itunes:duration", f"{minutes // 60:02d}:{minutes % 60:02d}:00"))
            parts.append(_tag("itunes:explicit", "false"))
    parts.append("</item>")
    return "\n\t\t".join(p for p in parts if p) if spec.fmt != "rss10" else \
        "\n\t".join(p for p in parts if p)


def _atom_text(spec: Spec, name: str, value: str | None, cdata: bool | None) -> str:
    if value is None:
        return ""
    if spec.fmt == "atom03":
        return (f"<{name} type=\"text/html\" mode=\"escaped\">"
                f"{_html_field(value, bool(cdata))}</{name}>")
    if spec.style == "plain" and name == "summary":
        return f"<summary type=\"text\">{_text(value)}</summary>"
    if spec.style == "xhtml":
        return (f"<{name} type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">{value}"
                f"</div></{name}>")
    return f"<{name} type=\"html\">{_html_field(value, bool(cdata))}</{name}>"


def _atom_entry(spec: Spec, entry: Entry) -> str:
    base = f" xml:base={quoteattr(entry.xml_base)}" if entry.xml_base else ""
    parts = [f"<entry{base}>", _tag("title", _title(entry), type="text")]
    if entry.link:
        kind = ' type="text/html"' if spec.fmt == "atom03" else ""
        parts.append(f"<link rel=\"alternate\"{kind} href={quoteattr(entry.link)}/>")
    parts.append(_tag("id", _text(entry.guid or "")))
    updated = entry.updated if spec.updated_element and entry.updated else entry.published
    if spec.fmt == "atom03":
        parts.append(_tag("issued", w3c(entry.published)) if entry.published else "")
        parts.append(_tag("modified", w3c(updated)) if updated else "")
    else:
        parts.append(_tag("published", w3c(entry.published)) if entry.published else "")
        parts.append(_tag("updated", w3c(updated)) if updated else "")
    if entry.author:
        parts.append(f"<author><name>{_text(entry.author)}</name></author>")
    parts += [f"<category term={quoteattr(c)}/>" for c in entry.categories]
    cdata = entry.cdata if entry.cdata is not None else spec.style == "cdata"
    summary = None if entry.summary is None else _marked(entry, "summary", entry.summary)
    parts.append(_atom_text(spec, "summary", summary, cdata))
    parts.append(_atom_text(spec, "content", entry.content, True if cdata else None))
    if entry.enclosure:
        url, length, kind = entry.enclosure
        parts.append(f"<link rel=\"enclosure\" href={quoteattr(url)} length=\"{length}\" "
                     f"type={quoteattr(kind)}/>")
    parts.append("</entry>")
    return "\n\t\t".join(p for p in parts if p)


def _declaration(label: str | None) -> str:
    encoding = f" encoding=\"{label}\"" if label else ""
    return f"<?xml version=\"1.0\"{encoding}?>\n"


def document(spec: Spec, state: State) -> str:
    """The XML text of the feed at `state` (its declaration naming `label`)."""
    label = state.label if state.codec else spec.declared
    head = _declaration(label)
    entries = [e for e in state.entries]
    items = [_rss_item(spec, e) if spec.fmt.startswith("rss") else _atom_entry(spec, e)
             for e in entries]
    items = [f"@@ENTRY{i}@@" if e.utf8_pasted else item
             for i, (e, item) in enumerate(zip(entries, items, strict=True))]
    lang = {"en": "en-GB", "fr": "fr-FR", "de": "de-DE", "es": "es-ES", "pl": "pl-PL",
            "ro": "ro-RO", "ru": "ru-RU", "zh": "zh-CN", "ja": "ja", "ko": "ko-KR"}[spec.lang]
    if spec.fmt in ("rss091", "rss092", "rss20"):
        if spec.doctype:
            head += ('<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"\n'
                     '\t"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n')
        version = {"rss091": "0.91", "rss092": "0.92", "rss20": "2.0"}[spec.fmt]
        namespaces = ""
        if spec.fmt == "rss20":
            namespaces = ('\n\txmlns:content="http://purl.org/rss/1.0/modules/content/"'
                          '\n\txmlns:dc="http://purl.org/dc/elements/1.1/"'
                          '\n\txmlns:atom="http://www.w3.org/2005/Atom"')
            if spec.kind == "podcast":
                namespaces += '\n\txmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"'
            if spec.kind == "blog":
                namespaces += '\n\txmlns:slash="http://purl.org/rss/1.0/modules/slash/"'
        channel = [_tag("title", _text(spec.title)), _tag("link", _text(spec.site)),
                   _tag("description", _text(spec.description)), _tag("language", lang)]
        if spec.fmt == "rss20":
            channel.append(f'<atom:link href="{spec.site}feed/" rel="self" '
                           'type="application/rss+xml"/>')
        channel.append(_tag("lastBuildDate", rfc822(state.build_date)))
        if spec.generator:
            channel.append(_tag("generator", _text(spec.generator)))
        if spec.kind == "podcast":
            channel.append(_tag("itunes:author", _text(spec.title)))
            channel.append('<itunes:category text="News"/>')
        body = "\n\t".join(channel) + "\n\t" + "\n\t".join(items)
        return (f"{head}<rss version=\"{version}\"{namespaces}>\n<channel>\n\t{body}\n"
                "</channel>\n</rss>\n")
    if spec.fmt == "rss10":
        seq = "".join(f"\n\t\t\t<rdf:li rdf:resource={quoteattr(e.link or e.guid or '')}/>"
                      for e in entries)
        rdf_channel = (f"<channel rdf:about={quoteattr(spec.site)}>\n\t\t"
                       f"{_tag('title', _text(spec.title))}\n\t\t{_tag('link', _text(spec.site))}"
                       f"\n\t\t{_tag('description', _text(spec.description))}\n\t\t"
                       f"{_tag('dc:language', lang)}\n\t\t{_tag('dc:date', w3c(state.build_date))}"
                       f"\n\t\t<items>\n\t\t<rdf:Seq>{seq}\n\t\t</rdf:Seq>\n\t\t</items>\n\t"
                   "</channel>")
        return (f"{head}<rdf:RDF\n\txmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\""
                "\n\txmlns=\"http://purl.org/rss/1.0/\""
                "\n\txmlns:dc=\"http://purl.org/dc/elements/1.1/\""
                "\n\txmlns:dcterms=\"http://purl.org/dc/terms/\""
                "\n\txmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\n\t"
                f"{rdf_channel}\n\t" + "\n\t".join(items) + "\n</rdf:RDF>\n")
    base = f" xml:base={quoteattr(spec.xml_base)}" if spec.xml_base else ""
    if spec.fmt == "atom03":
        header = (f"<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\" xml:lang=\"{lang}\""
                  f"{base}>\n\t{_tag('title', _text(spec.title))}\n\t<link rel=\"alternate\" "
                  f"type=\"text/html\" href={quoteattr(spec.site)}/>\n\t"
                  f"{_tag('tagline', _text(spec.description))}\n\t"
                  f"{_tag('modified', w3c(state.build_date))}")
    else:
        home = "./" if spec.xml_base else spec.site
        header = (f"<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{lang}\"{base}>\n\t"
                  f"{_tag('title', _text(spec.title))}\n\t"
                  f"{_tag('subtitle', _text(spec.description))}\n\t"
                  f"<link rel=\"alternate\" type=\"text/html\" href={quoteattr(home)}/>\n\t"
                  f"<link rel=\"self\" href={quoteattr(spec.site + 'feed.atom')}/>\n\t"
                  f"{_tag('id', _text(spec.site))}\n\t"
                  f"{_tag('updated', w3c(state.build_date))}\n\t"
                  f"<author><name>{_text(spec.title)}</name></author>")
        if spec.generator:
            header += f"\n\t{_tag('generator', _text(spec.generator))}"
    return f"{head}{header}\n\t" + "\n\t".join(items) + "\n</feed>\n"


def _named_entities(xml: str) -> str:
    """Letters written as the HTML entities that the Netscape RSS 0.91 DTD declares."""
    for char in sorted({c for c in xml if ord(c) > 127}):
        name = codepoint2name.get(ord(char))
        if name and ord(char) <= 0xFF:
            xml = xml.replace(char, f"&{name};")
    return xml


def _html_page(xml: str, mode: str, charset: str, title: str) -> str:
    """The document inside an HTML page, as a CMS template or a proxy serves it."""
    if mode == "escaped":
        inner = f"<pre>{html.escape(xml, quote=False)}</pre>"
    else:
        inner = xml
    return ("<!DOCTYPE html>\n<html>\n<head>\n"
            f"<meta charset=\"{charset}\">\n<title>{html.escape(title)} - flux</title>\n"
            f"</head>\n<body>\n{inner}</body>\n</html>\n")


def served(spec: Spec, state: State) -> tuple[bytes, str]:
    """The bytes the server sends at `state`, and its Content-Type header."""
    codec = state.codec or spec.encoding
    xml = document(spec, state)
    if spec.doctype:
        xml = _named_entities(xml)
    content_type = spec.content_type
    if state.codec:
        mime = content_type.split(";")[0].strip()
        content_type = f"{mime}; charset={state.label}"
    if state.wrapped:
        charset = (state.label if state.codec else spec.declared) or "utf-8"
        xml = _html_page(xml, state.wrapped, charset, spec.title)
        content_type = f"text/html; charset={charset}"
    try:
        # A server writing US-ASCII spells every other character as a reference.
        body = xml.encode(codec, "xmlcharrefreplace" if codec == "ascii" else "strict")
    except UnicodeEncodeError as error:
        raise ValueError(f"{spec.name}: {error.object[error.start:error.end]!r} does not fit "
                         f"{codec}") from None
    for index, entry in enumerate(state.entries):
        if entry.utf8_pasted:
            item = _rss_item(spec, entry) if spec.fmt.startswith("rss") else \
                _atom_entry(spec, entry)
            if state.wrapped == "escaped":
                item = html.escape(item, quote=False)
            body = body.replace(f"@@ENTRY{index}@@".encode(), item.encode("utf-8"))
        for position, (_, _, raw) in enumerate(entry.stray):
            body = body.replace(MARK.format(position).encode(), raw, 1)
    if state.cut:
        body = body[:int(len(body) * state.cut)]
    bom = spec.bom if state.bom is None else state.bom
    leading = spec.leading if state.leading is None else state.leading
    prefix = leading.encode(codec)
    if bom and codec.startswith("utf"):
        prefix = "\ufeff".encode(codec) + prefix
    return prefix + body, content_type
