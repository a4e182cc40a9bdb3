"""How the CLI shows things to a person: tables that fit the terminal, local times with their
zone (UTC only in JSON), and the part of a change that differs."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

DATE_FIELDS = frozenset({"published", "updated", "page_published", "page_modified"})
MIN_CELL = 12  # a shrunk column keeps at least this many characters


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


def local_iso(value: str, tz: str) -> str:
    """An ISO 8601 instant as stored in a change (`2024-05-23T06:03:12Z`) in local time;
    anything that is not one is returned as it is."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return local(parsed, tz) if parsed.tzinfo else value


def terminal_width() -> int | None:
    """The width to fit: the terminal's, or $COLUMNS; None on a pipe (`| grep` sees it all)."""
    if "COLUMNS" in os.environ or sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *,
          shrink: Collection[int] = (), width: int | None = None) -> str:
    """Left-aligned columns separated by two spaces, the last column unpadded.

    When the table is wider than `width` (default: `terminal_width()`), the columns listed in
    `shrink` (indexes; default the last one) are cut, widest first, with an ellipsis.
    """
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    limit = terminal_width() if width is None else width
    if limit is not None and widths:
        _fit(widths, [len(h) for h in headers], set(shrink or [len(headers) - 1]), limit)
    lines = []
    for row in [list(headers), *[list(r) for r in rows]]:
        cells = [_cut(cell, widths[i]) for i, cell in enumerate(row)]
        cells = [cell.ljust(widths[i]) if i < len(row) - 1 else cell
                 for i, cell in enumerate(cells)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _fit(widths: list[int], floors: list[int], shrink: set[int], limit: int) -> None:
    """Narrow the shrinkable columns, widest first, until the row fits `limit` (or cannot)."""
    excess = sum(widths) + 2 * (len(widths) - 1) - limit
    while excess > 0:
        candidates = [i for i in shrink
                      if widths[i] > max(MIN_CELL, floors[i])]
        if not candidates:
            return
        widest = max(candidates, key=lambda i: widths[i])
        others = [widths[i] for i in candidates if i != widest]
        target = max(MIN_CELL, floors[widest], max(others, default=0),
                     widths[widest] - excess)
        if target >= widths[widest]:
            target = widths[widest] - 1
        excess -= widths[widest] - target
        widths[widest] = target


def _cut(cell: str, width: int) -> str:
    return cell if len(cell) <= width else cell[: max(width - 1, 0)] + "…"


def difference(before: str, after: str, width: int) -> tuple[str, str]:
    """Before and after on one line each, at most `width` characters, showing where they
    differ: the common start and end are cut down to a little context around the change."""
    old, new = " ".join(before.split()), " ".join(after.split())
    if len(old) <= width and len(new) <= width:
        return old, new
    prefix = 0
    while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
        prefix += 1
    context = min(15, width // 4)
    start = max(0, prefix - context)
    return _window(old, start, width), _window(new, start, width)


def _window(text: str, start: int, width: int) -> str:
    lead = "…" if start > 0 else ""
    room = width - len(lead)
    body = text[start:]
    if len(body) > room:
        body = body[: room - 1] + "…"
    return lead + body


def highlight(text: str, spans: Sequence[tuple[int, int]], *, colour: bool) -> str:
    """`text` with each (start, end) span marked: bold on a terminal, [[…]] elsewhere."""
    out, at = [], 0
    opening, closing = ("\x1b[1;33m", "\x1b[0m") if colour else ("[[", "]]")
    for start, end in sorted(spans):
        if start < at:
            continue
        out += [text[at:start], opening, text[start:end], closing]
        at = end
    out.append(text[at:])
    return "".join(out)
