"""`veille check`'s progress at a terminal: one status line rewritten in place (feeds done /
total), and each failing feed named on a line of its own as it fails. On a pipe or a file it
shows nothing, so that scripts read only the report."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import TextIO

from monitor.record import FeedOutcome

FAILED = ("failed", "gone")


class Progress:
    """Called with each feed's outcome as the poll records it."""

    def __init__(self, total: int, stream: TextIO | None = None, *,
                 redact: Callable[[str], str] | None = None) -> None:
        self.total = total
        self.done = 0
        self.failed = 0
        self.stream = stream if stream is not None else sys.stderr
        self._redact = redact or (lambda text: text)
        self._shown = False
        # A log line written while the status line shows would be glued to its end: each
        # record first erases the status line (redrawn at the next feed done).
        self._handlers = [h for h in logging.getLogger().handlers
                          if getattr(h, "stream", None) is self.stream]
        for handler in self._handlers:
            handler.addFilter(self._before_log)

    def _before_log(self, record: logging.LogRecord) -> bool:
        self._clear()
        self._shown = False
        return True

    @classmethod
    def for_terminal(cls, total: int,
                     redact: Callable[[str], str] | None = None) -> Progress | None:
        """A display when stdout and stderr are terminals (the person watching); else None."""
        if not (sys.stdout.isatty() and sys.stderr.isatty()) or total < 1:
            return None
        return cls(total, sys.stderr, redact=redact)

    def __call__(self, outcome: FeedOutcome) -> None:
        self.done += 1
        if outcome.status in FAILED:
            self.failed += 1
            self._clear()
            error = self._redact(outcome.error or "failed")
            self.stream.write(f"{outcome.name}: FAILED — {' '.join(error.split())[:200]}\n")
        self._status()

    def _status(self) -> None:
        failing = f", {self.failed} failed" if self.failed else ""
        self.stream.write(f"\r\x1b[Kpolling: {self.done}/{self.total} feeds done{failing}")
        self.stream.flush()
        self._shown = True

    def _clear(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[K")

    def finish(self) -> None:
        """Erase the status line: the report printed next says it all."""
        for handler in self._handlers:
            handler.removeFilter(self._before_log)
        self._clear()
        self.stream.flush()
        self._shown = False
