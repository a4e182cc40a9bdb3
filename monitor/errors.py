"""Errors of the daemon; outcomes such as "unchanged", "304" or "same body" are values.

    MonitorError                root of every error raised by `monitor`
    ├── ConfigError             config.toml is unusable; `problems` lists every one
    ├── NotAFeedError           a body is not a feed (HTML page, empty, no entries)
    ├── ForeignPackageError     `notifiers` or `storage` imported is not veille's own
    └── AlreadyRunningError     another `veille run` holds this database
"""

from __future__ import annotations

from collections.abc import Sequence


class MonitorError(Exception):
    """Root of every error raised by `monitor`."""


class ConfigError(MonitorError):
    """The configuration is unusable; each problem names the file and the key path."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


class NotAFeedError(MonitorError):
    """The body fetched is not an RSS or Atom feed."""


class ForeignPackageError(MonitorError):
    """An imported `notifiers` or `storage` package is not veille's own."""


class AlreadyRunningError(MonitorError):
    """Another `veille run` already works on this database."""
