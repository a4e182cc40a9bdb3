"""The pydantic schema of config.toml: the shape and the values of each table, and how a
schema error reads. Each value checker raises ValueError with the text the user sees.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
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
)
from monitor.fold import fold

DEFAULT_USER_AGENT = f"veille/{__version__} (+https://github.com/veille)"
FirstRun = Literal["baseline", "notify"]
Follow = bool | Literal["all"]
Loc = tuple[str | int, ...]  # a key path in the file: ("feed", 2, "headers", "Accept")
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


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


def _lease(value: object) -> float:
    seconds = parse_duration(value)
    if not 4 <= seconds <= 3600:
        raise ValueError(f"{show(value)} is not between 4s and 1h; use e.g. 60s")
    return seconds


def _keep(value: object) -> float:
    # Flapping is told from versions of the last 24 hours: retention must not reach them.
    seconds = parse_duration(value)
    if seconds < 86400:
        raise ValueError(f"{show(value)} is shorter than 1d; keep at least a day, e.g. 365d")
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


def _password_hash(value: object) -> str:
    from monitor.console.access import check_password_hash

    check_password_hash(_string(value))
    return cast(str, value)


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


def _listen(value: object) -> str:
    from monitor.console.access import parse_listen  # one grammar for the schema and the server

    text = _string(value)
    if text:
        parse_listen(text)
    return text


class _HttpSchema(_Schema):
    listen: Annotated[str, _checked(_listen)] = "127.0.0.1:8080"
    token: Annotated[str | None, _checked(_one_line)] = None
    password_hash: Annotated[str | None, _checked(_password_hash)] = None


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
    follow_max_per_feed: _Count = 500
    follow_max_per_host: _Count = 1000
    concurrency: _Count = 20
    per_host: _Count = 2
    lease: Annotated[float, _checked(_lease)] = 60.0
    notifier_failing_after: _Positive = 1800.0
    keep: Annotated[float | None, _checked(_keep)] = None
    http: _HttpSchema = _HttpSchema()


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
    allow_private: bool | None = None
    enabled: bool = True


class _WatchSchema(_Schema):
    name: _Name
    keywords: _Keywords = []
    all: _Keywords = []
    exclude: _Keywords = []
    regex: list[Annotated[str, _checked(_match_regex)]] = []
    exact: _Keywords = []
    query: str = ""
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


def _valid(key: str, value: Any) -> bool:
    """Whether `key = value` alone passes the [veille] schema."""
    try:
        _VeilleSchema.model_validate({key: value})
    except ValidationError:
        return False
    return True


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {show(close[0])}?" if close else ""
