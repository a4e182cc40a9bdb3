"""The `veille` command as a person uses it from a shell."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from datetime import UTC
from pathlib import Path

import pytest
from feedgen import INDO_PACIFIC, LATVIA, SEED, SEED_REVISED, rss
from harness import Env
from webhookserver import Reply

from monitor.cli import main

ROOT = Path(__file__).resolve().parent.parent


class TestInitAndValidate:
    """`init` writes the sample, which `validate` accepts; `-c` goes before or after."""

    def test_init_writes_a_valid_sample_and_refuses_to_overwrite(
            self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        path = tmp_path / "etc" / "config.toml"
        assert main(["init", str(path)]) == 0
        assert main(["init", str(path)]) == 2
        assert "--force" in capsys.readouterr().err
        assert main(["init", str(path), "--force"]) == 0
        assert main(["validate", "-c", str(path)]) == 0
        assert main(["-c", str(path), "validate"]) == 0
        assert "config OK" in capsys.readouterr().out

    def test_repo_sample_is_the_packaged_sample(self) -> None:
        assert (ROOT / "config.toml").read_text() == \
            (ROOT / "monitor" / "sample-config.toml").read_text()

    def test_veille_config_environment_variable(self, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
        path = tmp_path / "c.toml"
        main(["init", str(path)])
        monkeypatch.setenv("VEILLE_CONFIG", str(path))
        assert main(["validate"]) == 0

    def test_usage_errors_exit_2(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as exc:
            main(["frobnicate"])
        assert exc.value.code == 2
        assert main([]) == 2

    def test_python_dash_m_monitor(self, tmp_path: Path) -> None:
        path = tmp_path / "config.toml"
        main(["init", str(path)])
        done = subprocess.run([sys.executable, "-m", "monitor", "validate", "-c", str(path)],
                              capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert done.returncode == 0 and "config OK" in done.stdout


class TestListings:
    """feeds, history and deliveries are readable tables in local time, exit 0."""

    def test_feeds_history_deliveries(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.feeds.set("/fr.xml", rss([SEED, LATVIA]))
        env.write(feeds={"nato-fr": "/fr.xml"})
        env.veille("check")
        env.feeds.set("/fr.xml", rss([INDO_PACIFIC, SEED_REVISED, LATVIA]))
        env.veille("check")

        code, out, _ = env.veille("feeds")
        assert code == 0
        header, row = out.splitlines()[:2]
        assert header.split()[:5] == ["FEED", "STATUS", "LAST", "POLL", "ITEMS"]
        assert row.split()[:2] == ["nato-fr", "ok"] and " 3 " in row
        assert "CEST" in row or "CET" in row  # local time with its zone

        code, out, _ = env.veille("history")
        assert code == 0
        assert "item.changed" in out and "item.new" in out
        assert "[-Il a principalement été question du-]{+Les discussions ont porté sur le+}" \
            in out  # changed words marked
        assert "watches (kept): korea: République de Corée" in out

        code, out, _ = env.veille("history", "--item", SEED.guid or "")
        assert code == 0 and "version 1" in out and "version 2" in out
        assert "silent: baseline" in out and "updated:" in out

        code, out, _ = env.veille("history", "--feed", "nato-fr", "--since", "1h")
        assert code == 0 and "item.new" in out
        code, _, err = env.veille("history", "--since", "tomorrow-ish")
        assert code == 2 and "--since" in err

        code, out, _ = env.veille("deliveries")
        assert code == 0
        assert out.splitlines()[0].split()[:3] == ["ID", "NOTIFIER", "STATUS"]
        assert out.count(" sent ") == 4


class TestTestNotify:
    """`test-notify` sends a marked test alert through the outbox and reports the result."""

    def test_success_and_failure(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.write(feeds={"nato-fr": "/fr.xml"})
        code, out, _ = env.veille("test-notify", "chat")
        assert code == 0 and "sent" in out
        assert env.hook_bodies()[0]["type"] == "test"
        env.hook.queue(Reply(500))
        code, _, err = env.veille("test-notify", "chat")
        assert code == 1 and "HTTP 500" in err
        code, _, err = env.veille("test-notify", "pager")
        assert code == 2 and "pager" in err
        code, out, _ = env.veille("check")  # a failed test alert is not retried later
        assert len(env.hooks) == 2


class TestPackagesAreOurs:
    """`notifiers` and `storage` are veille's own, and imports only go one way."""

    def test_own_packages(self) -> None:
        import notifiers
        import storage

        assert Path(notifiers.__file__).parent == ROOT / "notifiers"
        assert Path(storage.__file__).parent == ROOT / "storage"

    def test_foreign_package_is_refused(self, tmp_path: Path) -> None:
        fake = tmp_path / "notifiers"
        fake.mkdir()
        (fake / "__init__.py").write_text("")
        done = subprocess.run([sys.executable, "-c",
                               "import sys; sys.path.insert(0, sys.argv[1]); "
                               "from monitor.cli import main; sys.exit(main(['validate']))",
                               str(tmp_path)], capture_output=True, text=True,
                              cwd=ROOT, timeout=60)
        assert done.returncode == 2
        assert "not veille's own" in done.stderr and "pip uninstall notifiers" in done.stderr

    @pytest.mark.parametrize("package,forbidden", [("storage", {"monitor", "notifiers"}),
                                                   ("notifiers", {"monitor", "storage"})])
    def test_import_direction(self, package: str, forbidden: set[str]) -> None:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                for name in names:
                    assert name.split(".")[0] not in forbidden, f"{path} imports {name}"


class TestConcurrentCheck:
    """A feed another veille process is polling right now is skipped with a note."""

    def test_leased_feed_is_skipped(self, sqlite_env: Env) -> None:
        from datetime import datetime

        from storage import feeds as feed_store
        from storage.database import Database

        env = sqlite_env
        env.feeds.set("/fr.xml", rss([SEED]))
        env.feeds.set("/en.xml", rss([LATVIA], title="NATO"))
        env.write(feeds={"nato-fr": "/fr.xml", "nato-en": "/en.xml"})
        assert env.veille("check")[0] == 0
        db = Database(env.database)
        with db.write() as session:
            now = datetime.now(UTC)
            assert feed_store.claim(session, ["nato-fr"], now, "other-host:42", 600,
                                    due_only=False)
        db.dispose()
        env.feeds.reset_stats()
        code, out, _ = env.veille("check")
        assert code == 0
        assert "nato-fr: skipped — another veille process is polling it" in out
        assert env.feeds.requests_for("/fr.xml") == [] and env.feeds.requests_for("/en.xml")


class TestCheckExplainsSilence:
    """`check` says when alerts wait for a digest or are held back by max_per_minute."""

    def test_digest_and_rate_limit_lines(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.feeds.set("/fr.xml", rss([LATVIA]))
        env.write(feeds={"nato-fr": "/fr.xml"}, watches='''
[[watch]]
name = "korea"
keywords = ["République de Corée"]
notify = ["daily", "chat"]
''', notifiers=f'''
[notifier.daily]
type = "webhook"
url = "{env.hook.url('/daily')}"
digest = "1d"

[notifier.chat]
type = "webhook"
url = "{env.hook.url('/hook')}"
max_per_minute = 1
''')
        env.veille("check")
        env.feeds.set("/fr.xml", rss([INDO_PACIFIC, SEED, LATVIA], title="OTAN"))
        code, out, _ = env.veille("check")
        assert code == 0, out
        assert "2 alerts wait for daily's digest at" in out
        assert "held back by max_per_minute until" in out
        assert len(env.hooks) == 1 and not [r for r in env.hook.requests if r.path == "/daily"]


class TestUrlEdit:
    """Editing a feed's URL re-baselines it silently and `veille feeds` says so."""

    def test_url_edit_rebaselines_without_flooding(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.feeds.set("/fr.xml", rss([SEED]))
        env.feeds.set("/fr2.xml", rss([INDO_PACIFIC, SEED_REVISED, LATVIA]))
        env.write(feeds={"nato-fr": "/fr.xml"})
        env.veille("check")
        env.write(feeds={"nato-fr": "/fr2.xml"})
        code, out, err = env.veille("check")
        assert code == 0 and env.hooks == [] and env.emails == []
        assert "URL changed" in err and "re-baselining" in err
        _, out, _ = env.veille("feeds")
        assert "URL edited" in out and "re-baselined silently" in out


class TestClaimBatches:
    """Feeds are claimed and polled by slices of `concurrency`; `check` still polls every one
    of them, once."""

    def test_all_feeds_polled_across_batches(self, sqlite_env: Env) -> None:
        env = sqlite_env
        names = {f"feed-{i}": f"/f{i}.xml" for i in range(5)}
        for i, path in enumerate(names.values()):
            env.feeds.set(path, rss([LATVIA.but(guid=f"g{i}")], title=f"F{i}"))
        env.write(feeds=names, veille="concurrency = 2")
        code, out, _ = env.veille("check")
        assert code == 0
        assert sorted(line.split(":")[0] for line in out.splitlines() if "recorded" in line) \
            == sorted(names)
        assert all(len(env.feeds.requests_for(p)) == 1 for p in names.values())


class TestSecretsStayOut:
    """A feed URL and a webhook URL from the environment never reach the database or output."""

    def test_no_secret_in_database_logs_or_output(self, sqlite_env: Env,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
        env = sqlite_env
        token = "tok3n-s3cr3t-4242"
        private = f"/private.xml?key={token}"
        env.feeds.set(private, rss([LATVIA]))
        monkeypatch.setenv("FEED_URL", env.feeds.url(private))
        monkeypatch.setenv("CHAT_URL", env.hook.url(f"/hook?sig={token}x"))
        env.config.write_text(f'''[veille]
database = "{env.database}"
jitter = 0
timeout = "2s"

[[feed]]
name = "private"
url = "${{FEED_URL}}"

[[watch]]
name = "korea"
keywords = ["République de Corée"]
notify = ["chat"]

[notifier.chat]
type = "webhook"
url = "${{CHAT_URL}}"
''')
        outputs = [env.veille("check")]
        env.feeds.set(private, rss([INDO_PACIFIC, LATVIA]))
        env.hook.queue(Reply(500))
        outputs += [env.veille("check"), env.veille("validate"), env.veille("feeds"),
                    env.veille("deliveries"), env.veille("history")]
        outputs.append(env.veille("deliveries", "retry", "--all"))
        assert outputs[-1][0] == 0 and len(env.hook.requests) == 2
        for _, out, err in outputs:
            assert token not in out and token not in err
        database = Path(env.database.removeprefix("sqlite:///"))
        for path in database.parent.glob(database.name + "*"):
            assert token.encode() not in path.read_bytes(), path
        body = env.hook.requests[-1].json
        assert body["type"] == "item.new" and token not in json.dumps(body)
