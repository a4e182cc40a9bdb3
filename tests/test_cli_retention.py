"""Retention (`[veille] keep`, `veille prune`) and `veille backup`, on both backends."""

from __future__ import annotations

import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from feedgen import INDO_PACIFIC, LATVIA, SEED, SEED_REVISED, rss
from harness import Env
from sqlalchemy import func, select, update

from storage.database import Database
from storage.models import Delivery, Item, ItemVersion
from storage.retention import VersionInfo, removable_versions

OLD = datetime(2020, 1, 1, tzinfo=UTC)


def _three_versions(env: Env) -> None:
    """SEED in three versions, with alerts sent about each of them."""
    env.feeds.set("/fr.xml", rss([SEED, LATVIA]))
    env.write(feeds={"nato-fr": "/fr.xml"}, veille='first_run = "notify"\nkeep = "30d"')
    env.veille("check")
    env.feeds.set("/fr.xml", rss([SEED_REVISED, LATVIA]))
    env.veille("check")
    env.feeds.set("/fr.xml", rss([SEED_REVISED.but(title=SEED.title + " (mis à jour)"),
                                  LATVIA, INDO_PACIFIC]))
    env.veille("check")


def _age_everything(db: Database) -> None:
    with db.write() as session:
        session.execute(update(ItemVersion).values(recorded_at=OLD))
        session.execute(update(Delivery).where(Delivery.status == "sent").values(sent_at=OLD))


class TestPrune:
    """Old versions and delivered alerts go; current, first and undelivered ones stay."""

    def test_prune_keeps_what_must_stay(self, env: Env) -> None:
        _three_versions(env)
        db = Database(env.database)
        try:
            _age_everything(db)
            with db.read() as session:
                seed = session.scalars(select(Item).where(Item.key == SEED.guid)).one()
                before = sorted(session.scalars(select(ItemVersion.number).where(
                    ItemVersion.item_id == seed.id)))
                sent = session.scalar(select(func.count()).select_from(Delivery).where(
                    Delivery.status == "sent"))
            assert before == [1, 2, 3] and sent == 2 * 4  # 4 alerts × email and webhook
            code, out, _ = env.veille("prune", "--dry-run")
            assert code == 0 and out.startswith("would remove 1 item version and 4 delivered")
            code, out, _ = env.veille("prune")
            assert code == 0 and out.startswith("removed 1 item version and 4 delivered alerts")
            with db.read() as session:
                kept = sorted(session.scalars(select(ItemVersion.number).where(
                    ItemVersion.item_id == seed.id)))
                firsts = session.scalar(select(func.count()).select_from(Delivery))
            assert kept == [1, 3]  # the first and the current
            assert firsts == 4  # the first alert about each item, per notifier
            assert env.veille("history", "--item", SEED.guid or "")[0] == 0
            assert env.veille("prune")[1].startswith("removed 0 item versions and 0")
        finally:
            db.dispose()

    def test_prune_without_keep_removes_nothing(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.write(feeds={"nato-fr": "/fr.xml"})
        code, out, _ = env.veille("prune")
        assert code == 0 and "keep is not set" in out

    def test_keep_shorter_than_a_day_is_refused(self, sqlite_env: Env) -> None:
        env = sqlite_env
        env.write(feeds={"nato-fr": "/fr.xml"}, veille='keep = "12h"')
        code, _, err = env.veille("validate")
        assert code == 2 and 'veille.keep: "12h" is shorter than 1d' in err

    def test_rule_keeps_the_versions_the_next_poll_reads(self) -> None:
        def v(n: int, **kw: object) -> VersionInfo:
            silent = kw.get("silent")
            return VersionInfo(n, OLD, str(kw.get("hash", n)),
                               silent if isinstance(silent, str) else None, bool(kw.get("page")))

        history = [v(1), v(2, page=True), v(3), v(4, hash="t", silent="truncation"),
                   v(5, hash="t"), v(6)]
        assert removable_versions(history, 6, OLD + timedelta(days=1)) == [3, 4, 5]
        # The newest page version and the newest full version are kept even when old.
        history = [v(1), v(2), v(3, page=True), v(4, hash="t", silent="truncation")]
        assert removable_versions(history, 4, OLD + timedelta(days=1)) == [2]
        assert removable_versions(history, 4, OLD) == []  # nothing older than the cut-off


class TestBackup:
    """A consistent copy of SQLite; pg_dump advice for PostgreSQL."""

    def test_backup(self, env: Env, tmp_path: Path) -> None:
        env.feeds.set("/fr.xml", rss([SEED, LATVIA]))
        env.write(feeds={"nato-fr": "/fr.xml"})
        env.veille("check")
        target = tmp_path / "copy" / "veille-backup.db"
        target.parent.mkdir()
        code, out, err = env.veille("backup", str(target))
        if not env.database.startswith("sqlite"):
            assert code == 2 and "pg_dump --format=custom" in err and not target.exists()
            return
        assert code == 0 and "backed up" in out, err
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        with sqlite3.connect(target) as copy:
            assert copy.execute("select count(*) from item").fetchone() == (2,)
            assert copy.execute("pragma integrity_check").fetchone() == ("ok",)
        copy.close()
        code, _, err = env.veille("backup", str(target))
        assert code == 2 and "exists" in err
