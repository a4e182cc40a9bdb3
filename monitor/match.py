"""Which watches an item matches, and with which terms (DESIGN "Matching").

Each text is folded once and scanned once by one Aho-Corasick automaton holding every watch's
folded keywords, `all` and `exclude` terms; hits count only as whole words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import ahocorasick

from monitor.fold import APOSTROPHES, DASHES, INVISIBLE, fold

MatchStatus = Literal["added", "kept", "removed"]

# `exact` keeps case and accents, but not the typography a reader does not see: invisibles,
# dash/apostrophe/space variants, and Romanian cedilla letters written for comma letters.
_EXACT_TABLE = {**dict.fromkeys(INVISIBLE, ""), **dict.fromkeys(DASHES + APOSTROPHES, " "),
                "Ş": "Ș", "ş": "ș", "Ţ": "Ț", "ţ": "ț"}
_NON_ASCII = re.compile("[^\x00-\x7f]")


class WatchSpec(Protocol):
    """What matching needs of a `[[watch]]`; the config's watch objects satisfy it."""

    @property
    def name(self) -> str: ...
    @property
    def keywords(self) -> Sequence[str]: ...
    @property
    def all(self) -> Sequence[str]: ...
    @property
    def exclude(self) -> Sequence[str]: ...
    @property
    def regex(self) -> Sequence[str]: ...
    @property
    def exact(self) -> Sequence[str]: ...


def _exact_form(text: str) -> str:
    """`text` for `exact` terms: NFC, typography unified, case and accents kept."""
    text = unicodedata.normalize("NFC", text)
    if not text.isascii():
        for char in set(_NON_ASCII.findall(text)):
            if char in _EXACT_TABLE:
                text = text.replace(char, _EXACT_TABLE[char])
    return " ".join(text.replace("-", " ").replace("'", " ").replace("`", " ").split())


def watch_problems(watch: WatchSpec) -> list[str]:
    """Why `watch` cannot be compiled: one message per bad term, prefixed by its key path."""
    problems = []
    for key in ("keywords", "all", "exclude"):
        for i, term in enumerate(getattr(watch, key)):
            if not fold(term):
                problems.append(f"{key}[{i}]: {term!r} is empty once folded")
    for i, term in enumerate(watch.exact):
        if not _exact_form(term):
            problems.append(f"exact[{i}]: {term!r} is empty")
    for i, pattern in enumerate(watch.regex):
        try:
            re.compile(pattern)
        except re.error as error:
            problems.append(f"regex[{i}]: {pattern!r} is not a valid regex: {error}")
            continue
        unfoldable = sorted({c for c in pattern if not c.isascii() and fold(c) != c.casefold()})
        if unfoldable:
            problems.append(f"regex[{i}]: {pattern!r} runs on folded text, where "
                            f"{' '.join(unfoldable)} never appear; write it unaccented")
    return problems


class _Terms:
    """Distinct normalised terms, numbered, and the automaton that finds them."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def add(self, term: str) -> int:
        return self.ids.setdefault(term, len(self.ids))

    def automaton(self) -> Any:
        automaton = ahocorasick.Automaton()
        for term, term_id in self.ids.items():
            automaton.add_word(term, (term_id, len(term)))
        automaton.make_automaton()
        return automaton


def _scan(automaton: Any, text: str) -> set[int]:
    """Ids of the terms found in `text` as whole words; `text` must begin and end with "\\n"."""
    found: set[int] = set()
    for end, (term_id, length) in automaton.iter(text):
        if term_id in found:
            continue
        # Whole word: neither neighbour is a word character (as regex \w), whatever the term's
        # own first and last characters are, so "C++" and "U.S." work too.
        before, after = text[end - length], text[end + 1]
        if not (before.isalnum() or before == "_" or after.isalnum() or after == "_"):
            found.add(term_id)
    return found


@dataclass(frozen=True, slots=True)
class _Watch:
    """One watch compiled: each term as configured with its id in its automaton."""

    name: str
    keywords: tuple[tuple[str, int], ...]
    all: tuple[tuple[str, int], ...]
    exclude: tuple[int, ...]
    regex: tuple[tuple[str, re.Pattern[str]], ...]
    exact: tuple[tuple[str, int], ...]

    @property
    def open(self) -> bool:
        """No keyword, regex nor exact term: every item passes the any-of test."""
        return not (self.keywords or self.regex or self.exact)


class Matcher:
    """The watches of one config, compiled once; `match` is called per item version."""

    def __init__(self, watches: Sequence[WatchSpec]) -> None:
        problems = [f"watch {w.name!r}: {p}" for w in watches for p in watch_problems(w)]
        if problems:
            raise ValueError("\n".join(problems))
        folded, exact = _Terms(), _Terms()
        compiled = []
        for w in watches:
            compiled.append(_Watch(
                w.name,
                tuple((t, folded.add(fold(t))) for t in w.keywords),
                tuple((t, folded.add(fold(t))) for t in w.all),
                tuple(folded.add(fold(t)) for t in w.exclude),
                tuple((p, re.compile(p, re.IGNORECASE)) for p in w.regex),
                tuple((t, exact.add(_exact_form(t))) for t in w.exact),
            ))
        self._watches = tuple(compiled)
        self._folded = folded.automaton() if folded.ids else None
        self._exact = exact.automaton() if exact.ids else None
        by_term: dict[int, list[int]] = {}
        for index, watch in enumerate(compiled):
            for _, term_id in watch.keywords:
                by_term.setdefault(term_id, []).append(index)
        self._by_keyword = {term_id: tuple(indexes) for term_id, indexes in by_term.items()}
        # Evaluated on every item: their regexes, exact terms or emptiness may match it.
        self._always = frozenset(i for i, w in enumerate(compiled)
                                 if w.open or w.regex or w.exact)

    def match(self, title: str, summary: str, content: str, *,
              only: Collection[str] | None = None) -> dict[str, tuple[str, ...]]:
        """Watches matching the item, in config order, each with its terms as configured.

        Terms are listed keywords first, then `all`, regex patterns and `exact` terms, in
        config order without repeats; a watch with none of keywords, regex and exact (nor
        `all`) lists none. `only` restricts the answer to the watches of those names.
        """
        allowed = None if only is None else set(only)
        if allowed is not None and not allowed:
            return {}
        fields = (fold(title), fold(summary), fold(content))
        # "\n" never occurs in a folded term, so no hit spans two fields.
        found = _scan(self._folded, f"\n{fields[0]}\n{fields[1]}\n{fields[2]}\n") \
            if self._folded is not None else set()
        candidates = set(self._always)
        for term_id in found:
            candidates.update(self._by_keyword.get(term_id, ()))
        exact_found: set[int] | None = None
        result: dict[str, tuple[str, ...]] = {}
        for index in sorted(candidates):
            watch = self._watches[index]
            if allowed is not None and watch.name not in allowed:
                continue
            if any(t in found for t in watch.exclude) or \
                    not all(t in found for _, t in watch.all):
                continue
            keywords = [term for term, t in watch.keywords if t in found]
            # Regexes see one field at a time, so that "^" and "$" mean something.
            patterns = [p for p, rx in watch.regex if any(rx.search(f) for f in fields)]
            exacts: list[str] = []
            if watch.exact:
                if exact_found is None:
                    exact_found = _scan(self._exact, "\n" + "\n".join(
                        _exact_form(f) for f in (title, summary, content)) + "\n")
                exacts = [term for term, t in watch.exact if t in exact_found]
            if keywords or patterns or exacts or watch.open:
                result[watch.name] = tuple(dict.fromkeys(
                    [*keywords, *(term for term, _ in watch.all), *patterns, *exacts]))
        return result


def describe_match(previous: Mapping[str, tuple[str, ...]],
                   current: Mapping[str, tuple[str, ...]]
                   ) -> tuple[MatchStatus, dict[str, tuple[str, ...]]]:
    """Status of a revision for the watches matching either version, and the terms to report.

    `added` if a watch matches the new version and not the previous one, else `kept` if a
    watch matches both (even with other terms), else `removed`. Each watch reports the terms
    of the new version, or of the previous one where only that matched. Pass the watches of
    one alert (one notifier). Raises ValueError when neither version matches: no alert.
    """
    if not previous and not current:
        raise ValueError("no watch matches either version: there is nothing to alert")
    if any(name not in previous for name in current):
        status: MatchStatus = "added"
    elif current:
        status = "kept"
    else:
        status = "removed"
    report = dict(current)
    for name, terms in previous.items():
        report.setdefault(name, terms)
    return status, report
