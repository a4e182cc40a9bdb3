"""config.toml → typed, frozen objects; `load_config` reports every problem at once.

Each problem names the file and the key path (`feed[2] (nato-en).interval`) and says what would
be right. `${NAME}` is read from the environment; such values, passwords, secrets, tokens and
webhook URLs are secrets that no error and no `describe()` shows. The records live here; the
schema is in `config_schema`, the reading in `config_loader`, the checks across tables in
`config_checks`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, TypeVar

from monitor.config_schema import DEFAULT_USER_AGENT as DEFAULT_USER_AGENT
from monitor.config_schema import FirstRun as FirstRun
from monitor.config_schema import Follow as Follow
from monitor.config_schema import _FeedSchema as _FeedSchema
from monitor.config_schema import _NotifierSchema as _NotifierSchema
from monitor.config_schema import _VeilleSchema as _VeilleSchema
from monitor.config_schema import _WatchSchema as _WatchSchema
from monitor.durations import format_duration, parse_duration, parse_size

__all__ = [
    "NOT_SUPPORTED_YET", "Config", "FeedConfig", "HttpSettings", "NotifierConfig", "Settings",
    "WatchConfig",
    "format_duration", "load_config", "parse_duration", "parse_size",
]

# Keys DESIGN.md fixes but this version does not implement: present, they are an error.
# Remove a line when its feature lands. The loader reads it from here at each load.
NOT_SUPPORTED_YET: frozenset[str] = frozenset()

T = TypeVar("T")


def _freeze(mapping: Mapping[str, T]) -> Mapping[str, T]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class HttpSettings:
    """`[veille.http]`: where the console listens ("" for nowhere) and how it is opened."""

    listen: str = "127.0.0.1:8080"
    token: str | None = None  # a bearer token (or Basic password), a secret
    password_hash: str | None = None  # pbkdf2_sha256$… of the Basic password


@dataclass(frozen=True)
class Settings:
    """The `[veille]` table; durations in seconds, sizes in bytes."""

    database: str = "sqlite:///veille.db"
    interval: float = 900.0
    jitter: float = 30.0
    first_run: FirstRun = "baseline"
    timeout: float = 30.0
    max_size: int = 5_000_000
    timezone: str = "UTC"
    user_agent: str = DEFAULT_USER_AGENT
    max_age: float | None = None
    language: Literal["en", "fr"] = "en"
    failing_after: int = 3
    health_notify: tuple[str, ...] | None = None
    allow_private: bool = False
    follow_max_per_feed: int = 500  # article pages followed at once per feed
    follow_max_per_host: int = 1000  # … and per host, across feeds
    concurrency: int = 20  # fetches in flight at once
    per_host: int = 2  # fetches in flight to one host
    lease: float = 60.0  # how long a claim outlives a crashed owner; renewed while it works
    notifier_failing_after: float = 1800.0  # failing this long raises notifier.failing
    keep: float | None = None  # retention of old versions and sent alerts; None: forever
    http: HttpSettings = HttpSettings()


@dataclass(frozen=True)
class FeedConfig:
    """One `[[feed]]`, with the `[veille]` defaults already applied."""

    name: str
    url: str
    interval: float = 900.0
    timeout: float = 30.0
    tags: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=lambda: _freeze({}))
    ignore_text: tuple[re.Pattern[str], ...] = ()
    first_run: FirstRun = "baseline"
    max_age: float | None = None
    timezone: str = "UTC"
    follow: Follow = False
    follow_interval: float = 3600.0
    follow_for: float = 14 * 86400.0
    match_page: bool = False
    allow_private: bool = False  # the feed's own, else [veille]'s
    enabled: bool = True  # false: paused, kept in the file, not polled


@dataclass(frozen=True)
class WatchConfig:
    """One `[[watch]]`; the follow keys are None where the watch does not set them."""

    name: str
    keywords: tuple[str, ...] = ()
    all: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    regex: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()
    query: str = ""  # the watch language (monitor/query.py); ANDed with the keys above
    feeds: tuple[str, ...] = ("*",)  # feed names, globs on names, or tags
    on: frozenset[str] = frozenset({"new", "changed"})
    notify: tuple[str, ...] = ()
    follow: Follow | None = None
    follow_interval: float | None = None
    follow_for: float | None = None
    match_page: bool | None = None

    def applies_to(self, feed: FeedConfig) -> bool:
        """Whether this watch looks at `feed`: by its name, a glob on its name, or a tag."""
        return any(_pattern_matches(p, feed.name, feed.tags) for p in self.feeds)


@dataclass(frozen=True)
class NotifierConfig:
    """One `[notifier.NAME]`: `options` go to the notifier, the common keys stay here."""

    name: str
    type: str
    options: Mapping[str, Any] = field(default_factory=lambda: _freeze({}))
    give_up_after: float = 48 * 3600.0
    max_per_minute: int | None = None
    digest: str | None = None  # a duration ("1h") or a 5-field cron expression
    redacted: Mapping[str, str] = field(default_factory=lambda: _freeze({}))  # for display


@dataclass(frozen=True)
class Config:
    """A validated config.toml."""

    path: Path
    veille: Settings
    feeds: tuple[FeedConfig, ...]  # the enabled feeds: what the poll sees
    watches: tuple[WatchConfig, ...]
    notifiers: Mapping[str, NotifierConfig]
    secrets: frozenset[str] = frozenset()
    paused: tuple[FeedConfig, ...] = ()  # `enabled = false`: kept in the file, never polled
    # `[terms]`: named term sets, `@name` in a query.
    terms: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: _freeze({}))

    @cached_property
    def _feeds_by_name(self) -> dict[str, FeedConfig]:
        return {feed.name: feed for feed in self.feeds}

    def feed(self, name: str) -> FeedConfig:
        """The feed called `name`; KeyError if there is none."""
        return self._feeds_by_name[name]

    def watches_for(self, feed: FeedConfig) -> tuple[WatchConfig, ...]:
        """The watches that look at `feed`, in config order."""
        return tuple(w for w in self.watches if w.applies_to(feed))

    def redact(self, text: str) -> str:
        """`text` with every secret value replaced by `***`."""
        return _redact(text, self.secrets)

    def describe(self) -> str:
        """What `veille validate` prints: a short summary without any secret."""
        from sqlalchemy.engine import make_url

        s = self.veille
        lines = [
            f"{self.path}: {_count(len(self.feeds), 'feed')}, "
            f"{_count(len(self.watches), 'watch')}, {_count(len(self.notifiers), 'notifier')}",
            f"  database: {make_url(s.database).render_as_string(hide_password=True)}",
            f"  polling: every {format_duration(s.interval)} ± {format_duration(s.jitter)}, "
            f"timeout {format_duration(s.timeout)}, first run: {s.first_run}, "
            f"time zone: {s.timezone}",
        ]
        if self.feeds:
            lines.append("feeds:")
        for f in self.feeds:
            tags = f"  tags: {', '.join(f.tags)}" if f.tags else ""
            lines.append(f"  {f.name}  every {format_duration(f.interval)}  {f.url}{tags}")
        if self.watches:
            lines.append("watches:")
        for w in self.watches:
            terms = [f"query {w.query}"] * bool(w.query) + [
                _count(len(terms), noun) for terms, noun in
                ((w.keywords, "keyword"), (w.regex, "regex"), (w.exact, "exact word"))
                if terms] or ["every item"]
            lines.append(f"  {w.name}: {', '.join(terms)}; feeds: {', '.join(w.feeds)}; "
                         f"on: {', '.join(sorted(w.on, reverse=True))} → {', '.join(w.notify)}")
        if self.notifiers:
            lines.append("notifiers:")
        for n in self.notifiers.values():
            target = " ".join(f"{k}={v}" for k, v in n.redacted.items()
                              if k in ("to", "url", "urls", "host"))
            lines.append(f"  {n.name}: {n.type}" + (f" → {target}" if target else ""))
        return self.redact("\n".join(lines))


def load_config(path: Path, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate `path`; raise ConfigError listing every problem found."""
    from monitor.config_loader import _Loader  # it builds the records of this module

    return _Loader(path, os.environ if environ is None else environ).load()


def _pattern_matches(pattern: str, name: str, tags: Iterable[str]) -> bool:
    return pattern == name or fnmatchcase(name, pattern) or pattern in tags


def _redact(text: str, secrets: Iterable[str]) -> str:
    # Longest first, so that a secret containing another one is hidden whole.
    for secret in sorted(secrets, key=len, reverse=True):
        if not secret.strip():
            continue
        if len(secret) < 6:
            # A short value (a ${PORT}, a tiny token) is hidden where it stands as a whole
            # token, so that "587" does not blank out every number in every log line.
            text = re.sub(rf"(?<![\w]){re.escape(secret)}(?![\w])", "***", text)
        else:
            text = text.replace(secret, "***")
    return text


def _count(number: int, noun: str) -> str:
    plural = noun + ("es" if noun.endswith(("ch", "x")) else "s")
    return f"{number} {noun if number == 1 else plural}"
