"""The regression corpus end to end: every whole feed of tests/data/corpus served from one
loopback server, one watch that matches everything routed to a json webhook, and a scripted
sequence of publishers' edits, each followed by `veille check`. Every alert received is
compared with the exact alerts expected; precision and recall over the whole run are printed
(`pytest -s`) and must both be 1.0."""

from __future__ import annotations

import json
import sqlite3
import sys
import time
import unicodedata
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from httpserver import FeedServer
from webhookserver import WebhookServer

from monitor.cli import main

CORPUS = Path(__file__).parent / "data" / "corpus"
sys.path.insert(0, str(CORPUS))

import make_corpus  # noqa: E402
from corpus_edits import STEPS, Expected, initial  # noqa: E402
from corpus_feeds import SPECS, plan  # noqa: E402
from corpus_model import FORMATS, served  # noqa: E402


class TestCorpusFiles:
    """The committed corpus is what its script writes, and is as varied as the wild."""

    def test_committed_files_match_the_script(self) -> None:
        assert make_corpus.stale() == [], "run python tests/data/corpus/make_corpus.py"

    def test_manifest_describes_every_feed(self) -> None:
        manifest = json.loads((CORPUS / "corpus.json").read_text("utf-8"))
        files = sorted(p.name for p in (CORPUS / "feeds").iterdir())
        assert sorted(Path(f["file"]).name for f in manifest["feeds"]) == files
        assert [s["name"] for s in manifest["steps"]] == [s.name for s in STEPS]

    def test_corpus_is_large_and_varied(self) -> None:
        plans = [plan(spec) for spec in SPECS]
        assert len(plans) >= 40
        assert all(8 <= len(p.entries) <= 30 for p in plans)
        assert {p.spec.fmt for p in plans} == set(FORMATS)
        assert len({p.spec.lang for p in plans}) >= 10
        encodings = {p.spec.encoding for p in plans}
        assert {"utf-8", "latin-1", "cp1252", "cp1251", "koi8-r", "gb2312", "gb18030",
                "shift_jis", "euc_kr"} <= encodings
        kinds = {p.spec.kind for p in plans}
        assert {"news", "blog", "comments", "forum", "podcast", "notices"} <= kinds
        assert any(p.spec.bom for p in plans) and any(p.spec.leading for p in plans)
        assert any(p.spec.xml_base for p in plans) and any(p.spec.doctype for p in plans)
        disagree = [p for p in plans if p.spec.declared and "charset=" in p.spec.content_type
                    and p.spec.declared.lower() not in p.spec.content_type.lower()]
        assert len(disagree) >= 2


@dataclass
class Tally:
    """Alerts expected and received at one step."""

    step: str
    expected: Counter[Expected] = field(default_factory=Counter)
    received: Counter[Expected] = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)  # feeds whose poll failed
    misread: list[str] = field(default_factory=list)  # stored titles that are not the feed's
    silent: Counter[str] = field(default_factory=Counter)  # silent versions by reason
    seconds: float = 0.0
    edited: int = 0  # feeds the step applies to

    @property
    def hits(self) -> Counter[Expected]:
        return self.expected & self.received

    @property
    def false_alerts(self) -> Counter[Expected]:
        return self.received - self.expected

    @property
    def missed(self) -> Counter[Expected]:
        return self.expected - self.received


def _config(tmp: Path, feeds: FeedServer, hook: WebhookServer) -> Path:
    text = f'''[veille]
database = "sqlite:///{tmp / 'veille.db'}"
interval = "1h"
jitter = 0
timeout = "10s"
timezone = "Europe/Brussels"
allow_private = true
per_host = 8
'''
    for spec in SPECS:
        text += f'\n[[feed]]\nname = "{spec.name}"\nurl = "{feeds.url(f"/{spec.name}")}"\n'
    text += f'''
[[watch]]
name = "everything"
keywords = []
notify = ["hook"]

[notifier.hook]
type = "webhook"
url = "{hook.url('/hook')}"
format = "json"
'''
    path = tmp / "config.toml"
    path.write_text(text, "utf-8")
    return path


def _title(text: str) -> str:
    """A title as veille keeps it: white space collapsed (a no-break space included), NFC."""
    return unicodedata.normalize("NFC", " ".join(text.split()))


def _stored_titles(db: Path) -> dict[str, set[str]]:
    """The current title of every stored item, per feed."""
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            "SELECT feed.name, item_version.title FROM item JOIN feed ON feed.id = item.feed_id "
            "JOIN item_version ON item_version.item_id = item.id "
            "AND item_version.number = item.current_version").fetchall()
    titles: dict[str, set[str]] = {}
    for name, title in rows:
        titles.setdefault(name, set()).add(_title(title))
    return titles


def _silent_since(db: Path, after: int) -> tuple[Counter[str], int]:
    """The silent versions recorded after version id `after`, by reason; the last id."""
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT id, silent_reason FROM item_version WHERE id > ?",
                            (after,)).fetchall()
    reasons = Counter(reason for _, reason in rows if reason and reason != "baseline")
    return reasons, max([after, *(i for i, _ in rows)])


def _run(tmp: Path, feeds: FeedServer, capsys: pytest.CaptureFixture[str]) -> list[Tally]:
    """Every step over every feed, one `veille check` per step."""
    plans = [plan(spec) for spec in SPECS]
    states = {p.spec.name: initial(p) for p in plans}
    # Every title each feed has served, as its publisher meant it (and as the alert must
    # show it: U+FFFD for a title cut inside a character): a stored title outside this set
    # is a misreading, alerted or not.
    served_titles: dict[str, set[str]] = {p.spec.name: set() for p in plans}
    tallies: list[Tally] = []
    db = tmp / "veille.db"
    last_version = 0
    with WebhookServer() as hook:
        config = _config(tmp, feeds, hook)
        for step in STEPS:
            tally = Tally(step.name)
            for p in plans:
                name = p.spec.name
                outcome = step.apply(p, states[name])
                if outcome is not None:
                    tally.edited += 1
                    states[name], expected = outcome
                    tally.expected.update(a.but(title=_title(a.title)) for a in expected)
                    served_titles[name].update(_title(a.title) for a in expected)
                state = states[name]
                served_titles[name].update(_title(e.title) for e in state.entries)
                body, content_type = served(p.spec, state)
                feeds.set(f"/{name}", body, headers={"Content-Type": content_type})
            seen = len(hook.requests)
            capsys.readouterr()
            started = time.monotonic()
            code = main(["-c", str(config), "check"])
            tally.seconds = time.monotonic() - started
            out = capsys.readouterr().out
            tally.failed = [line for line in out.splitlines() if ": FAILED" in line]
            if code != 0 and not tally.failed:
                tally.failed.append(f"veille check exited {code}:\n{out}")
            for request in hook.requests[seen:]:
                body = request.json
                item = body.get("item") or {}
                fields = tuple(sorted(c["field"] for c in body.get("changes") or []))
                tally.received[Expected(body["type"], body["feed"]["name"],
                                        _title(item.get("title") or ""), item.get("link"),
                                        fields)] += 1
            tally.silent, last_version = _silent_since(db, last_version)
            for name, titles in _stored_titles(db).items():
                tally.misread += [f"{name}: stored title {t!r}"
                                  for t in sorted(titles - served_titles[name] - {""})]
            tallies.append(tally)
    return tallies


def _report(tallies: list[Tally]) -> tuple[float, float, list[str], list[str]]:
    hits = sum(sum(t.hits.values()) for t in tallies)
    false = sum(sum(t.false_alerts.values()) for t in tallies)
    missed = sum(sum(t.missed.values()) for t in tallies)
    precision = hits / (hits + false) if hits + false else 1.0
    recall = hits / (hits + missed) if hits + missed else 1.0
    lines = [f"{'step':<15} {'feeds':>5} {'expected':>8} {'received':>8} {'TP':>4} {'FP':>4} "
             f"{'FN':>4} {'check':>7}  silent versions"]
    problems: list[str] = []
    for t in tallies:
        silent = ", ".join(f"{r} {n}" for r, n in sorted(t.silent.items())) or "-"
        lines.append(f"{t.step:<15} {t.edited:>5} {sum(t.expected.values()):>8} "
                     f"{sum(t.received.values()):>8} {sum(t.hits.values()):>4} "
                     f"{sum(t.false_alerts.values()):>4} {sum(t.missed.values()):>4} "
                     f"{t.seconds:>6.1f}s  {silent}")
        problems += [f"[{t.step}] false alert: {a}" for a in sorted(t.false_alerts.elements())]
        problems += [f"[{t.step}] missed alert: {a}" for a in sorted(t.missed.elements())]
        problems += [f"[{t.step}] poll failed: {f}" for f in t.failed]
        problems += [f"[{t.step}] misread: {m}" for m in t.misread]
        if t.silent.get("flap"):
            # A version that flips back within 24 h is silenced as a flap: here no entry ever
            # returns to an earlier text, so each one is a misreading that would alert later.
            problems.append(f"[{t.step}] {t.silent['flap']} version(s) silenced as flaps")
    lines.append(f"precision {precision:.4f} ({hits}/{hits + false}), "
                 f"recall {recall:.4f} ({hits}/{hits + missed})")
    return precision, recall, lines, problems


class TestCorpusScript:
    """Every feed through every edit: exactly the expected alerts, and nothing misread."""

    def test_alerts_are_exact_over_the_whole_script(
            self, tmp_path: Path, feed_server: FeedServer,
            capsys: pytest.CaptureFixture[str]) -> None:
        tallies = _run(tmp_path, feed_server, capsys)
        precision, recall, table, problems = _report(tallies)
        with capsys.disabled():
            print("\n" + "\n".join(table + problems))
        assert sum(sum(t.expected.values()) for t in tallies) > 150
        assert (precision, recall, problems) == (1.0, 1.0, [])

