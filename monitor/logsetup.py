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
    """Replaces every secret of the running config with *** in a record's message, its
    traceback and its stack, so that other handlers see the record redacted too."""

    config: Config | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if self.config is None:
            return True
        message = record.getMessage()
        redacted = self.config.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _plain.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.config.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.config.redact(record.stack_info)
        return True


class _RedactingFormatter(logging.Formatter):
    """Redacts the whole formatted line: whatever part of a record carries a secret (an
    exception's message in a traceback, an argument, the logger's name), none shows."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        config = _redact.config
        return config.redact(text) if config is not None else text


_plain = logging.Formatter()
_handler = _StderrHandler()
_redact = _Redact()
_handler.addFilter(_redact)
_handler.setFormatter(_RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))


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
