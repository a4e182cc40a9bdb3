"""Every non-change of DESIGN.md records silently and alerts nobody, end to end.

The watch here matches every item (empty keywords), so any event at all would alert.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from feedgen import LATVIA, SEED, STEADFAST, Item, rss
from harness import Env

EVERYTHING = '''
[[watch]]
name = "everything"
keywords = []
notify = ["chat"]
'''

Mutation = Callable[[list[Item]], bytes]

# The seed, its delegation led by a general written with an S-cedilla (Ş), as some CMSs do.
FIRST = SEED.but(summary=SEED.summary.replace(
    "</p>", " La délégation était menée par le général Şerban.</p>"))
BASE = [FIRST, LATVIA, STEADFAST]


def _seed(**changes: object) -> Mutation:
    return lambda items: rss([FIRST.but(**changes), *items[1:]])


NON_CHANGES: dict[str, Mutation] = {
    "markup only": _seed(summary=f"<div><span>{FIRST.summary}</span></div>"),
    "whitespace only": _seed(summary=FIRST.summary.replace(" ", "  \n ")),
    "inline markup inside a word": _seed(summary=FIRST.summary.replace(
        "Corée", "Co<span>rée</span>")),
    "straight apostrophes": _seed(title=SEED.title.replace("’", "'")),
    "dash variant": _seed(summary=FIRST.summary.replace("OTAN-République", "OTAN–République")),
    "soft hyphen and zero-width space": _seed(summary=FIRST.summary.replace(
        "coopération", "coo\u00adpé\u200bration")),
    "entity-encoded accents": _seed(summary=FIRST.summary.replace("é", "&eacute;")),
    "s-comma for s-cedilla": _seed(summary=FIRST.summary.replace("Şerban", "Șerban")),
    "items reordered": lambda items: rss(list(reversed(items))),
    "feed metadata only": lambda items: rss(items, title="OTAN – Actualités",
                                            build_date="Sat, 25 May 2024 10:00:00 +0200"),
    "tracking parameters added": _seed(link=f"{SEED.link}&utm_source=rss&xtor=RSS-3"),
    "http and www variants": _seed(link=SEED.link.replace("https://www.", "http://")),
    "link change of a guid item": _seed(link=SEED.link.replace("news_225706",
                                                               "news_225706_v2")),
    "truncated summary": _seed(summary=FIRST.summary[:160] + "… [Lire la suite]"),
    "volatile counter": lambda items: rss([*items[:2], STEADFAST.but(
        summary=STEADFAST.summary.replace("1200", "1213"))]),
}


class TestNonChanges:
    """Each non-change: a silent version at most, never an alert."""

    @pytest.mark.parametrize("name", list(NON_CHANGES))
    def test_no_alert(self, sqlite_env: Env, name: str) -> None:
        env = sqlite_env
        env.feeds.set("/fr.xml", rss(BASE))
        env.write(feeds={"nato-fr": "/fr.xml"}, watches=EVERYTHING,
                  feed_extra='ignore_text = ["Vu \\\\d+ fois"]')
        assert env.veille("check")[0] == 0
        env.feeds.set("/fr.xml", NON_CHANGES[name](BASE))
        code, out, _ = env.veille("check")
        assert code == 0, out
        assert env.hooks == [], out

    def test_the_watch_does_see_a_real_change(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.feeds.set("/fr.xml", rss(BASE))
        env.write(feeds={"nato-fr": "/fr.xml"}, watches=EVERYTHING)
        env.veille("check")
        env.feeds.set("/fr.xml", _seed(title=SEED.title.replace("travail", "haut niveau"))(BASE))
        env.veille("check")
        assert [b["changes"][0]["field"] for b in env.hook_bodies()] == ["title"]

    def test_dropping_out_and_returning_unchanged(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.feeds.set("/fr.xml", rss(BASE))
        env.write(feeds={"nato-fr": "/fr.xml"}, watches=EVERYTHING)
        env.veille("check")
        env.feeds.set("/fr.xml", rss(BASE[1:]))
        env.veille("check")
        env.feeds.set("/fr.xml", rss(BASE))
        env.veille("check")
        assert env.hooks == []

    def test_flapping_between_two_versions_alerts_once(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.feeds.set("/fr.xml", rss(BASE))
        env.write(feeds={"nato-fr": "/fr.xml"}, watches=EVERYTHING)
        env.veille("check")
        revised = _seed(title=SEED.title + " (mis à jour)")(BASE)
        for body in (revised, rss(BASE), revised, rss(BASE)):
            env.feeds.set("/fr.xml", body)
            env.veille("check")
        assert len(env.hooks) == 1
        code, out, _ = env.veille("history", "--item", SEED.guid or "")
        assert code == 0 and "silent: flap" in out

    def test_truncation_is_not_transitive(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.feeds.set("/fr.xml", rss(BASE))
        env.write(feeds={"nato-fr": "/fr.xml"}, watches=EVERYTHING)
        env.veille("check")
        short = FIRST.summary[:120] + "…</p>"
        env.feeds.set("/fr.xml", _seed(summary=short)(BASE))
        env.veille("check")
        assert env.hooks == []  # the truncated copy is silent
        reworded = FIRST.summary[:120] + " et la lutte contre les menaces hybrides.</p>"
        env.feeds.set("/fr.xml", _seed(summary=reworded)(BASE))
        env.veille("check")
        [body] = env.hook_bodies()  # compared with the last full version: a real change
        assert [c["field"] for c in body["changes"]] == ["summary"]
        assert "menaces hybrides" in body["changes"][0]["after"]
