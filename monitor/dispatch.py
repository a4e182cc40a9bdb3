"""Sending what the outbox holds: claim due rows, send them through their notifier, record.

Every notifier has its own lane (lanes.py): at most a few sends in flight, on threads of
their own, so one that is slow, down or hung never delays polling nor another notifier. The
daemon's dispatch job (`tick`) only starts work on free lanes and returns; `dispatch` (the
CLI) drains every notifier's due rows in batches and waits. A row is claimed with a lease
before it is sent (two veille processes never send one alert twice), renewed while the send
runs; transient failures are retried with backoff until `give_up_after`, permanent ones given
up at once, and a given-up alert stays listed until retried by hand.

A digest notifier's due rows (see digest.py) go out as ONE message through `send_digest`
and are sent, retried or given up together. `max_per_minute` holds back what exceeds the
notifier's budget (ratelimit.py) until a slot frees, without counting a failed attempt.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import cast

from sqlalchemy import update

from monitor import schedule
from monitor.alerts import build_alert
from monitor.config import Config
from monitor.console import metrics
from monitor.digest import due_at_for, reschedule
from monitor.heartbeat import Heartbeat
from monitor.lanes import Lane
from monitor.notifier_health import NotifierHealth
from monitor.outcomes import Attempt, Batch, Deferred, DispatchReport, Row
from monitor.ratelimit import RateLimit
from notifiers import registry
from notifiers.base import DigestNotifier, Notifier, PermanentError, TransientError
from notifiers.digest import digest_id, newest_first
from storage import deliveries as outbox
from storage import leases
from storage.database import Database
from storage.models import Delivery

__all__ = ["BATCH", "DIGEST_MAX", "SLOTS", "Attempt", "Deferred", "DispatchReport",
           "Dispatcher", "utcnow"]

log = logging.getLogger(__name__)

BATCH = 10  # rows claimed at once by one send loop
DIGEST_MAX = 200  # alerts in one digest; more due at once make several digests
SLOTS = 2  # sends in flight at once to one notifier (a digest notifier: one)
HOUSEKEEPING_EVERY = timedelta(minutes=1)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Dispatcher:
    """Delivers outbox rows through the notifiers of one config."""

    def __init__(self, config: Config, db: Database, *, owner: str,
                 now: Callable[[], datetime] = utcnow, rng: random.Random | None = None,
                 notifiers: Mapping[str, Notifier] | None = None,
                 heartbeat: Heartbeat | None = None) -> None:
        self.config = config
        self.db = db
        self.owner = owner
        self.now = now
        self.rng = rng or random.Random()
        self.due_at = due_at_for(config)
        self.heartbeat = heartbeat or Heartbeat(db, owner, config.veille.lease, now)
        self._notifiers: dict[str, Notifier] = dict(notifiers or {})
        self._limits = {name: RateLimit(c.max_per_minute)
                        for name, c in config.notifiers.items() if c.max_per_minute}
        self.health = NotifierHealth(config, self.due_at)
        self._lanes = {name: Lane(name, 1 if c.digest is not None else SLOTS)
                       for name, c in config.notifiers.items()}
        self._lock = threading.Lock()
        self._rescheduled = False
        self._housekept: datetime | None = None
        self._drained: set[str] = set()  # notifiers that just answered again
        self.stopping = threading.Event()

    def notifier(self, name: str) -> Notifier:
        """The notifier called `name`, built from the config on first use."""
        with self._lock:
            if name not in self._notifiers:
                cfg = self.config.notifiers[name]
                self._notifiers[name] = registry.build(cfg.type, name, cfg.options)
            return self._notifiers[name]

    def adopt_limits(self, previous: Dispatcher) -> None:
        """Keep the sends of the last minute across a config reload, so that a reload does
        not reset `max_per_minute` budgets that did not change."""
        for name, limit in previous._limits.items():
            mine = self._limits.get(name)
            if mine is not None and mine.per_minute == limit.per_minute:
                self._limits[name] = limit

    def close(self) -> None:
        for notifier in self._notifiers.values():
            try:
                notifier.close()
            except Exception:  # closing must never mask the real outcome
                log.debug("closing notifier %s failed", notifier.name, exc_info=True)

    def busy(self) -> int:
        """Sends in flight on this dispatcher's lanes."""
        return sum(lane.busy for lane in self._lanes.values())

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no send is in flight, at most `timeout` seconds in all."""
        deadline = time.monotonic() + timeout
        return all(lane.wait_idle(max(0.0, deadline - time.monotonic()))
                   for lane in self._lanes.values())

    # -- the daemon: start what is due, never wait ------------------------------------------
    def tick(self) -> None:
        """Start sending what is due on every lane with a free slot, and return at once."""
        if self.stopping.is_set():
            return
        now = self.now()
        self._housekeeping(now)
        names = list(self.config.notifiers)
        with self.db.read() as session:
            due = outbox.due_counts(session, now, names)
        for name, count in due.items():
            lane = self._lanes[name]
            size = DIGEST_MAX if self.config.notifiers[name].digest is not None else BATCH
            for _ in range(min(lane.free(), math.ceil(count / size))):
                if not lane.start(partial(self._drain, name, DispatchReport())):
                    break

    # -- the CLI: send everything due, wait ------------------------------------------------
    def dispatch(self, *, ignore_schedule: bool = False, ids: Sequence[int] | None = None,
                 notifiers: Sequence[str] | None = None) -> DispatchReport:
        """Send every due alert, each notifier's oldest first, in batches, and wait; a digest
        notifier's due alerts as one message (or several of DIGEST_MAX).

        `ignore_schedule` (`veille check`) also sends alerts waiting for their next retry, but
        never a digest before its period ends; rows named by `ids` (`deliveries retry`,
        `test-notify`) are sent now, digest or not. Each row is tried at most once per call.
        """
        report = DispatchReport()
        self._housekeeping(self.now(), force=True)
        wanted = [n for n in self.config.notifiers if notifiers is None or n in notifiers]
        if not wanted or self.stopping.is_set():
            return report
        with ThreadPoolExecutor(len(wanted), thread_name_prefix="veille-send") as pool:
            futures = [pool.submit(self._drain, name, report, ignore_schedule=ignore_schedule,
                                   ids=ids, once=True) for name in wanted]
            for future in futures:
                future.result()
        return report

    def _housekeeping(self, now: datetime, *, force: bool = False) -> None:
        """Give up the alerts of removed notifiers; bring forward rows a digest edit left
        waiting; notifier health (failing alerts due, probes). Cheap, but a write: at most
        once a minute from the daemon."""
        if not force and self._housekept is not None and \
                now - self._housekept < HOUSEKEEPING_EVERY:
            return
        self._housekept = now
        with self.db.write() as session:
            session.execute(
                update(Delivery)
                .where(Delivery.status == outbox.PENDING,
                       Delivery.notifier.not_in(list(self.config.notifiers)))
                .values(status=outbox.GIVEN_UP, last_error="notifier removed")
                .execution_options(synchronize_session=False))
            if not self._rescheduled:  # once per config: it may have changed a digest
                reschedule(session, self.config, self.due_at, now)
                self._rescheduled = True
            self.health.housekeeping(session, now)

    def _drain(self, name: str, report: DispatchReport, *, ignore_schedule: bool = False,
               ids: Sequence[int] | None = None, once: bool = False) -> None:
        """Claim and send `name`'s due rows, a batch at a time, until none is left, the rate
        limit is reached or veille stops. With `once`, each row is tried at most once (a
        cursor on ids), so that a failing row is not retried in a loop."""
        after: int | None = None
        while not self.stopping.is_set():
            rows = self._claim(name, ignore_schedule, ids, after)
            if not rows:
                return
            if once:
                after = max(r.delivery_id for r in rows)
            with self.heartbeat.holding(leases.DELIVERIES, [r.delivery_id for r in rows]):
                attempts, deferred = self._send_all(name, rows)
            with self._lock:
                report.attempts.extend(attempts)
                report.deferred.extend(deferred)
                drained = name in self._drained
                self._drained.discard(name)
            if deferred:
                return  # the rate limit is reached: the rest waits for its slots
            if drained:
                after = None  # its backlog is due again: claim it anew, oldest first

    def _claim(self, name: str, ignore_schedule: bool, ids: Sequence[int] | None,
               after: int | None) -> list[Row]:
        digest = self.config.notifiers[name].digest is not None
        now = self.now()
        with self.db.write() as session:
            # A digest is claimed whole, so that one message holds all that is due.
            claimed = outbox.claim_due(
                session, now, self.owner, self.config.veille.lease, ids=ids,
                notifiers=[name], after_id=after, limit=DIGEST_MAX if digest else BATCH,
                ignore_schedule=ignore_schedule and (ids is not None or not digest))
            # Built while the claiming transaction is open: alerts read related rows.
            return [Row(c.delivery.id, c.delivery.created_at, build_alert(c, self.config))
                    for c in claimed]

    def _batches(self, name: str, rows: list[Row]) -> list[Batch]:
        try:
            notifier = self.notifier(name)
        except Exception:  # reported by the send itself, row by row
            notifier = None
        if self.config.notifiers[name].digest is None or not isinstance(notifier,
                                                                          DigestNotifier):
            return [Batch((row,)) for row in rows]
        # A test alert (`veille test-notify`) checks the channel: it goes alone, at once.
        tests = [Batch((row,)) for row in rows if row.alert.type == "test"]
        batch = tuple(row for row in rows if row.alert.type != "test")
        return tests + ([Batch(batch, digest=True)] if batch else [])

    def _send_all(self, name: str, rows: list[Row]) -> tuple[list[Attempt], list[Deferred]]:
        attempts: list[Attempt] = []
        batches = self._batches(name, rows)
        limit = self._limits.get(name)
        for i, batch in enumerate(batches):
            if self.stopping.is_set():
                with self.db.write() as session:
                    leases.release(session, leases.DELIVERIES,
                                   [r.delivery_id for b in batches[i:] for r in b.rows],
                                   self.owner)
                break
            if limit is not None and not limit.take(self.now()):
                return attempts, self._defer(name, batches[i:], limit)
            if not self._renew(batch):
                continue  # our claim expired and another process took these rows
            attempts.extend(metrics.attempted(self._send_batch(name, batch)))
            with self._lock:
                drained = name in self._drained
            if drained and i + 1 < len(batches):
                # It answers again and older alerts are due now: give these back, so that
                # the next claim sends the whole backlog oldest first.
                with self.db.write() as session:
                    leases.release(session, leases.DELIVERIES,
                                   [r.delivery_id for b in batches[i + 1:] for r in b.rows],
                                   self.owner)
                break
        return attempts, []

    def _renew(self, batch: Batch) -> bool:
        """Extend the claim of a batch right before sending it: a long queue behind a slow
        notifier must not outlive its claim and let another process send the same rows."""
        ids = [r.delivery_id for r in batch.rows]
        now = self.now()
        with self.db.write() as session:
            return leases.still_held(session, leases.DELIVERIES, ids, self.owner, now,
                                     self.config.veille.lease)

    def _defer(self, name: str, batches: list[Batch], limit: RateLimit) -> list[Deferred]:
        slots = limit.slots(self.now(), len(batches))
        with self.db.write() as session:
            for batch, until in zip(batches, slots, strict=True):
                outbox.defer(session, [r.delivery_id for r in batch.rows], until)
        log.info("max_per_minute of %s reached: %d message(s) held back until %s at the "
                 "latest", name, len(batches), slots[-1].isoformat(timespec="seconds"))
        return [Deferred(r.delivery_id, name, r.alert, until)
                for batch, until in zip(batches, slots, strict=True) for r in batch.rows]

    def _send_batch(self, name: str, batch: Batch) -> list[Attempt]:
        cfg = self.config.notifiers[name]
        alerts = newest_first([r.alert for r in batch.rows])
        sent_as = digest_id(alerts) if batch.digest else None
        error: str | None = None
        retry_after: float | None = None
        permanent = False
        try:
            notifier = self.notifier(name)
            if batch.digest:
                cast(DigestNotifier, notifier).send_digest(alerts)
            else:
                notifier.send(alerts[0])
        except TransientError as exc:
            error, retry_after = self.config.redact(str(exc)), exc.retry_after
        except PermanentError as exc:
            error, permanent = self.config.redact(str(exc)), True
        except Exception as exc:  # a notifier bug: retry, it may be data-dependent
            log.exception("notifier %s crashed on alert %s", name, sent_as or alerts[0].id)
            error = self.config.redact(f"{type(exc).__name__}: {exc}")
        what = (f"digest {sent_as} ({len(alerts)} alerts)" if sent_as is not None
                else f"alert {alerts[0].id}")
        ids = [r.delivery_id for r in batch.rows]
        now = self.now()
        with self.db.write() as session:
            if error is None:
                outbox.mark_sent(session, ids, now)
                if self.health.succeeded(session, name, now):
                    with self._lock:
                        self._drained.add(name)
                first = alerts[0]
                about = f"{first.type} “{first.item.title}”" if first.item is not None \
                    else first.type
                log.info("%s sent to %s: %s", what, name,
                         self.config.redact(about if sent_as is None else
                                            f"{len(alerts)} alerts"))
                return [Attempt(r.delivery_id, name, r.alert, True, digest=sent_as)
                        for r in batch.rows]
            self.health.failed(session, name, error, now, retry_after)
            count = outbox.attempts_of(session, ids) + 1
            next_at = now + timedelta(seconds=schedule.delivery_backoff(count, self.rng,
                                                                        retry_after))
            outcome: list[Attempt] = []
            for row in batch.rows:
                # give_up_after counts from when the alert was first due: a digest's end.
                deadline = self.due_at(name, row.created_at) + timedelta(
                    seconds=cfg.give_up_after)
                if permanent or next_at > deadline:
                    reason = error if permanent else f"gave up after {count} attempts: {error}"
                    outbox.mark_given_up(session, row.delivery_id, reason)
                    outcome.append(Attempt(row.delivery_id, name, row.alert, False, reason,
                                           given_up=True, digest=sent_as))
                else:
                    outbox.mark_retry(session, row.delivery_id, error, next_at)
                    outcome.append(Attempt(row.delivery_id, name, row.alert, False, error,
                                           digest=sent_as))
        if any(a.given_up for a in outcome):
            log.warning("%s to %s given up: %s", what, name, outcome[0].error)
        else:  # the episode's start was logged once (notifier_health.py)
            log.debug("%s to %s failed (attempt %d, retry at %s): %s", what, name, count,
                      next_at.isoformat(timespec="seconds"), error)
        return outcome
