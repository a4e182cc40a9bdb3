"""veille's files are its owner's only, whatever the umask: the SQLite database and its -wal and
-shm, the lock file of `veille run`, and the config `veille init` writes (0600), and the
directories veille creates for them (0700)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from feedgen import SEED, rss
from harness import Env

from monitor.cli import main
from storage.database import Database

ROOT = Path(__file__).resolve().parent.parent


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most permissive umask: every file would be created world-writable."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("open_umask")
class TestModes:
    """Files 0600 and created directories 0700 after `check`, `run` and `init`."""

    def test_check(self, sqlite_env: Env) -> None:
        env = sqlite_env
        state = env.tmp / "state" / "veille"
        env.database = f"sqlite:///{state / 'veille.db'}"
        env.feeds.set("/fr.xml", rss([SEED]))
        env.write(feeds={"nato-fr": "/fr.xml"})
        assert env.veille("check")[0] == 0
        assert mode(state) == mode(state.parent) == 0o700
        assert mode(state / "veille.db") == 0o600
        db = Database(env.database)  # a reader beside it: SQLite creates its -wal and -shm
        try:
            with db.read() as session:
                session.connection().exec_driver_sql("SELECT count(*) FROM feed")
                for name in ("veille.db-wal", "veille.db-shm"):
                    assert mode(state / name) == 0o600, name
        finally:
            db.dispose()

    def test_an_existing_world_readable_database_is_restricted(self, tmp_path: Path) -> None:
        mine = tmp_path / "project"
        mine.mkdir(mode=0o755)
        url = f"sqlite:///{mine / 'veille.db'}"
        Database(url).migrate()
        for name in ("veille.db", "veille.db-wal"):
            path = mine / name
            path.touch()
            path.chmod(0o644)
        Database(url).dispose()
        assert mode(mine / "veille.db") == mode(mine / "veille.db-wal") == 0o600
        assert mode(mine) == 0o755  # the operator's own directory is left alone

    def test_run(self, sqlite_env: Env) -> None:
        env = sqlite_env
        state = env.tmp / "run-state"
        env.database = f"sqlite:///{state / 'veille.db'}"
        env.feeds.set("/fr.xml", rss([SEED]))
        env.write(feeds={"nato-fr": "/fr.xml"})
        proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run", "-c", str(env.config)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=dict(os.environ, PYTHONPATH=str(ROOT)), cwd=env.tmp)
        try:
            deadline = time.monotonic() + 20  # bounds a hang only
            while not env.feeds.requests_for("/fr.xml") and time.monotonic() < deadline:
                time.sleep(0.1)
            assert env.feeds.requests_for("/fr.xml"), "the daemon never polled"
            while not (state / "veille.db-wal").exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            files = {name: mode(state / name) for name in
                     ("veille.db", "veille.db-wal", "veille.db-shm", "veille.db.lock")}
            assert files == dict.fromkeys(files, 0o600)
            assert mode(state) == 0o700
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=40)
        assert proc.returncode == 0, err

    def test_init(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        path = tmp_path / "etc" / "veille" / "config.toml"
        assert main(["init", str(path)]) == 0
        assert mode(path) == 0o600
        assert mode(path.parent) == mode(path.parent.parent) == 0o700
        path.chmod(0o644)
        assert main(["init", "--force", str(path)]) == 0
        assert mode(path) == 0o600
        assert "[veille]" in path.read_text()
