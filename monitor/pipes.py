"""Standard output as a Unix tool treats it: when the reader closes the pipe (`veille history |
head`), the rest of the output is dropped quietly and the command carries on to its end.

What veille writes to a closed pipe counts as written: the reader chose to stop reading. So a
console alert printed into `veille check | head` is recorded as sent (it reached the pipe as
far as anyone read it), never as failed, and it is not printed again at the next check; the
command still records its polls and sends its other alerts, and exits with its own status.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any, TextIO


class ReaderGoneStream:
    """A text stream that turns a closed pipe into silence instead of BrokenPipeError."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self.reader_gone = False

    def write(self, text: str) -> int:
        if not self.reader_gone:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._gone()
        return len(text)

    def flush(self) -> None:
        if not self.reader_gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._gone()

    def _gone(self) -> None:
        with self._lock:
            self.reader_gone = True
            # What is still buffered must go somewhere harmless, or the interpreter's own flush
            # at exit prints "Exception ignored … BrokenPipeError" (Python's documented recipe).
            with contextlib.suppress(OSError, ValueError, AttributeError):
                devnull = os.open(os.devnull, os.O_WRONLY)
                try:
                    os.dup2(devnull, self._stream.fileno())
                finally:
                    os.close(devnull)

    def isatty(self) -> bool:
        return not self.reader_gone and self._stream.isatty()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def quiet_on_closed_pipe() -> Iterator[ReaderGoneStream]:
    """Run the block with sys.stdout guarded; the original stream is put back afterwards."""
    original = sys.stdout
    guarded = original if isinstance(original, ReaderGoneStream) else ReaderGoneStream(original)
    sys.stdout = guarded
    try:
        yield guarded
    finally:
        guarded.flush()
        sys.stdout = original
