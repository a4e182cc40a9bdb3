"""`veille` as a Unix tool: closed pipes, help pages, exit codes, time zones, terminal width,
and the wording of the config errors a person meets first."""

from __future__ import annotations

import json
import logging
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from feedgen import INDO_PACIFIC, LATVIA, SEED, SEED_REVISED, rss
from harness import WATCH, Env

from monitor import display
from monitor.cli import _parser, main
from monitor.commands import change_summary

ROOT = Path(__file__).resolve().parent.parent
SCREEN = '\n[notifier.screen]\ntype = "console"\n'
TRACEBACKS = ("Traceback", "BrokenPipeError", "Exception ignored")


def _veille_closed_stdout(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m monitor -c CONFIG ARGS` with its stdout a pipe closed before it writes."""
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "-c", str(config), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before veille writes anything
    with proc.stderr:
        err = proc.stderr.read()
    proc.wait(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, "", err)


def _screen_env(env: Env) -> None:
    env.write(feeds={"nato-fr": "/fr.xml"}, watches=WATCH.format(notify='["screen"]'),
              notifiers=SCREEN)


class TestClosedPipe:
    """A reader that stops early (`| head`, `| true`) gets no traceback, and nothing is
    recorded as failed."""

    @pytest.mark.parametrize("args", [("history",), ("deliveries",), ("validate",),
                                      ("feeds",), ("items",)])
    def test_listing_into_a_closed_pipe(self, sqlite_env: Env, args: tuple[str, ...]) -> None:
        env = sqlite_env
        env.feeds.set("/fr.xml", rss([SEED, LATVIA]))
        env.write(feeds={"nato-fr": "/fr.xml"}, veille='first_run = "notify"')
        assert env.veille("check")[0] == 0
        done = _veille_closed_stdout(env.config, *args)
        assert done.returncode in (0, 141), done.stderr
        assert not any(t in done.stderr for t in TRACEBACKS), done.stderr

    def test_check_into_a_closed_pipe_records_the_console_alert_as_sent(
            self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.feeds.set("/fr.xml", rss([SEED, LATVIA]))
        _screen_env(env)
        assert env.veille("check")[0] == 0  # baseline
        env.feeds.set("/fr.xml", rss([INDO_PACIFIC, SEED_REVISED, LATVIA]))
        done = _veille_closed_stdout(env.config, "check")
        assert done.returncode in (0, 141), done.stderr
        assert not any(t in done.stderr for t in TRACEBACKS), done.stderr
        code, out, _ = env.veille("deliveries", "--json")
        rows = json.loads(out)
        assert code == 0 and len(rows) == 2
        assert {r["status"] for r in rows} == {"sent"}
        assert {r["last_error"] for r in rows} == {None}
        code, out, _ = env.veille("check")  # nothing is printed a second time
        assert code == 0 and "── veille ·" not in out and "delivery" not in out

    def test_shell_pipe_into_head(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.feeds.set("/fr.xml", rss([SEED, LATVIA, INDO_PACIFIC]))
        env.write(feeds={"nato-fr": "/fr.xml"}, veille='first_run = "notify"')
        env.veille("check")
        veille = f"{shlex.quote(sys.executable)} -m monitor -c {shlex.quote(str(env.config))}"
        for command in ("history", "check"):  # the others: test_listing_into_a_closed_pipe
            done = subprocess.run(f"{veille} {command} | head -1; exit ${{PIPESTATUS[0]}}",
                                  shell=True, executable="/bin/bash", capture_output=True,
                                  text=True, cwd=ROOT, timeout=60)
            assert done.returncode in (0, 141), (command, done.stderr)
            assert not any(t in done.stderr for t in TRACEBACKS), (command, done.stderr)
            assert len(done.stdout.splitlines()) == 1


class TestHelp:
    """Every subcommand's --help opens with a description; every option has a help text."""

    def test_every_subcommand_and_option_is_described(self) -> None:
        parser = _parser()
        pending = [("veille", parser)]
        seen = 0
        while pending:
            name, p = pending.pop()
            for action in p._actions:
                if action.dest in ("help", "version") or action.help == "==SUPPRESS==":
                    continue
                if hasattr(action, "choices") and isinstance(action.choices, dict):
                    for sub_name, sub in action.choices.items():
                        assert sub.description, f"{name} {sub_name} has no description"
                        pending.append((f"{name} {sub_name}", sub))
                        seen += 1
                    continue
                assert action.help, f"{name}: {action.option_strings or action.dest} has no help"
        assert seen >= 20

    def test_history_help_has_a_description(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as exc:
            main(["history", "--help"])
        assert exc.value.code == 0
        out = capsys.readouterr().out
        assert "Events and the diffs of revisions." in out and "Exit status:" in out


class TestExitCodes:
    """Names that name nothing are bad usage (2); listings that are empty exit 0."""

    def test_unknown_names_exit_2(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.feeds.set("/fr.xml", rss([SEED]))
        env.write(feeds={"nato-fr": "/fr.xml"})
        env.veille("check")
        for args, said in [(("history", "--feed", "nope"), "no feed named 'nope'"),
                           (("history", "--item", "nope"), "no item whose key"),
                           (("deliveries", "retry", "9999"), "no delivery with id 9999"),
                           (("items", "--feed", "nope"), "no feed named 'nope'"),
                           (("check", "--feed", "nope"), "no feed named 'nope'"),
                           (("watches", "test", "nope"), "no watch named 'nope'"),
                           (("feeds", "remove", "nope"), "no feed named 'nope'"),
                           (("test-notify", "nope"), "no notifier named 'nope'")]:
            code, out, err = env.veille(*args)
            assert code == 2, args
            assert f"\nveille: error: {said}" in f"\n{err}", (args, err)

    def test_empty_listings_exit_0(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.write(feeds={"nato-fr": "/fr.xml"})
        assert env.veille("history")[:2] == (0, "no events yet\n")
        assert env.veille("history", "--feed", "nato-fr")[0] == 0  # configured, never polled
        assert env.veille("items", "--search", "Corée")[:2] == (0, "no item matches\n")


class TestTimeZone:
    """People see local time with its zone; JSON carries UTC."""

    def test_history_dates_are_local_with_zone_and_json_is_utc(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.feeds.set("/fr.xml", rss([SEED, LATVIA]))
        env.write(feeds={"nato-fr": "/fr.xml"})
        env.veille("check")
        env.feeds.set("/fr.xml", rss([SEED_REVISED, LATVIA]))
        code, out, _ = env.veille("check")
        assert "2024-05-23 07:58 CEST" in out and "T05:58:00Z" not in out
        code, out, _ = env.veille("history")
        assert "updated:" in out and "2024-05-23 07:58 CEST" in out
        assert not re.search(r"\d{2}:\d{2}:\d{2}Z", out)
        code, out, _ = env.veille("history", "--json")
        changes = [c for e in json.loads(out) for c in e["changes"] if c["field"] == "updated"]
        assert changes[0]["after"] == "2024-05-23T05:58:00Z"
        assert all(e["occurred_at"].endswith("Z") for e in json.loads(out))


class TestTables:
    """Tables fit the terminal; deliveries show titles, not keys."""

    def test_tables_fit_columns(self, sqlite_env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
        env = sqlite_env
        env.feeds.set("/fr.xml", rss([SEED, LATVIA, INDO_PACIFIC]))
        env.write(feeds={"nato-fr": "/fr.xml"}, veille='first_run = "notify"')
        env.veille("check")
        monkeypatch.setenv("COLUMNS", "100")
        for command in ("deliveries", "items", "feeds", "watches"):
            code, out, _ = env.veille(command)
            assert code == 0
            assert max(len(line) for line in out.splitlines()) <= 100, (command, out)
        code, out, _ = env.veille("deliveries")
        assert "TITLE" in out.splitlines()[0]
        assert "Entretiens de travail" in out and "news_225706_fr" not in out
        monkeypatch.delenv("COLUMNS")
        code, out, _ = env.veille("deliveries")  # not a terminal: nothing is cut
        assert SEED.title in out

    def test_fit_cuts_the_widest_shrinkable_column(self) -> None:
        text = display.table(["A", "B", "NOTE"], [["x" * 10, "z" * 50, "y" * 100]],
                             shrink=[1, 2], width=60)
        assert all(len(line) <= 60 for line in text.splitlines())
        assert text.splitlines()[1].startswith("x" * 10 + "  ")  # a fixed column stays whole


class TestChangeSummary:
    """check's one-line summary shows where two long texts differ, not their shared start."""

    def test_long_texts_with_a_shared_start(self) -> None:
        before = ("Le 14 mai 2024, l'OTAN a accueilli la République de Corée dans le cadre "
                  "d'entretiens de travail. Il a été question du partenariat actuel.")
        after = before.replace("partenariat actuel", "partenariat renforcé")
        line = change_summary({"field": "summary", "before": before, "after": after},
                              "Europe/Brussels")
        old, new = line.split(" → ")
        assert old != new
        assert "actuel" in old and "renforcé" in new
        assert len(old) <= 60 and len(new) <= 60

    def test_dates_in_local_time(self) -> None:
        line = change_summary({"field": "updated", "before": "2024-05-14T08:00:00Z",
                               "after": "2024-05-23T05:58:00Z"}, "Europe/Brussels")
        assert line == "2024-05-14 10:00 CEST → 2024-05-23 07:58 CEST"


class TestConfigWording:
    """The first config errors a person meets are worded for them."""

    def test_empty_config_is_not_ok(self, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
        path = tmp_path / "config.toml"
        path.write_text(f'[veille]\ndatabase = "sqlite:///{tmp_path}/v.db"\n')
        assert main(["validate", "-c", str(path)]) == 0
        out, err = capsys.readouterr()
        assert "config OK" not in out and "nothing to watch" in out
        assert "warning: nothing to watch: no active [[feed]]" in err

    def test_toml_syntax_error_names_file_line_and_column(
            self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        path = tmp_path / "mine.toml"
        path.write_text('[veille]\ninterval = "10m"\n\n[[feed]]\nname "nato"\n')
        assert main(["validate", "-c", str(path)]) == 2
        err = capsys.readouterr().err
        assert f"{path}: invalid TOML at line 5, column 6: a key must be followed by = and " \
               "a value" in err
        assert '    5 | name "nato"\n      |      ^' in err
        assert "Expected '='" not in err

    def test_webhook_url_without_scheme(self, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
        path = tmp_path / "config.toml"
        path.write_text('[[feed]]\nname = "a"\nurl = "https://example.org/a.xml"\n'
                        '[[watch]]\nname = "w"\nnotify = ["chat"]\n'
                        '[notifier.chat]\ntype = "webhook"\nurl = "hooks.example.org/x/y"\n')
        assert main(["validate", "-c", str(path)]) == 2
        err = capsys.readouterr().err
        assert "notifier.chat.url: has no scheme; write it with https://" in err
        assert "'none'" not in err and "hooks.example.org" not in err

    def test_sighup_error_names_the_real_config_path(
            self, sqlite_env: Env, caplog: pytest.LogCaptureFixture) -> None:
        from monitor.commands import open_db
        from monitor.config import load_config
        from monitor.daemon import Daemon

        env = sqlite_env
        env.write(feeds={"nato-fr": "/fr.xml"})
        config = load_config(env.config)
        bad = env.tmp / "prod-veille.toml"
        bad.write_text(env.config.read_text().replace('interval = "1m"', 'interval = "soon"'))
        db = open_db(config)
        daemon = Daemon(config, db)
        try:
            with caplog.at_level(logging.ERROR):
                daemon.reload(bad)
        finally:
            daemon.dispatcher.close()
            db.dispose()
        assert f"{bad} not reloaded" in caplog.text
        assert "config.toml not reloaded" not in caplog.text


class TestReadmeQuickStart:
    """The README's quick-start commands run as written in a checkout."""

    def test_quick_start_block_runs(self, tmp_path: Path) -> None:
        readme = (ROOT / "README.md").read_text()
        start = readme.index("## Quick start")
        block = readme[start:readme.index("\n## ", start + 1)]
        shell = re.findall(r"```sh\n(.*?)```", block, re.S)
        commands = [line.split("#")[0].strip() for chunk in shell for line in chunk.splitlines()
                    if line.startswith("veille ")]
        assert any(c.startswith("veille init") for c in commands)
        checkout = tmp_path / "checkout"
        checkout.mkdir()
        (checkout / "config.toml").write_text((ROOT / "config.toml").read_text())
        environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}:"
                                             f"{os.environ.get('PATH', '')}"}
        environment.pop("VEILLE_CONFIG", None)
        for command in commands:
            if command.startswith(("veille check", "veille run")):
                continue  # they reach the real internet; the demo covers them on loopback
            done = subprocess.run(command, shell=True, cwd=checkout, capture_output=True,
                                  text=True, timeout=60, env=environment)
            assert done.returncode == 0, (command, done.stderr)
