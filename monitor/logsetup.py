"""Logging for the CLI: one stderr handler, and a filter that keeps secrets out of every line."""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

from monitor.config import Config

NOISY = ("httpx", "httpcore", "aiohttp", "apscheduler", "alembic", "asyncio", "apprise")


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time (tests swap it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


class _Redact(logging.Filter):
    """Replaces every secret of the running config in a log line with ***."""

    config: Config | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if self.config is None:
            return True
        message = record.getMessage()
        redacted = self.config.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_handler = _StderrHandler()
_redact = _Redact()
_handler.addFilter(_redact)
_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))


def setup(verbose: bool) -> None:
    """Install the handler once; set the level on every call."""
    root = logging.getLogger()
    if _handler not in root.handlers:
        root.addHandler(_handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)


def redact_with(config: Config) -> None:
    """From now on, log lines are redacted with `config`'s secrets."""
    _redact.config = config
