"""`veille run`: APScheduler drives the "poll due feeds", "check followed pages" and "dispatch"
jobs until a signal.

All state lives in veille's tables; the scheduler (memory job store) only ticks. The jobs
never wait for one another: the poll records outbox rows, the dispatch job starts the sends
on each notifier's own threads and returns. A heartbeat renews the leases of the work in
flight, and at start the claims of a veille process that is provably gone are released.
SIGTERM and SIGINT stop it: in-flight work finishes or is given back (leases, claims) within
STOP_GRACE. SIGHUP re-reads config.toml; an invalid new config is refused and the old one kept.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import IO, Any

from apscheduler.schedulers.background import BackgroundScheduler

from monitor import sdnotify
from monitor.config import Config, load_config
from monitor.console import metrics
from monitor.dispatch import Dispatcher
from monitor.errors import AlreadyRunningError, ConfigError
from monitor.follow import Follower
from monitor.heartbeat import Heartbeat
from monitor.owner import is_gone, owner_id
from monitor.poll import Poller
from storage import leases
from storage.database import Database, StorageError, StorageFaultError, private_file, sqlite_path

__all__ = ["Daemon", "owner_id", "release_gone_owners", "single_run_lock"]

log = logging.getLogger(__name__)

POLL_TICK = 5.0  # how often due feeds are looked for
DISPATCH_TICK = 1.0  # how often due alerts are looked for (a read; sends run apart)
FOLLOW_TICK = 5.0  # how often due followed pages are looked for
STOP_GRACE = 30.0  # how long in-flight work may take after a stop signal
MAINTENANCE_TICK = 60.0  # how often SQLite's write-ahead log is checkpointed and truncated


def release_gone_owners(db: Database, now: datetime) -> dict[str, int]:
    """Release the claims of veille processes of this machine that are gone (a crash, a
    kill -9): they would otherwise hold their feeds and alerts until their leases end.
    Returns how many claims were released, per kind."""
    released: dict[str, int] = {}
    with db.write() as session:
        for kind in leases.KINDS:
            gone = [o for o in leases.holders(session, kind, now) if is_gone(o)]
            count = leases.release_owners(session, kind, gone)
            if count:
                released[kind.name] = count
    if released:
        what = ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in released.items())
        log.info("released the claims of a veille process that is gone: %s", what)
    return released


@contextmanager
def single_run_lock(db: Database) -> Iterator[None]:
    """One `veille run` per SQLite database: a lock file beside it, released at exit."""
    path = sqlite_path(db.url)
    if path is None:
        yield  # PostgreSQL: several daemons share the feeds through leases
        return
    lock_path = path.with_name(path.name + ".lock")
    writable = True
    try:
        private_file(lock_path)  # it names the host and the process: the owner's only
        handle: IO[str] = open(lock_path, "a+")  # noqa: SIM115 - held for the process lifetime
    except OSError as exc:
        if exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM) or not lock_path.exists():
            raise StorageError(
                f"cannot create the lock file {lock_path}: {exc.strerror or exc}; veille needs "
                f"to write in the folder of its database {path}") from None
        # A read-only database: the lock works on a file opened for reading, and veille
        # runs, saying once that it cannot write, until it can.
        handle = open(lock_path)  # noqa: SIM115
        writable = False
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise AlreadyRunningError(
                f"another veille run ({holder}) is already using {path}; stop it first, or "
                f"use PostgreSQL to run several daemons on one database") from None
        if writable:
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
            handle.flush()
        yield
    finally:
        handle.close()


def _start_console(daemon: Daemon) -> Any:
    """The console beside the daemon when `[veille.http] listen` is set (None otherwise)."""
    from monitor.console.server import start_beside_daemon

    return start_beside_daemon(lambda: daemon.config, daemon.db)


class _InFlight:
    """Counts running jobs so that shutdown can wait for them, with a bound."""

    def __init__(self) -> None:
        self._count = 0
        self._cond = threading.Condition()

    @contextmanager
    def track(self) -> Iterator[None]:
        with self._cond:
            self._count += 1
        try:
            yield
        finally:
            with self._cond:
                self._count -= 1
                self._cond.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._count == 0, timeout)


class Daemon:
    """The long-running process of `veille run`."""

    def __init__(self, config: Config, db: Database, *,
                 now: Callable[[], datetime] | None = None) -> None:
        self.config = config
        self.db = db
        self.owner = owner_id()
        self._now = now or (lambda: datetime.now(UTC))
        self.stop_event = threading.Event()
        self.reload_event = threading.Event()
        self.inflight = _InFlight()
        self.heartbeat = Heartbeat(db, self.owner, config.veille.lease, self._now)
        self._synced = False
        db.fault.report = True  # one log line per full-disk or read-only episode
        self._build()

    def _build(self) -> None:
        self.heartbeat.seconds = self.config.veille.lease
        self.poller = Poller(self.config, self.db, owner=self.owner, now=self._now,
                             heartbeat=self.heartbeat)
        self.dispatcher = Dispatcher(self.config, self.db, owner=self.owner, now=self._now,
                                     heartbeat=self.heartbeat)
        self.follower = Follower(self.config, self.db, owner=self.owner, now=self._now)

    def poll_job(self) -> None:
        """Poll the due feeds; their alerts become outbox rows that the dispatch job sends."""
        if self.stop_event.is_set():
            return
        with self.inflight.track(), metrics.poll_cycle():
            try:
                if not self._synced:  # the database could not be written at start
                    self._start_up()
                self.poller.poll()
            except StorageFaultError:
                pass  # said once by the database; the next tick tries again
            except Exception:
                log.exception("poll cycle failed; will try again at the next tick")

    def _start_up(self) -> None:
        """Bring the feeds in step with the config and free the claims of a veille process
        that is gone (a write: retried by the poll job while the database cannot be written)."""
        self.poller.sync_feeds()
        release_gone_owners(self.db, self._now())
        self._synced = True

    def maintenance_job(self) -> None:
        """Keep SQLite's write-ahead log small, so that it never holds on to disk space."""
        self.db.checkpoint()

    def follow_job(self) -> None:
        """Check the followed article pages that are due."""
        if self.stop_event.is_set():
            return
        with self.inflight.track():
            try:
                self.follower.check()
            except StorageFaultError:
                pass  # said once by the database; the next tick tries again
            except Exception:
                log.exception("page check cycle failed; will try again at the next tick")

    def dispatch_job(self) -> None:
        """Start the sends that are due, each notifier on its own threads; never waits."""
        if self.stop_event.is_set():
            return
        try:
            self.dispatcher.tick()
        except StorageFaultError:
            pass  # said once by the database; the next tick tries again
        except Exception:
            log.exception("dispatch failed; will try again at the next tick")

    def reload(self, path: Path) -> None:
        """Re-read config.toml; keep the running config when the new one is invalid."""
        try:
            config = load_config(path)
        except ConfigError as exc:
            log.error("%s not reloaded, keeping the running config:\n%s", path,
                      "\n".join(exc.problems))
            return
        old = self.dispatcher
        self.config = config
        self._build()  # jobs started from now on use the new config
        self.dispatcher.adopt_limits(old)
        old.stopping.set()  # its sends in flight finish; it starts no more
        try:
            self.poller.sync_feeds()
        except StorageFaultError:
            self._synced = False  # the poll job syncs once the database can be written
        # Jobs already running still use the old notifiers: close them once those are done.
        self.inflight.wait_idle(STOP_GRACE)
        old.wait_idle(STOP_GRACE)
        old.close()
        log.info("config reloaded: %d feeds, %d watches, %d notifiers", len(config.feeds),
                 len(config.watches), len(config.notifiers))

    def run(self, config_path: Path) -> int:
        """Run until SIGTERM/SIGINT; returns the exit code."""
        def on_stop(signum: int, _frame: FrameType | None) -> None:
            log.info("%s received: finishing in-flight work", signal.Signals(signum).name)
            self.stop_event.set()

        def on_hup(_signum: int, _frame: FrameType | None) -> None:
            self.reload_event.set()

        previous: dict[int, Any] = {}
        for sig, handler in ((signal.SIGTERM, on_stop), (signal.SIGINT, on_stop),
                             (signal.SIGHUP, on_hup)):
            previous[sig] = signal.signal(sig, handler)
        try:
            self._start_up()
        except StorageFaultError:
            pass  # said once by the database; the poll job tries again
        tick = min([POLL_TICK, *(f.interval for f in self.config.feeds)])
        scheduler = BackgroundScheduler(timezone=UTC, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        now = datetime.now(UTC)
        scheduler.add_job(self.poll_job, "interval", seconds=tick, id="poll",
                          name="poll due feeds", next_run_time=now)
        scheduler.add_job(self.dispatch_job, "interval", seconds=DISPATCH_TICK, id="dispatch",
                          name="dispatch", next_run_time=now)
        scheduler.add_job(self.follow_job, "interval", seconds=FOLLOW_TICK, id="follow",
                          name="check followed pages", next_run_time=now)
        scheduler.add_job(self.maintenance_job, "interval", seconds=MAINTENANCE_TICK,
                          id="maintenance", name="checkpoint the database")
        scheduler.start()
        metrics.daemon_started(lambda: bool(scheduler.running))
        console = _start_console(self)  # its own thread and loop: never in the poll's way
        log.info("veille running: %d feeds, %d watches, %d notifiers, database %s",
                 len(self.config.feeds), len(self.config.watches), len(self.config.notifiers),
                 self.db.safe_url)
        systemd = sdnotify.Notifier()
        systemd.ready(f"watching {len(self.config.feeds)} feeds")
        try:
            while not self.stop_event.wait(0.5):
                if scheduler.running:
                    systemd.alive()
                if self.reload_event.is_set():
                    self.reload_event.clear()
                    systemd.reloading()
                    self.reload(config_path)
                    systemd.ready(f"watching {len(self.config.feeds)} feeds")
        finally:
            systemd.stopping()
            self.poller.stopping.set()
            self.dispatcher.stopping.set()
            self.follower.stopping.set()
            scheduler.shutdown(wait=False)
            deadline = time.monotonic() + STOP_GRACE
            idle = self.inflight.wait_idle(STOP_GRACE) and self.dispatcher.wait_idle(
                max(0.0, deadline - time.monotonic()))
            if not idle:
                log.warning("in-flight work did not finish within %.0fs; its leases and "
                            "claims expire within %.0fs and are taken up again", STOP_GRACE,
                            self.config.veille.lease)
            self.dispatcher.close()
            if console is not None:
                console.stop()
            for signum, saved in previous.items():
                signal.signal(signum, saved)
        log.info("veille stopped")
        return 0
