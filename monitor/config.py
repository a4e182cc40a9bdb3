"""config.toml → typed, frozen objects; `load_config` reports every problem at once.

Each problem names the file and the key path (`feed[2] (nato-en).interval`) and says what would
be right. `${NAME}` is read from the environment; such values, passwords, secrets, tokens and
webhook URLs are secrets that no error and no `describe()` shows.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, TypeVar, cast
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

from monitor import __version__
from monitor.durations import (
    check_cron,
    check_timezone,
    format_duration,
    parse_duration,
    parse_size,
    show,
    system_timezone,
)
from monitor.errors import ConfigError
from monitor.fold import fold
from notifiers import registry
from notifiers.base import COMMON_KEYS, NotifierConfigError

# Keys DESIGN.md fixes but this version does not implement: present, they are an error.
# Remove a line when its feature lands.
NOT_SUPPORTED_YET: frozenset[str] = frozenset({
    "feed.follow", "feed.follow_interval", "feed.follow_for", "feed.match_page",
    "watch.follow", "watch.follow_interval", "watch.follow_for", "watch.match_page",
    "veille.allow_private",
    "veille.language",
    "veille.health_notify",
    "veille.failing_after",
    "notifier.digest",
    "notifier.max_per_minute",
})

DEFAULT_USER_AGENT = f"veille/{__version__} (+https://github.com/veille)"
FirstRun = Literal["baseline", "notify"]
Follow = bool | Literal["all"]
Loc = tuple[str | int, ...]
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_SECRET_KEYS = frozenset({"password", "secret", "token", "authorization", "cookie"})
# Option keys whose value is a secret for a given notifier type (chat URLs carry their token).
_SECRET_URLS = {"webhook": "url", "apprise": "urls"}


def _freeze(mapping: Mapping[str, T]) -> Mapping[str, T]:
    return MappingProxyType(dict(mapping))


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
    concurrency: int = 20  # fetches in flight at once
    per_host: int = 2  # fetches in flight to one host


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


@dataclass(frozen=True)
class WatchConfig:
    """One `[[watch]]`; the follow keys are None where the watch does not set them."""

    name: str
    keywords: tuple[str, ...] = ()
    all: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    regex: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()
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
    feeds: tuple[FeedConfig, ...]
    watches: tuple[WatchConfig, ...]
    notifiers: Mapping[str, NotifierConfig]
    secrets: frozenset[str] = frozenset()

    def feed(self, name: str) -> FeedConfig:
        """The feed called `name`; KeyError if there is none."""
        for feed in self.feeds:
            if feed.name == name:
                return feed
        raise KeyError(name)

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
            f"{self.path}: {_count(self.feeds, 'feed')}, {_count(self.watches, 'watch')}, "
            f"{_count(self.notifiers, 'notifier')}",
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
            terms = [_count(getattr(w, k), k.rstrip("s")) for k in ("keywords", "regex", "exact")
                     if getattr(w, k)] or ["every item"]
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
    return _Loader(path, os.environ if environ is None else environ).load()


# ---- pydantic schema: the shape and the values of each table --------------------------------


def _checked(check: Callable[[Any], Any]) -> BeforeValidator:
    """Run `check`, turning its ValueError into an error whose text is ours, verbatim."""

    def run(value: Any) -> Any:
        try:
            return check(value)
        except ValueError as exc:
            raise PydanticCustomError("veille", "{msg}", {"msg": str(exc)}) from None

    return BeforeValidator(run)


def _string(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {show(value)}")
    return value


def _name(value: object) -> str:
    if not _NAME.fullmatch(_string(value)):
        raise ValueError(f'{show(value)} is not a valid name; use letters, digits, "-", "_", "."')
    return cast(str, value)


def _one_of(*choices: str) -> Callable[[object], str]:
    def check(value: object) -> str:
        if value not in choices:
            raise ValueError(f"{show(value)} is not one of {', '.join(map(show, choices))}")
        return cast(str, value)

    return check


def _at_least_one(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"expected a whole number of at least 1, got {show(value)}")
    return value


def _interval(value: object) -> float:
    seconds = parse_duration(value)
    if seconds < 1:
        raise ValueError(f"{show(value)} is shorter than 1s; use 1s or more")
    return seconds


def _positive(value: object) -> float:
    seconds = parse_duration(value)
    if seconds <= 0:
        raise ValueError(f"{show(value)} is not more than 0; use e.g. 30s, 10m, 1h")
    return seconds


def _url(value: object) -> str:
    text = _string(value).strip()
    try:
        parts = urlsplit(text)
        ok = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{show(value)} is not an http:// or https:// URL")
    return text


def _one_line(value: object) -> str:
    if any(c in _string(value) for c in "\r\n\0"):
        raise ValueError(f"{show(value)} contains a line break; write it on one line")
    return cast(str, value)


def _header_name(value: object) -> str:
    if not _HEADER_NAME.fullmatch(_string(value)):
        raise ValueError(f"{show(value)} is not a valid HTTP header name")
    return cast(str, value)


def _follow(value: object) -> Follow:
    if isinstance(value, bool) or value == "all":
        return cast(Follow, value)
    raise ValueError(f'{show(value)} is not true, false or "all"')


def _timezone(value: object) -> str:
    check_timezone(_string(value))
    return cast(str, value)


def _keyword(value: object) -> str:
    if not fold(_string(value)):
        raise ValueError(f"{show(value)} has no letter or digit to match; remove it")
    return cast(str, value)


def _compiled(value: object, flags: int = 0) -> re.Pattern[str]:
    try:
        return re.compile(_string(value), flags)
    except re.error as exc:
        raise ValueError(f"{show(value)} is not a valid regular expression: {exc}") from None


def _ignore_regex(value: object) -> str:
    _compiled(value, re.IGNORECASE)
    return cast(str, value)


def _match_regex(value: object) -> str:
    # Watch regexes run on folded text: an upper-case or accented letter can never match.
    literal = re.sub(r"\\.", "", _compiled(value).pattern)
    if "(?i" not in literal and any(c.isupper() or fold(c) != c.lower() for c in literal
                                    if c.isalpha()):
        raise ValueError(f"{show(value)} can never match: regexes run on folded text; "
                         "write them lower-case and unaccented")
    return cast(str, value)


def _digest(value: object) -> str:
    if isinstance(value, str) and len(value.split()) == 5:
        check_cron(value)
        return value
    try:
        seconds = _positive(value)
    except ValueError:
        raise ValueError(f'{show(value)} is neither a duration (1h, 1d) nor a 5-field cron '
                         'expression ("0 8 * * 1-5")') from None
    return value if isinstance(value, str) else format_duration(seconds)


def _non_empty(value: list[T]) -> list[T]:
    if not value:
        raise PydanticCustomError("veille", "{msg}", {"msg": "is empty; list at least one"})
    return value


_Name = Annotated[str, _checked(_name)]
_Interval = Annotated[float, _checked(_interval)]
_OptInterval = Annotated[float | None, _checked(_interval)]
_Positive = Annotated[float, _checked(_positive)]
_OptPositive = Annotated[float | None, _checked(_positive)]
_FirstRun = Annotated[str, _checked(_one_of("baseline", "notify"))]
_OptFirstRun = Annotated[str | None, _checked(_one_of("baseline", "notify"))]
_OptTimezone = Annotated[str | None, _checked(_timezone)]
_OptFollow = Annotated[bool | str | None, _checked(_follow)]
_Count = Annotated[int, _checked(_at_least_one)]
_Keywords = list[Annotated[str, _checked(_keyword)]]
_NonEmptyNames = Annotated[list[str], AfterValidator(_non_empty)]


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _VeilleSchema(_Schema):
    database: str | None = None
    interval: _Interval = 900.0
    jitter: Annotated[float, _checked(parse_duration)] = 30.0
    first_run: _FirstRun = "baseline"
    timeout: _Positive = 30.0
    max_size: Annotated[int, _checked(parse_size)] = 5_000_000
    timezone: _OptTimezone = None
    user_agent: Annotated[str, _checked(_one_line)] = DEFAULT_USER_AGENT
    max_age: _OptPositive = None
    language: Annotated[str, _checked(_one_of("en", "fr"))] = "en"
    failing_after: _Count = 3
    health_notify: list[str] | None = None
    allow_private: bool = False
    concurrency: _Count = 20
    per_host: _Count = 2


class _FeedSchema(_Schema):
    name: _Name
    url: Annotated[str, _checked(_url)]
    interval: _OptInterval = None
    timeout: _OptPositive = None
    tags: list[_Name] = []
    headers: dict[Annotated[str, _checked(_header_name)], Annotated[str, _checked(_one_line)]] = {}
    ignore_text: list[Annotated[str, _checked(_ignore_regex)]] = []
    first_run: _OptFirstRun = None
    max_age: _OptPositive = None
    timezone: _OptTimezone = None
    follow: _OptFollow = None
    follow_interval: _OptPositive = None
    follow_for: _OptPositive = None
    match_page: bool | None = None


class _WatchSchema(_Schema):
    name: _Name
    keywords: _Keywords = []
    all: _Keywords = []
    exclude: _Keywords = []
    regex: list[Annotated[str, _checked(_match_regex)]] = []
    exact: _Keywords = []
    feeds: _NonEmptyNames | None = None
    on: Annotated[list[Annotated[str, _checked(_one_of("new", "changed"))]],
                  AfterValidator(_non_empty)] = ["new", "changed"]
    notify: _NonEmptyNames
    follow: _OptFollow = None
    follow_interval: _OptPositive = None
    follow_for: _OptPositive = None
    match_page: bool | None = None


class _NotifierSchema(_Schema):
    type: str
    give_up_after: _Positive = 48 * 3600.0
    max_per_minute: Annotated[int | None, _checked(_at_least_one)] = None
    digest: Annotated[str | None, _checked(_digest)] = None


_EXPECTED = {"string_type": "a string", "bool_type": "true or false", "int_type": "an integer",
             "float_type": "a number", "list_type": "a list", "dict_type": "a table"}


def _pydantic_message(error: Mapping[str, Any], model: type[BaseModel]) -> str:
    kind = error["type"]
    if kind == "veille":
        return str(error["ctx"]["msg"])
    if kind == "extra_forbidden":
        return "unknown key" + _suggest(str(error["loc"][-1]), model.model_fields)
    if kind == "missing":
        return "missing; this key is required"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {show(error.get('input'))}"
    return str(error["msg"])


# ---- loading ---------------------------------------------------------------------------------


class _Loader:
    """One reading of one file: collects problems and secrets as it goes."""

    def __init__(self, path: Path, environ: Mapping[str, str]) -> None:
        self.path = path
        self.label = str(path)
        self.folder = path.absolute().parent
        self.environ = environ
        self.problems: list[str] = []
        self.secrets: set[str] = set()
        self.unresolved: set[Loc] = set()
        self.doc: dict[str, Any] = {}

    def load(self) -> Config:
        self.doc = self._read()
        self.doc = self._resolve(self.doc, (), secret=False)
        for key in self.doc:
            if key not in ("veille", "feed", "watch", "notifier"):
                self.problem((key,), "unknown key" + _suggest(key, ["veille", "feed", "watch",
                                                                     "notifier"]))
        settings = self._settings()
        feeds = [(i, self._feed(raw, settings)) for i, raw in self._array("feed")]
        watches = [(i, self._watch(raw)) for i, raw in self._array("watch")]
        notifiers = self._notifiers()
        self._cross_check(settings, feeds, watches)
        if self.problems:
            raise ConfigError([_redact(p, self.secrets) for p in self.problems])
        return Config(
            path=self.path.absolute(),
            veille=settings,
            feeds=tuple(f for _, f in feeds if f is not None),
            watches=tuple(w for _, w in watches if w is not None),
            notifiers=_freeze({n.name: n for n in notifiers}),
            secrets=frozenset(self.secrets),
        )

    def problem(self, loc: Loc, message: str, tail: str = "") -> None:
        """Record one problem at `loc` (+ a key path `tail` as a notifier spelled it)."""
        first = re.match(r"[^.\[]*", tail)
        full = loc + ((first.group(),) if first and first.group() else ())
        if any(full[: len(u)] == u for u in self.unresolved):
            return  # already reported: the environment variable it needs is not set
        where = self._where(loc) + (f".{tail}" if tail else "")
        self.problems.append(f"{self.label}: {where}: {message}" if where
                             else f"{self.label}: {message}")

    def _where(self, loc: Loc) -> str:
        """`feed[2] (nato-en).headers.Accept-Language`: position, name, then the keys."""
        text = ""
        for depth, part in enumerate(loc):
            if isinstance(part, int):
                text += f"[{part}]"
                if depth == 1 and loc[0] in ("feed", "watch"):
                    name = self._raw_table(str(loc[0]), part).get("name")
                    text += f" ({name})" if isinstance(name, str) else ""
            elif part != "[key]":  # pydantic's marker for a bad key of a mapping
                text += ("." if text else "") + (part if _BARE_KEY.fullmatch(part)
                                                 else json.dumps(part, ensure_ascii=False))
        return text

    def _raw_table(self, kind: str, index: int) -> Mapping[str, Any]:
        tables = self.doc.get(kind)
        if isinstance(tables, list) and index < len(tables) and isinstance(tables[index], dict):
            return cast(Mapping[str, Any], tables[index])
        return {}

    def _read(self) -> dict[str, Any]:
        try:
            with self.path.open("rb") as file:
                return tomllib.load(file)
        except OSError as exc:
            problem = f"cannot read the file: {exc.strerror or exc}"
        except UnicodeDecodeError:
            problem = "is not UTF-8 text"
        except tomllib.TOMLDecodeError as exc:
            text = str(exc)
            position = _TOML_POSITION.search(text)
            problem = "invalid TOML" + (
                f" at line {position[1]}, column {position[2]}" if position else "") + (
                f": {_TOML_POSITION.sub('', text)}")
        raise ConfigError([f"{self.label}: {problem}"])

    def _resolve(self, value: Any, loc: Loc, secret: bool) -> Any:
        """`value` with `${NAME}` replaced from the environment; secrets noted on the way."""
        if isinstance(value, dict):
            return {k: self._resolve(v, loc + (k,), secret or k.lower() in _SECRET_KEYS)
                    for k, v in value.items()}
        if isinstance(value, list):
            return [self._resolve(v, loc + (i,), secret) for i, v in enumerate(value)]
        if not isinstance(value, str):
            if secret:
                self.secrets.add(str(value))
            return value
        names = _ENV.findall(value)
        missing = [n for n in dict.fromkeys(names) if n not in self.environ]
        for name in missing:
            self.problem(loc, f"environment variable {name} is not set")
        if missing:
            self.unresolved.add(loc)
            return ""
        resolved = _ENV.sub(lambda m: self.environ[m[1]], value)
        self.secrets.update(self.environ[n] for n in names)
        if secret or names:
            self.secrets.add(resolved)
        return resolved

    def _validate(self, model: type[M], raw: Mapping[str, Any], loc: Loc) -> M | None:
        kind = str(loc[0])
        for key in raw:
            if f"{kind}.{key}" in NOT_SUPPORTED_YET:
                self.problem(loc + (key,), f"this key is not supported yet by veille "
                                           f"{__version__}; remove it")
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            for error in exc.errors():
                self.problem(loc + tuple(error["loc"]), _pydantic_message(error, model))
            return None

    def _array(self, kind: str) -> list[tuple[int, Mapping[str, Any]]]:
        """The `[[kind]]` tables with their positions; a wrong shape is a problem."""
        tables = self.doc.get(kind, [])
        if isinstance(tables, dict):
            self.problem((kind,), f"write [[{kind}]] (one table per {kind}), not [{kind}]")
            return []
        if not isinstance(tables, list):
            self.problem((kind,), f"expected [[{kind}]] tables, got {show(tables)}")
            return []
        found = []
        for i, table in enumerate(tables):
            if isinstance(table, dict):
                found.append((i, table))
            else:
                self.problem((kind, i), f"expected a table, got {show(table)}")
        return found

    def _settings(self) -> Settings:
        raw = self.doc.get("veille", {})
        if not isinstance(raw, dict):
            self.problem(("veille",), f"expected a [veille] table, got {show(raw)}")
            raw = {}
        s = self._validate(_VeilleSchema, raw, ("veille",)) or _VeilleSchema()
        return Settings(
            database=self._database(s.database),
            interval=s.interval,
            jitter=s.jitter,
            first_run=cast(FirstRun, s.first_run),
            timeout=s.timeout,
            max_size=s.max_size,
            timezone=s.timezone or system_timezone(self.environ),
            user_agent=s.user_agent,
            max_age=s.max_age,
            language=cast(Literal["en", "fr"], s.language),
            failing_after=s.failing_after,
            health_notify=tuple(s.health_notify) if s.health_notify is not None else None,
            allow_private=s.allow_private,
            concurrency=s.concurrency,
            per_host=s.per_host,
        )

    def _database(self, raw: str | None) -> str:
        """The SQLAlchemy URL, a relative SQLite path made relative to the config file."""
        from sqlalchemy.engine import make_url

        if raw is None:
            state = self.environ.get("STATE_DIRECTORY", "").split(":")[0]
            folder = Path(state).absolute() if state else self.folder
            return f"sqlite:///{folder / 'veille.db'}"
        try:
            url = make_url(raw)
            url.get_dialect()
        except Exception as exc:  # noqa: BLE001 - SQLAlchemy raises several kinds here
            self.problem(("veille", "database"), f"{show(raw)} is not a usable SQLAlchemy URL "
                         f"({exc}); use e.g. sqlite:///veille.db or "
                         "postgresql+psycopg://veille@localhost/veille")
            return "sqlite://"
        if url.password:
            self.secrets.add(str(url.password))
        name = url.database
        if (url.get_backend_name() == "sqlite" and name and name != ":memory:"
                and not name.startswith("file:") and not Path(name).is_absolute()):
            url = url.set(database=str(self.folder / name))
        return url.render_as_string(hide_password=False)

