"""One reading of config.toml: parse the TOML, resolve `${NAME}`, validate each table, collect
every problem and every secret, then build the frozen records of `monitor.config`.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import quote, urlsplit

from pydantic import ValidationError

from monitor import __version__, config
from monitor.config import (
    Config,
    FeedConfig,
    HttpSettings,
    NotifierConfig,
    Settings,
    WatchConfig,
    _freeze,
    _redact,
)
from monitor.config_checks import _SECTIONS, Problems, cross_check
from monitor.config_schema import (
    _NAME,
    FirstRun,
    Follow,
    Loc,
    M,
    _FeedSchema,
    _NotifierSchema,
    _pydantic_message,
    _suggest,
    _valid,
    _VeilleSchema,
    _WatchSchema,
)
from monitor.durations import show, system_timezone
from monitor.errors import ConfigError
from notifiers import registry
from notifiers.base import COMMON_KEYS, NotifierConfigError

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SECRET_KEYS = frozenset({"password", "secret", "token", "authorization", "cookie",
                          "proxy-authorization", "api_key", "apikey", "api-key", "x-api-key",
                          "x-auth-token"})
# Option keys whose value is a secret for a given notifier type (chat URLs carry their token).
_SECRET_URLS = {"webhook": "url", "apprise": "urls"}


class _Loader(Problems):
    """One reading of one file: collects problems and secrets as it goes."""

    def __init__(self, path: Path, environ: Mapping[str, str]) -> None:
        super().__init__(str(path))
        self.path = path
        self.folder = path.absolute().parent
        self.environ = environ
        self.secrets: set[str] = set()

    def load(self) -> Config:
        self.raw = self._read()
        self.doc = self._resolve(self.raw, (), secret=False)
        for key in self.doc:
            if key not in _SECTIONS:
                self.problem((key,), "unknown key" + _suggest(key, _SECTIONS))
        settings = self._settings()
        raw_feeds, raw_watches = self._array("feed"), self._array("watch")
        feeds = [(i, self._feed(i, raw, settings)) for i, raw in raw_feeds]
        self.terms = self._terms()
        watches = [self._watch(i, raw) for i, raw in raw_watches]
        notifiers = self._notifiers()
        cross_check(self, raw_feeds, raw_watches, feeds)
        if self.problems:
            # Stable sort: each table's problems together, tables in file order.
            ordered = sorted(self.problems, key=lambda p: p[0])
            raise ConfigError([_redact(text, self.secrets) for _, text in ordered])
        return Config(
            path=self.path.absolute(),
            veille=settings,
            feeds=tuple(f for _, f in feeds if f is not None and f.enabled),
            paused=tuple(f for _, f in feeds if f is not None and not f.enabled),
            watches=tuple(w for w in watches if w is not None),
            notifiers=_freeze({n.name: n for n in notifiers}),
            secrets=frozenset(self.secrets),
            terms=_freeze(self.terms),
        )

    def _read(self) -> dict[str, Any]:
        try:
            with self.path.open("rb") as file:
                return tomllib.load(file)
        except OSError as exc:
            problem = f"cannot read the file: {exc.strerror or exc}"
        except UnicodeDecodeError:
            problem = "is not UTF-8 text"
        except tomllib.TOMLDecodeError as exc:
            from monitor.tomlerrors import describe

            problem = describe(exc, self.path.read_text(encoding="utf-8", errors="replace"))
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
            if f"{kind}.{key}" in config.NOT_SUPPORTED_YET:  # monitor.config owns it
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
            follow_max_per_feed=s.follow_max_per_feed,
            follow_max_per_host=s.follow_max_per_host,
            concurrency=s.concurrency,
            per_host=s.per_host,
            lease=s.lease,
            notifier_failing_after=s.notifier_failing_after,
            keep=s.keep,
            http=self._http(s),
        )

    def _http(self, s: _VeilleSchema) -> HttpSettings:
        """`[veille.http]`; a console reachable from other machines needs a secret to open it,
        and that secret comes from the environment, never from the file."""
        from monitor.console.access import is_loopback, parse_listen

        http = HttpSettings(listen=s.http.listen, token=s.http.token or None,
                            password_hash=s.http.password_hash or None)
        raw = self.raw.get("veille", {})
        raw = raw.get("http", {}) if isinstance(raw, dict) else {}
        raw = raw if isinstance(raw, dict) else {}
        for key in ("token", "password_hash"):
            if isinstance(raw.get(key), str) and not _ENV.search(raw[key]):
                self.problem(("veille", "http", key), "write it as \"${NAME}\" and set "
                             "NAME in the environment: a secret written in config.toml ends up "
                             "in backups and diffs")
        if http.password_hash:
            self._add_secrets(http.password_hash)
        if http.listen and not (http.token or http.password_hash) and \
                not is_loopback(parse_listen(http.listen)[0]):
            self.problem(("veille", "http", "listen"), f"{show(http.listen)} is reachable "
                         "from other machines: set token or password_hash (from ${NAME}) so "
                         "that only your team opens the console, or listen on 127.0.0.1")
        return http

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
            allow_private=s.allow_private if f.allow_private is None else f.allow_private,
            enabled=f.enabled,
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
            query=self._query(index, w.query),
            feeds=tuple(w.feeds) if w.feeds is not None else ("*",),
            on=frozenset(w.on),
            notify=tuple(w.notify),
            follow=cast(Follow | None, w.follow),
            follow_interval=w.follow_interval,
            follow_for=w.follow_for,
            match_page=w.match_page,
        )

    def _terms(self) -> dict[str, tuple[str, ...]]:
        """`[terms]`: NAME = ["term", …], the sets a query names as @NAME."""
        from monitor.fold import fold

        table = self.doc.get("terms", {})
        if not isinstance(table, dict):
            self.problem(("terms",), f"expected a [terms] table, got {show(table)}")
            return {}
        terms: dict[str, tuple[str, ...]] = {}
        for name, values in table.items():
            if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", name):
                self.problem(("terms", name), f"{show(name)} is not a valid name; use letters, "
                             'digits, "_", "-", "."')
            elif not isinstance(values, list) or not values:
                self.problem(("terms", name), f"expected a non-empty list of terms, got "
                             f"{show(values)}")
            elif bad := [j for j, v in enumerate(values)
                         if not isinstance(v, str) or not fold(v) or "\x00" in v]:
                for j in bad:
                    self.problem(("terms", name, j), f"{show(values[j])} has no word to look for")
            else:
                terms[name] = tuple(values)
        return terms

    def _query(self, index: int, query: str) -> str:
        """`query` once it parses and names known [terms]; a problem at its key otherwise."""
        from monitor.query import QueryError, check_refs, parse

        if query:
            try:
                check_refs(parse(query), self.terms)
            except QueryError as error:
                self.problem(("watch", index, "query"), str(error))
        return query

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


def _render(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _scheme_and_host(url: str) -> str:
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
    return f"{parts.scheme}://{host}/***" if host else "***"
