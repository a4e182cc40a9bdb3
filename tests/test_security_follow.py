"""`follow = "all"` on a hostile feed cannot make veille follow any number of pages: caps per
feed and per host, and `veille feeds` says when one bites."""

from __future__ import annotations

from harness import Env
from sqlalchemy import select

from storage.database import Database
from storage.models import Page

PAGE = ("<html><head><title>Article</title></head><body><article><h1>Entretiens {n}</h1>"
        "<p>Le 14 mai 2024, l’OTAN a accueilli la République de Corée à Bruxelles pour des "
        "entretiens ({n}).</p></article></body></html>")


def feed(env: Env, path: str, links: list[str]) -> None:
    items = "".join(
        f'<item><title>Article {i}</title><link>{link}</link><guid isPermaLink="false">'
        f"{path}-{i}</guid><pubDate>Tue, 14 May 2024 16:30:00 +0200</pubDate>"
        "<description>Entretiens.</description></item>" for i, link in enumerate(links))
    env.feeds.set(path, '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
                  "<title>OTAN</title><link>https://www.nato.int/</link><description>x"
                  f"</description>{items}</channel></rss>")
    for link in links:
        env.feeds.set(link.split(str(env.feeds.port), 1)[1],
                      PAGE.format(n=link), headers={"Content-Type": "text/html"})


FOLLOW_ALL = 'follow = "all"\nfollow_for = "36500d"  # the items are from 2024'


def followed(env: Env) -> int:
    db = Database(env.database)
    try:
        with db.read() as session:
            return len([p for p in session.scalars(select(Page)) if p.next_check_at])
    finally:
        db.dispose()


class TestFollowCaps:
    """Past a cap, newer items' pages are not followed, and the operator is told."""

    def test_per_feed_cap(self, env: Env) -> None:
        links = [env.feeds.url(f"/a/{i}.htm") for i in range(5)]
        feed(env, "/all.xml", links)
        env.write(feeds={"hostile": "/all.xml"}, feed_extra=FOLLOW_ALL,
                  veille="allow_private = true\nfollow_max_per_feed = 3")
        code, out, err = env.veille("check")
        assert code == 0, out + err
        assert followed(env) == 3
        fetched = [r.path for r in env.feeds.requests if r.path.startswith("/a/")]
        assert len(fetched) == 3
        assert err.count("newer items' pages are not followed: "
                         "follow_max_per_feed = 3 reached") == 1  # once a poll
        code, out, _ = env.veille("feeds")
        assert "pages: 3 followed, follow_max_per_feed = 3 reached" in out

    def test_per_host_cap_over_feeds(self, env: Env) -> None:
        feed(env, "/one.xml", [env.feeds.url(f"/one/{i}.htm") for i in range(3)])
        feed(env, "/two.xml", [env.feeds.url(f"/two/{i}.htm") for i in range(3)])
        env.write(feeds={"one": "/one.xml", "two": "/two.xml"}, feed_extra=FOLLOW_ALL,
                  veille="allow_private = true\nfollow_max_per_host = 4")
        code, out, err = env.veille("check")
        assert code == 0, out + err
        assert followed(env) == 4
        assert "not followed: follow_max_per_host = 4 reached on 127.0.0.1" in err
        code, out, _ = env.veille("feeds")
        lines = [line for line in out.splitlines() if line.startswith(("one", "two"))]
        assert len(lines) == 2, out
        assert all(", follow_max_per_host = 4 reached on 127.0.0.1" in line
                   for line in lines), out

    def test_under_the_caps_nothing_is_said(self, env: Env) -> None:
        feed(env, "/all.xml", [env.feeds.url(f"/a/{i}.htm") for i in range(3)])
        env.write(feeds={"nato": "/all.xml"}, feed_extra=FOLLOW_ALL,
                  veille="allow_private = true\nfollow_max_per_feed = 4")
        code, out, err = env.veille("check")
        assert code == 0 and followed(env) == 3 and "reached" not in err
        code, out, _ = env.veille("feeds")
        assert "pages: 3 followed" in out and "reached" not in out
