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


def _parse(pattern: str) -> Any:
    """sre's parse tree of a valid `pattern`, or None if that private API is not as expected."""
    try:  # re._parser is private: without it, regexes simply run on every item
        return _PARSER.parse(pattern) if isinstance(_PARSER.parse(pattern).state.flags, int) \
            else None
    except Exception:
        return None


def _needles(tree: Any) -> set[str]:
    """Strings one of which every match of the parse `tree` contains (empty: not known).

    Sound, not complete: a run of literals, or the needles of a group, of a repeat done at
    least once, or of every branch of an alternation, never under IGNORECASE.
    """
    if tree is None or tree.state.flags & re.IGNORECASE:
        return set()
    options: list[set[str]] = []
    run: list[str] = []
    for op, arg in [*tree, ("END", None)]:
        if str(op) == "LITERAL":
            run.append(chr(arg))
            continue
        options.append({"".join(run)} if run else set())
        run = []
        if str(op) == "SUBPATTERN" and not arg[1] & re.IGNORECASE:
            options.append(_needles(arg[3]))
        elif str(op) in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and arg[0] >= 1:
            options.append(_needles(arg[2]))
        elif str(op) == "BRANCH":
            branches = [_needles(branch) for branch in arg[1]]
            options.append(set().union(*branches) if all(branches) else set())
    return max((o for o in options if o), key=lambda o: min(map(len, o)), default=set())


def _literals(node: Any) -> set[str]:
    """Every character that the parse tree `node` matches literally somewhere."""
    if isinstance(node, tuple) and len(node) == 2 and str(node[0]) == "LITERAL":
        return {chr(node[1])}
    items = node.data if hasattr(node, "data") else node if isinstance(node, list | tuple) else ()
    return set().union(*map(_literals, items))


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
        tree = _parse(pattern)
        nocase = tree is not None and tree.state.flags & re.IGNORECASE
        unseen = sorted(c for c in _literals(tree) if c != " "
                        and fold(c) not in (c, c.lower() if nocase else c))
        if unseen:
            problems.append(f"regex[{i}]: {pattern!r} runs on folded text, where "
                            f"{' '.join(map(repr, unseen))} never occur: write it lower-case "
                            "and unaccented, with a space for a dash or an apostrophe")
    return problems


class _Terms:
    """Distinct normalised terms, numbered, and the automaton that finds them."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def add(self, term: str) -> int:
        return self.ids.setdefault(term, len(self.ids))

    def automaton(self) -> Any:
        if not self.ids:
            return None
        automaton = ahocorasick.Automaton()
        for term, term_id in self.ids.items():
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
        folded, patterns, exact = _Terms(), _Terms(), _Terms()
        self._watches = tuple(_Watch(
            w.name, tuple((t, folded.add(fold(t))) for t in w.keywords),
            tuple((p, patterns.add(p)) for p in w.regex),
            tuple((t, exact.add(_exact_form(t))) for t in w.exact),
            tuple(w.all), frozenset(folded.add(fold(t)) for t in w.all),
            frozenset(folded.add(fold(t)) for t in w.exclude)) for w in watches)
        self._folded, self._exact = folded.automaton(), exact.automaton()
        self._regexes = tuple((re.compile(p), tuple(_needles(_parse(p)))) for p in patterns.ids)
        self._exact_words = tuple(tuple(term.split()) for term in exact.ids)
        # For each kind of any-of term, and each term id, the positions of the watches it wakes.
        self._by: dict[str, dict[int, list[int]]] = {"keywords": {}, "regex": {}, "exact": {}}
        for position, watch in enumerate(self._watches):
            for kind, by_id in self._by.items():
                for _, term_id in getattr(watch, kind):
                    by_id.setdefault(term_id, []).append(position)
        # With no keyword, regex nor exact term, a watch passes the any-of test on every item.
        self._open = frozenset(i for i, w in enumerate(self._watches)
                               if not (w.keywords or w.regex or w.exact))

    def match(self, title: str, summary: str, content: str, *,
              only: Collection[str] | None = None) -> dict[str, tuple[str, ...]]:
        """Watches matching the item, in config order, each with its terms as configured.

        Terms are listed keywords first, then `all`, regex patterns and `exact` terms, in
        config order without repeats; a watch with no keyword, regex or exact term lists its
        `all` terms only. `only` restricts the answer to the watches of those names.
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
        # Without invisibles or cedilla letters, each word of a term occurs as such in the NFC
        # text wherever the term occurs: most items are ruled out without normalising them.
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
