"""content_hash, fingerprint and volatile text: what makes a new version, what may alert."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.diff import diff
from monitor.fingerprint import (
    RULES_VERSION,
    content_hash,
    fingerprint,
    is_current,
    strip_volatile,
)
from monitor.fold import FOLD_VERSION
from monitor.records import Entry

CEST = timezone(timedelta(hours=2))
VIEWS = re.compile(r"Vu \d+ fois", re.IGNORECASE)

SEED = Entry(
    key="https://www.nato.int/cps/fr/natohq/news_225921.htm",
    guid="https://www.nato.int/cps/fr/natohq/news_225921.htm",
    link="https://nato.int/cps/fr/natohq/news_225921.htm",
    display_link="https://www.nato.int/cps/fr/natohq/news_225921.htm?selectedLocale=fr",
    title="Le Secrétaire général de l’OTAN reçoit le président de la République de Corée",
    summary="Le Secrétaire général de l’OTAN, Jens Stoltenberg, a reçu le président de la "
            "République de Corée, Yoon Suk Yeol, au siège de l’OTAN. Vu 123 fois",
    content="Le Secrétaire général de l’OTAN a reçu jeudi le président Yoon Suk Yeol.\n\n"
            "Ils ont évoqué la coopération avec les partenaires de l’Indo-Pacifique.",
    published=datetime(2024, 5, 22, 14, 0, tzinfo=UTC),
    updated=datetime(2024, 5, 23, 5, 58, tzinfo=UTC),
)


@dataclass
class StoredRow:
    """A storage row as SQLite may give it back: NULL texts, naive UTC dates."""

    title: str | None
    link: str | None
    summary: str | None
    content: str | None
    published: datetime | None
    updated: datetime | None


class TestStripVolatile:
    """ignore_text patterns are removed from the text as written, case-insensitively."""

    def test_removes_every_match(self) -> None:
        text = "Vu 123 fois. Le sommet de Washington. Vu 45 fois"
        assert strip_volatile(text, [VIEWS]) == ". Le sommet de Washington. "

    def test_is_case_insensitive_however_compiled(self) -> None:
        assert strip_volatile("Article vu 124 FOIS", [re.compile(r"Vu \d+ fois")]) == "Article "

    def test_applies_each_pattern(self) -> None:
        patterns = [VIEWS, re.compile(r"Mis à jour le: [^\n]*")]
        text = "Mis à jour le: 23 May. 2024 07:58\nTexte. Vu 9 fois"
        assert strip_volatile(text, patterns) == "\nTexte. "

    def test_runs_before_folding(self) -> None:
        # Written with an accent, the pattern must see the accent: folding comes after.
        assert strip_volatile("Consulté 3 fois — Corée", [re.compile(r"consulté \d+ fois")]) \
            == " — Corée"

    def test_no_pattern_keeps_the_text(self) -> None:
        assert strip_volatile(SEED.summary, []) == SEED.summary


class TestContentHash:
    """content_hash is exact: any stored difference, even cosmetic, makes a new version."""

    @pytest.mark.parametrize("change", [
        {"title": SEED.title.replace("’", "'")},
        {"link": "https://nato.int/cps/fr/natohq/news_225922.htm"},
        {"summary": SEED.summary.replace("123", "124")},
        {"content": SEED.content.replace("\n\n", " ")},
        {"published": SEED.published + timedelta(seconds=1)},  # type: ignore[operator]
        {"updated": None},
    ])
    def test_every_stored_field_counts(self, change: dict[str, object]) -> None:
        assert content_hash(replace(SEED, **change)) != content_hash(SEED)  # type: ignore[arg-type]

    def test_identity_and_display_link_do_not_count(self) -> None:
        other = replace(SEED, key="k2", guid="g2", display_link="https://www.nato.int/x?utm_source=rss")
        assert content_hash(other) == content_hash(SEED)

    def test_a_stored_row_hashes_like_its_entry(self) -> None:
        row = StoredRow(SEED.title, SEED.link, SEED.summary, SEED.content,
                        SEED.published.replace(tzinfo=None),  # type: ignore[union-attr]
                        SEED.updated.astimezone(CEST))  # type: ignore[union-attr]
        assert content_hash(row) == content_hash(SEED)

    def test_missing_text_equals_empty_text(self) -> None:
        row = StoredRow(SEED.title, None, None, None, None, None)
        entry = replace(SEED, link="", summary="", content="", published=None, updated=None)
        assert content_hash(row) == content_hash(entry)


class TestFingerprint:
    """The fingerprint sees what a reader sees, and records the rules that made it."""

    def test_carries_the_rules_version(self) -> None:
        fp = fingerprint(SEED, [VIEWS])
        assert fp.startswith(f"v{RULES_VERSION}:") and is_current(fp)
        assert not is_current(f"v{RULES_VERSION + 1}:" + fp.split(":", 1)[1])

    def test_rules_version_covers_folding(self) -> None:
        assert RULES_VERSION >= FOLD_VERSION

    def test_pinned_value(self) -> None:
        # If this fails, what the fingerprint covers has changed (here or in fold): bump
        # _DIFF_RULES_REVISION (or FOLD_VERSION) so that stored items are re-fingerprinted,
        # then pin the new value.
        assert fingerprint(SEED, [VIEWS]) == PINNED

    @pytest.mark.parametrize("change", [
        {"title": SEED.title.replace("’", "'")},
        {"title": SEED.title.replace("Secrétaire", "Secré\u00adtaire")},
        {"summary": SEED.summary.replace("Yoon", "Yoon\u200b")},
        {"summary": SEED.summary.replace("123", "124")},
        {"summary": SEED.summary.replace("Vu 123 fois", "vu 2000 FOIS")},
        {"content": SEED.content.replace("Indo-Pacifique", "Indo\u2011Pacifique")},
        {"content": SEED.content.replace("\n\n", " ")},
        {"content": SEED.content.replace("Ils ont", "Ils  ont")},
    ])
    def test_cosmetic_and_volatile_edits_keep_it(self, change: dict[str, object]) -> None:
        assert fingerprint(replace(SEED, **change), [VIEWS]) == fingerprint(SEED, [VIEWS])  # type: ignore[arg-type]

    @pytest.mark.parametrize("change", [
        {"title": SEED.title.replace("reçoit", "rencontre")},
        {"link": "https://nato.int/cps/fr/natohq/news_225922.htm"},
        {"summary": SEED.summary.replace("au siège", "à Séoul")},
        {"content": SEED.content + "\n\nUne conférence de presse a suivi."},
        {"published": SEED.published + timedelta(hours=1)},  # type: ignore[operator]
        {"updated": datetime(2024, 5, 24, 9, 0, tzinfo=UTC)},
        {"updated": None},
    ])
    def test_real_edits_change_it(self, change: dict[str, object]) -> None:
        assert fingerprint(replace(SEED, **change), [VIEWS]) != fingerprint(SEED, [VIEWS])  # type: ignore[arg-type]

    def test_volatile_text_counts_without_the_pattern(self) -> None:
        other = replace(SEED, summary=SEED.summary.replace("123", "124"))
        assert fingerprint(other) != fingerprint(SEED)

    def test_dates_are_instants(self) -> None:
        row = StoredRow(SEED.title, SEED.link, SEED.summary, SEED.content,
                        SEED.published.astimezone(CEST),  # type: ignore[union-attr]
                        SEED.updated.replace(tzinfo=None))  # type: ignore[union-attr]
        assert fingerprint(row, [VIEWS]) == fingerprint(SEED, [VIEWS])


PINNED = "v2:9fbcbe78cdb78a517f612a8ce680c97b818798bac8d41598dbbe289edf9687e9"

# Small pools so that random pairs are often equal, often cosmetically equal, often not.
_TITLES = ["L’OTAN et la République de Corée", "L'OTAN et la République de Corée",
           "L’OTAN et la Republique de Coree", "L’OTAN et le Japon"]
_TEXTS = ["Șerban Popescu, Vu 3 fois", "Şerban Popescu, Vu 4 fois", "Şerban Popescu",
          "Ser\u00adban Popescu", "Șerban Ionescu", "", "Șerban Popescu […]"]
_LINKS = ["https://nato.int/a", "https://nato.int/b", None]
_DATES = [None, datetime(2024, 5, 23, 5, 58, tzinfo=UTC),
          datetime(2024, 5, 23, 7, 58, tzinfo=CEST), datetime(2024, 5, 23, 7, 58, tzinfo=UTC)]
_POOLS: dict[str, Sequence[object]] = {
    "title": _TITLES, "link": _LINKS, "summary": _TEXTS, "content": _TEXTS,
    "published": _DATES, "updated": _DATES}


@st.composite
def revisions(draw: st.DrawFn) -> tuple[Entry, Entry]:
    """A version and a revision of it in which each field may be redrawn."""
    first = {name: draw(st.sampled_from(pool)) for name, pool in _POOLS.items()}
    second = {name: draw(st.sampled_from(pool)) if draw(st.booleans()) else first[name]
              for name, pool in _POOLS.items()}
    return replace(SEED, **first), replace(SEED, **second)  # type: ignore[arg-type]


class TestAgreementWithDiff:
    """The hashes and diff never disagree: the caller may take the hashes as shortcuts."""

    @settings(max_examples=400, deadline=None, database=None)
    @given(revisions(), st.booleans())
    def test_equal_content_hash_iff_unchanged(self, pair: tuple[Entry, Entry],
                                              by_guid: bool) -> None:
        a, b = pair
        unchanged = diff(a, b, identified_by_guid=by_guid, ignore=[VIEWS]).kind == "unchanged"
        assert unchanged == (content_hash(a) == content_hash(b))

    @settings(max_examples=400, deadline=None, database=None)
    @given(revisions(), st.booleans())
    def test_equal_fingerprint_is_never_a_change(self, pair: tuple[Entry, Entry],
                                                 by_guid: bool) -> None:
        a, b = pair
        if fingerprint(a, [VIEWS]) == fingerprint(b, [VIEWS]):
            assert diff(a, b, identified_by_guid=by_guid, ignore=[VIEWS]).kind != "changed"
