"""Which watches an item matches, and with which terms (DESIGN "Matching").

The item is folded once and scanned once by one Aho-Corasick automaton holding every watch's
folded keywords, `all` and `exclude` terms; hits count only as whole words.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import ahocorasick

from monitor.fold import APOSTROPHES, DASHES, INVISIBLE, fold

MatchStatus = Literal["added", "kept", "removed"]

# `exact` keeps case and accents, not the typography a reader does not see: invisibles,
# dash/apostrophe/space variants, and Romanian cedilla letters typed for comma letters.
_CEDILLAS = {"Ş": "Ș", "ş": "ș", "Ţ": "Ț", "ţ": "ț"}
_EXACT_TABLE = {**dict.fromkeys(INVISIBLE, ""), **dict.fromkeys(DASHES + APOSTROPHES, " "),
                **_CEDILLAS}
_NON_ASCII = re.compile("[^\x00-\x7f]")
_JOINS_WORDS = tuple(INVISIBLE + "".join(_CEDILLAS))
_PARSER: Any = importlib.import_module("re._parser")  # sre's own parse tree; private, optional
_FIELDS = "\x00"  # joins title, summary and content: kept by both foldings, never in a term


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
    """`text` as `exact` terms see it: NFC, typography unified, case and accents kept."""
    text = unicodedata.normalize("NFC", text)
    if not text.isascii():
        for char in set(_NON_ASCII.findall(text)):
            if char in _EXACT_TABLE:
                text = text.replace(char, _EXACT_TABLE[char])
    return " ".join(text.replace("-", " ").replace("'", " ").replace("`", " ").split())


def _needles(tree: Any) -> set[str]:
    """Strings, lower-case, one of which every match of the parse `tree` holds (empty: unknown).

    A run of ASCII literals, or the needles of a group, of a repeat done at least once, or of
    every branch. ASCII only: under IGNORECASE an ASCII letter also matches "ı", "İ", "ſ", "K"
    (Kelvin), which folded text never holds, and nothing else."""
    options: list[set[str]] = []
    run: list[str] = []
    for op, arg in [*tree, ("END", None)]:
        if str(op) == "LITERAL" and arg < 128:
            run.append(chr(arg).lower())
            continue
        options.append({"".join(run)} if run else set())
        run = []
        if str(op) == "SUBPATTERN":
            options.append(_needles(arg[3]))
        elif str(op) in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and arg[0] >= 1:
            options.append(_needles(arg[2]))
        elif str(op) == "BRANCH":
            branches = [_needles(branch) for branch in arg[1]]
            options.append(set().union(*branches) if all(branches) else set())
    return max((o for o in options if o), key=lambda o: min(map(len, o)), default=set())


def _regex_needles(pattern: str) -> tuple[str, ...]:
    """`_needles` of `pattern`, or () where sre's private parser is not as expected."""
    try:  # without needles, the regex simply runs on every item
        return tuple(_needles(_PARSER.parse(pattern)))
    except Exception:
        return ()


def watch_problems(watch: WatchSpec) -> list[str]:
    """Why `watch` cannot be compiled: one message per bad term, prefixed by its key path."""
    problems = []
    for key in ("keywords", "all", "exclude", "exact"):
        for i, term in enumerate(getattr(watch, key)):
            if not (_exact_form(term) if key == "exact" else fold(term)) or _FIELDS in term:
                problems.append(f"{key}[{i}]: {term!r} has no word to look for")
    for i, pattern in enumerate(watch.regex):
        try:
            re.compile(pattern)
        except re.error as error:
            problems.append(f"regex[{i}]: {pattern!r} is not a valid regex: {error}")
            continue
        # Escapes are ASCII: any other character is one the regex looks for in folded text.
        unseen = sorted({c for c in pattern if not c.isascii() and fold(c) != c.lower()})
        if unseen:
            problems.append(f"regex[{i}]: {pattern!r} runs on folded text, where {' '.join(unseen)}"
                            " never occur: write it unaccented, a space for a dash or apostrophe")
    return problems


def _number(ids: dict[str, int], term: str) -> int:
    """The id of `term` among the distinct terms `ids`, numbering it if it is new."""
    return ids.setdefault(term, len(ids))


def _automaton(ids: dict[str, int]) -> Any:
    """An automaton finding every term of `ids`, with its id and length; None if none."""
    if not ids:
        return None
    automaton = ahocorasick.Automaton()
    for term, term_id in ids.items():
        automaton.add_word(term, (term_id, len(term)))
    automaton.make_automaton()
    return automaton


def _scan(automaton: Any, text: str) -> set[int]:
    """Ids of the terms found in `text` as whole words; `text` must begin and end with "\\n"."""
    found: set[int] = set()
    if automaton is None:
        return found
    for end, (term_id, length) in automaton.iter(text):
        if term_id in found:
            continue
        # Whole word: neither neighbour is a word character (as regex \\w), whatever the term's
        # own first and last characters are, so that "C++" and "U.S." work too.
        before, after = text[end - length], text[end + 1]
        if not (before.isalnum() or before == "_" or after.isalnum() or after == "_"):
            found.add(term_id)
    return found


@dataclass(frozen=True, slots=True)
class _Watch:
    """One watch compiled: its any-of terms as configured with their ids, its gates as ids."""

    name: str
    keywords: tuple[tuple[str, int], ...]
    regex: tuple[tuple[str, int], ...]
    exact: tuple[tuple[str, int], ...]
    all: tuple[str, ...]
    all_ids: frozenset[int]
    exclude_ids: frozenset[int]


class Matcher:
    """The watches of one config, compiled once; `match` is called per item version."""

    def __init__(self, watches: Sequence[WatchSpec]) -> None:
        problems = [f"watch {w.name!r}: {p}" for w in watches for p in watch_problems(w)]
        if problems:
            raise ValueError("\n".join(problems))
        folded, patterns, exact = dict[str, int](), dict[str, int](), dict[str, int]()
        self._watches = tuple(_Watch(
            w.name, tuple((t, _number(folded, fold(t))) for t in w.keywords),
            tuple((p, _number(patterns, p)) for p in w.regex),
            tuple((t, _number(exact, _exact_form(t))) for t in w.exact),
            tuple(w.all), frozenset(_number(folded, fold(t)) for t in w.all),
            frozenset(_number(folded, fold(t)) for t in w.exclude)) for w in watches)
        self._folded, self._exact = _automaton(folded), _automaton(exact)
        self._regexes = tuple((re.compile(p, re.IGNORECASE), _regex_needles(p)) for p in patterns)
        self._exact_words = tuple(tuple(term.split()) for term in exact)
        # For each kind of any-of term, and each term id, the positions of the watches it wakes.
        self._by: dict[str, dict[int, list[int]]] = {"keywords": {}, "regex": {}, "exact": {}}
        for position, watch in enumerate(self._watches):
            for kind, by_id in self._by.items():
                for _, term_id in getattr(watch, kind):
                    by_id.setdefault(term_id, []).append(position)
        self._open = frozenset(i for i, w in enumerate(self._watches)
                               if not (w.keywords or w.regex or w.exact))

    def match(self, title: str, summary: str, content: str, *,
              only: Collection[str] | None = None) -> dict[str, tuple[str, ...]]:
        """Watches matching the item, in config order, each with its terms as configured.

        A watch matches when one of its keywords, regexes or exact terms is found, or it has
        none (so with empty keywords, regexes and exact terms decide), and all its `all` and
        none of its `exclude` terms are. Terms: keywords, `all`, regex patterns, exact terms,
        each in config order, without repeats. `only`: just the watches of those names.
        """
        allowed = None if only is None else set(only)
        if allowed is not None and not allowed:
            return {}
        raw = _FIELDS.join((title, summary, content))
        folded = fold(raw)
        fields = [field.strip() for field in folded.split(_FIELDS)]
        if len(fields) != 3:  # a NUL in the text itself: fold field by field
            fields = [fold(title), fold(summary), fold(content)]
            folded = _FIELDS.join(fields)
        hits = {"keywords": _scan(self._folded, f"\n{folded}\n"),
                # Regexes see one field at a time, so that "^" and "$" mean something; most
                # items lack the literal part that every match needs, and skip the regex.
                "regex": {i for i, (rx, needles) in enumerate(self._regexes)
                          if (not needles or any(map(folded.__contains__, needles)))
                          and any(map(rx.search, fields))},
                "exact": self._exact_hits(raw) if self._exact is not None else set()}
        candidates = set(self._open)
        for kind, found in hits.items():
            for term_id in found:
                candidates.update(self._by[kind].get(term_id, ()))
        words = hits["keywords"]
        result: dict[str, tuple[str, ...]] = {}
        for position in sorted(candidates):
            watch = self._watches[position]
            if allowed is not None and watch.name not in allowed \
                    or not words.isdisjoint(watch.exclude_ids) or not watch.all_ids <= words:
                continue
            result[watch.name] = tuple(dict.fromkeys([
                *(term for term, i in watch.keywords if i in words), *watch.all,
                *(term for term, i in watch.regex if i in hits["regex"]),
                *(term for term, i in watch.exact if i in hits["exact"])]))
        return result

    def _exact_hits(self, raw: str) -> set[int]:
        """Ids of the `exact` terms in the item's text `raw`, as whole words."""
        nfc = unicodedata.normalize("NFC", raw)
        # Without invisibles or cedilla letters, a term's words occur as such in the NFC text.
        if not any(map(nfc.__contains__, _JOINS_WORDS)) and not any(
                all(map(nfc.__contains__, words)) for words in self._exact_words):
            return set()
        return _scan(self._exact, f"\n{_exact_form(nfc)}\n")


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
    status: MatchStatus = "added" if any(name not in previous for name in current) \
        else "kept" if current else "removed"
    return status, {**previous, **current}
