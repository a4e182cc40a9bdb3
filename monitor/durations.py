"""Durations, sizes, cron expressions and time zones as config.toml writes them.

Each parser takes a TOML value and returns seconds / bytes, or raises `ValueError` whose message
is a sentence for the user (the caller prefixes it with the file and the key path).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

DURATION_HINT = "use 90s, 10m, 1h"
SIZE_HINT = "use 5MB, 500KB, 1MiB or a number of bytes"

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(?:\d+(?:\.\d+)?\s*[smhd]\s*)+", re.IGNORECASE)
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?", re.IGNORECASE)
_CRON_DAYS = re.compile(r"(?P<first>\*|\d+)(?:-(?P<last>\d+))?(?:/(?P<step>\d+))?")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SIZE_FACTOR = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9,
                "kib": 2**10, "mib": 2**20, "gib": 2**30}


def show(value: object) -> str:
    """A TOML value as the user wrote it, for messages: strings double-quoted, booleans lower."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"


def parse_duration(value: object) -> float:
    """Seconds from `"90s"`, `"10m"`, `"1h30m"`, `"2d"`, or a number of seconds (int or float)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{show(value)} is not a duration; {DURATION_HINT}")
    if isinstance(value, str):
        text = value.strip()
        if _NUMBER.fullmatch(text):
            seconds = float(text)
        elif _DURATION.fullmatch(text):
            seconds = sum(float(n) * _UNIT_SECONDS[u.lower()]
                          for n, u in _DURATION_PART.findall(text))
        else:
            raise ValueError(f"{show(value)} is not a duration; {DURATION_HINT}")
    else:
        seconds = float(value)
        if not math.isfinite(seconds):
            raise ValueError(f"{show(value)} is not a duration; {DURATION_HINT}")
        if seconds < 0:
            raise ValueError(f"{show(value)} is negative; a duration is 0 or more")
    return seconds


def parse_size(value: object) -> int:
    """Bytes from `"5MB"` (10**6), `"500KB"`, `"1MiB"` (2**20), `"300B"` or an integer."""
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    elif isinstance(value, str) and (m := _SIZE.fullmatch(value.strip())):
        size = round(float(m.group(1)) * _SIZE_FACTOR[(m.group(2) or "b").lower()])
    else:
        raise ValueError(f"{show(value)} is not a size; {SIZE_HINT}")
    if size <= 0:
        raise ValueError(f"{show(value)} is not more than 0 bytes; {SIZE_HINT}")
    return size


def format_duration(seconds: float) -> str:
    """The shortest config-style spelling of `seconds`: 900 → "15m", 5400 → "1h30m"."""
    if seconds != int(seconds):
        return f"{seconds:g}s"
    rest, parts = int(seconds), []
    for unit in ("d", "h", "m", "s"):
        count, rest = divmod(rest, _UNIT_SECONDS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def _cron_weekdays(field: str) -> str:
    """A crontab day-of-week field in APScheduler 3.x's terms: numbers become day names.

    APScheduler 3.x reads 0 as Monday where cron reads Sunday, and its `from_crontab` does not
    translate (agronholm/apscheduler#286, kept for compatibility): "0 8 * * 1-5" would fire
    Tuesday to Saturday. Names mean the same in both, so numbers, ranges and steps are
    spelled out as names; `*` and names are left as written.
    """
    out = []
    for part in field.split(","):
        match = _CRON_DAYS.fullmatch(part)
        if match is None or part == "*":
            out.append(part)
            continue
        first, last, step = match["first"], match["last"], match["step"]
        if first == "*":
            if last is not None:
                out.append(part)  # "*-3" is not cron: let APScheduler say so
                continue
            low, high = 0, 6
        else:
            low = int(first)
            high = int(last) if last is not None else (6 if step else low)
        stride = int(step) if step else 1
        if high > 7 or low > high or stride == 0:
            raise ValueError(f"{show(field)} is not a valid day of week: use 0-7 (0 and 7 are "
                             "Sunday) or mon-sun")
        out.extend(_WEEKDAYS[d] for d in range(low, high + 1, stride))
    return ",".join(dict.fromkeys(out))


def cron_trigger(expression: str, timezone: str) -> CronTrigger:
    """An APScheduler trigger for a 5-field crontab `expression`, read as cron reads it."""
    from apscheduler.triggers.cron import CronTrigger

    minute, hour, day, month, weekday = expression.split()
    return CronTrigger(minute=minute, hour=hour, day=day, month=month,
                       day_of_week=_cron_weekdays(weekday), timezone=timezone)


def check_cron(expression: str) -> None:
    """Raise ValueError unless `expression` is a valid 5-field cron expression that fires."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"{show(expression)} is not a 5-field cron expression")
    if fields[2] != "*" and fields[4] != "*":
        # cron fires when EITHER the day of month or the day of week matches, APScheduler
        # only when both do: refuse the expression rather than run it differently.
        raise ValueError(f"{show(expression)} restricts both the day of month and the day of "
                         "week, which cron and veille read differently; restrict only one")
    # APScheduler runs the digests, so its parser is the one that decides.
    try:
        trigger = cron_trigger(expression, "UTC")
    except ValueError as exc:
        raise ValueError(f"{show(expression)} is not a valid cron expression: {exc}") from None
    if trigger.get_next_fire_time(None, datetime.now(UTC)) is None:
        raise ValueError(f"{show(expression)} never fires (no such date)")


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a directory
        return False
    return True


def check_timezone(name: str) -> None:
    """Raise ValueError unless `name` is an IANA time zone known to zoneinfo."""
    if not _is_zone(name):
        import difflib

        close = difflib.get_close_matches(name, sorted(available_timezones()), n=1)
        hint = f'did you mean "{close[0]}"?' if close else 'use e.g. "Europe/Brussels" or "UTC"'
        raise ValueError(f"{show(name)} is not an IANA time zone; {hint}")


def system_timezone(environ: Mapping[str, str], localtime: Path = Path("/etc/localtime")) -> str:
    """The system's IANA zone: `TZ`, else where /etc/localtime points, else "UTC"."""
    candidates = [environ.get("TZ", "").removeprefix(":")]
    try:
        target = str(localtime.resolve())
    except OSError:
        target = ""
    if "zoneinfo/" in target:
        candidates.append(target.rsplit("zoneinfo/", 1)[1])
    return next((name for name in candidates if name and _is_zone(name)), "UTC")
