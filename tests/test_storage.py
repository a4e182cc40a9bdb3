"""Storage on SQLite and PostgreSQL: migrations, instants, leases and outbox claims."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import func, select, text

from storage import deliveries as outbox
from storage import feeds as feed_store
from storage.database import Database
from storage.feeds import FeedSpec
from storage.models import Delivery, Event, Feed

T0 = datetime(2024, 5, 23, 6, 0, tzinfo=UTC)


def _feeds(db: Database, *names: str) -> None:
    with db.write() as s:
        feed_store.sync(s, [FeedSpec(n, f"https://example.org/{n}.xml") for n in names], T0)


def _delivery(db: Database, notifier: str = "chat", at: datetime = T0) -> int:
    with db.write() as s:
        event = Event(type="test", occurred_at=at, changes=[], watches={})
        s.add(event)
        s.flush()
        d = Delivery(event_id=event.id, notifier=notifier, alert_id=f"a{event.id}{notifier}",
                     next_attempt_at=at, created_at=at, watches=[], matched=[])
        s.add(d)
        s.flush()
        return d.id


class TestSchema:
    """The schema is created by Alembic migrations, idempotently."""

    def test_migrate_twice_is_harmless(self, db: Database) -> None:
        db.migrate()
        with db.read() as s:
            assert s.execute(text("select version_num from alembic_version")).scalar()
            assert s.scalar(select(func.count()).select_from(Feed)) == 0

    def test_instants_come_back_aware_utc(self, db: Database) -> None:
        brussels = timezone(timedelta(hours=2))
        _feeds(db, "nato-fr")
        with db.write() as s:
            row = feed_store.by_name(s, "nato-fr")
            assert row is not None
            row.last_poll_at = datetime(2024, 5, 23, 7, 58, tzinfo=brussels)
        with db.read() as s:
            row = feed_store.by_name(s, "nato-fr")
            assert row is not None and row.last_poll_at is not None
            assert row.last_poll_at == datetime(2024, 5, 23, 5, 58, tzinfo=UTC)
            assert row.last_poll_at.tzinfo is not None


class TestFeedSync:
    """Feeds follow the config by name; an edited URL re-baselines silently."""

    def test_url_edit_rebaselines(self, db: Database) -> None:
        _feeds(db, "nato-fr")
        with db.write() as s:
            row = feed_store.by_name(s, "nato-fr")
            assert row is not None
            row.baselined, row.etag, row.body_hash = True, '"v1"', "abc"
        with db.write() as s:
            report = feed_store.sync(s, [FeedSpec("nato-fr", "https://example.org/new.xml")], T0)
        assert report.url_changed == ("nato-fr",)
        with db.read() as s:
            row = feed_store.by_name(s, "nato-fr")
            assert row is not None
            assert (row.baselined, row.etag, row.body_hash) == (False, None, None)
            assert row.fetch_url == "https://example.org/new.xml"
            assert row.url_changed_at == T0


class TestFeedLeases:
    """A feed is polled by one process at a time."""

    def test_second_owner_gets_nothing_until_lease_expires(self, db: Database) -> None:
        _feeds(db, "a", "b")
        with db.write() as s:
            first = feed_store.claim(s, ["a", "b"], T0, "one", 60)
        with db.write() as s:
            second = feed_store.claim(s, ["a", "b"], T0, "two", 60)
            others = feed_store.held_by_other(s, ["a", "b"], T0, "two")
        assert sorted(f.name for f in first) == ["a", "b"]
        assert second == [] and sorted(others) == ["a", "b"]
        with db.write() as s:
            later = feed_store.claim(s, ["a"], T0 + timedelta(seconds=61), "two", 60)
        assert [f.name for f in later] == ["a"]

    def test_not_due_is_not_claimed_unless_forced(self, db: Database) -> None:
        _feeds(db, "a")
        with db.write() as s:
            row = feed_store.by_name(s, "a")
            assert row is not None
            row.next_poll_at = T0 + timedelta(hours=1)
        with db.write() as s:
            assert feed_store.claim(s, ["a"], T0, "one", 60) == []
        with db.write() as s:
            assert len(feed_store.claim(s, ["a"], T0, "one", 60, due_only=False)) == 1


class TestOutboxClaims:
    """Two senders racing for the outbox never take the same row."""

    def test_concurrent_claims_are_disjoint(self, db: Database) -> None:
        ids = {_delivery(db, at=T0) for _ in range(40)}
        taken: dict[str, list[int]] = {}
        barrier = threading.Barrier(4)

        def worker(owner: str) -> None:
            barrier.wait()
            got: list[int] = []
            for _ in range(20):
                with db.write() as s:
                    got += [c.delivery.id for c in outbox.claim_due(s, T0, owner, 60, limit=3)]
            taken[owner] = got

        threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        everything = [i for got in taken.values() for i in got]
        assert sorted(everything) == sorted(ids)  # each row claimed exactly once

    def test_expired_claim_cannot_be_renewed_once_taken(self, db: Database) -> None:
        did = _delivery(db)
        with db.write() as s:
            assert [c.delivery.id for c in outbox.claim_due(s, T0, "slow", 60)] == [did]
            assert outbox.renew(s, [did], "slow", T0 + timedelta(seconds=30),
                                T0 + timedelta(seconds=90))
        later = T0 + timedelta(seconds=100)  # the renewed claim has expired
        with db.write() as s:
            assert [c.delivery.id for c in outbox.claim_due(s, later, "fast", 60)] == [did]
        with db.write() as s:
            assert not outbox.renew(s, [did], "slow", later, later + timedelta(seconds=60))

    def test_retry_schedule_and_manual_requeue(self, db: Database) -> None:
        did = _delivery(db)
        with db.write() as s:
            [claimed] = outbox.claim_due(s, T0, "me", 60)
            outbox.mark_retry(s, claimed.delivery.id, "HTTP 503", T0 + timedelta(minutes=5))
        with db.write() as s:
            assert outbox.claim_due(s, T0 + timedelta(minutes=1), "me", 60) == []
            assert [c.delivery.id for c in outbox.claim_due(
                s, T0 + timedelta(minutes=1), "me", 60, ignore_schedule=True)] == [did]
            outbox.mark_given_up(s, did, "gave up")
        with db.write() as s:
            assert outbox.claim_due(s, T0 + timedelta(hours=1), "me", 60) == []
            assert outbox.requeue(s, T0 + timedelta(hours=1), None) == [did]
        with db.read() as s:
            row = s.get(Delivery, did)
            assert row is not None and row.status == "pending" and row.attempts == 2


class TestSQLiteLocking:
    """SQLite writers wait for each other instead of failing with "database is locked"."""

    def test_read_then_write_transactions_in_parallel(self, tmp_path: object) -> None:
        from pathlib import Path

        assert isinstance(tmp_path, Path)
        db = Database(f"sqlite:///{tmp_path / 'locks.db'}")
        db.migrate()
        _feeds(db, "a")
        errors: list[BaseException] = []

        def bump() -> None:
            try:
                for _ in range(25):
                    with db.write() as s:
                        row = feed_store.by_name(s, "a")
                        assert row is not None
                        row.item_count = row.item_count + 1
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=bump) for _ in range(4)]
        for t in threads:
            t.start()
        with db.read() as s:  # a reader in the middle never blocks the writers for good
            s.scalar(select(func.count()).select_from(Feed))
        for t in threads:
            t.join()
        assert errors == []
        with db.read() as s:
            row = feed_store.by_name(s, "a")
            assert row is not None and row.item_count == 100
        db.dispose()


class TestIntervalShortened:
    """A shortened interval is honoured at the next tick after a reload, not after the old
    next poll; a longer one, or a poll already due sooner, is left as it is."""

    def _polled(self, db: Database, next_in: timedelta) -> None:
        _feeds(db, "nato-fr")
        with db.write() as s:
            row = s.scalars(select(Feed).where(Feed.name == "nato-fr")).one()
            row.last_poll_at, row.next_poll_at = T0, T0 + next_in

    def _next(self, db: Database, interval: float, now: datetime) -> datetime:
        with db.write() as s:
            feed_store.sync(s, [FeedSpec("nato-fr", "https://example.org/nato-fr.xml",
                                         interval, 30.0)], now)
        with db.read() as s:
            return s.scalars(select(Feed.next_poll_at).where(Feed.name == "nato-fr")).one()

    def test_shortened_interval_moves_the_next_poll(self, db: Database) -> None:
        self._polled(db, timedelta(minutes=15))
        assert self._next(db, 10.0, T0 + timedelta(seconds=3)) == T0 + timedelta(seconds=10)
        assert self._next(db, 10.0, T0 + timedelta(minutes=1)) == T0 + timedelta(seconds=10)

    def test_overdue_after_the_change_is_due_now(self, db: Database) -> None:
        self._polled(db, timedelta(minutes=15))
        now = T0 + timedelta(minutes=5)
        assert self._next(db, 60.0, now) == now

    def test_same_or_longer_interval_keeps_the_schedule(self, db: Database) -> None:
        self._polled(db, timedelta(minutes=15, seconds=20))
        assert self._next(db, 900.0, T0) == T0 + timedelta(minutes=15, seconds=20)
        assert self._next(db, 3600.0, T0) == T0 + timedelta(minutes=15, seconds=20)


class TestHeadWithoutAlembic:
    """A start at head reads the schema version without importing Alembic: the head read from
    the migration files is Alembic's own."""

    def test_head_revision_is_alembics(self) -> None:
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        from storage.database import MIGRATIONS, head_revision
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        assert head_revision() == ScriptDirectory.from_config(cfg).get_current_head()
