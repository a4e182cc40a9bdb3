"""Which watches an item matches, with which terms, and where (DESIGN "Matching").

The item is folded once and scanned once by one Aho-Corasick automaton holding every watch's
folded terms (keywords, `all`, `exclude`, query terms); hits count only as whole words, per
field. Each watch is then a boolean test over those hits (`monitor/query_compile.py`), run only
on the items where one of its trigger terms was found.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import ahocorasick

from monitor.fold import APOSTROPHES, DASHES, INVISIBLE, fold
from monitor.query import FIELDS, QueryError, check_refs, parse
from monitor.query_compile import (
    ALWAYS,
    BITS,
    DEFAULT_MASK,
    META_MASK,
    Atom,
    Compiled,
    Keys,
    Seen,
    Test,
    all_of,
    any_of,
    atom,
    compile_query,
    none_of,
)
from monitor.spans import FoldMap, Span, exact_spans, fold_map, merged, regex_spans, term_spans

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


def watch_problems(watch: WatchSpec, terms: Mapping[str, Sequence[str]] | None = None
                   ) -> list[str]:
    """Why `watch` cannot be compiled: one message per bad term, prefixed by its key path."""
    problems = []
    query = getattr(watch, "query", "") or ""
    if query:
        try:
            check_refs(parse(query), terms or {})
        except QueryError as error:
            problems.append(f"query: {error}")
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


@dataclass(frozen=True, slots=True)
class ItemText:
    """The texts of one item version as watches read them; `page` only with match_page."""

    title: str
    summary: str
    content: str
    page: str = ""
    link: str = ""
    feed: str = ""


def _legacy(watch: WatchSpec, keys: Keys) -> Compiled:
    """Today's keys as a query: (any keyword, regex or exact term, or none set) AND every
    `all` term AND no `exclude` term, over the title, summary and content."""
    def atoms(kind: str, terms: Sequence[str], needle: Callable[[str], str]) -> list[Compiled]:
        return [atom(keys, Atom(kind, needle(t), DEFAULT_MASK, t)) for t in terms]
    keywords, regexes = atoms("fold", watch.keywords, fold), atoms("regex", watch.regex, str)
    exact, required = atoms("exact", watch.exact, _exact_form), atoms("fold", watch.all, fold)
    any_terms = [*keywords, *regexes, *exact]
    parts = [any_of(any_terms), *required] if any_terms else list(required)
    if watch.exclude:
        parts.append(none_of(any_of(atoms("fold", watch.exclude, fold))))
    if not parts:
        return ALWAYS
    both = all_of(parts)
    # Reported in the order of the keys: keywords, `all`, regexes, exact terms.
    return Compiled(both.test, both.trigger, tuple(
        a for c in (*keywords, *required, *regexes, *exact) for a in c.atoms))


def _has_legacy(watch: WatchSpec) -> bool:
    return any((watch.keywords, watch.all, watch.exclude, watch.regex, watch.exact))


def compile_watch(watch: WatchSpec, keys: Keys, terms: Mapping[str, Sequence[str]]) -> Compiled:
    """`watch` as one test: its query (if any) AND its other keys (if any)."""
    text = getattr(watch, "query", "") or ""
    if not text:
        return _legacy(watch, keys)
    node = parse(text)
    check_refs(node, terms)
    compiled = compile_query(node, keys, terms)
    if not _has_legacy(watch):
        return compiled
    legacy = _legacy(watch, keys)
    # Report the query's terms first, then the keys' terms as today.
    both = all_of([compiled, legacy])
    return Compiled(both.test, both.trigger, compiled.atoms + legacy.atoms)


def _automaton(ids: Mapping[str, int]) -> Any:
    """An automaton finding every term of `ids`, with its key and length; None if none."""
    if not ids:
        return None
    automaton = ahocorasick.Automaton()
    for term, key in ids.items():
        automaton.add_word(term, (key, len(term)))
    automaton.make_automaton()
    return automaton


def _scan(automaton: Any, text: str, found: dict[int, int], bits: tuple[int, int, int],
          seps: tuple[int, int]) -> None:
    """Add to `found` (key → fields mask) the terms in `text` as whole words. `text` begins
    and ends with "\\n"; before index seps[0] is field bits[0], before seps[1] bits[1], then
    bits[2]."""
    if automaton is None:
        return
    first, second = seps
    for end, (key, length) in automaton.iter(text):
        bit = bits[0] if end < first else bits[1] if end < second else bits[2]
        if found.get(key, 0) & bit:
            continue
        # Whole word: neither neighbour is a word character (as regex \\w), whatever the term's
        # own first and last characters are, so that "C++" and "U.S." work too.
        before, after = text[end - length], text[end + 1]
        if not (before.isalnum() or before == "_" or after.isalnum() or after == "_"):
            found[key] = found.get(key, 0) | bit


def _seps(text: str) -> tuple[int, int]:
    """Where, in "\\n" + `text` + "\\n", the second and third fields of `text` begin."""
    first = text.find(_FIELDS)
    second = text.find(_FIELDS, first + 1) if first >= 0 else -1
    big = len(text) + 2
    return (first + 1 if first >= 0 else big, second + 1 if second >= 0 else big)


_MAIN_BITS = (BITS["title"], BITS["summary"], BITS["content"])
_EXTRA = (("page", BITS["page"]), ("link", BITS["link"]), ("feed", BITS["feed"]))


@dataclass(frozen=True, slots=True)
class _Watch:
    name: str
    test: Test
    atoms: tuple[tuple[int, Atom], ...]  # positive atoms, in report order


class Matcher:
    """The watches of one config, compiled once; `match` is called per item version."""

    def __init__(self, watches: Sequence[WatchSpec],
                 terms: Mapping[str, Sequence[str]] | None = None) -> None:
        terms = terms or {}
        problems = [f"watch {w.name!r}: {p}" for w in watches for p in watch_problems(w, terms)]
        if problems:
            raise ValueError("\n".join(problems))
        keys = Keys()
        compiled = [compile_watch(w, keys, terms) for w in watches]
        self._watches = tuple(_Watch(w.name, c.test, c.atoms)
                              for w, c in zip(watches, compiled, strict=True))
        # Terms looked for only in links and feed names (`link:fr`) are not scanned in the
        # text, where such short words are everywhere, and the text's terms not in links.
        self._folded = _automaton(keys.of_kind("fold", ~META_MASK))
        self._meta = _automaton(keys.of_kind("fold", META_MASK))
        self._exact = _automaton(keys.of_kind("exact"))
        self._regexes = tuple((key, re.compile(p, re.IGNORECASE), _regex_needles(p))
                              for p, key in keys.of_kind("regex").items())
        self._exact_words = tuple(tuple(term.split()) for term in keys.of_kind("exact"))
        self._by: dict[int, list[int]] = {}
        self._open: list[int] = []
        for position, c in enumerate(compiled):
            for key in c.trigger if c.trigger is not None else ():
                self._by.setdefault(key, []).append(position)
            if c.trigger is None:
                self._open.append(position)
        # Page, link and feed texts are folded and scanned only when some query names them.
        self._extra = tuple((name, bit) for name, bit in _EXTRA if keys.masks & bit)
        self._feeds: dict[str, tuple[str, dict[int, int]]] = {}

    def match(self, title: str, summary: str, content: str, *,
              only: Collection[str] | None = None, page: str = "", link: str = "",
              feed: str = "") -> dict[str, tuple[str, ...]]:
        """Watches matching the item, in config order, each with its terms as configured.

        A watch without `query` matches when one of its keywords, regexes or exact terms is
        found, or it has none, and all its `all` and none of its `exclude` terms are; a
        `query` must hold too. Terms: those of the positive branches found, in the order
        they are written (keywords, `all`, regexes, exact terms), without repeats. `only`:
        just the watches of those names.
        """
        allowed = None if only is None else set(only)
        if allowed is not None and not allowed:
            return {}
        seen = self._seen(title, summary, content, {"page": page, "link": link, "feed": feed})
        candidates = set(self._open)
        for key in seen.hits:
            candidates.update(self._by.get(key, ()))
        result: dict[str, tuple[str, ...]] = {}
        for position in sorted(candidates):
            watch = self._watches[position]
            if allowed is not None and watch.name not in allowed or not watch.test(seen):
                continue
            result[watch.name] = tuple(dict.fromkeys(
                a.shown for key, a in watch.atoms if seen.hits.get(key, 0) & a.mask))
        return result

    def _seen(self, title: str, summary: str, content: str, extra: Mapping[str, str]) -> Seen:
        raw = _FIELDS.join((title, summary, content))
        folded = fold(raw)
        fields = [field.strip() for field in folded.split(_FIELDS)]
        if len(fields) != 3:  # a NUL in the text itself: fold field by field
            fields = [fold(title), fold(summary), fold(content)]
            folded = _FIELDS.join(fields)
        hits: dict[int, int] = {}
        _scan(self._folded, f"\n{folded}\n", hits, _MAIN_BITS, _seps(folded))
        texts = dict(zip(_MAIN_BITS, fields, strict=True))
        for name, bit in self._extra:
            text, found = self._fold_extra(name, bit, extra[name])
            texts[bit] = text
            for key, mask in found.items():
                hits[key] = hits.get(key, 0) | mask
        for key, rx, needles in self._regexes:
            # Regexes see one field at a time, so that "^" and "$" mean something; most
            # items lack the literal part that every match needs, and skip the regex.
            if needles and not any(map(folded.__contains__, needles)):
                continue
            mask = sum(bit for bit, text in zip(_MAIN_BITS, fields, strict=True)
                       if rx.search(text))
            if mask:
                hits[key] = mask
        if self._exact is not None:
            self._exact_hits(raw, hits)
        return Seen(hits, texts)

    def _fold_extra(self, name: str, bit: int, text: str) -> tuple[str, dict[int, int]]:
        """A page, link or feed text folded and scanned; a feed's name, the same on each of
        its items, once."""
        if name == "feed" and text in self._feeds:
            return self._feeds[text]
        folded, found = fold(text), dict[int, int]()
        if folded:
            _scan(self._meta if bit & META_MASK else self._folded, f"\n{folded}\n", found,
                  (bit, bit, bit), (0, 0))
        if name == "feed":
            self._feeds[text] = (folded, found)
        return folded, found

    def _exact_hits(self, raw: str, hits: dict[int, int]) -> None:
        """Add the `exact` terms in the item's text `raw`, as whole words."""
        nfc = unicodedata.normalize("NFC", raw)
        # Without invisibles or cedilla letters, a term's words occur as such in the NFC text.
        if not any(map(nfc.__contains__, _JOINS_WORDS)) and not any(
                all(map(nfc.__contains__, words)) for words in self._exact_words):
            return
        form = _exact_form(nfc)
        _scan(self._exact, f"\n{form}\n", hits, _MAIN_BITS, _seps(form))

    def locate(self, names: Collection[str], item: ItemText) -> dict[str, list[Span]]:
        """Where the positive terms of the watches `names` occur in `item`: field → spans of
        that field's own text (code point offsets, end excluded), sorted, overlaps joined."""
        found: dict[str, list[Span]] = {}
        maps: dict[str, FoldMap | None] = {}
        for watch in self._watches:
            if watch.name not in names:
                continue
            for _, a in watch.atoms:
                for name in FIELDS:
                    text = getattr(item, name)
                    if not a.mask & BITS[name] or not text:
                        continue
                    if a.kind == "exact":
                        spans = exact_spans(text, tuple(a.needle.split()))
                    else:
                        if name not in maps:
                            maps[name] = fold_map(text)
                        mapped = maps[name]
                        if mapped is None:
                            continue
                        spans = term_spans(mapped, a.needle) if a.kind == "fold" else \
                            regex_spans(mapped, re.compile(a.needle, re.IGNORECASE))
                    found.setdefault(name, []).extend(spans)
        return {name: merged(spans) for name, spans in found.items() if spans}


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
