"""Managing what is watched from the shell: feeds add/remove/pause/resume, OPML import and
export, watches and `watches test`. Edits of the real sample config.toml are compared line by
line: comments and layout are kept, and nothing is written that does not validate."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest
from feedgen import INDO_PACIFIC, LATVIA, SEED, rss
from harness import Env

from monitor.manage import free_name, slug
from monitor.opml import read

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = (ROOT / "config.toml").read_text()
DATA = Path(__file__).parent / "data" / "opml"


def _sample(env: Env) -> str:
    """The repository's commented sample, on the test's database."""
    text = re.sub(r'^database = "[^"]*"', f'database = "{env.database}"', SAMPLE, count=1,
                  flags=re.M)
    env.config.write_text(text)
    return text


def _comments(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith("#") or "  #" in line]


class TestFeedsAdd:
    """`feeds add URL` fetches once, says what it found, and appends one [[feed]] table."""

    def test_add_keeps_every_comment_and_appends_one_table(self, sqlite_env: Env) -> None:
        env = sqlite_env
        before = _sample(env)
        env.feeds.set("/fr.xml", rss([SEED, LATVIA]))
        os.chmod(env.config, 0o640)
        code, out, err = env.veille("feeds", "add", env.feeds.url("/fr.xml"), "--tags",
                                    "nato,otan", "--interval", "5m")
        assert code == 0, err
        assert out.startswith("added feed otan-actualites: OTAN - Actualités — RSS 2.0, "
                              "2 items; polled every 5m")
        assert "watches looking at it: korea-indo-pacific" in out
        after = env.config.read_text()
        block = (f'[[feed]]\nname = "otan-actualites"\nurl = "{env.feeds.url("/fr.xml")}"\n'
                 'tags = ["nato", "otan"]\ninterval = "5m"\n\n')
        assert block in after
        assert after.replace(block, "", 1) == before  # the rest, byte for byte
        assert after.index(block) < after.index("[[watch]]")  # beside the other feeds
        assert _comments(after) == _comments(before)
        assert stat.S_IMODE(env.config.stat().st_mode) == 0o640
        assert env.veille("validate")[0] == 0
        assert [f.name for f in env.tmp.iterdir() if f.name.endswith(".tmp")] == []

    def test_a_url_that_is_not_a_feed_is_not_added(self, sqlite_env: Env) -> None:
        env = sqlite_env
        before = _sample(env)
        env.feeds.set("/page.html", b"<html><body>hello</body></html>",
                      headers={"Content-Type": "text/html"})
        env.feeds.set("/missing.xml", b"", status=404)
        for path in ("/page.html", "/missing.xml"):
            code, _, err = env.veille("feeds", "add", env.feeds.url(path))
            assert code == 1 and "was not added" in err, err
        assert env.config.read_text() == before

    @pytest.mark.parametrize("args,said", [
        (("--interval", "10 minutes"), 'interval: "10 minutes" is not a duration'),
        (("--name", "nato-fr"), "a feed named 'nato-fr' exists already"),
        (("--tags", "bad tag"), "is not a valid name"),
    ])
    def test_an_edit_that_does_not_validate_is_not_written(
            self, sqlite_env: Env, args: tuple[str, ...], said: str) -> None:
        env = sqlite_env
        before = _sample(env)
        env.feeds.set("/fr.xml", rss([SEED]))
        code, _, err = env.veille("feeds", "add", env.feeds.url("/fr.xml"), *args)
        assert code == 2 and said in err, err
        assert str(env.config) in err or "exists already" in err
        assert ".tmp" not in err
        assert env.config.read_text() == before
        assert env.feeds.requests_for("/fr.xml") == []  # refused before anything is fetched

    def test_the_same_url_twice_is_refused(self, sqlite_env: Env) -> None:
        env = sqlite_env
        _sample(env)
        env.feeds.set("/fr.xml", rss([SEED]))
        assert env.veille("feeds", "add", env.feeds.url("/fr.xml"))[0] == 0
        once = env.config.read_text()
        code, _, err = env.veille("feeds", "add", env.feeds.url("/fr.xml"), "--name", "again")
        assert code == 2 and "same URL and headers as feed[2]" in err
        assert env.config.read_text() == once


class TestRemovePauseResume:
    """remove drops one table; pause/resume toggle `enabled`, and a paused feed is not polled."""

    def test_remove(self, sqlite_env: Env) -> None:
        env = sqlite_env
        before = _sample(env)
        code, out, _ = env.veille("feeds", "remove", "nato-en")
        assert code == 0 and "its history stays" in out
        after = env.config.read_text()
        start = before.index('[[feed]]\nname = "nato-en"')
        end = before.index("[[watch]]")
        assert after == before[:start] + before[end:]
        assert env.veille("validate")[0] == 0

    def test_pause_is_kept_not_polled_and_resume_restores_the_file(self, sqlite_env: Env
                                                                    ) -> None:
        env = sqlite_env
        env.feeds.set("/fr.xml", rss([SEED]))
        env.feeds.set("/en.xml", rss([LATVIA]))
        env.write(feeds={"nato-fr": "/fr.xml", "nato-en": "/en.xml"})
        before = env.config.read_text()
        assert env.veille("check")[0] == 0
        code, out, _ = env.veille("feeds", "pause", "nato-en")
        assert code == 0 and "paused" in out
        assert 'enabled = false' in env.config.read_text()
        assert env.veille("feeds", "pause", "nato-en")[1] == "feed nato-en is already paused\n"
        polled = len(env.feeds.requests_for("/en.xml"))
        code, out, _ = env.veille("check")
        assert code == 0 and "nato-en" not in out
        assert len(env.feeds.requests_for("/en.xml")) == polled
        code, out, err = env.veille("check", "--feed", "nato-en")
        assert code == 2 and "is paused" in err
        statuses = {f["name"]: f["status"] for f in json.loads(env.veille("feeds", "--json")[1])}
        assert statuses == {"nato-fr": "ok", "nato-en": "paused"}
        assert "1 feed" in env.veille("validate")[1]
        assert env.veille("feeds", "resume", "nato-en")[0] == 0
        assert env.config.read_text() == before
        env.veille("check")
        assert len(env.feeds.requests_for("/en.xml")) == polled + 1

    def test_all_feeds_paused_is_nothing_to_watch(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.write(feeds={"nato-fr": "/fr.xml"})
        env.veille("feeds", "pause", "nato-fr")
        code, out, err = env.veille("validate")
        assert code == 0 and "nothing to watch" in out and "(1 paused)" in err


class TestOpml:
    """OPML from several real-world shapes; export then import gives the same feeds back."""

    def test_import_shapes(self, sqlite_env: Env) -> None:
        env = sqlite_env
        before = _sample(env)
        code, out, err = env.veille("import", "opml", str(DATA / "shapes.opml"))
        assert code == 0, err
        after = env.config.read_text()
        assert after.startswith(before.split("[[watch]]")[0])
        assert _comments(after) == _comments(before)
        lines = out.splitlines()
        assert lines[0].startswith("imported 5 feeds from ")
        skipped = [line.strip() for line in lines if line.strip().startswith("skipped")]
        assert any("ftp://" in s and "not an http" in s for s in skipped)
        assert any("not a url" in s for s in skipped)
        assert any("nato.int" in s and "already watched" in s for s in skipped)
        feeds = {f["name"]: f for f in json.loads(env.veille("feeds", "--json")[1])}
        assert set(feeds) >= {"le-monde-international", "bbc-news-world", "defense-news",
                              "example-org", "war-on-the-rocks"}
        text = env.config.read_text()
        assert 'tags = ["news", "world"]' in text  # nested categories become tags
        assert text.count("https://feeds.bbci.co.uk/news/world/rss.xml") == 1  # duplicate
        assert env.veille("validate")[0] == 0

    def test_not_opml_is_refused(self, sqlite_env: Env, tmp_path: Path) -> None:
        env = sqlite_env
        before = _sample(env)
        page = tmp_path / "page.opml"
        page.write_text("<html><body>no outlines</body></html>")
        code, _, err = env.veille("import", "opml", str(page))
        assert code == 2 and "holds no feed" in err
        code, _, err = env.veille("import", "opml", str(tmp_path / "absent.opml"))
        assert code == 2 and "cannot read" in err
        assert env.config.read_text() == before

    def test_export_then_import_round_trip(self, sqlite_env: Env, tmp_path: Path) -> None:
        env = sqlite_env
        _sample(env)
        out_file = tmp_path / "feeds.opml"
        assert env.veille("export", "opml", "-o", str(out_file))[0] == 0
        exported = read(out_file.read_bytes())
        assert sorted((f.url, f.title, f.categories) for f in exported.feeds) == [
            ("https://www.nato.int/cps/rss/en/natohq/rssFeed.xsl/rssFeed.xml", "nato-en",
             ("nato", "en")),
            ("https://www.nato.int/cps/rss/fr/natohq/rssFeed.xsl/rssFeed.xml", "nato-fr",
             ("nato", "fr"))]
        code, out, _ = env.veille("export", "opml")
        assert code == 0 and out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml')
        # Into a config without feeds: the same names, URLs and tags come back.
        env.write(feeds={}, watches="", notifiers="")
        assert env.veille("import", "opml", str(out_file))[0] == 0
        text = env.config.read_text()
        assert 'name = "nato-fr"' in text and 'tags = ["nato", "fr"]' in text
        assert 'name = "nato-en"' in text and 'tags = ["nato", "en"]' in text

    def test_names_from_titles(self) -> None:
        assert slug("Le Monde.fr - International : Actualités") == \
            "le-monde-fr-international-actualites"
        assert free_name("a", {"a", "a-2"}) == "a-3"
        assert free_name("", set()) == "feed"


class TestWatches:
    """`watches` lists them; `watches test` shows hits among stored items, highlighted."""

    def test_list_and_test(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.feeds.set("/fr.xml", rss([SEED, LATVIA, INDO_PACIFIC]))
        env.write(feeds={"nato-fr": "/fr.xml"})
        env.veille("check")
        code, out, _ = env.veille("watches")
        assert code == 0 and out.splitlines()[0].split()[:3] == ["WATCH", "TERMS", "FEEDS"]
        assert "korea" in out and "République de Corée" in out
        code, out, _ = env.veille("watches", "test", "korea", "--days", "2")
        assert code == 0
        assert "[[République de Corée]]" in out and "[[Indo-Pacifique]]" in out
        assert "letton" not in out  # LATVIA does not match
        assert out.splitlines()[-1] == ("korea: 2 of 3 items of the last 2 days would alert "
                                        "(1 feed)")


class TestEnabledKey:
    """`enabled` is a boolean of [[feed]]; a paused feed is in `Config.paused`, not polled."""

    def test_enabled_is_checked_and_split(self, tmp_path: Path) -> None:
        from monitor.config import load_config
        from monitor.errors import ConfigError

        path = tmp_path / "config.toml"
        feeds = ('[[feed]]\nname = "a"\nurl = "https://example.org/a.xml"\nenabled = {v}\n'
                 '[[feed]]\nname = "b"\nurl = "https://example.org/b.xml"\n')
        path.write_text(feeds.format(v="false"))
        config = load_config(path, {})
        assert [f.name for f in config.feeds] == ["b"]
        assert [f.name for f in config.paused] == ["a"]
        path.write_text(feeds.format(v='"no"'))
        with pytest.raises(ConfigError) as info:
            load_config(path, {})
        assert info.value.problems == [f'{path}: feed[0] (a).enabled: expected true or false, '
                                       'got "no"']


class TestSymlinkedConfig:
    """An edit of a symlinked config.toml writes the file it points to."""

    def test_symlink_is_kept(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.write(feeds={"nato-fr": "/fr.xml", "nato-en": "/en.xml"})
        real = env.tmp / "etc" / "veille.toml"
        real.parent.mkdir()
        env.config.rename(real)
        env.config.symlink_to(real)
        assert env.veille("feeds", "pause", "nato-en")[0] == 0
        assert env.config.is_symlink() and "enabled = false" in real.read_text()
