"""Entry dates as aware UTC instants.

feedparser's `*_parsed` values are converted to UTC but no longer say whether the source wrote a
zone, and it reads a zone-less RFC 822 date as nothing at all. So veille parses the raw string
itself: ISO 8601 / RFC 3339 and RFC 822 dates are read here, a date without a zone (or with a
zone abbreviation nobody can be sure of) in the feed's time zone; any other format is left to
feedparser's parsers and taken as the UTC instant they return.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_tz
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from feedparser.datetimes import _parse_date as _feedparser_parse_date

__all__ = ["to_utc", "zone"]

# Abbreviations with a single meaning in feeds (minutes east of UTC). Ambiguous ones ("IST",
# "BST" in some locales) are left out: a date carrying one is read in the feed's time zone.
_ZONES = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 60, "CET": 60, "MET": 60,
    "CEST": 120, "MEST": 120, "EET": 120, "EEST": 180, "MSK": 180,
    "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360,
    "PST": -480, "PDT": -420, "AKST": -540, "AKDT": -480, "HST": -600,
    "JST": 540, "KST": 540, "AEST": 600, "AEDT": 660,
}
_ISO = re.compile(r"\d{4}-?\d{2}(?:-?\d{2})?(?:[T ]\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?)?"
                  r"(?:Z|[+-]\d{2}(?::?\d{2})?)?", re.IGNORECASE)
_RFC822_ZONE = re.compile(r"\d\s*(?:(?P<offset>[+-]\d{2}:?\d{2})|(?P<name>[A-Za-z]{1,5}))$")
_COMMENT = re.compile(r"\s*\([^)]*\)\s*$")


@cache
def zone(name: str) -> tzinfo:
    """The IANA time zone `name`; ValueError for an unknown name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {name!r}") from error


def to_utc(value: time.struct_time | str | None, default_tz: str) -> datetime | None:
    """An aware UTC datetime for a feed date, or None when it cannot be read.

    A `struct_time` is taken as feedparser gives it: already UTC. A string is parsed; without a
    zone it is read in `default_tz`, an IANA name such as "Europe/Brussels" (ValueError if
    unknown).
    """
    zone(default_tz)
    if value is None:
        return None
    try:
        if isinstance(value, time.struct_time):
            return _from_struct(value)
        moment = _parse(_COMMENT.sub("", value.strip()), default_tz)
        return None if moment is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _parse(text: str, default_tz: str) -> datetime | None:
    if not text:
        return None
    if _ISO.fullmatch(text):
        try:
            moment = datetime.fromisoformat(text.upper())
        except ValueError:  # e.g. nanoseconds: feedparser's parser below may still read it
            pass
        else:
            return moment if moment.tzinfo else moment.replace(tzinfo=zone(default_tz))
    fields = parsedate_tz(text)
    if fields is not None:
        wall = datetime(*fields[:6])
        found = _RFC822_ZONE.search(text)
        if found and found.group("offset"):
            return wall.replace(tzinfo=timezone(timedelta(seconds=fields[9] or 0)))
        minutes = _ZONES.get(found.group("name").upper()) if found else None
        if minutes is None:  # no zone, or an abbreviation we cannot trust
            return wall.replace(tzinfo=zone(default_tz))
        return wall.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    parsed: time.struct_time | None = _feedparser_parse_date(text)
    return None if parsed is None else _from_struct(parsed)


def _from_struct(value: time.struct_time) -> datetime:
    return datetime(value.tm_year, value.tm_mon, value.tm_mday, value.tm_hour, value.tm_min,
                    min(value.tm_sec, 59), tzinfo=UTC)
