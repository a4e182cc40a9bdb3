"""The problems of one config.toml, each worded with where it is (`feed[2] (nato-en).url`), and
the checks across tables: duplicate names and URLs, watch or health targets that point at nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, cast
from urllib.parse import urlsplit

from monitor.config import FeedConfig, _pattern_matches
from monitor.config_schema import Loc, _suggest
from monitor.durations import show

_SECTIONS = ("veille", "feed", "watch", "notifier", "terms")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class Problems:
    """The problems found in one file so far, each worded with where it is."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.problems: list[tuple[tuple[int, int], str]] = []  # (where in the file, text)
        self.unresolved: set[Loc] = set()
        self.doc: dict[str, Any] = {}

    def problem(self, loc: Loc, message: str, tail: str = "") -> None:
        """Record one problem at `loc` (+ a key path `tail` as a notifier spelled it)."""
        first = re.match(r"[^.\[]*", tail)
        full = loc + ((first.group(),) if first and first.group() else ())
        if any(full[: len(u)] == u for u in self.unresolved):
            return  # already reported: the environment variable it needs is not set
        where = self.where(loc) + (f".{tail}" if tail else "")
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

    def where(self, loc: Loc) -> str:
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


def cross_check(report: Problems, raw_feeds: Sequence[tuple[int, Mapping[str, Any]]],
                raw_watches: Sequence[tuple[int, Mapping[str, Any]]],
                feeds: Sequence[tuple[int, FeedConfig | None]]) -> None:
    """What no single table can tell: duplicates, and names that point at nothing.

    Names are read from the raw tables, so that one wrong key in a table does not hide
    (or invent) a problem elsewhere.
    """
    _unique(report, "feed", raw_feeds)
    _unique(report, "watch", raw_watches)
    urls: dict[tuple[str, frozenset[tuple[str, str]]], int] = {}
    for i, f in feeds:
        if f is None:
            continue
        key = (_url_key(f.url), frozenset((k.lower(), v) for k, v in f.headers.items()))
        if key in urls:
            report.problem(("feed", i, "url"), "same URL and headers as "
                           f"{report.where(('feed', urls[key]))}; keep one feed (it can carry "
                           "several tags)")
        urls.setdefault(key, i)
    targets = [(t["name"], tuple(v for _, v in _strings(t.get("tags")))) for _, t in raw_feeds
               if isinstance(t.get("name"), str)]
    known = sorted({n for n, _ in targets} | {tag for _, tags in targets for tag in tags})
    tables = report.doc.get("notifier")
    notifiers = list(tables) if isinstance(tables, dict) else []
    for i, raw in raw_watches:
        for j, pattern in _strings(raw.get("feeds")):
            if not any(_pattern_matches(pattern, n, tags) for n, tags in targets):
                report.problem(("watch", i, "feeds", j), f"{show(pattern)} matches no feed "
                               "name or tag" + _suggest(pattern, known))
        for j, name in _strings(raw.get("notify")):
            if name not in notifiers:
                report.problem(("watch", i, "notify", j), _not_a_notifier(name, notifiers))
    settings = report.doc.get("veille")
    health = settings.get("health_notify") if isinstance(settings, dict) else None
    for j, name in _strings(health):
        if name not in notifiers:
            report.problem(("veille", "health_notify", j), _not_a_notifier(name, notifiers))


def _unique(report: Problems, kind: str, tables: Sequence[tuple[int, Mapping[str, Any]]]) -> None:
    first: dict[str, int] = {}
    for i, raw in tables:
        name = raw.get("name")
        if isinstance(name, str) and name in first:
            report.problem((kind, i, "name"), f"{show(name)} is already the name of "
                                              f"{report.where((kind, first[name]))}")
        elif isinstance(name, str):
            first[name] = i


def _strings(value: Any) -> list[tuple[int, str]]:
    """The strings of a raw TOML list, with their positions; none if it is not a list."""
    if not isinstance(value, list):
        return []
    return [(i, v) for i, v in enumerate(value) if isinstance(v, str)]


def _not_a_notifier(name: str, notifiers: Sequence[str]) -> str:
    hint = _suggest(name, notifiers) or (
        f"; notifiers: {', '.join(notifiers)}" if notifiers else
        f"; define it in a [notifier.{name}] table")
    return f"{show(name)} is not a notifier{hint}"


def _url_key(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path or '/'}?{parts.query}"
