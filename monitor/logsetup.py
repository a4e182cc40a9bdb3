"""Logging for the CLI: one stderr handler, a filter that keeps secrets out of every line, and
the start-up warning about a Python release older than veille supports."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # the config (pydantic) loads only once a command needs it
    from monitor.config import Config

NOISY = ("httpx", "httpcore", "aiohttp", "apscheduler", "alembic", "asyncio", "apprise")
# The first release of each line with the fixes for CVE-2024-6923 (email header injection)
# and CVE-2024-4032 (ipaddress's private ranges); 3.13.0 had both. veille works around both
# (headers collapsed and encoded by hand, its own address table), so an older release only
# earns a warning, not a refusal.
SUPPORTED_PYTHON = {(3, 11): (3, 11, 10), (3, 12): (3, 12, 5)}


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


class _JSONFormatter(_RedactingFormatter):
    """One JSON object per line for log shippers: time (UTC), level, logger, message, and the
    traceback when there is one — redacted like the text lines."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(), "logger": record.name,
            "message": record.getMessage()}
        if record.exc_info and not record.exc_text:
            record.exc_text = _plain.formatException(record.exc_info)
        if record.exc_text:
            entry["traceback"] = record.exc_text
        text = json.dumps(entry, ensure_ascii=False)
        config = _redact.config
        return config.redact(text) if config is not None else text


_plain = logging.Formatter()
_handler = _StderrHandler()
_redact = _Redact()
_handler.addFilter(_redact)
_TEXT = _RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
_handler.setFormatter(_TEXT)
LOG_FORMATS = ("text", "json")


def setup(verbose: bool, log_format: str = "text") -> None:
    """Install the handler once; set the level and the format (`text` or `json`) on every
    call."""
    root = logging.getLogger()
    _handler.setFormatter(_JSONFormatter() if log_format == "json" else _TEXT)
    if _handler not in root.handlers:
        root.addHandler(_handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)


def warn_old_python(python: tuple[int, int, int] | None = None) -> None:
    """One warning line when the running Python (or `python`) predates the security fixes;
    `veille run` and `veille check` call it as they start, the commands that fetch and send."""
    warning = python_warning(python or sys.version_info[:3])
    if warning:
        logging.getLogger(__name__).warning("%s", warning)


def python_warning(release: tuple[int, int, int]) -> str | None:
    """The sentence warning that `release` (major, minor, micro) predates the security fixes
    veille expects, or None for a supported release."""
    minimum = SUPPORTED_PYTHON.get((release[0], release[1]))
    if minimum is None or release >= minimum:
        return None
    shown = ".".join(map(str, release))
    supported = ", ".join(".".join(map(str, v)) + "+" for v in SUPPORTED_PYTHON.values())
    first = ".".join(map(str, minimum))
    return (f"Python {shown} is older than {first}, the first {release[0]}.{release[1]} release "
            "with the fixes for CVE-2024-6923 and CVE-2024-4032; veille works around both but "
            f"supports only {supported} and 3.13+: upgrade Python")


def redact_with(config: Config) -> None:
    """From now on, log lines are redacted with `config`'s secrets."""
    _redact.config = config
