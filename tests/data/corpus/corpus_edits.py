"""The scripted sequence of edits run over every feed of the corpus, with the exact alerts
each one must give. A step returns None for a feed where it makes no sense (documented in
`Step.skips`); that feed is then served unchanged."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from corpus_feeds import Plan, excerpt, fit, fits
from corpus_model import Entry, Spec, State
from corpus_texts import LANGUAGES

__all__ = ["STEPS", "Expected", "Step", "expected_link", "initial"]


@dataclass(frozen=True, order=True)
class Expected:
    """One alert as the webhook receiver must see it."""

    kind: str  # item.new | item.changed
    feed: str
    title: str
    link: str | None
    fields: tuple[str, ...] = ()  # the changed fields an item.changed names, sorted

    def but(self, **changes: object) -> Expected:
        return replace(self, **changes)  # type: ignore[arg-type]


Apply = Callable[[Plan, State], tuple[State, list[Expected]] | None]


@dataclass(frozen=True)
class Step:
    name: str
    says: str  # what a publisher did
    apply: Apply
    skips: str = ""  # the feeds it does not apply to, and why


def initial(plan: Plan) -> State:
    return State(plan.entries, datetime(2024, 5, 24, 9, 30, tzinfo=plan.spec.tz))


def expected_link(spec: Spec, entry: Entry) -> str | None:
    """The link an alert shows: resolved against xml:base, tracking parameters dropped."""
    if entry.link is None:
        return None
    link = urljoin(entry.xml_base or spec.xml_base or "", entry.link)
    parts = urlsplit(link)
    query = [(k, v) for k, v in parse_qsl(parts.query) if not k.startswith("utm_")]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _alert(kind: str, spec: Spec, entry: Entry, title: str | None = None,
           fields: tuple[str, ...] = ()) -> Expected:
    return Expected(kind, spec.name, entry.title if title is None else title,
                    expected_link(spec, entry), tuple(sorted(fields)))


def _index(state: State, uid: str) -> int:
    return next(i for i, e in enumerate(state.entries) if e.uid == uid)


def _replace(state: State, entry: Entry) -> State:
    entries = list(state.entries)
    entries[_index(state, entry.uid)] = entry
    return state.but(entries=tuple(entries))


def _role(plan: Plan, state: State, role: str) -> Entry | None:
    uid = plan.roles.get(role)
    return None if uid is None else state.entries[_index(state, uid)]


def _choice(spec: Spec, options: tuple[str, ...]) -> str:
    return options[sum(map(ord, spec.name)) % len(options)]


def _html_text(spec: Spec, text: str) -> str:
    return html.escape(fit(spec, text), quote=False)


def _joined(spec: Spec, first: str, second: str) -> str:
    return first + ("" if spec.lang in ("zh", "ja") else " ") + second


# -- steps --------------------------------------------------------------------------------
def baseline(plan: Plan, state: State) -> tuple[State, list[Expected]]:
    return state, []


def new_entry(plan: Plan, state: State) -> tuple[State, list[Expected]]:
    entry = plan.fresh["new"]
    return state.but(entries=(entry, *state.entries)), [_alert("item.new", plan.spec, entry)]


def reworded_title(plan: Plan, state: State, role: str = "title"
                   ) -> tuple[State, list[Expected]] | None:
    entry = _role(plan, state, role)
    if entry is None:
        return None
    lang = LANGUAGES[plan.spec.lang]
    changed = entry.but(title=entry.title + fit(plan.spec, _choice(plan.spec, lang.reworded)))
    if plan.spec.excerpt and changed.content is not None:
        changed = changed.but(summary=excerpt(plan.spec, changed.content, changed.link,
                                              changed.title))
    # Yoast's "L’article <title> est apparu en premier sur…" line is text of the summary;
    # WordPress's "Continue reading <title> →" is a truncation marker, not text.
    fields = ("title", "summary") if plan.spec.excerpt and plan.spec.lang == "fr" else \
        ("title",)
    return _replace(state, changed), [_alert("item.changed", plan.spec, changed, None, fields)]


def reworded_summary(plan: Plan, state: State) -> tuple[State, list[Expected]] | None:
    spec = plan.spec
    entry = _role(plan, state, "summary")
    if entry is None:
        return None
    lead = fit(spec, LANGUAGES[spec.lang].lead[0])
    in_content = entry.content is not None and (
        spec.excerpt or not entry.summary or len(spec.name) % 2 == 0)
    fields = ("content", "summary") if in_content and spec.excerpt else \
        ("content",) if in_content else ("summary",)
    if in_content:
        assert entry.content is not None
        content = entry.content.replace("<p>", f"<p>{_joined(spec, _html_text(spec, lead), '')}",
                                        1)
        changed = entry.but(content=content)
        if spec.excerpt:
            changed = changed.but(summary=excerpt(spec, content, entry.link, entry.title))
    elif spec.style == "plain":
        changed = entry.but(summary=_joined(spec, lead, entry.summary or ""))
    elif "<p>" in (entry.summary or ""):
        summary = (entry.summary or "").replace(
            "<p>", f"<p>{_joined(spec, _html_text(spec, lead), '')}", 1)
        changed = entry.but(summary=summary)
    else:  # a comment feed's description: the comment as escaped text
        changed = entry.but(summary=_joined(spec, _html_text(spec, lead), entry.summary or ""))
    return _replace(state, changed), [_alert("item.changed", spec, changed, None, fields)]


def bumped_update(plan: Plan, state: State) -> tuple[State, list[Expected]] | None:
    spec = plan.spec
    entry = _role(plan, state, "updated")
    if entry is None or entry.line is None:
        return None
    lang = LANGUAGES[spec.lang]
    later = entry.line + timedelta(days=1, hours=2, minutes=13)
    before, after = (fit(spec, lang.updated_line(d)) for d in (entry.line, later))
    before, after = html.escape(before, quote=False), html.escape(after, quote=False)
    summary = entry.summary.replace(before, after) if entry.summary else entry.summary
    content = entry.content.replace(before, after) if entry.content else entry.content
    assert (summary, content) != (entry.summary, entry.content), "no updated line to bump"
    changed = entry.but(summary=summary, content=content, line=later,
                        updated=later if spec.updated_element else None)
    fields = ["summary"] if summary != entry.summary else []
    fields += ["content"] if content != entry.content else []
    fields += ["updated"] if spec.updated_element else []
    return _replace(state, changed), [_alert("item.changed", spec, changed, None,
                                             tuple(fields))]


def stray_byte(plan: Plan, state: State) -> tuple[State, list[Expected]]:
    spec = plan.spec
    entry = plan.fresh["stray"]
    title = entry.title
    if spec.stray == "cp1252":  # a character pasted from windows-1252: 0x92 for ’
        if "’" in title:
            entry = entry.but(stray=(("title", "’", b"\x92"),))
        else:
            opening, closing = {"de": ("„", "“"), "pl": ("„", "”"), "ro": ("„", "”")}.get(
                spec.lang, ("“", "”"))
            title = f"{opening}{title}{closing}"
            entry = entry.but(title=title, stray=(
                ("title", opening, opening.encode("cp1252")),
                ("title", closing, closing.encode("cp1252"))))
    elif spec.stray == "latin1-byte":  # an accented letter pasted from ISO-8859-1
        summary = entry.summary or ""
        meant = next(c for c in re.sub("<[^>]*>", "", summary) if 0xA0 <= ord(c) <= 0xFF)
        entry = entry.but(stray=(("summary", meant, meant.encode("latin-1")),))
    elif spec.stray == "utf8-entry":
        entry = entry.but(utf8_pasted=True)
    else:  # a title cut inside its last character, as byte-counting CMSs do
        last = title[-1]
        entry = entry.but(stray=(("title", last, last.encode(spec.encoding)[:1]),))
        title = title[:-1] + "\ufffd"
    return (state.but(entries=(entry, *state.entries)),
            [_alert("item.new", spec, entry, title)])


def stray_fixed(plan: Plan, state: State) -> tuple[State, list[Expected]]:
    entry = state.entries[_index(state, "stray")]
    return _replace(state, entry.but(stray=(), utf8_pasted=False)), []


def _apostrophe(plan: Plan, state: State) -> tuple[Entry, str] | None:
    """An entry already stored whose summary (or title) has a ’, and which field."""
    for entry in reversed(state.entries):  # oldest first: an archive page re-saved
        if entry.uid in ("new", "stray", "shared"):
            continue
        for name in ("summary", "title"):
            if "’" in (getattr(entry, name) or ""):
                return entry, name
    return None


def stray_in_old(plan: Plan, state: State) -> tuple[State, list[Expected]] | None:
    """An editor re-saves an old entry and its ’ goes out as the windows-1252 byte 0x92."""
    if plan.spec.encoding != "utf-8":
        return None
    found = _apostrophe(plan, state)
    if found is None:
        return None
    entry, name = found
    return _replace(state, entry.but(stray=((name, "’", b"\x92"),))), []


def stray_in_old_fixed(plan: Plan, state: State) -> tuple[State, list[Expected]] | None:
    damaged = [e for e in state.entries if e.stray]
    if not damaged:
        return None
    for entry in damaged:
        state = _replace(state, entry.but(stray=()))
    return state, []


def cut_body(plan: Plan, state: State) -> tuple[State, list[Expected]]:
    """The connection drops: the body ends inside an entry, most of the document there."""
    return state.but(cut=0.62), []


def whole_again(plan: Plan, state: State) -> tuple[State, list[Expected]]:
    return state.but(cut=0.0), []


_ENTITIES = {"é": "&eacute;", "è": "&egrave;", "à": "&agrave;", "ü": "&uuml;", "ö": "&ouml;",
             "ä": "&auml;", "ñ": "&ntilde;", "ó": "&oacute;", "’": "&rsquo;", "—": "&mdash;",
             "«": "&laquo;", "“": "&ldquo;", "„": "&bdquo;"}
_HALF_KANA = str.maketrans({unicodedata.normalize("NFKC", chr(c)): chr(c)
                            for c in range(0xFF66, 0xFF9E)
                            if len(unicodedata.normalize("NFKC", chr(c))) == 1})


def _typography(spec: Spec, entry: Entry) -> Entry | None:
    """A difference of typography only: ’ for ', ş for ș, е for ё, full-width forms, a soft
    hyphen: what CMSs and copy desks change without changing a word."""
    fields = {"title": entry.title, "summary": entry.summary or ""}
    swaps: tuple[tuple[str, str], ...] = ()
    if spec.lang in ("fr", "en"):
        swaps = (("’", "'"), ("'", "’"))
    elif spec.lang == "ro":
        swaps = (("ș", "ş"), ("ț", "ţ"))
    elif spec.lang == "ru":
        swaps = (("ё", "е"), ("Ё", "Е"))
    elif spec.lang == "zh":
        swaps = (("，", ","), ("：", ":"))
    for name, text in fields.items():
        for old, new in swaps:
            if old in text and fits(spec, new):
                return entry.but(**{name: text.replace(old, new, 1)})
    if spec.lang == "ja":
        summary = entry.summary or ""
        run = re.search("[\u30a1-\u30f6ー]{2,}", summary)
        if run:
            half = run.group(0).translate(_HALF_KANA)
            return entry.but(summary=summary.replace(run.group(0), half, 1))
    if spec.lang in ("ko", "zh", "ja"):
        for name, text in fields.items():
            digits = re.search("[0-9]+", re.sub("<[^>]*>", "", text))
            if digits:
                wide = "".join(chr(ord(c) + 0xFEE0) for c in digits.group(0))
                return entry.but(**{name: text.replace(digits.group(0), wide, 1)})
        return None
    words = sorted(entry.title.split(), key=len)
    if words and len(words[-1]) >= 8 and fits(spec, "\u00ad"):
        word = words[-1]
        return entry.but(title=entry.title.replace(word, word[:4] + "\u00ad" + word[4:], 1))
    return None


def _whitespace(spec: Spec, entry: Entry) -> Entry:
    """Line breaks and indentation in the markup, a doubled space, a trailing space."""
    title = entry.title + " "
    if spec.style == "plain":
        return entry.but(title=title, summary=f"\n  {(entry.summary or '').replace(' ', '  ', 2)}"
                                              "\n")
    field = "summary" if entry.summary else "content"
    text = getattr(entry, field) or ""
    text = text.replace("<p>", "<p>\n\t\t\t", 1).replace("</p>", "\n\t\t</p>", 1)
    text = text.replace(". ", ".  ", 1).replace("。", "。 ", 1)
    return entry.but(title=title, **{field: text})


def _markup(spec: Spec, entry: Entry) -> Entry:
    """Markup that changes no word: a word put in bold, a class, CDATA for escaped text."""
    if spec.style == "plain":
        return entry.but(cdata=True)
    field = "summary" if entry.summary else "content"
    text = getattr(entry, field) or ""
    match = re.search(r"<p>([^<\s]+)", text)
    if match is None:
        return entry.but(cdata=not (spec.style == "cdata"))
    word = match.group(1)
    if spec.lang in ("zh", "ja", "ko") and len(word) > 2:
        inner = f"<strong>{word[:2]}</strong>{word[2:]}"
    else:
        inner = f"<strong>{word}</strong>"
    tag = "<p>" if spec.style == "xhtml" else '<p class="chapo">'
    text = text[:match.start()] + tag + inner + text[match.end():]
    cdata = None if spec.style in ("xhtml",) else not (spec.style == "cdata")
    return entry.but(cdata=cdata, **{field: text})


def _entity(spec: Spec, entry: Entry) -> Entry:
    """One character written as an HTML entity or a character reference."""
    if spec.style == "plain":
        return entry.but(refs=True)
    field = "summary" if entry.summary else "content"
    text = getattr(entry, field) or ""
    body = re.sub("<[^>]*>", lambda m: "\x00" * len(m.group(0)), text)
    if spec.style != "xhtml":
        for char, name in _ENTITIES.items():
            position = body.find(char)
            if position >= 0:
                return entry.but(**{field: text[:position] + name + text[position + 1:]})
    position = next((i for i, c in enumerate(body) if ord(c) > 127), -1)
    if position < 0:
        return entry.but(refs=True)
    return entry.but(**{field: f"{text[:position]}&#{ord(text[position])};"
                                f"{text[position + 1:]}"})


def cosmetic(plan: Plan, state: State) -> tuple[State, list[Expected]]:
    spec = plan.spec
    for role, edit in (("cosmetic-1", _typography), ("cosmetic-2", _whitespace),
                       ("cosmetic-3", _markup), ("cosmetic-4", _entity)):
        entry = _role(plan, state, role)
        assert entry is not None
        changed = edit(spec, entry) or _whitespace(spec, entry)
        state = _replace(state, changed)
    return state, []


def reordered(plan: Plan, state: State) -> tuple[State, list[Expected]]:
    entries = list(state.entries)
    if len(plan.spec.name) % 2:
        entries.reverse()
    else:  # a CMS that sorts by "modified": pairs swap
        for i in range(0, len(entries) - 1, 2):
            entries[i], entries[i + 1] = entries[i + 1], entries[i]
    return state.but(entries=tuple(entries)), []


def build_date(plan: Plan, state: State) -> tuple[State, list[Expected]]:
    """Feed metadata moves: lastBuildDate, and WordPress's comment counts."""
    entries = tuple(e.but(comments=e.comments + 1) if e.comments is not None else e
                    for e in state.entries)
    return state.but(entries=entries,
                     build_date=state.build_date + timedelta(hours=2, minutes=41)), []


def dates_in_utc(plan: Plan, state: State) -> tuple[State, list[Expected]]:
    """The same instants written in UTC (a server or CDN configuration change)."""
    def utc(when: datetime | None) -> datetime | None:
        return None if when is None else when.astimezone(UTC)

    entries = tuple(e.but(published=utc(e.published), updated=utc(e.updated))
                    for e in state.entries)
    return state.but(entries=entries, build_date=state.build_date.astimezone(UTC)), []


def removed(plan: Plan, state: State) -> tuple[State, list[Expected]]:
    at = _index(state, plan.roles["removed"])
    entries = list(state.entries)
    held = entries.pop(at)
    return state.but(entries=tuple(entries), held=held, held_at=at), []


def returned(plan: Plan, state: State) -> tuple[State, list[Expected]]:
    assert state.held is not None
    entries = list(state.entries)
    entries.insert(state.held_at, state.held)
    return state.but(entries=tuple(entries), held=None), []


def _cut(spec: Spec, text: str, marker: str) -> str:
    """`text` stopped half-way through its last paragraph, followed by `marker`."""
    if spec.style == "plain":
        words = text.split(" ")
        return " ".join(words[:max(2, len(words) // 2)]) + marker
    paragraphs = list(re.finditer(r"(<p[^>]*>)(.*?)</p>", text, re.DOTALL))
    last = paragraphs[-1]
    inner = last.group(2)
    words = inner.split(" ")
    if len(words) >= 4:
        kept = " ".join(words[:len(words) // 2])
    else:
        kept = inner[:max(2, len(inner) // 2)]
    return text[:last.start()] + f"{last.group(1)}{kept}{html.escape(marker, quote=False)}</p>"


def truncated(plan: Plan, state: State) -> tuple[State, list[Expected]]:
    spec = plan.spec
    entry = _role(plan, state, "truncated")
    assert entry is not None
    marker = fit(spec, _choice(spec, LANGUAGES[spec.lang].cut))
    if entry.content is not None:
        changed = entry.but(content=_cut(spec, entry.content, marker))
    else:
        changed = entry.but(summary=_cut(spec, entry.summary or "", marker))
    return _replace(state, changed), []


def shared_link(plan: Plan, state: State) -> tuple[State, list[Expected]] | None:
    entry = plan.fresh.get("shared")
    if entry is None:
        return None
    return state.but(entries=(entry, *state.entries)), [_alert("item.new", plan.spec, entry)]


def reencoded(plan: Plan, state: State) -> tuple[State, list[Expected]]:
    codec, label = plan.spec.reencode
    return state.but(codec=codec, label=label), []


def encoding_back(plan: Plan, state: State) -> tuple[State, list[Expected]]:
    return state.but(codec=None, label=None), []


def prefix_toggled(plan: Plan, state: State) -> tuple[State, list[Expected]]:
    spec = plan.spec
    if spec.bom:
        return state.but(bom=False), []
    if spec.leading:
        return state.but(leading=""), []
    if spec.encoding == "utf-8" and len(spec.name) % 3:
        return state.but(bom=True), []
    return state.but(leading=_choice(spec, ("\n", "\r\n\r\n", "\n   \t"))), []


def wrapped(plan: Plan, state: State) -> tuple[State, list[Expected]]:
    return state.but(wrapped=_choice(plan.spec, ("raw", "escaped"))), []


def unwrapped(plan: Plan, state: State) -> tuple[State, list[Expected]]:
    return state.but(wrapped=""), []


def keyless_title(plan: Plan, state: State) -> tuple[State, list[Expected]] | None:
    return reworded_title(plan, state, "keyless")


STEPS: tuple[Step, ...] = (
    Step("baseline", "the first poll records every entry", baseline),
    Step("new", "one new entry at the top", new_entry),
    Step("title", "one entry's title reworded", reworded_title,
         "feeds whose entries have neither guid nor link (the last step does it)"),
    Step("summary", "one entry's summary or content reworded", reworded_summary),
    Step("updated", "one entry's \"Mis à jour le\" line (and updated date) bumped",
         bumped_update, "comment and forum feeds (a comment has no such line)"),
    Step("stray", "a new entry with a byte invalid in the feed's encoding (0x92 in UTF-8; "
         "an entry pasted in UTF-8 into a legacy feed; a title cut inside a character)",
         stray_byte),
    Step("stray-fixed", "that byte fixed", stray_fixed),
    Step("stray-old", "an old entry re-saved with its ’ as the byte 0x92", stray_in_old,
         "feeds not written in UTF-8, and those with no ’ in any entry"),
    Step("stray-old-fixed", "that entry saved right again", stray_in_old_fixed,
         "as stray-old"),
    Step("cosmetic", "’ vs ', white space, markup only, &eacute; vs é on four entries",
         cosmetic),
    Step("reordered", "entries reordered", reordered),
    Step("build-date", "lastBuildDate (or the feed's updated date) changed, WordPress's "
         "slash:comments counts up", build_date),
    Step("dates-utc", "every date written in UTC instead of the publisher's zone (same "
         "instants)", dates_in_utc),
    Step("removed", "one entry dropped out of the feed", removed),
    Step("returned", "that entry back, unchanged", returned),
    Step("cut-body", "the body cut off after 62 % of its bytes, inside an entry", cut_body),
    Step("whole-again", "the whole body again", whole_again),
    Step("truncated", "one entry's content (or summary) cut to a prefix with …, […] or "
         "Read more", truncated),
    Step("shared-link", "a newcomer sharing a stored item's link (a correction, a live "
         "update #fragment, a new comment on a post with one comment)", shared_link,
         "feeds without links, and the forum whose every post has its own link"),
    Step("reencoded", "the document re-served in another encoding that fits all its "
         "characters, declaration and header changed accordingly", reencoded),
    Step("encoding-back", "served in its own encoding again", encoding_back),
    Step("prefix", "a BOM or a leading newline added (or the feed's own removed)",
         prefix_toggled),
    Step("html-wrapped", "the feed served inside an HTML page (raw or escaped in <pre>)",
         wrapped),
    Step("unwrapped", "served bare again", unwrapped),
    Step("keyless-title", "an entry with neither guid nor link gets a reworded title",
         keyless_title, "feeds where every entry has a guid or a link"),
)
