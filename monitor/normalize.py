"""Feed text and links as veille compares them: HTML reduced to what a reader sees, links
normalised once for identity and fingerprint (dates: `monitor.dates`, re-exported here).

`drop_controls` is where feed and page text enters: every string veille keeps from a feed goes
through it (the reduce_* functions, links, guids, feed titles), so that what is stored is
storable on SQLite and PostgreSQL alike (PostgreSQL refuses NUL) and shows nothing invisible.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from lxml import etree

from monitor.dates import to_utc

__all__ = ["drop_controls", "normalize_link", "reduce_html", "reduce_text", "reduce_title",
           "safe_display_link", "to_utc"]

# Elements that start a new paragraph for a reader; every other element is inline.
_BLOCK = frozenset(
    "address article aside blockquote br caption dd details dialog div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr legend li main nav ol "
    "p pre section summary table tbody tfoot thead tr ul".split()
)
_CELL = frozenset({"td", "th"})  # separated by a space, not a paragraph break
_DROP = frozenset({"script", "style", "head", "template", "noscript", "iframe", "object"})
_BREAK = "\x00"  # placeholder for a paragraph break while the text is assembled
# C0 controls but TAB, LF and CR; with `readable`, DEL and the C1 controls too.
_C0 = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# A lone surrogate (from a numeric character reference) cannot be encoded at all.
_SURROGATE = re.compile("[\ud800-\udfff]")
_PARAGRAPH_SPLIT = re.compile(r"\n[^\S\n]*\n|\u2029")
_HTML_PARSER = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True,
                                no_network=True, huge_tree=True)


def drop_controls(text: str, *, readable: bool = False) -> str:
    """`text` without C0 control characters (TAB, LF and CR stay) and with each lone surrogate
    replaced by U+FFFD; with `readable`, DEL and C1 controls are dropped too (text for people).

    Identifiers (guids) keep C1 characters, which both databases store, so that their keys do
    not change; texts that a person reads drop them.
    """
    text = (_CONTROL if readable else _C0).sub("", text)
    return _SURROGATE.sub("\ufffd", text) if not text.isascii() else text


def _paragraphs(text: str) -> str:
    """Collapse white space inside each paragraph; paragraphs joined by a blank line; NFC."""
    paragraphs = (" ".join(part.split()) for part in text.split(_BREAK))
    return unicodedata.normalize("NFC", "\n\n".join(p for p in paragraphs if p))


def reduce_text(text: str) -> str:
    """Reduce plain text: controls dropped, white space collapsed within paragraphs (a blank
    line separates paragraphs), paragraphs joined by "\\n\\n", Unicode NFC."""
    if not text:
        return ""
    text = drop_controls(text, readable=True).replace("\r\n", "\n").replace("\r", "\n")
    return _paragraphs(_PARAGRAPH_SPLIT.sub(_BREAK, text))


def reduce_title(text: str, *, html: bool = False) -> str:
    """Reduce a title to one line: like `reduce_text` (or `reduce_html` when `html`), with
    every line break collapsed to a space."""
    reduced = reduce_html(text) if html else reduce_text(text)
    return " ".join(reduced.split())


def reduce_html(html: str) -> str:
    """Reduce HTML to the text a reader sees.

    Breaks only at block elements and `<br>` (`Co<span>rée</span>` stays "Corée"), entities
    decoded, scripts, styles and comments dropped, white space collapsed within paragraphs,
    paragraphs joined by "\\n\\n", Unicode NFC.
    """
    if not html:
        return ""
    html = drop_controls(html, readable=True)
    if "<" not in html and "&" not in html:  # no markup: one paragraph, as a browser shows it
        return _paragraphs(html)
    root = etree.fromstring(html.encode("utf-8"), _HTML_PARSER)
    if root is None:
        return ""
    etree.strip_elements(root, *_DROP, with_tail=False)
    parts: list[str] = []
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        parts.append(_BREAK if tag in _BLOCK else " " if tag in _CELL else "")
        text = element.text if event == "start" else element.tail
        if text:  # character references (`&#1;`) can bring controls back
            parts.append(drop_controls(text, readable=True))
    return _paragraphs("".join(parts))


# --- links ---------------------------------------------------------------------------------

_TRACKING_PREFIXES = ("utm_", "at_", "mc_", "pk_", "__hs")
_TRACKING = frozenset({
    "xtor", "xts", "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid",
    "yclid", "twclid", "ttclid", "li_fat_id", "igshid", "_hsenc", "_hsmi", "hsctatracking",
    "mkt_tok", "ref_src", "ref_url", "_ga", "_gl", "oly_anon_id", "oly_enc_id", "vero_id",
    "wickedid", "s_cid", "ncid", "sr_share", "spm", "cmpid", "soc_src", "soc_trk",
    # Session ids: a guid-less feed that puts one in every link would be all new each poll.
    "jsessionid", "phpsessid", "aspsessionid", "sessionid", "cfid", "cftoken",
})
# `;jsessionid=…` written as a path parameter (Java servlet containers)
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sessionid)=[^/?#;]*", re.IGNORECASE)
_UNRESERVED_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = "%/:@!$&'()*+,;=-._~"
_QUERY_SAFE = "%/:@!$'()*+,;=?-._~"
_DEFAULT_PORTS = frozenset({80, 443})
_UNSAFE_IN_LINK = re.compile(r"[\x00-\x1f\x7f]")


def _escape(text: str, safe: str) -> str:
    """Percent-encoding normalised: unreserved escapes decoded, others upper-cased, and
    characters that must be escaped (spaces, non-ASCII) escaped as UTF-8."""
    def unescape(match: re.Match[str]) -> str:
        byte = int(match.group(1), 16)
        return chr(byte) if byte in _UNRESERVED else "%" + match.group(1).upper()
    return quote(_UNRESERVED_ESCAPE.sub(unescape, text), safe=safe)


def _remove_dot_segments(path: str) -> str:
    output: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if output:
                output.pop()
        elif segment != ".":
            output.append(segment)
    if path.endswith(("/.", "/..")):
        output.append("")
    return "/" + "/".join(output)


def _is_tracking(name: str) -> bool:
    name = name.lower()
    return name in _TRACKING or name.startswith(_TRACKING_PREFIXES)


def normalize_link(url: str | None) -> str | None:
    """The one normal form of a link, for identity and fingerprint; None unless http(s).

    Scheme and host lower-cased, `http` read as `https` and `www.` dropped, default ports
    dropped, dot segments removed, a trailing slash dropped (except the root), percent-encoding
    normalised, the fragment dropped, tracking parameters (`utm_*`, `xtor`, `at_*`, `fbclid`,
    `mc_*`, …) dropped, the real parameters kept and sorted by name.
    """
    if not url:
        return None
    url = drop_controls(url, readable=True).strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    if ":" in host:
        host = f"[{host}]"
    elif not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            pass
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (userinfo + "@" if userinfo else "") + host
    if port is not None and port not in _DEFAULT_PORTS:
        netloc += f":{port}"
    path = _remove_dot_segments(_escape(_PATH_SESSION.sub("", parts.path) or "/", _PATH_SAFE))
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    pairs = []
    for piece in parts.query.split("&"):
        if not piece:
            continue
        name, sep, value = piece.partition("=")
        name = _escape(name, _QUERY_SAFE)
        if not _is_tracking(unquote(name)):
            pairs.append((name, name + sep + _escape(value, _QUERY_SAFE)))
    pairs.sort(key=lambda pair: pair[0])  # stable: repeated names keep their order
    query = "&".join(piece for _, piece in pairs)
    return f"https://{netloc}{path}" + (f"?{query}" if query else "")


def safe_display_link(url: str | None) -> str | None:
    """The link as the feed gave it, for people: only http(s), stripped; None otherwise."""
    if not url:
        return None
    url = drop_controls(url, readable=True).strip()
    if _UNSAFE_IN_LINK.search(url):  # a line break or a tab inside a link: not shown
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if parts.query:
        # Tracking parameters say nothing to a reader; the rest of the link stays as given.
        kept = [pair for pair in parts.query.split("&")
                if pair and not _is_tracking(unquote(pair.split("=", 1)[0]))]
        url = urlunsplit(parts._replace(query="&".join(kept)))
    return url.replace(" ", "%20")
