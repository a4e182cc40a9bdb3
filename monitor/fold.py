"""The one folding function: text as matching and change detection see it.

Keywords, `all`, `exclude`, feed text and the cosmetic-difference test all go through `fold`,
so that what matching treats as equal, change detection treats as equal too.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import cache

# Bumped whenever `fold` changes what it returns: stored fingerprints depend on it.
FOLD_VERSION = 1

DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63\uff0d\u2e3a\u2e3b"
APOSTROPHES = "'\u2019\u2018\u201b\u02bc\u02b9\u0060\u00b4\u2032\uff07"
INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e\u034f"
_LIGATURES = {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "đ": "d",
              "Đ": "d", "ł": "l", "Ł": "l", "ß": "ss", "ẞ": "ss", "ı": "i"}
_NON_ASCII = re.compile("[^\x00-\x7f]")


@cache
def _replacements() -> dict[str, str]:
    """Non-ASCII characters rewritten after NFKD: marks and invisibles dropped, separators
    made spaces, ligatures spelt out."""
    table: dict[str, str] = {}
    for code in range(0x80, min(sys.maxunicode, 0x2FFFF) + 1):
        if unicodedata.category(chr(code)) == "Mn":
            table[chr(code)] = ""
    table.update(dict.fromkeys(INVISIBLE, ""))
    table.update(dict.fromkeys(DASHES + APOSTROPHES, " "))
    table.update(_LIGATURES)
    return table


def fold(text: str) -> str:
    """Fold `text` for comparison: accents, case, apostrophes, dashes and spacing erased.

    NFKD, combining marks removed, casefolded, `œ`→`oe`, invisible characters dropped, and every
    run of dashes, apostrophes and white space made one single space (trimmed at both ends).
    """
    if not text:
        return ""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        table = _replacements()
        # A text holds few distinct non-ASCII characters: one str.replace per distinct character
        # is ~3x faster than str.translate, which pays a failed lookup for every ASCII character.
        # Every replacement is ASCII, so the order of replacements cannot matter.
        for char in set(_NON_ASCII.findall(text)):
            replacement = table.get(char)
            if replacement is not None:
                text = text.replace(char, replacement)
    text = text.replace("-", " ").replace("'", " ").replace("`", " ")
    # split() and \s share one definition of white space (str.isspace), U+2028 included.
    return " ".join(text.casefold().split())
