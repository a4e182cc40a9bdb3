"""Storage faults are states, not tracebacks: a full disk and a read-only database are said once
per episode in one sentence, shown by `veille feeds`, and left behind without a restart; the
write-ahead log stays small; migrations run under a lock, so daemons may start together."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PG_SKIP, PG_URL
from feedgen import INDO_PACIFIC, LATVIA, SEED, rss
from httpserver import FeedServer
from sqlalchemy import create_engine, text
from stallkit import ROOT, log_of, start_daemon, stop, wait_for
from webhookserver import WebhookServer

from monitor.cli import main
from storage import faults
from storage.database import WAL_LIMIT, Database, StorageFaultError


def _mount(where: Path, size: str) -> str | None:
    """Mount a tmpfs of `size` on `where`; why it cannot be done here, or None."""
    if os.geteuid() != 0:
        return "mounting a small tmpfs needs root"
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs",
                           str(where)], capture_output=True, text=True)
    if done.returncode != 0:
        return f"mount -t tmpfs failed here: {done.stderr.strip() or done.returncode}"
    return None


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 6 MB file system of its own (a tmpfs), unmounted afterwards."""
    where = tmp_path / "disk"
    reason = _mount(where, "6m")
    if reason is not None:
        pytest.skip(f"full-disk test skipped: {reason}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _fill(disk: Path) -> Path:
    """Fill `disk` to the last byte; the filler file, to delete to free the space."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                continue
    finally:
        os.close(fd)
    return filler


def _config(path: Path, database: str, feeds: FeedServer, hook: WebhookServer) -> Path:
    path.write_text(f'''[veille]
database = "{database}"
interval = "2s"
jitter = 0
timeout = "2s"
lease = "5s"

[[feed]]
name = "nato-fr"
url = "{feeds.url('/fr.xml')}"

[[watch]]
name = "korea"
keywords = ["République de Corée", "Indo-Pacifique"]
notify = ["chat"]

[notifier.chat]
type = "webhook"
url = "{hook.url('/hook')}"
timeout = "2s"
''')
    return path


def _veille(*args: str) -> tuple[int, str]:
    done = subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True,
                          text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=60)
    return done.returncode, done.stdout + done.stderr


class TestFullDisk:
    """A full disk under a running daemon: one state, recovery once space frees, no loss."""

    def test_one_state_then_recovery(self, tmp_path: Path, small_disk: Path,
                                     feed_server: FeedServer) -> None:
        database = small_disk / "veille.db"
        with WebhookServer() as hook:
            feed_server.set("/fr.xml", rss([SEED, LATVIA]))
            config = _config(tmp_path / "config.toml", f"sqlite:///{database}", feed_server,
                             hook)
            proc = start_daemon(config)
            try:
                assert wait_for(lambda: len(feed_server.requests_for("/fr.xml")) >= 2, 30)
                filler = _fill(small_disk)
                feed_server.set("/fr.xml", rss([INDO_PACIFIC, SEED, LATVIA]))
                assert wait_for(lambda: "the disk is full" in log_of(config), 30), \
                    log_of(config)
                code, shown = _veille("feeds", "-c", str(config))
                assert code == 0 and "database DISK FULL" in shown, shown
                assert hook.requests == []  # the new item could not be recorded yet
                filler.unlink()
                assert wait_for(lambda: len(hook.requests) >= 1, 30), log_of(config)
                assert wait_for(lambda: "can be written again" in log_of(config), 10)
            finally:
                assert stop(proc) == 0, log_of(config)
        log = log_of(config)
        assert log.count("the disk is full") == 1, log  # one sentence for the episode
        assert "Traceback" not in log, log
        assert [r.json["item"]["title"] for r in hook.requests] == [INDO_PACIFIC.title]
        with sqlite3.connect(database) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


class TestReadOnly:
    """A read-only database: one sentence, no traceback, whichever command meets it."""

    def test_sqlite_writes_refused_in_one_sentence(self, tmp_path: Path) -> None:
        path = tmp_path / "veille.db"
        first = Database(f"sqlite:///{path}")
        first.migrate()
        first.dispose()
        db = Database(f"sqlite:///file:{path}?mode=ro&uri=true")
        db.migrate()  # at the newest version: only read
        with pytest.raises(StorageFaultError) as caught, db.write() as session:
            session.execute(text("DELETE FROM feed"))
        assert caught.value.kind == faults.READ_ONLY
        assert str(caught.value).startswith(f"the database file:{path} cannot be written: it is "
                                            "read-only (attempt to write a readonly database)")
        db.dispose()

    def test_postgresql_read_only_transactions(self, pg_url: str) -> None:
        first = Database(pg_url)
        first.migrate()
        first.dispose()
        db = Database(pg_url + "%20-cdefault_transaction_read_only%3Don")
        db.migrate()
        with pytest.raises(StorageFaultError) as caught, db.write() as session:
            session.execute(text("DELETE FROM feed"))
        assert caught.value.kind == faults.READ_ONLY
        assert db.write_state() is not None
        db.dispose()

    def test_read_only_file_system(self, tmp_path: Path, feed_server: FeedServer) -> None:
        where = tmp_path / "disk"
        reason = _mount(where, "4m")
        if reason is not None:
            pytest.skip(f"read-only mount test skipped: {reason}")
        try:
            with WebhookServer() as hook:
                feed_server.set("/fr.xml", rss([SEED]))
                config = _config(tmp_path / "config.toml", f"sqlite:///{where / 'veille.db'}",
                                 feed_server, hook)
                assert _veille("check", "-c", str(config))[0] == 0
                (where / "veille.db.lock").write_text("")
                subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)
                for command in ("check", "run", "feeds"):
                    code, said = _veille(command, "-c", str(config))
                    lines = [line for line in said.splitlines() if "logsetup" not in line]
                    assert code == 1 and len(lines) == 1, said
                    assert "cannot be written: it is read-only" in lines[0]
                    assert "Traceback" not in said
        finally:
            subprocess.run(["umount", "-l", str(where)], capture_output=True)


class TestWriteAheadLog:
    """SQLite's log shrinks back after a checkpoint: freed space is really free."""

    def test_bounded(self, tmp_path: Path) -> None:
        db = Database(f"sqlite:///{tmp_path / 'veille.db'}")
        db.migrate()
        with db.write() as session:
            limit = session.execute(text("PRAGMA journal_size_limit")).scalar()
            session.execute(text("CREATE TABLE ballast (b BLOB)"))
            for _ in range(40):
                session.execute(text("INSERT INTO ballast VALUES (randomblob(250000))"))
        wal = tmp_path / "veille.db-wal"
        assert limit == WAL_LIMIT and wal.stat().st_size > WAL_LIMIT
        db.checkpoint()
        assert wal.stat().st_size == 0
        db.dispose()


class TestMigrationLock:
    """Any number of processes may migrate at once, on an empty database or an old one."""

    SCRIPT = ("import sys; from storage.database import Database; "
              "Database(sys.argv[1]).migrate(); print('ok')")

    def _together(self, url: str, count: int = 3) -> list[tuple[int, str]]:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        procs = [subprocess.Popen([sys.executable, "-c", self.SCRIPT, url], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for _ in range(count)]
        results = []
        for proc in procs:
            out, _ = proc.communicate(timeout=60)
            results.append((proc.returncode, out))
        return results

    def test_three_at_once(self, db_url: str) -> None:
        results = self._together(db_url)
        assert [code for code, _ in results] == [0, 0, 0], results

    def test_three_at_once_from_an_older_version(self, tmp_path: Path) -> None:
        from alembic import command
        from alembic.config import Config

        url = f"sqlite:///{tmp_path / 'veille.db'}"
        cfg = Config()
        cfg.set_main_option("script_location", str(ROOT / "storage" / "migrations"))
        engine = create_engine(url)
        with engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0002")
            conn.commit()
        engine.dispose()
        assert [code for code, _ in self._together(url)] == [0, 0, 0]


@pytest.mark.skipif(PG_SKIP is not None, reason=f"PostgreSQL tests skipped: {PG_SKIP}")
class TestDaemonsTogether:
    """Three `veille run` started at once on an empty PostgreSQL database all start."""

    def test_all_start(self, tmp_path: Path, feed_server: FeedServer) -> None:
        schema = f"veille_{uuid.uuid4().hex[:12]}"
        admin = create_engine(PG_URL)
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = f"{PG_URL}?options=-csearch_path%3D{schema}"
        procs = []
        try:
            with WebhookServer() as hook:
                feed_server.set("/fr.xml", rss([SEED]))
                configs = [_config(tmp_path / f"node{i}.toml", url, feed_server, hook)
                           for i in range(3)]
                procs = [start_daemon(c) for c in configs]
                assert wait_for(lambda: all("veille running" in log_of(c) for c in configs)
                                or any(p.poll() is not None for p in procs), 60)
                assert all(p.poll() is None for p in procs), [log_of(c) for c in configs]
                codes = [stop(p) for p in procs]
            assert codes == [0, 0, 0], [log_of(c) for c in configs]
            assert not any("Traceback" in log_of(c) for c in configs)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
            with admin.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            admin.dispose()


def test_feeds_command_shows_no_fault_normally(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[veille]\ndatabase = "sqlite:///{tmp_path / "v.db"}"\n')
    assert main(["feeds", "-c", str(config)]) == 0
    assert "database" not in capsys.readouterr().out
