"""Hashes of an item version: `content_hash` (is anything new to store?) and `fingerprint`
(may anything alert-worthy have changed?), with the volatile-text removal they share.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Protocol

from monitor.fold import FOLD_VERSION, fold

# This module's and diff.py's own rules (volatile text, truncation, which fields count).
# Bump it whenever they change what is silent or what a fingerprint covers.
_DIFF_RULES_REVISION = 1

# Both parts only ever grow, so their sum changes whenever either one does.
RULES_VERSION: int = FOLD_VERSION + _DIFF_RULES_REVISION

_PREFIX = f"v{RULES_VERSION}:"


class VersionFields(Protocol):
    """The compared fields of one version: an `Entry` or a stored `ItemVersion` row."""

    @property
    def title(self) -> str | None: ...
    @property
    def link(self) -> str | None: ...
    @property
    def summary(self) -> str | None: ...
    @property
    def content(self) -> str | None: ...
    @property
    def published(self) -> datetime | None: ...
    @property
    def updated(self) -> datetime | None: ...


def as_utc(value: datetime | None) -> datetime | None:
    """`value` as an aware UTC datetime; a naive one is taken to be UTC already."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _instant(value: datetime | None) -> str | None:
    utc = as_utc(value)
    return None if utc is None else utc.isoformat()


@lru_cache(maxsize=256)
def _insensitive(pattern: re.Pattern[str]) -> re.Pattern[str]:
    # ignore_text is case-insensitive by contract, however the caller compiled it.
    if pattern.flags & re.IGNORECASE:
        return pattern
    return re.compile(pattern.pattern, pattern.flags | re.IGNORECASE)


# Relative times that pages and forums print ("il y a 5 minutes", "3 hours ago") change with
# every rebuild and never carry news: every feed treats them as volatile, as if listed in its
# `ignore_text`. Months and years are left alone: "il y a 20 ans" is prose.
RELATIVE_TIME = re.compile(
    r"\b(?:il\s+y\s+a|depuis)\s+(?:environ\s+)?\d{1,4}\s*(?:secondes?|sec|minutes?|min|heures?"
    r"|h|jours?|j|semaines?)\b\.?"
    r"|\b(?:about\s+|over\s+|almost\s+)?\d{1,4}\s*(?:seconds?|secs?|minutes?|mins?|hours?"
    r"|hrs?|h|days?|d|weeks?|wks?)\s+ago\b"
    r"|\bvor\s+\d{1,4}\s+(?:Sekunden|Minuten|Min\.|Stunden|Std\.|Tagen|Wochen)"
    r"(?!\w)"
    r"|\bhace\s+\d{1,4}\s+(?:segundos?|minutos?|min|horas?|días?|semanas?)\b",
    re.IGNORECASE)


def strip_volatile(text: str, patterns: Sequence[re.Pattern[str]]) -> str:
    """`text` with relative times and every match of the feed's `ignore_text` patterns
    removed.

    Runs on the text as written (before folding), case-insensitively, pattern after pattern.
    """
    if text and any(c.isdigit() for c in text):
        text = RELATIVE_TIME.sub("", text)
    for pattern in patterns:
        if text:
            text = _insensitive(pattern).sub("", text)
    return text


def comparable(text: str | None, ignore: Sequence[re.Pattern[str]] = ()) -> str:
    """Text as change detection sees it: volatile parts removed, then folded."""
    return fold(strip_volatile(text or "", ignore))


def _digest(values: list[str | None]) -> str:
    payload = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def content_hash(entry: VersionFields) -> str:
    """SHA-256 hex of the exact stored fields (title, link, summary, content, dates).

    Equal hashes mean `diff` would say `unchanged`: no new version to store. A missing text
    equals an empty one; dates count as UTC instants. `guid` and `display_link` are not
    covered: they do not make a new version.
    """
    return _digest([
        entry.title or "",
        entry.link or "",
        entry.summary or "",
        entry.content or "",
        _instant(entry.published),
        _instant(entry.updated),
    ])


def fingerprint(fields: VersionFields, ignore: Sequence[re.Pattern[str]] = ()) -> str:
    """Rules-versioned hash of what a reader sees: `"v<RULES_VERSION>:<sha256 hex>"`.

    Covers the title, summary and content (volatile text removed, folded), the link and the
    published and updated instants. Equal fingerprints mean `diff` would not say `changed`;
    different ones mean it may.
    """
    return _PREFIX + _digest([
        comparable(fields.title, ignore),
        fields.link or "",
        comparable(fields.summary, ignore),
        comparable(fields.content, ignore),
        _instant(fields.published),
        _instant(fields.updated),
    ])


def is_current(fp: str) -> bool:
    """Whether a stored fingerprint was made under the running rules (else recompute it)."""
    return fp.startswith(_PREFIX)
