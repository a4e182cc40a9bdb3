"""The spine end to end: feeds on loopback → veille check → aiosmtpd and a webhook receiver."""

from __future__ import annotations

from email.header import decode_header, make_header

from feedgen import INDO_PACIFIC, LATVIA, SEED, SEED_REVISED, rss
from harness import Env


def subject(env: Env, index: int) -> str:
    return str(make_header(decode_header(env.emails[index].message["Subject"])))


class TestNewItem:
    """After a silent baseline, a new matching item gives exactly one email and one webhook."""

    def test_baseline_then_new_item(self, env: Env) -> None:
        env.feeds.set("/fr.xml", rss([SEED, LATVIA]))
        env.write(feeds={"nato-fr": "/fr.xml"})
        code, out, _ = env.veille("check")
        assert code == 0, out
        assert "0 new" in out and env.emails == [] and env.hooks == []

        env.feeds.set("/fr.xml", rss([INDO_PACIFIC, SEED, LATVIA]))
        code, out, _ = env.veille("check")
        assert code == 0, out
        assert len(env.emails) == 1 and len(env.hooks) == 1
        assert subject(env, 0) == f"[veille] New: {INDO_PACIFIC.title}"
        body = env.hook_bodies()[0]
        assert body["type"] == "item.new" and body["match"] == "new"
        assert body["item"]["title"] == INDO_PACIFIC.title
        assert body["matched"] == ["République de Corée", "Indo-Pacifique"]
        assert body["watches"] == ["korea"] and body["changes"] == []

        code, _, _ = env.veille("check")  # nothing new: nothing more is sent
        assert code == 0 and len(env.emails) == 1 and len(env.hooks) == 1

    def test_first_run_notify_alerts_on_the_first_poll(self, env: Env) -> None:
        env.feeds.set("/fr.xml", rss([SEED, LATVIA]))
        env.write(feeds={"nato-fr": "/fr.xml"}, veille='first_run = "notify"')
        code, _, _ = env.veille("check")
        assert code == 0
        assert [b["item"]["title"] for b in env.hook_bodies()] == [SEED.title]


class TestRevision:
    """A revision of the seed article gives one item.changed alert per notifier."""

    def test_revision_lists_changed_fields(self, env: Env) -> None:
        env.feeds.set("/fr.xml", rss([SEED, LATVIA]))
        env.write(feeds={"nato-fr": "/fr.xml"})
        env.veille("check")
        env.feeds.set("/fr.xml", rss([SEED_REVISED, LATVIA]))
        code, out, _ = env.veille("check")
        assert code == 0, out
        assert len(env.emails) == 1 and len(env.hooks) == 1
        assert subject(env, 0) == f"[veille] Updated: {SEED.title}"
        body = env.hook_bodies()[0]
        assert body["type"] == "item.changed" and body["match"] == "kept"
        assert [c["field"] for c in body["changes"]] == ["summary", "updated"]
        updated = body["changes"][1]
        assert (updated["before"], updated["after"]) == ("2024-05-14T08:00:00Z",
                                                         "2024-05-23T05:58:00Z")
        assert "menaces hybrides" in body["changes"][0]["after"]
        assert body["item"]["version"] == 2
        text = env.emails[0].message.get_body(("plain",))
        assert text is not None and "menaces hybrides" in text.get_content()

    def test_revision_that_removes_the_watched_term_says_removed(self, env: Env) -> None:
        env.feeds.set("/fr.xml", rss([SEED]))
        env.write(feeds={"nato-fr": "/fr.xml"})
        env.veille("check")
        gone = SEED.but(title="Entretiens de travail entre États-majors militaires",
                        summary="<p>Le 14 mai 2024, l’OTAN a accueilli un partenaire.</p>")
        env.feeds.set("/fr.xml", rss([gone]))
        env.veille("check")
        [body] = env.hook_bodies()
        assert body["match"] == "removed" and body["matched"] == ["République de Corée"]


class TestRouting:
    """Two watches routed to one notifier give one alert naming both."""

    def test_two_watches_one_alert(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.feeds.set("/fr.xml", rss([LATVIA]))
        env.write(feeds={"nato-fr": "/fr.xml"}, watches='''
[[watch]]
name = "korea"
keywords = ["République de Corée"]
notify = ["chat"]

[[watch]]
name = "indo-pacific"
keywords = ["Indo-Pacifique", "Japon"]
notify = ["chat", "analysts"]
''')
        env.veille("check")
        env.feeds.set("/fr.xml", rss([INDO_PACIFIC, LATVIA]))
        env.veille("check")
        [body] = env.hook_bodies()
        assert body["watches"] == ["korea", "indo-pacific"]
        assert body["matched"] == ["République de Corée", "Indo-Pacifique", "Japon"]
        assert len(env.emails) == 1  # analysts hear only of indo-pacific
        plain = env.emails[0].message.get_body(("plain",))
        assert plain is not None and "indo-pacific" in plain.get_content()

    def test_watch_on_new_only_ignores_revisions(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.feeds.set("/fr.xml", rss([SEED]))
        env.write(feeds={"nato-fr": "/fr.xml"}, watches='''
[[watch]]
name = "korea"
keywords = ["République de Corée"]
on = ["new"]
notify = ["chat"]
''')
        env.veille("check")
        env.feeds.set("/fr.xml", rss([SEED_REVISED]))
        env.veille("check")
        assert env.hooks == []

    def test_watch_restricted_to_other_feeds_stays_silent(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.feeds.set("/fr.xml", rss([LATVIA]))
        env.feeds.set("/en.xml", rss([LATVIA], title="NATO"))
        env.write(feeds={"nato-fr": "/fr.xml", "nato-en": "/en.xml"}, watches='''
[[watch]]
name = "korea"
keywords = ["République de Corée"]
feeds = ["nato-en"]
notify = ["chat"]
''')
        env.veille("check")
        env.feeds.set("/fr.xml", rss([INDO_PACIFIC, LATVIA]))
        env.veille("check")
        assert env.hooks == []
