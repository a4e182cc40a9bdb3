"""A feed document's bytes read in their real encoding, damage repaired byte by byte.

feedparser re-decodes a whole UTF-8 body as windows-1252 when one byte of it is invalid, so one
pasted `’` (0x92) in one entry turned every accented entry into mojibake. Here the encoding is
chosen once for the document from what it declares and what its bytes are, and only the bytes
invalid in that encoding are replaced: for UTF-8, a lone byte 0x80–0x9F becomes its printable
windows-1252 character, anything else U+FFFD. Damage in one entry never changes another.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Decoded", "decode_document", "utf8_evidence"]

_BOMS = (  # longest first: the UTF-32 LE BOM begins with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# `<?` written in UTF-16 or UTF-32 without a byte order mark.
_WIDE_START = (
    (b"<\x00\x00\x00", "utf-32-le"), (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00?\x00", "utf-16-le"), (b"\x00<\x00?", "utf-16-be"),
)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"\A\s*<\?xml[^>]*?encoding\s*=\s*[\"']([\w.:-]+)")
# Labels that readers in the wild take for their superset: a document labelled ISO-8859-1 that
# holds 0x92 means windows-1252's apostrophe (the WHATWG Encoding Standard maps them the same).
_SUPERSET = {
    "ascii": "cp1252", "latin_1": "cp1252", "iso8859-1": "cp1252",
    "iso8859-9": "cp1254", "iso8859-11": "cp874", "tis-620": "cp874",
    "gb2312": "gb18030", "gbk": "gb18030",
    "shift_jis": "cp932", "euc_kr": "cp949", "big5": "big5hkscs",
}
_NAMES = {"cp1252": "windows-1252", "cp1251": "windows-1251", "cp1254": "windows-1254",
          "cp932": "Shift_JIS", "cp949": "EUC-KR", "gb18030": "GB18030", "koi8-r": "KOI8-R",
          "utf-8": "UTF-8", "big5hkscs": "Big5"}
_VALID_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}")
_HIGH = re.compile(rb"[\x80-\xff]")
_ENTRY_START = re.compile(rb"<(?:[\w.-]+:)?(?:item|entry)(?=[\s>/])")
# Characters XML 1.0 forbids anywhere: expat refuses the whole document for one of them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_DECLARATION = re.compile(r"\A<\?xml[^>]*?\?>")
_DECLARED_ENCODING = re.compile(r"""\s+encoding\s*=\s*(?:"[^"]*"|'[^']*')""")


@dataclass(frozen=True)
class Decoded:
    """A document as text, the encoding it was read in, and what had to be repaired."""

    text: str
    encoding: str  # a Python codec name
    repaired: int  # bytes (or characters) replaced or dropped
    warnings: tuple[str, ...]


def _utf8_repair(error: UnicodeError) -> tuple[str, int]:
    """One invalid byte: its windows-1252 character when that is printable (a pasted `’`
    as 0x92), else U+FFFD; a cut multi-byte sequence is one U+FFFD."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start:error.end]
    if len(bad) == 1 and 0x80 <= bad[0] <= 0x9F:
        try:
            char = bytes(bad).decode("cp1252")
        except UnicodeDecodeError:
            char = "\ufffd"
        return (char if char.isprintable() else "\ufffd"), error.end
    return "\ufffd", error.end


codecs.register_error("veille-utf8-repair", _utf8_repair)


def _canonical(label: str | None) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _SUPERSET.get(name, name)


def _is_utf(name: str) -> bool:
    return name.startswith("utf")


@lru_cache(maxsize=64)
def _single_byte(name: str) -> bool:
    """Whether every byte of codec `name` is one character on its own."""
    if _is_utf(name):
        return False
    try:
        return len(bytes(range(256)).decode(name, "replace")) == 256
    except LookupError:
        return False


def utf8_evidence(body: bytes) -> tuple[int, int]:
    """(valid multi-byte UTF-8 sequences, non-ASCII bytes outside them) in `body`."""
    valid = len(_VALID_UTF8_SEQUENCE.findall(body))
    stray = len(_HIGH.findall(_VALID_UTF8_SEQUENCE.sub(b"", body)))
    return valid, stray


def _decode(body: bytes, name: str) -> tuple[str, int]:
    """`body` in codec `name`, invalid bytes repaired; and how many characters were."""
    if name == "utf-8":
        text = body.decode("utf-8", "veille-utf8-repair")
        try:
            body.decode("utf-8")
            return text, 0
        except UnicodeDecodeError:
            pass
        return text, utf8_evidence(body)[1]
    try:
        return body.decode(name), 0
    except UnicodeDecodeError:
        text = body.decode(name, "replace")
        return text, text.count("\ufffd") - body.decode(name, "ignore").count("\ufffd")


def decode_document(body: bytes, headers: Mapping[str, str]) -> Decoded:
    """Read a feed document's bytes in their real encoding.

    A byte order mark decides; else UTF-8 wins when the bytes are (mostly) UTF-8 — a feed
    labelled ISO-8859-1 that is written in UTF-8 is common, the reverse rarely looks like
    UTF-8 —; else the XML declaration, else the HTTP charset, else UTF-8 (XML's default).
    `headers` are the response headers, any case.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    for bom, name in _BOMS:
        if body.startswith(bom):
            text, repaired = _decode(body[len(bom):], "utf-8" if name == "utf-8" else name)
            return _finish(text, name, repaired, [])
    for start, name in _WIDE_START:
        if body.startswith(start):
            text, repaired = _decode(body, name)
            return _finish(text, name, repaired, [])
    charset = _CHARSET.search(lower.get("content-type", ""))
    in_xml = _XML_ENCODING.match(body)
    labels = [in_xml.group(1).decode("ascii", "replace") if in_xml else "",
              charset.group(1) if charset else ""]
    declared: list[str] = []
    written: list[str] = []
    for label in labels:
        codec = _canonical(label)
        # A body readable as ASCII cannot really be UTF-16 or UTF-32, whatever it says.
        if codec and not codec.startswith(("utf-16", "utf-32")):
            if codec not in declared:
                declared.append(codec)
            if label.upper() not in (w.upper() for w in written):
                written.append(label)
    said = " and ".join(written)
    if body.isascii():
        return _finish(body.decode("ascii"), declared[0] if declared else "utf-8", 0, [])
    first = declared[0] if declared else "utf-8"
    if first == "utf-8" or _single_byte(first):
        try:  # the common case, at C speed: a document that is UTF-8 throughout
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            mislabelled = [] if not declared or "utf-8" in declared else [
                f"The feed is declared as {said} but is written in UTF-8; veille read it as "
                "UTF-8."]
            return _finish(text, "utf-8", 0, mislabelled)
    # Each entry is read in the encoding its own bytes are written in, so that an entry pasted
    # from another encoding stays that entry's affair.
    legacy = [n for n in declared if n != "utf-8"] or ["cp1252"]
    pieces: list[str] = []
    in_utf8 = in_other = repaired = 0
    used_legacy: list[str] = []
    for segment in _segments(body):
        valid, stray = utf8_evidence(segment)
        if _reads_as_utf8(segment, valid, stray, first, legacy[0]):
            pieces.append(segment.decode("utf-8", "veille-utf8-repair"))
            in_utf8 += valid > 0
            repaired += stray
            continue
        codec = next((n for n in legacy if _decodes(segment, n)), legacy[0])
        text, bad = _decode(segment, codec)
        pieces.append(text)
        in_other += 1
        repaired += bad
        if codec not in used_legacy:
            used_legacy.append(codec)
    other = used_legacy[0] if used_legacy else legacy[0]
    # The document's encoding is the one most of its entries are in; a tie goes to its label.
    chosen = "utf-8" if in_utf8 > in_other or (in_utf8 == in_other and first == "utf-8") \
        else other
    named = _NAMES.get(other, other)
    warnings: list[str] = []
    if in_other and in_utf8:
        major, minor = ("UTF-8", named) if chosen == "utf-8" else (named, "UTF-8")
        count = min(in_other, in_utf8)
        warnings.append(f"{count} entr{'y' if count == 1 else 'ies'} of this {major} feed "
                        f"{'is' if count == 1 else 'are'} written in {minor}; veille read "
                        f"{'it' if count == 1 else 'them'} so.")
    elif (declared and chosen not in declared) or (not declared and chosen != "utf-8"):
        # Unlabelled UTF-8 is XML's default, nothing to say.
        shown = _NAMES.get(chosen, chosen)
        warnings.append(f"The feed is {'declared as ' + said if said else 'not labelled'} "
                        f"but is written in {shown}; veille read it as {shown}.")
    if repaired:
        warnings.append(_repaired(repaired, "UTF-8" if in_utf8 else named))
    return _finish("".join(pieces), chosen, repaired, warnings)


def _reads_as_utf8(segment: bytes, valid: int, stray: int, declared: str,
                   legacy: str) -> bool:
    """Whether one piece of the document is written in UTF-8.

    In a feed labelled UTF-8 (or not at all), any valid multi-byte sequence says so: its stray
    bytes are repaired one by one. In a feed labelled in a single-byte encoding, UTF-8 must
    outweigh the stray bytes; in one labelled in a multi-byte encoding (Shift_JIS, GB18030,
    EUC-KR), whose pairs can look like UTF-8 by chance, the piece must be UTF-8 throughout."""
    if valid == 0:
        return stray == 0
    if declared == "utf-8":
        return True
    if _single_byte(legacy):
        return valid >= stray
    return stray == 0 and (len(_HIGH.findall(segment)) >= 4 or not _decodes(segment, legacy))


def _repaired(count: int, encoding: str) -> str:
    return (f"{count} byte{'s' if count != 1 else ''} of the feed "
            f"{'are' if count != 1 else 'is'} not valid {encoding}; veille replaced only "
            f"th{'ose' if count != 1 else 'at one'}.")


def _segments(body: bytes) -> list[bytes]:
    """`body` cut before each entry's start tag: the header, then one piece per entry."""
    starts = [m.start() for m in _ENTRY_START.finditer(body)]
    bounds = [0, *[s for s in starts if s > 0], len(body)]
    return [body[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


def _decodes(body: bytes, name: str) -> bool:
    try:
        body.decode(name)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _finish(text: str, name: str, repaired: int, warnings: list[str]) -> Decoded:
    """Drop what XML forbids (one NUL must not refuse the whole document) and label the
    declaration UTF-8, which is what the text becomes."""
    cleaned, dropped = _NOT_XML.subn("", text)
    if dropped:
        were = "were" if dropped != 1 else "was"
        warnings.append(f"{dropped} control character{'s' if dropped != 1 else ''} that XML "
                        f"does not allow {were} left out.")
    stripped = cleaned.lstrip("\ufeff \t\r\n")
    if stripped.startswith("<?xml"):
        # Blank lines before the declaration (seen in one feed in six) are harmless to a reader.
        cleaned = stripped
        declaration = _DECLARATION.match(cleaned)
        if declaration:
            relabelled = _DECLARED_ENCODING.sub("", declaration.group(0))
            cleaned = relabelled + cleaned[declaration.end():]
    return Decoded(cleaned, name, repaired + dropped, tuple(warnings))
