"""Leases on SQLite and PostgreSQL: slices that concurrent claimers split, renewal of what is
in flight only, and the claims of a process that is gone released at start."""

from __future__ import annotations

import subprocess
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from monitor.daemon import release_gone_owners
from monitor.heartbeat import Heartbeat
from monitor.owner import is_gone, owner_id, parse
from storage import deliveries as outbox
from storage import feeds as feed_store
from storage import leases
from storage.database import Database
from storage.feeds import FeedSpec
from storage.models import Delivery, Event, Feed

T0 = datetime(2024, 5, 23, 6, 0, tzinfo=UTC)
NAMES = [f"feed-{i:02d}" for i in range(30)]


def _feeds(db: Database, names: list[str] = NAMES) -> None:
    with db.write() as s:
        feed_store.sync(s, [FeedSpec(n, f"https://example.org/{n}.xml") for n in names], T0)


def _claim(db: Database, owner: str, limit: int, at: datetime = T0,
           lease: float = 60.0) -> list[str]:
    with db.write() as s:
        return [f.name for f in feed_store.claim(s, NAMES, at, owner, lease, limit=limit)]


def _leases(db: Database) -> dict[str, tuple[str | None, datetime | None]]:
    with db.read() as s:
        return {f.name: (f.lease_owner, f.lease_until) for f in s.scalars(select(Feed))}


def _dead_owner() -> str:
    """The owner id a process that has exited had: same host and scope, its pid gone."""
    child = subprocess.Popen(["true"])
    child.wait()
    host, _pid, scope, start, rand = owner_id().split(":")
    return ":".join([host, str(child.pid), scope, start, rand])


class TestSlices:
    """Claims take bounded slices, most overdue first, never a feed another process holds."""

    def test_slices_are_disjoint_and_bounded(self, db: Database) -> None:
        _feeds(db)
        first = _claim(db, "a", 10)
        second = _claim(db, "b", 10)
        assert len(first) == len(second) == 10
        assert not set(first) & set(second)
        assert first == sorted(first) and second == sorted(second)  # same due time: by id
        assert len(_claim(db, "c", 100)) == 10  # what is left

    def test_an_expired_lease_is_claimable_again(self, db: Database) -> None:
        _feeds(db)
        taken = _claim(db, "a", 5, lease=30)
        assert _claim(db, "b", 5, at=T0 + timedelta(seconds=29)) != taken
        assert _claim(db, "c", 5, at=T0 + timedelta(seconds=31)) == taken

    def test_concurrent_claimers_split_the_feeds(self, db: Database) -> None:
        """Several threads claiming at once (SKIP LOCKED on PostgreSQL, the write lock on
        SQLite) take every feed once between them, none twice."""
        _feeds(db)
        got: dict[str, list[str]] = {}
        barrier = threading.Barrier(3)

        def worker(owner: str) -> None:
            barrier.wait(timeout=10)
            mine: list[str] = []
            while slice_ := _claim(db, owner, 4):
                mine += slice_
            got[owner] = mine

        threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        claimed = [name for names in got.values() for name in names]
        assert sorted(claimed) == NAMES


class TestRenewal:
    """The heartbeat renews the leases held through it, and only while they are its own."""

    def test_beat_renews_held_leases_only(self, db: Database) -> None:
        _feeds(db)
        clock = [T0]
        beat = Heartbeat(db, "me", 60.0, lambda: clock[0])
        mine = _claim(db, "me", 3)
        ids = {f: i for f, i in _ids(db).items() if f in mine}
        beat.hold(leases.FEEDS, [ids[mine[0]], ids[mine[1]]])
        clock[0] = T0 + timedelta(seconds=45)
        beat.beat()
        held = _leases(db)
        assert held[mine[0]] == ("me", T0 + timedelta(seconds=105))
        assert held[mine[1]] == ("me", T0 + timedelta(seconds=105))
        assert held[mine[2]] == ("me", T0 + timedelta(seconds=60))  # not held: left to expire
        beat.drop(leases.FEEDS, [ids[mine[0]], ids[mine[1]]])

    def test_a_lost_lease_is_not_taken_back(self, db: Database) -> None:
        _feeds(db)
        clock = [T0]
        beat = Heartbeat(db, "me", 30.0, lambda: clock[0])
        (name,) = _claim(db, "me", 1, lease=30)
        feed_id = _ids(db)[name]
        beat.hold(leases.FEEDS, [feed_id])
        later = T0 + timedelta(seconds=31)  # expired, and another process took it
        with db.write() as s:
            assert [f.name for f in feed_store.claim(s, [name], later, "other", 30)] == [name]
        clock[0] = later
        beat.beat()
        assert _leases(db)[name] == ("other", later + timedelta(seconds=30))
        beat.drop(leases.FEEDS, [feed_id])

    def test_the_thread_stops_when_nothing_is_held(self, db: Database) -> None:
        _feeds(db)
        beat = Heartbeat(db, "me", 0.2, lambda: datetime.now(UTC))
        beat.hold(leases.FEEDS, [1])
        thread = beat._thread
        assert thread is not None and thread.is_alive()
        beat.drop(leases.FEEDS, [1])
        thread.join(timeout=5)
        assert not thread.is_alive() and beat._thread is None

    def test_delivery_claims_renew_before_a_send(self, db: Database) -> None:
        delivery = _delivery(db)
        with db.write() as s:
            assert [c.delivery.id for c in outbox.claim_due(s, T0, "me", 60)] == [delivery]
        with db.write() as s:
            later = T0 + timedelta(seconds=50)
            assert outbox.renew(s, [delivery], "me", later, later + timedelta(seconds=60))
            assert not outbox.renew(s, [delivery], "other", later, later)


class TestGoneOwners:
    """At start, the claims of a veille process of this machine that is gone are released."""

    def test_owner_ids_name_their_process(self) -> None:
        me = parse(owner_id())
        assert me is not None and me.pid > 0
        assert not is_gone(owner_id())
        assert is_gone(_dead_owner())
        assert not is_gone("elsewhere:1:abcd1234:1:xyz")  # another machine: not provable
        assert not is_gone("vm:123:oldstyle")  # an older veille's id: not provable

    def test_release_at_start(self, db: Database) -> None:
        _feeds(db)
        dead, alive = _dead_owner(), owner_id()
        now = datetime.now(UTC)
        with db.write() as s:
            feed_store.claim(s, NAMES[:4], now, dead, 300)
            feed_store.claim(s, NAMES[4:6], now, alive, 300)
        delivery = _delivery(db, at=now)
        with db.write() as s:
            outbox.claim_due(s, now, dead, 300)
        assert release_gone_owners(db, now) == {"feed": 4, "alert": 1}
        held = _leases(db)
        assert [n for n, (owner, _) in held.items() if owner is not None] == NAMES[4:6]
        with db.read() as s:
            row = s.get(Delivery, delivery)
            assert row is not None and row.claimed_by is None


def _ids(db: Database) -> dict[str, int]:
    with db.read() as s:
        return {f.name: f.id for f in s.scalars(select(Feed))}


def _delivery(db: Database, at: datetime = T0) -> int:
    with db.write() as s:
        event = Event(type="test", occurred_at=at, changes=[], watches={})
        s.add(event)
        s.flush()
        row = Delivery(event_id=event.id, notifier="chat", alert_id=f"a{event.id}",
                       next_attempt_at=at, created_at=at, watches=[], matched=[])
        s.add(row)
        s.flush()
        return row.id
