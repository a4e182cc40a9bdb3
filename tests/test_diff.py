"""diff against DESIGN's "Events and what counts as a change", and the alert excerpts."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.diff import cap_text, changed_paragraphs, diff
from monitor.records import Change, DiffResult, Entry

CEST = timezone(timedelta(hours=2))  # Brussels in May: "07:58" on the page is 05:58Z
VIEWS = re.compile(r"Vu \d+ fois")

LEAD = ("Le Secrétaire général de l’OTAN, Jens Stoltenberg, a reçu le président de la "
        "République de Corée, Yoon Suk Yeol, au siège de l’OTAN à Bruxelles.")
PARAGRAPHS = [
    LEAD,
    "Les deux dirigeants ont évoqué le soutien à l’Ukraine et la coopération entre l’OTAN "
    "et ses partenaires de l’Indo-Pacifique.",
    "Le vice-secrétaire général adjoint, Șerban Popescu, a présenté le nouveau programme "
    "de partenariat individualisé.",
    "« La sécurité de l’Europe et celle de l’Indo-Pacifique sont liées », a déclaré "
    "M. Stoltenberg.",
    "Vu 123 fois",
]
SEED = Entry(
    key="https://www.nato.int/cps/fr/natohq/news_225921.htm",
    guid="https://www.nato.int/cps/fr/natohq/news_225921.htm",
    link="https://nato.int/cps/fr/natohq/news_225921.htm",
    display_link="https://www.nato.int/cps/fr/natohq/news_225921.htm",
    title="Le Secrétaire général de l’OTAN reçoit le président de la République de Corée",
    summary=LEAD,
    content="\n\n".join(PARAGRAPHS),
    published=datetime(2024, 5, 22, 14, 0, tzinfo=UTC),
    updated=None,
)
EN_LEAD = ("NATO Secretary General Jens Stoltenberg welcomed the President of the Republic of "
           "Korea, Yoon Suk Yeol, to NATO Headquarters on Thursday 23 May 2024.")
SEED_EN = replace(SEED, key="en", guid="en", title="NATO Secretary General meets the President "
                  "of the Republic of Korea", summary=EN_LEAD, content="")


def revise(entry: Entry = SEED, /, **fields: object) -> DiffResult:
    """diff of `entry` against `entry` with `fields` replaced, for a guid-identified item."""
    return diff(entry, replace(entry, **fields), identified_by_guid=True,  # type: ignore[arg-type]
                ignore=[VIEWS])


def edit(field: str, old: str, new: str, entry: Entry = SEED) -> DiffResult:
    """diff after replacing `old` with `new` in one text field."""
    text = getattr(entry, field)
    assert old in text, f"{old!r} is not in the {field}"
    return revise(entry, **{field: text.replace(old, new)})


def silent(reason: str) -> DiffResult:
    return DiffResult("silent", reason=reason)


class TestUnchanged:
    """Exactly equal stored fields are unchanged: nothing to store."""

    def test_same_entry(self) -> None:
        assert revise() == DiffResult("unchanged")

    def test_identity_and_display_link_are_not_compared(self) -> None:
        other = replace(SEED, key="k2", guid="g2", display_link="https://www.nato.int/x?xtor=RSS")
        assert diff(SEED, other, identified_by_guid=True).kind == "unchanged"

    def test_same_instant_in_another_zone(self) -> None:
        assert revise(published=SEED.published.astimezone(CEST)).kind == "unchanged"  # type: ignore[union-attr]

    def test_naive_stored_date_is_utc(self) -> None:
        assert revise(published=SEED.published.replace(tzinfo=None)).kind == "unchanged"  # type: ignore[union-attr]


class TestCosmetic:
    """A difference that folding erases is stored silently as cosmetic, never alerted."""

    @pytest.mark.parametrize(("field", "old", "new"), [
        ("title", "l’OTAN", "l'OTAN"),
        ("content", "Șerban", "Şerban"),
        ("summary", "Secrétaire", "Secré\u00adtaire"),
        ("summary", "Stoltenberg", "Stolten\u200bberg"),
        ("content", "Indo-Pacifique.", "Indo\u2011Pacifique."),
        ("content", "vice-secrétaire", "vice–secrétaire"),
        ("summary", "Yoon Suk Yeol", "Yoon  Suk\u00a0Yeol"),
        ("content", "l’Ukraine et", "l’Ukraine\n\net"),
        ("content", "\n\n", "\n\n\n"),
    ], ids=["apostrophe", "s-comma-cedilla", "soft-hyphen", "zero-width", "nb-hyphen",
            "en-dash", "spaces", "paragraph-split", "blank-lines"])
    def test_is_silent(self, field: str, old: str, new: str) -> None:
        assert edit(field, old, new) == silent("cosmetic")

    def test_cosmetic_field_is_left_out_of_a_change(self) -> None:
        result = revise(title=SEED.title.replace("l’OTAN", "l'OTAN"),
                        summary=LEAD.replace("au siège", "à Séoul"))
        assert [c.field for c in result.changes] == ["summary"]


class TestVolatile:
    """Text matched by the feed's ignore_text is removed before comparing."""

    def test_view_counter_is_silent(self) -> None:
        assert edit("content", "Vu 123 fois", "Vu 124 fois") == silent("volatile")

    def test_match_is_case_insensitive(self) -> None:
        assert edit("content", "Vu 123 fois", "VU 2048 FOIS") == silent("volatile")

    def test_counter_in_title_is_silent(self) -> None:
        entry = replace(SEED, title=SEED.title + " (Vu 5 fois)")
        assert edit("title", "Vu 5 fois", "Vu 6 fois", entry) == silent("volatile")

    def test_without_the_pattern_it_is_a_change(self) -> None:
        content = SEED.content.replace("Vu 123 fois", "Vu 124 fois")
        result = diff(SEED, replace(SEED, content=content), identified_by_guid=True)
        assert result.changes == (Change("content", SEED.content, content),)

    def test_real_edit_beside_the_counter_is_a_change(self) -> None:
        content = SEED.content.replace("Vu 123 fois", "Vu 124 fois").replace("Bruxelles", "Séoul")
        assert revise(content=content).changes == (Change("content", SEED.content, content),)


class TestTruncation:
    """A truncated summary is compared on the part both versions have."""

    @pytest.mark.parametrize("cut", [
        "Le Secrétaire général de l’OTAN, Jens Stoltenberg, a reçu le président […]",
        "Le Secrétaire général de l’OTAN, Jens Stoltenberg, a reçu le président [...]",
        "Le Secrétaire général de l’OTAN, Jens Stoltenberg, a reçu le prés…",
        "Le Secrétaire général de l’OTAN, Jens Stoltenberg, a reçu le président...",
        "Le Secrétaire général de l’OTAN, Jens Stoltenberg, a reçu le président Lire la suite »",
        "Le Secrétaire général de l’OTAN, Jens Stoltenberg, a reçu (…) [Lire la suite]",
    ])
    def test_marked_cut_of_the_same_text_is_silent(self, cut: str) -> None:
        assert revise(summary=cut) == silent("truncation")
        assert revise(replace(SEED, summary=cut), summary=LEAD) == silent("truncation")

    @pytest.mark.parametrize("cut", [
        "NATO Secretary General Jens Stoltenberg welcomed the President of the Republic… "
        "Read more",
        "NATO Secretary General Jens Stoltenberg welcomed the President of the Republic of "
        "Korea Continue reading NATO Secretary General meets the President →",
    ])
    def test_english_read_on_links(self, cut: str) -> None:
        assert revise(SEED_EN, summary=cut) == silent("truncation")

    def test_word_changed_inside_the_common_part_is_a_change(self) -> None:
        before = "Le Secrétaire général de l’OTAN, Jens Stoltenberg, a reçu le président […]"
        after = "Le Secrétaire général de l’OTAN, Jens Stoltenberg, a rencontré le président de " \
                "la République de Corée, Yoon Suk Yeol, au siège de l’OTAN à Bruxelles."
        result = revise(replace(SEED, summary=before), summary=after)
        assert result == DiffResult("changed", (Change("summary", before, after),))

    def test_two_different_cuts_of_one_text_are_silent(self) -> None:
        short = "Le Secrétaire général de l’OTAN, Jens Stoltenberg, a reçu […]"
        longer = "Le Secrétaire général de l’OTAN, Jens Stoltenberg, a reçu le président de la…"
        assert revise(replace(SEED, summary=short), summary=longer) == silent("truncation")

    def test_unmarked_prefix_of_the_content_is_silent(self) -> None:
        assert revise(summary=PARAGRAPHS[0] + "\n\n" + PARAGRAPHS[1]) == silent("truncation")

    def test_summary_cut_from_the_content_appearing_is_silent(self) -> None:
        assert revise(replace(SEED, summary=""), summary=LEAD[:80] + "…") == silent("truncation")

    def test_unmarked_cut_mid_sentence_is_silent(self) -> None:
        entry = replace(SEED_EN, summary=EN_LEAD[:60])
        assert revise(entry, summary=EN_LEAD) == silent("truncation")

    def test_sentence_added_to_a_complete_summary_is_a_change(self) -> None:
        after = EN_LEAD + " The meeting was postponed."
        assert revise(SEED_EN, summary=after).changes == (Change("summary", EN_LEAD, after),)

    def test_addition_the_content_does_not_have_is_a_change(self) -> None:
        after = LEAD + " La réunion est reportée."
        assert revise(summary=after).changes == (Change("summary", LEAD, after),)

    @pytest.mark.parametrize("nothing", ["", "Read more »"])
    def test_summary_appearing_from_nothing_is_a_change(self, nothing: str) -> None:
        entry = replace(SEED_EN, summary=nothing)
        assert revise(entry, summary=EN_LEAD).changes == (Change("summary", nothing, EN_LEAD),)


class TestLink:
    """A link change alone is silent for a guid-identified item, a change otherwise."""

    NEW_LINK = "https://nato.int/cps/fr/natohq/news_225921.htm?selectedLocale=fr"

    def test_link_only_is_silent_by_guid(self) -> None:
        assert revise(link=self.NEW_LINK) == silent("link-only")

    def test_link_only_outranks_a_cosmetic_edit(self) -> None:
        result = revise(link=self.NEW_LINK, title=SEED.title.replace("’", "'"))
        assert result == silent("link-only")

    def test_link_is_listed_beside_a_real_change(self) -> None:
        title = SEED.title.replace("reçoit", "rencontre")
        assert revise(link=self.NEW_LINK, title=title).changes == (
            Change("title", SEED.title, title), Change("link", SEED.link, self.NEW_LINK))

    def test_without_guid_a_link_change_is_a_change(self) -> None:
        result = diff(SEED, replace(SEED, link=self.NEW_LINK), identified_by_guid=False)
        assert result.changes == (Change("link", SEED.link, self.NEW_LINK),)


class TestDates:
    """published and updated are compared as UTC instants and shown in ISO 8601 UTC."""

    def test_new_updated_date_is_a_change(self) -> None:
        # The page says "Mis à jour le: 23 May. 2024 07:58", Brussels time.
        result = revise(updated=datetime(2024, 5, 23, 7, 58, tzinfo=CEST))
        assert result == DiffResult("changed", (Change("updated", None, "2024-05-23T05:58:00Z"),))

    def test_moved_published_date_is_a_change(self) -> None:
        result = revise(published=datetime(2024, 5, 22, 16, 30, tzinfo=CEST))
        assert result.changes == (
            Change("published", "2024-05-22T14:00:00Z", "2024-05-22T14:30:00Z"),)

    def test_dropped_updated_date_is_a_change(self) -> None:
        entry = replace(SEED, updated=datetime(2024, 5, 23, 5, 58, tzinfo=UTC))
        assert revise(entry, updated=None).changes == (
            Change("updated", "2024-05-23T05:58:00Z", None),)

    def test_sub_seconds_are_shown_when_present(self) -> None:
        after = SEED.published + timedelta(milliseconds=250)  # type: ignore[operator]
        assert revise(published=after).changes == (
            Change("published", "2024-05-22T14:00:00Z", "2024-05-22T14:00:00.250000Z"),)


class TestChangedFields:
    """A revision lists each really changed field, in a fixed order, with before and after."""

    def test_revision_of_the_seed_article(self) -> None:
        title = SEED.title.replace("reçoit", "s’entretient avec")
        summary = LEAD.replace("a reçu", "s’est entretenu avec")
        content = SEED.content.replace("Vu 123 fois", "Vu 310 fois").replace("Șerban", "Şerban")
        updated = datetime(2024, 5, 23, 5, 58, tzinfo=UTC)
        result = revise(title=title, summary=summary, content=content, updated=updated)
        assert result == DiffResult("changed", (
            Change("title", SEED.title, title),
            Change("summary", LEAD, summary),
            Change("updated", None, "2024-05-23T05:58:00Z"),
        ))

    def test_silent_reasons_rank_truncation_over_volatile_over_cosmetic(self) -> None:
        title = SEED.title.replace("’", "'")
        content = SEED.content.replace("Vu 123 fois", "Vu 124 fois")
        assert revise(title=title, content=content) == silent("volatile")
        cut = LEAD[:50] + "…"
        assert revise(title=title, content=content, summary=cut) == silent("truncation")


_WORDS = ["l’OTAN", "l'OTAN", "Corée", "Coree", "Indo-Pacifique", "Indo‑Pacifique",
          "Șerban", "Şerban", "Ser\u00adban", "sommet", "Washington"]


class TestProperties:
    """diff is symmetric, and text that only differs cosmetically is never a change."""

    @settings(max_examples=300, deadline=None, database=None)
    @given(st.lists(st.sampled_from(_WORDS), max_size=12),
           st.lists(st.sampled_from(_WORDS), max_size=12), st.booleans())
    def test_symmetric(self, a: list[str], b: list[str], by_guid: bool) -> None:
        one = replace(SEED, summary=" ".join(a), link="https://nato.int/a")
        two = replace(SEED, summary=" ".join(b) + "…", link="https://nato.int/b")
        forth = diff(one, two, identified_by_guid=by_guid)
        back = diff(two, one, identified_by_guid=by_guid)
        assert (forth.kind, forth.reason) == (back.kind, back.reason)
        assert [c.field for c in forth.changes] == [c.field for c in back.changes]

    @settings(max_examples=300, deadline=None, database=None)
    @given(st.lists(st.sampled_from(range(len(_WORDS))), min_size=1, max_size=20), st.data())
    def test_cosmetic_variants_never_change(self, picks: list[int], data: st.DataObject) -> None:
        # The first eight _WORDS pair up (0-1, 2-3, …) as cosmetic variants of one another.
        variant = [_WORDS[i ^ 1] if i < 8 and data.draw(st.booleans()) else _WORDS[i]
                   for i in picks]
        one = replace(SEED, content=" ".join(_WORDS[i] for i in picks))
        result = diff(one, replace(one, content=" ".join(variant)), identified_by_guid=True)
        assert result.kind != "changed"


class TestChangedParagraphs:
    """An alert shows the changed paragraphs only, each side capped."""

    def test_one_word_edit_shows_its_paragraph(self) -> None:
        after = SEED.content.replace("nouveau programme", "futur programme")
        assert changed_paragraphs(SEED.content, after) == (
            "…\n\n" + PARAGRAPHS[2] + "\n\n…",
            "…\n\n" + PARAGRAPHS[2].replace("nouveau", "futur") + "\n\n…",
            True)

    def test_added_paragraph(self) -> None:
        added = "Une conférence de presse a suivi la réunion."
        after = "\n\n".join([*PARAGRAPHS[:4], added, PARAGRAPHS[4]])
        assert changed_paragraphs(SEED.content, after)[:2] == ("…", "…\n\n" + added + "\n\n…")

    def test_first_paragraph_has_no_leading_marker(self) -> None:
        after = SEED.content.replace("a reçu", "a accueilli")
        before_part, after_part, _ = changed_paragraphs(SEED.content, after)
        assert before_part == LEAD + "\n\n…"
        assert after_part == LEAD.replace("a reçu", "a accueilli") + "\n\n…"

    def test_cosmetic_and_volatile_paragraphs_are_not_shown(self) -> None:
        after = (SEED.content.replace("l’Ukraine", "l'Ukraine").replace("Vu 123", "Vu 124")
                 .replace("sont liées", "sont indissociables"))
        before_part, after_part, _ = changed_paragraphs(SEED.content, after, ignore=[VIEWS])
        assert (before_part, after_part) == ("…\n\n" + PARAGRAPHS[3] + "\n\n…",
                                             "…\n\n" + PARAGRAPHS[3].replace(
                                                 "sont liées", "sont indissociables") + "\n\n…")

    def test_short_text_is_shown_whole_and_not_flagged(self) -> None:
        assert changed_paragraphs(LEAD, LEAD.replace("reçu", "accueilli")) == (
            LEAD, LEAD.replace("reçu", "accueilli"), False)

    def test_cosmetic_only_falls_back_to_exact_paragraphs(self) -> None:
        after = SEED.content.replace("Șerban", "Şerban")
        assert changed_paragraphs(SEED.content, after)[1] == "…\n\n" + PARAGRAPHS[2].replace(
            "Șerban", "Şerban") + "\n\n…"

    def test_long_paragraph_is_cut_around_the_edit(self) -> None:
        body = " ".join([PARAGRAPHS[1]] * 60)
        after = body[:3000] + body[3000:].replace("soutien", "appui", 1)
        before_part, after_part, cut = changed_paragraphs(body, after, limit=300)
        assert cut and len(before_part) <= 300 and len(after_part) <= 300
        assert before_part.startswith("… ") and before_part.endswith("…")
        assert "appui" in after_part and "appui" not in before_part

    def test_identical_texts_have_no_excerpt(self) -> None:
        assert changed_paragraphs(SEED.content, SEED.content) == ("", "", False)


class TestCapText:
    """cap_text cuts long text at a word boundary, the ellipsis within the limit."""

    def test_short_text_is_kept(self) -> None:
        assert cap_text(LEAD, len(LEAD)) == LEAD

    def test_cut_at_a_word_boundary(self) -> None:
        capped = cap_text(LEAD, 40)
        assert capped == "Le Secrétaire général de l’OTAN, Jens…"
        assert len(capped) <= 40

    def test_summary_limit(self) -> None:
        capped = cap_text(" ".join(PARAGRAPHS * 5), 1000)
        assert len(capped) <= 1000 and capped.endswith("…") and not capped.endswith(" …")

    def test_a_giant_word_is_cut_inside(self) -> None:
        assert cap_text("x" * 50, 10) == "x" * 9 + "…"

    def test_limit_must_leave_room(self) -> None:
        with pytest.raises(ValueError):
            cap_text(LEAD, 0)
