"""A query tree compiled for the matcher: atoms numbered for the one Aho-Corasick pass, and a
boolean test over what that pass found.

Every atom is a key (a folded term, a regex, an exact term) with a mask of the fields it is
looked for in; the pass gives, per key, the mask of the fields where it was found. A watch is
only evaluated when one of its trigger keys was found, unless it has none (`NOT x` alone).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from monitor.fold import fold
from monitor.query import DEFAULT_FIELDS, FIELDS, And, Field, Near, Node, Not, Or, Ref, Term

BITS = {name: 1 << i for i, name in enumerate(FIELDS)}
DEFAULT_MASK = sum(BITS[name] for name in DEFAULT_FIELDS)
_WORD = re.compile(r"\w+")


@dataclass(slots=True)
class Seen:
    """What the pass found in one item: key → mask of fields; the folded text of each field
    (by bit) for NEAR, and its word starts once computed."""

    hits: dict[int, int]
    texts: Mapping[int, str]
    words: dict[int, list[int]] = field(default_factory=dict)

    def word_starts(self, bit: int) -> list[int]:
        starts = self.words.get(bit)
        if starts is None:
            starts = self.words[bit] = [m.start() for m in _WORD.finditer(self.texts[bit])]
        return starts


Test = Callable[[Seen], bool]


@dataclass(frozen=True, slots=True)
class Atom:
    """One thing a watch looks for: `kind` fold|regex|exact, its `needle` as the pass sees
    it, the fields `mask`, and `shown`, the term as configured (reported in `matched`)."""

    kind: str
    needle: str
    mask: int
    shown: str


@dataclass
class Keys:
    """The distinct (kind, needle) of every watch, numbered: one number per automaton entry."""

    ids: dict[tuple[str, str], int] = field(default_factory=dict)
    masks: int = 0  # every field some atom is looked for in
    key_masks: dict[int, int] = field(default_factory=dict)  # key -> fields it is looked for in

    def of(self, kind: str, needle: str) -> int:
        return self.ids.setdefault((kind, needle), len(self.ids))

    def of_kind(self, kind: str, fields: int = -1) -> dict[str, int]:
        """The needles of `kind` looked for in one of `fields` (a mask), with their keys."""
        return {needle: key for (k, needle), key in self.ids.items()
                if k == kind and self.key_masks.get(key, 0) & fields}


@dataclass(frozen=True, slots=True)
class Compiled:
    """A test, its trigger keys (None: evaluate on every item), its positive atoms (those
    reported when found) and its negated ones (positive again under one more NOT)."""

    test: Test
    trigger: frozenset[int] | None
    atoms: tuple[tuple[int, Atom], ...]
    negated: tuple[tuple[int, Atom], ...] = ()
    single: tuple[int, int] | None = None  # (key, mask) when the test is one atom's


def atom(keys: Keys, item: Atom) -> Compiled:
    """The test that `item` is found in one of its fields."""
    key, mask = keys.of(item.kind, item.needle), item.mask
    keys.masks |= mask
    keys.key_masks[key] = keys.key_masks.get(key, 0) | mask

    def found(seen: Seen) -> bool:
        return bool(seen.hits.get(key, 0) & mask)
    return Compiled(found, frozenset({key}), ((key, item),), (), (key, mask))


# Tests are called per candidate watch per item: small arities get a closure of their own,
# and an OR of atoms is one loop over (key, mask) pairs, not one call per atom.
def _either(tests: tuple[Test, ...]) -> Test:
    if len(tests) == 2:
        a, b = tests
        return lambda seen: a(seen) or b(seen)
    return lambda seen: any(test(seen) for test in tests)


def _both(tests: tuple[Test, ...]) -> Test:
    if len(tests) == 2:
        a, b = tests
        return lambda seen: a(seen) and b(seen)
    if len(tests) == 3:
        a, b, c = tests
        return lambda seen: a(seen) and b(seen) and c(seen)
    return lambda seen: all(test(seen) for test in tests)


def _any_atom(pairs: tuple[tuple[int, int], ...]) -> Test:
    def found(seen: Seen) -> bool:
        hits = seen.hits
        for key, mask in pairs:
            if hits.get(key, 0) & mask:
                return True
        return False
    return found


def any_of(parts: Sequence[Compiled]) -> Compiled:
    if len(parts) == 1:
        return parts[0]
    singles = tuple(p.single for p in parts if p.single is not None)
    others = tuple(p.test for p in parts if p.single is None)
    tests = ((_any_atom(singles),) if singles else ()) + others
    triggers = [p.trigger for p in parts]
    trigger = None if any(t is None for t in triggers) else frozenset().union(
        *(t for t in triggers if t is not None))
    return Compiled(tests[0] if len(tests) == 1 else _either(tests), trigger,
                    tuple(a for p in parts for a in p.atoms),
                    tuple(a for p in parts for a in p.negated))


META_MASK = BITS["link"] | BITS["feed"]
_META = META_MASK


def _cost(part: Compiled) -> tuple[bool, int]:
    """How often `part`'s trigger may wake its watch: a link or feed name holds the same few
    words on every item (`link:fr`), so text terms are better triggers; then fewer keys."""
    trigger = part.trigger or frozenset()
    return all(a.mask & ~_META == 0 for _, a in part.atoms), len(trigger)


def all_of(parts: Sequence[Compiled]) -> Compiled:
    if len(parts) == 1:
        return parts[0]
    # The trigger is checked first: it is the part most likely false.
    known = [p for p in parts if p.trigger is not None]
    first = min(known, key=_cost) if known else None
    tests = tuple(p.test for p in sorted(parts, key=lambda p: p is not first))
    return Compiled(_both(tests),
                    first.trigger if first is not None else None,
                    tuple(a for p in parts for a in p.atoms),
                    tuple(a for p in parts for a in p.negated))


def none_of(part: Compiled) -> Compiled:
    test = part.test
    return Compiled(lambda seen: not test(seen), None, part.negated, part.atoms)


ALWAYS = Compiled(lambda seen: True, None, ())


def compile_query(node: Node, keys: Keys, terms: Mapping[str, Sequence[str]],
                  mask: int = DEFAULT_MASK) -> Compiled:
    """`node` as a test; `@name` reads `terms` (checked beforehand: see query.check_refs)."""
    if isinstance(node, Term):
        return atom(keys, Atom("fold", fold(node.text), mask, node.text))
    if isinstance(node, Ref):
        return any_of([atom(keys, Atom("fold", fold(t), mask, t)) for t in terms[node.name]])
    if isinstance(node, Not):
        return none_of(compile_query(node.child, keys, terms, mask))
    if isinstance(node, And):
        return all_of([compile_query(c, keys, terms, mask) for c in node.children])
    if isinstance(node, Or):
        return any_of([compile_query(c, keys, terms, mask) for c in node.children])
    if isinstance(node, Field):
        return compile_query(node.child, keys, terms, BITS[node.name])
    return _near(node, keys, terms, mask)


def _alternatives(node: Node, terms: Mapping[str, Sequence[str]]) -> list[str]:
    """The terms, as configured, one of which a NEAR side is."""
    if isinstance(node, Term):
        return [node.text]
    if isinstance(node, Ref):
        return list(terms[node.name])
    assert isinstance(node, Or)
    return [t for child in node.children for t in _alternatives(child, terms)]


def _near(node: Near, keys: Keys, terms: Mapping[str, Sequence[str]], mask: int) -> Compiled:
    sides = []
    for side in (node.left, node.right):
        shown = _alternatives(side, terms)
        sides.append(any_of([atom(keys, Atom("fold", fold(t), mask, t)) for t in shown]))
    left = tuple((keys.of("fold", a.needle), a.needle) for _, a in sides[0].atoms)
    right = tuple((keys.of("fold", a.needle), a.needle) for _, a in sides[1].atoms)
    distance = node.distance

    def near(seen: Seen) -> bool:
        hits = seen.hits
        common = mask & _fields(hits, left) & _fields(hits, right)
        bit = 1
        while common >= bit:
            if common & bit and _close(seen, bit, left, right, distance):
                return True
            bit <<= 1
        return False
    trigger = sides[0].trigger
    return Compiled(near, trigger, sides[0].atoms + sides[1].atoms)


def _fields(hits: Mapping[int, int], side: Sequence[tuple[int, str]]) -> int:
    mask = 0
    for key, _ in side:
        mask |= hits.get(key, 0)
    return mask


def _occurrences(seen: Seen, bit: int, side: Sequence[tuple[int, str]]) -> list[tuple[int, int]]:
    """(first word, last word) of every whole-word occurrence of the side's terms."""
    text, starts, out = seen.texts[bit], seen.word_starts(bit), []
    for _, needle in side:
        position = text.find(needle)
        while position >= 0:
            end = position + len(needle)
            before = text[position - 1] if position else " "
            after = text[end] if end < len(text) else " "
            if not (before.isalnum() or before == "_" or after.isalnum() or after == "_"):
                first = max(bisect_right(starts, position) - 1, 0)
                out.append((first, max(bisect_right(starts, end - 1) - 1, first)))
            position = text.find(needle, position + 1)
    return out


def _close(seen: Seen, bit: int, left: Sequence[tuple[int, str]],
           right: Sequence[tuple[int, str]], distance: int) -> bool:
    """Whether an occurrence of each side has at most `distance` words between them."""
    theirs = _occurrences(seen, bit, right)
    for a_first, a_last in _occurrences(seen, bit, left):
        for b_first, b_last in theirs:
            between = b_first - a_last - 1 if b_first > a_last else a_first - b_last - 1
            if between <= distance:
                return True
    return False
