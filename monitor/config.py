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
from urllib.parse import quote, urlsplit

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

__all__ = [
    "NOT_SUPPORTED_YET", "Config", "FeedConfig", "NotifierConfig", "Settings", "WatchConfig",
    "format_duration", "load_config", "parse_duration", "parse_size",
]

# Keys DESIGN.md fixes but this version does not implement: present, they are an error.
# Remove a line when its feature lands.
NOT_SUPPORTED_YET: frozenset[str] = frozenset()

DEFAULT_USER_AGENT = f"veille/{__version__} (+https://github.com/veille)"
FirstRun = Literal["baseline", "notify"]
Follow = bool | Literal["all"]
Loc = tuple[str | int, ...]
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

_SECTIONS = ("veille", "feed", "watch", "notifier")
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
            terms = [_count(len(terms), noun) for terms, noun in
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
        return value

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
        return value
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
        self.problems: list[tuple[tuple[int, int], str]] = []  # (where in the file, text)
        self.secrets: set[str] = set()
        self.unresolved: set[Loc] = set()
        self.doc: dict[str, Any] = {}

    def load(self) -> Config:
        self.doc = self._read()
        self.doc = self._resolve(self.doc, (), secret=False)
        for key in self.doc:
            if key not in _SECTIONS:
                self.problem((key,), "unknown key" + _suggest(key, _SECTIONS))
        settings = self._settings()
        raw_feeds, raw_watches = self._array("feed"), self._array("watch")
        feeds = [(i, self._feed(i, raw, settings)) for i, raw in raw_feeds]
        watches = [self._watch(i, raw) for i, raw in raw_watches]
        notifiers = self._notifiers()
        self._cross_check(raw_feeds, raw_watches, feeds)
        if self.problems:
            # Stable sort: each table's problems together, tables in file order.
            ordered = sorted(self.problems, key=lambda p: p[0])
            raise ConfigError([_redact(text, self.secrets) for _, text in ordered])
        return Config(
            path=self.path.absolute(),
            veille=settings,
            feeds=tuple(f for _, f in feeds if f is not None),
            watches=tuple(w for w in watches if w is not None),
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
        text = f"{self.label}: {where}: {message}" if where else f"{self.label}: {message}"
        self.problems.append((self._order(loc), text))

    def _order(self, loc: Loc) -> tuple[int, int]:
        """(section, table position): sorting by it lists problems in file order."""
        section = _SECTIONS.index(str(loc[0])) + 1 if loc[0] in _SECTIONS else 0
        if len(loc) > 1 and isinstance(loc[1], int):
            return section, loc[1]
        names = self.doc.get("notifier")
        if loc[0] == "notifier" and len(loc) > 1 and isinstance(names, dict):
            return section, list(names).index(loc[1])
        return section, 0

    def _where(self, loc: Loc) -> str:
        """`feed[2] (nato-en).headers.Accept-Language`: position, name, then the keys."""
        text = ""
        for depth, part in enumerate(loc):
            if isinstance(part, int):
                text += f"[{part}]"
                if depth == 1 and loc[0] in ("feed", "watch"):
                    name = self._raw_table(str(loc[0]), part).get("name")
                    text += f" ({name})" if isinstance(name, str) and name else ""
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
                self._add_secrets(value)
            return value
        names = _ENV.findall(value)
        missing = [n for n in dict.fromkeys(names) if n not in self.environ]
        for name in missing:
            self.problem(loc, f"environment variable {name} is not set")
        if missing:
            self.unresolved.add(loc)
            return ""
        resolved = _ENV.sub(lambda m: self.environ[m[1]], value)
        for name in names:
            self._add_secrets(self.environ[name])
        if secret or names:
            self._add_secrets(resolved)
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
        found: list[tuple[int, Mapping[str, Any]]] = []
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
        s = self._validate(_VeilleSchema, raw, ("veille",))
        if s is None:  # keep the valid keys: feeds inherit them, cross-checks read them
            s = _VeilleSchema.model_validate({k: v for k, v in raw.items() if _valid(k, v)})
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
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError

        if raw is None:
            state = self.environ.get("STATE_DIRECTORY", "").split(":")[0]
            folder = Path(state).absolute() if state else self.folder
            return f"sqlite:///{folder / 'veille.db'}"
        hint = "use e.g. sqlite:///veille.db or postgresql+psycopg://veille@localhost/veille"
        try:
            url = make_url(raw)
        except ArgumentError:
            self.problem(("veille", "database"), f"{show(raw)} is not a SQLAlchemy URL; {hint}")
            return "sqlite://"
        try:
            url.get_dialect()
        except NoSuchModuleError:
            self.problem(("veille", "database"), f"{show(raw)}: SQLAlchemy knows no database "
                                                 f"{show(url.drivername)}; {hint}")
            return "sqlite://"
        if url.password:
            self._add_secrets([str(url.password), quote(str(url.password), safe="")])
        name = url.database
        if (url.get_backend_name() == "sqlite" and name and name != ":memory:"
                and not name.startswith("file:") and not Path(name).is_absolute()):
            return url.set(database=str(self.folder / name)).render_as_string(hide_password=False)
        return raw

    def _feed(self, index: int, raw: Mapping[str, Any], s: Settings) -> FeedConfig | None:
        f = self._validate(_FeedSchema, raw, ("feed", index))
        if f is None:
            return None
        return FeedConfig(
            name=f.name,
            url=f.url,
            interval=f.interval or s.interval,
            timeout=f.timeout or s.timeout,
            tags=tuple(f.tags),
            headers=_freeze(f.headers),
            ignore_text=tuple(re.compile(p, re.IGNORECASE) for p in f.ignore_text),
            first_run=cast(FirstRun, f.first_run or s.first_run),
            max_age=f.max_age or s.max_age,
            timezone=f.timezone or s.timezone,
            follow=cast(Follow, f.follow) if f.follow is not None else False,
            follow_interval=f.follow_interval or 3600.0,
            follow_for=f.follow_for or 14 * 86400.0,
            match_page=bool(f.match_page),
        )

    def _watch(self, index: int, raw: Mapping[str, Any]) -> WatchConfig | None:
        w = self._validate(_WatchSchema, raw, ("watch", index))
        if w is None:
            return None
        return WatchConfig(
            name=w.name,
            keywords=tuple(w.keywords),
            all=tuple(w.all),
            exclude=tuple(w.exclude),
            regex=tuple(w.regex),
            exact=tuple(w.exact),
            feeds=tuple(w.feeds) if w.feeds is not None else ("*",),
            on=frozenset(w.on),
            notify=tuple(w.notify),
            follow=cast(Follow | None, w.follow),
            follow_interval=w.follow_interval,
            follow_for=w.follow_for,
            match_page=w.match_page,
        )

    def _notifiers(self) -> list[NotifierConfig]:
        tables = self.doc.get("notifier", {})
        if not isinstance(tables, dict):
            self.problem(("notifier",), f"expected [notifier.NAME] tables, got {show(tables)}")
            return []
        checked = []
        for name, raw in tables.items():
            loc: Loc = ("notifier", name)
            if not isinstance(raw, dict):
                self.problem(loc, f"expected a [notifier.{name}] table, got {show(raw)}")
                continue
            if not _NAME.fullmatch(name):
                self.problem(loc, f'{show(name)} is not a valid name; use letters, digits, '
                                  '"-", "_", "."')
            options = {k: v for k, v in raw.items() if k not in COMMON_KEYS}
            common = self._validate(_NotifierSchema, {k: v for k, v in raw.items()
                                                      if k in COMMON_KEYS}, loc)
            hidden = self._check_options(loc, raw.get("type"), options)
            if common is not None:
                checked.append((name, common, options, hidden))
        # Built last: every secret of the file is known by now, and none may show.
        return [NotifierConfig(name=name, type=c.type, options=_freeze(options),
                               give_up_after=c.give_up_after, max_per_minute=c.max_per_minute,
                               digest=c.digest,
                               redacted=_freeze(self._redacted(c.type, options, hidden)))
                for name, c, options, hidden in checked]

    def _check_options(self, loc: Loc, type_name: object, options: dict[str, Any]) -> set[str]:
        """Have the notifier type validate `options`; return the keys whose values are secret."""
        if not isinstance(type_name, str):
            return set()
        try:
            factory = registry.get(type_name)
        except NotifierConfigError as exc:
            for key, message in exc.problems:
                self.problem(loc, message, tail=key)
            return set()
        except ImportError as exc:
            self.problem(loc + ("type",), f"the {show(type_name)} notifier cannot be loaded "
                                          f"({exc}); is veille fully installed?")
            return set()
        secret_keys: frozenset[str] = getattr(factory, "secret_keys", frozenset())
        hidden = {k for k in options if k.lower() in _SECRET_KEYS or k in secret_keys
                  or k == _SECRET_URLS.get(type_name)}
        for key in hidden:
            self._add_secrets(options[key])
        try:
            notifier = registry.build(type_name, str(loc[1]), dict(options))
        except NotifierConfigError as exc:
            for key, message in exc.problems:
                self.problem(loc, message, tail=key)
        except Exception as exc:  # noqa: BLE001 - a plugin's bug must not hide other problems
            self.problem(loc, f"the {show(type_name)} notifier failed to check its options: "
                              f"{type(exc).__name__}: {exc}")
        else:
            try:
                notifier.close()
            except Exception:  # noqa: BLE001, S110 - it was only built to validate
                pass
        return hidden

    def _redacted(self, type_name: str, options: Mapping[str, Any],
                  hidden: set[str]) -> dict[str, str]:
        shown = {}
        for key, value in options.items():
            if key not in hidden:
                shown[key] = _redact(_render(value), self.secrets)
            elif key == _SECRET_URLS.get(type_name) and isinstance(value, str):
                shown[key] = _scheme_and_host(value)
            else:
                shown[key] = "***"
        return shown

    def _add_secrets(self, value: Any) -> None:
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            for item in value:
                self._add_secrets(item)
        elif not isinstance(value, bool) and str(value).strip():
            self.secrets.add(str(value))

    def _cross_check(self, raw_feeds: Sequence[tuple[int, Mapping[str, Any]]],
                     raw_watches: Sequence[tuple[int, Mapping[str, Any]]],
                     feeds: Sequence[tuple[int, FeedConfig | None]]) -> None:
        """What no single table can tell: duplicates, and names that point at nothing.

        Names are read from the raw tables, so that one wrong key in a table does not hide
        (or invent) a problem elsewhere.
        """
        self._unique("feed", raw_feeds)
        self._unique("watch", raw_watches)
        urls: dict[tuple[str, frozenset[tuple[str, str]]], int] = {}
        for i, f in feeds:
            if f is None:
                continue
            key = (_url_key(f.url), frozenset((k.lower(), v) for k, v in f.headers.items()))
            if key in urls:
                self.problem(("feed", i, "url"), "same URL and headers as "
                             f"{self._where(('feed', urls[key]))}; keep one feed (it can carry "
                             "several tags)")
            urls.setdefault(key, i)
        targets = [(t["name"], tuple(v for _, v in _strings(t.get("tags")))) for _, t in raw_feeds
                   if isinstance(t.get("name"), str)]
        known = sorted({n for n, _ in targets} | {tag for _, tags in targets for tag in tags})
        tables = self.doc.get("notifier")
        notifiers = list(tables) if isinstance(tables, dict) else []
        for i, raw in raw_watches:
            for j, pattern in _strings(raw.get("feeds")):
                if not any(_pattern_matches(pattern, n, tags) for n, tags in targets):
                    self.problem(("watch", i, "feeds", j), f"{show(pattern)} matches no feed "
                                 "name or tag" + _suggest(pattern, known))
            for j, name in _strings(raw.get("notify")):
                if name not in notifiers:
                    self.problem(("watch", i, "notify", j), _not_a_notifier(name, notifiers))
        settings = self.doc.get("veille")
        health = settings.get("health_notify") if isinstance(settings, dict) else None
        for j, name in _strings(health):
            if name not in notifiers:
                self.problem(("veille", "health_notify", j), _not_a_notifier(name, notifiers))

    def _unique(self, kind: str, tables: Sequence[tuple[int, Mapping[str, Any]]]) -> None:
        first: dict[str, int] = {}
        for i, raw in tables:
            name = raw.get("name")
            if isinstance(name, str) and name in first:
                self.problem((kind, i, "name"), f"{show(name)} is already the name of "
                                                f"{self._where((kind, first[name]))}")
            elif isinstance(name, str):
                first[name] = i


# ---- small helpers ---------------------------------------------------------------------------


def _valid(key: str, value: Any) -> bool:
    """Whether `key = value` alone passes the [veille] schema."""
    try:
        _VeilleSchema.model_validate({key: value})
    except ValidationError:
        return False
    return True


def _strings(value: Any) -> list[tuple[int, str]]:
    """The strings of a raw TOML list, with their positions; none if it is not a list."""
    if not isinstance(value, list):
        return []
    return [(i, v) for i, v in enumerate(value) if isinstance(v, str)]


def _pattern_matches(pattern: str, name: str, tags: Iterable[str]) -> bool:
    return pattern == name or fnmatchcase(name, pattern) or pattern in tags


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {show(close[0])}?" if close else ""


def _not_a_notifier(name: str, notifiers: Sequence[str]) -> str:
    hint = _suggest(name, notifiers) or (
        f"; notifiers: {', '.join(notifiers)}" if notifiers else
        f"; define it in a [notifier.{name}] table")
    return f"{show(name)} is not a notifier{hint}"


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


def _render(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _scheme_and_host(url: str) -> str:
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
    return f"{parts.scheme}://{host}/***" if host else "***"


def _url_key(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path or '/'}?{parts.query}"


def _count(number: int, noun: str) -> str:
    plural = noun + ("es" if noun.endswith(("ch", "x")) else "s")
    return f"{number} {noun if number == 1 else plural}"
