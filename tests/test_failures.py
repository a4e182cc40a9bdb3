"""Bad input gets a clear error and nothing is lost: feeds, notifiers and config that fail."""

from __future__ import annotations

from pathlib import Path

from feedgen import INDO_PACIFIC, LATVIA, SEED, rss
from harness import Env
from webhookserver import Reply

from monitor.cli import main


def _baseline_then_new(env: Env) -> None:
    env.feeds.set("/fr.xml", rss([SEED, LATVIA]))
    assert env.veille("check")[0] == 0
    env.feeds.set("/fr.xml", rss([INDO_PACIFIC, SEED, LATVIA]))


class TestNotifierDown:
    """A webhook that is down delays its alert, never loses it, and never holds email back."""

    def test_webhook_down_then_retry(self, env: Env) -> None:
        env.write(feeds={"nato-fr": "/fr.xml"})
        _baseline_then_new(env)
        env.hook.queue(Reply(503), Reply(502))
        code, out, _ = env.veille("check")
        assert code == 1
        assert "FAILED, will retry" in out and "HTTP 503" in out
        assert len(env.emails) == 1  # email went out in the same check

        code, out, _ = env.veille("deliveries", "--failed")
        assert code == 0
        assert "chat" in out and "retrying (1 failed)" in out and "analysts" not in out

        code, out, _ = env.veille("deliveries", "retry", "--all")  # 502: still down
        assert code == 1
        code, out, _ = env.veille("deliveries", "retry", "--all")
        assert code == 0 and "sent" in out
        ok = [r for r in env.hooks if r.json["type"] == "item.new"]
        assert len(ok) == 3 and len({r.json["id"] for r in ok}) == 1  # one stable id
        code, out, _ = env.veille("deliveries", "retry", "--all")
        assert "nothing to retry" in out and len(env.hooks) == 3  # delivered once
        assert len(env.emails) == 1

    def test_permanent_refusal_is_given_up_at_once(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.write(feeds={"nato-fr": "/fr.xml"})
        _baseline_then_new(env)
        env.hook.queue(Reply(404, body=b"no such hook"))
        code, out, _ = env.veille("check")
        assert code == 1 and "GIVEN UP" in out and "404" in out
        code, out, _ = env.veille("check")  # not retried in the background
        assert code == 0 and len(env.hooks) == 1
        code, out, _ = env.veille("deliveries", "--failed")
        assert "given up" in out


class TestBrokenFeeds:
    """A broken, hostile or slow feed fails alone; the good feed still alerts."""

    def test_broken_feeds_fail_and_are_named(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.feeds.set("/html.xml", b"<html><head><title>Erreur 500</title></head>"
                      b"<body>Service indisponible</body></html>",
                      headers={"Content-Type": "text/html"})
        env.feeds.set("/broken.xml", b"<?xml version='1.0'?><rss><channel><title>x</ti")
        env.feeds.set("/slow.xml", rss([SEED]), drip=0.5)
        env.write(feeds={"nato-fr": "/fr.xml"})
        _baseline_then_new(env)
        env.write(feeds={"nato-fr": "/fr.xml", "html-page": "/html.xml",
                         "malformed": "/broken.xml", "slow": "/slow.xml"})
        code, out, _ = env.veille("check")
        assert code == 1
        assert len(env.hooks) == 1 and len(env.emails) == 1  # the good feed still alerts
        for name in ("html-page", "malformed", "slow"):
            assert f"{name}: FAILED" in out
        assert "timed out after 2s" in out

        code, out, _ = env.veille("feeds")
        assert code == 0
        lines = {line.split()[0]: line for line in out.splitlines()[1:]}
        assert "ok" in lines["nato-fr"]
        for name in ("html-page", "malformed", "slow"):
            assert "failing" in lines[name]
        assert "HTML" in lines["html-page"] or "html" in lines["html-page"]
        assert "timed out" in lines["slow"]

    def test_gone_feed_stops_polling(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.feeds.set("/gone.xml", b"", status=410)
        env.write(feeds={"gone": "/gone.xml"})
        assert env.veille("check")[0] == 1
        assert env.veille("check")[0] == 0  # not polled again
        assert len(env.feeds.requests_for("/gone.xml")) == 1
        _, out, _ = env.veille("feeds")
        assert "gone" in out and "410" in out


class TestConfigErrors:
    """A wrong config exits 2 and names the key path; nothing runs."""

    def test_errors_name_the_key_path(self, tmp_path: Path, capsys: object) -> None:
        config = tmp_path / "config.toml"
        config.write_text('''[veille]
interval = "10 minutes"
colour = "blue"

[[feed]]
name = "nato-fr"
url = "ftp://example.org/feed.xml"

[[watch]]
name = "korea"
keywords = ["Corée"]
notify = ["nobody"]
''')
        import pytest

        assert isinstance(capsys, pytest.CaptureFixture)
        for command in ("validate", "check", "run", "feeds"):
            assert main(["-c", str(config), command]) == 2
            err = capsys.readouterr().err
            assert 'veille.interval: "10 minutes" is not a duration' in err
            assert "veille.colour" in err
            assert "feed[0] (nato-fr).url" in err
            assert "watch[0] (korea).notify" in err

    def test_unknown_feed_name_is_usage_error(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.feeds.set("/fr.xml", rss([SEED]))
        env.write(feeds={"nato-fr": "/fr.xml"})
        code, _, err = env.veille("check", "--feed", "nato-de")
        assert code == 2 and "nato-de" in err


class TestDryRun:
    """--dry-run prints what would be alerted, records and sends nothing."""

    def test_dry_run(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.write(feeds={"nato-fr": "/fr.xml"})
        _baseline_then_new(env)
        code, out, _ = env.veille("check", "--dry-run")
        assert code == 0
        assert "would alert item.new" in out and INDO_PACIFIC.title[:40] in out
        assert env.hooks == [] and env.emails == []
        code, out, _ = env.veille("check")  # nothing was recorded: the item is still new
        assert len(env.hooks) == 1 and len(env.emails) == 1
        code, out, _ = env.veille("history")
        assert out.count("item.new") == 1


class TestRemovedFeed:
    """A feed removed from config.toml keeps its history and its pending alerts still go."""

    def test_pending_alert_of_removed_feed_is_delivered(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.feeds.set("/en.xml", rss([LATVIA], title="NATO"))
        env.write(feeds={"nato-fr": "/fr.xml", "nato-en": "/en.xml"})
        _baseline_then_new(env)
        env.hook.queue(Reply(503))
        assert env.veille("check")[0] == 1
        env.write(feeds={"nato-en": "/en.xml"})
        code, out, _ = env.veille("check")
        assert code == 0 and "sent" in out
        assert [b["feed"]["name"] for b in env.hook_bodies()] == ["nato-fr", "nato-fr"]
        _, out, _ = env.veille("feeds")
        assert "removed" in out
        _, out, _ = env.veille("history", "--feed", "nato-fr")
        assert "item.new" in out
