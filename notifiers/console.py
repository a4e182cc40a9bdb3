"""The `console` notifier: one readable block per alert (or digest) on standard output or error.

Useful to try a config (`veille check`) and under systemd, where the journal keeps the output.
Every feed text is put on one line first, so a title cannot move the cursor or fake a line.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, TextIO

from notifiers import digest, highlight
from notifiers.base import Alert, NotifierConfigError, TransientError
from notifiers.render import format_local, label, one_line
from notifiers.view import AlertView, ChangeView, build_view

STREAMS = ("stdout", "stderr")
_SHORT_TEXT_FIELDS = ("title", "page_title")


def _change_line(change: ChangeView, view: AlertView) -> str:
    none = view.labels["none"]
    if change.kind == "text" and change.field not in _SHORT_TEXT_FIELDS:
        text = one_line(change.marked)
    else:
        text = f"{one_line(change.before) or none} → {one_line(change.after) or none}"
    if change.truncated:
        text += f" ({view.labels['truncated']})"
    return f"    {change.label}{view.labels['colon']} {text}"


BOLD, PLAIN = "\x1b[1m", "\x1b[0m"


def format_alert(alert: Alert, *, colour: bool = False) -> str:
    """The block printed for `alert`: headline, facts, then each change as before → after.
    With `colour` (a terminal), the words that made it match are bold in the headline."""
    view = build_view(alert)
    colon = view.labels["colon"]
    when = format_local(alert.occurred_at, alert.timezone, alert.language)
    headline = highlight.mark(view.headline, view.highlights, BOLD, PLAIN) if colour \
        else view.headline
    lines = [f"── veille · {when} ──", headline]
    width = view.label_width + 1
    for row in view.rows:
        text = f"{row.text} ({row.note})" if row.note else row.text
        lines.append(f"  {(row.label + colon).ljust(width)}{text}")
    if view.intro:
        lines.append(f"  {view.intro}")
    if view.changes:
        lines.append(f"  {label('changes', alert.language)}{colon}")
        lines.extend(_change_line(change, view) for change in view.changes)
    return "\n".join(lines) + "\n\n"


def format_digest(alerts: Sequence[Alert]) -> str:
    """The block printed for a digest: its headline, then each watch's alerts, one line each
    (headline, link, then feed · keywords · what changed · when)."""
    lines = [f"── veille · {digest.digest_headline(alerts)} ──"]
    for group in digest.groups(alerts):
        lines.append(f"  {group.title}")
        for alert in group.alerts:
            entry = digest.line(alert)
            lines.append(f"    • {entry.headline}")
            if entry.link:
                lines.append(f"      {entry.link}")
            lines.append(f"      {entry.meta}")
    return "\n".join(lines) + "\n\n"


class ConsoleNotifier:
    """Prints each alert as a block of text; `stream = "stdout"` (default) or `"stderr"`."""

    type_name: ClassVar[str] = "console"
    secret_keys: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, name: str, stream: str = "stdout") -> None:
        self.name = name
        self.stream = stream

    @classmethod
    def from_options(cls, name: str, options: Mapping[str, Any]) -> ConsoleNotifier:
        """Validate the options (only `stream`) and build the notifier."""
        problems: list[tuple[str, str]] = []
        for key in options:
            if key != "stream":
                problems.append((key, "unknown option; the console notifier only takes stream"))
        stream = options.get("stream", "stdout")
        if stream not in STREAMS:
            problems.append(("stream", f"must be \"stdout\" or \"stderr\", not {stream!r}"))
        if problems:
            raise NotifierConfigError(problems)
        return cls(name, stream)

    def _target(self) -> TextIO:
        # Looked up at each send, so that a redirected sys.stdout (tests, daemons) is honoured.
        return sys.stderr if self.stream == "stderr" else sys.stdout

    def send(self, alert: Alert) -> None:
        """Print one block for `alert`; a closed or broken stream is a transient failure."""
        self._write(format_alert(alert, colour=self._terminal()))

    def send_digest(self, alerts: Sequence[Alert]) -> None:
        """Print one block for the digest of `alerts`, grouped by watch, newest first."""
        self._write(format_digest(alerts))

    def _terminal(self) -> bool:
        """Whether the stream is a terminal (a closed one is not: writing will say so)."""
        try:
            return bool(self._target().isatty())
        except (AttributeError, OSError, ValueError):
            return False

    def _write(self, block: str) -> None:
        target = self._target()
        encoding = getattr(target, "encoding", None) or "utf-8"
        try:
            try:
                target.write(block)
            except UnicodeEncodeError:
                target.write(block.encode(encoding, "replace").decode(encoding))
            target.flush()
        except (OSError, ValueError) as exc:
            raise TransientError(f"cannot write to {self.stream}: {exc}") from exc

    def close(self) -> None:
        """Nothing to release: the stream belongs to the process."""
