"""How the CLI shows things to a person: aligned tables, local times with their zone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def local(dt: datetime | None, tz: str, *, seconds: bool = False) -> str:
    """`2024-05-23 08:58 CEST` in the configured zone; "-" for no date."""
    if dt is None:
        return "-"
    fmt = "%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z"
    return dt.astimezone(ZoneInfo(tz)).strftime(fmt)


def ago(dt: datetime | None, now: datetime) -> str:
    """A short relative time: "in 4m", "2h ago"."""
    if dt is None:
        return "-"
    delta = dt - now
    future = delta > timedelta(0)
    secs = abs(int(delta.total_seconds()))
    if secs < 60:
        text = f"{secs}s"
    elif secs < 3600:
        text = f"{secs // 60}m"
    elif secs < 86400:
        text = f"{secs // 3600}h{(secs % 3600) // 60:02d}"
    else:
        text = f"{secs // 86400}d"
    return f"in {text}" if future else f"{text} ago"


def one_line(text: str | None, width: int) -> str:
    """Text on one line, cut with an ellipsis to `width` characters."""
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns separated by two spaces, the last column unpadded."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = []
    for row in [list(headers), *[list(r) for r in rows]]:
        cells = [cell.ljust(widths[i]) if i < len(row) - 1 else cell
                 for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
