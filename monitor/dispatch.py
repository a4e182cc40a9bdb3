"""Sending what the outbox holds: claim due rows, send them through their notifier, record.

Each notifier gets its own thread, so one that is slow or down never delays another. A row is
claimed atomically before it is sent (two veille processes never send one alert twice);
transient failures are retried with backoff until `give_up_after`, permanent ones given up at
once, and a given-up alert stays listed until retried by hand.

A digest notifier's due rows (see digest.py) go out as ONE message through `send_digest`
and are sent, retried or given up together. `max_per_minute` holds back what exceeds the
notifier's budget (ratelimit.py) until a slot frees, without counting a failed attempt.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import update
from sqlalchemy.orm import Session

from monitor import schedule
from monitor.alerts import build_alert
from monitor.config import Config
from monitor.digest import due_at_for, reschedule
from monitor.outcomes import Attempt, Batch, Deferred, DispatchReport, Row
from monitor.ratelimit import RateLimit
from notifiers import registry
from notifiers.base import DigestNotifier, Notifier, PermanentError, TransientError
from notifiers.digest import digest_id, newest_first
from storage import deliveries as outbox
from storage.database import Database
from storage.deliveries import Claimed
from storage.models import Delivery

__all__ = ["CLAIM_LEASE", "DIGEST_MAX", "Attempt", "Deferred", "DispatchReport", "Dispatcher",
           "utcnow"]

log = logging.getLogger(__name__)

CLAIM_LEASE = 300.0
DIGEST_MAX = 200  # alerts in one digest; more due at once make several digests


def utcnow() -> datetime:
    return datetime.now(UTC)


class Dispatcher:
    """Delivers outbox rows through the notifiers of one config."""

    def __init__(self, config: Config, db: Database, *, owner: str,
                 now: Callable[[], datetime] = utcnow, rng: random.Random | None = None,
                 notifiers: Mapping[str, Notifier] | None = None) -> None:
        self.config = config
        self.db = db
        self.owner = owner
        self.now = now
        self.rng = rng or random.Random()
        self.due_at = due_at_for(config)
        self._notifiers: dict[str, Notifier] = dict(notifiers or {})
        self._limits = {name: RateLimit(c.max_per_minute)
                        for name, c in config.notifiers.items() if c.max_per_minute}
        self._lock = threading.Lock()
        self._rescheduled = False
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

    def dispatch(self, *, ignore_schedule: bool = False, ids: Sequence[int] | None = None,
                 notifiers: Sequence[str] | None = None) -> DispatchReport:
        """Send every due alert once; a digest notifier's due alerts as one message.

        `ignore_schedule` (`veille check`) also sends alerts waiting for their next retry, but
        never a digest before its period ends; rows named by `ids` (`deliveries retry`,
        `test-notify`) are sent now, digest or not.
        """
        report = DispatchReport()
        now = self.now()
        wanted = [n for n in self.config.notifiers if notifiers is None or n in notifiers]
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
            work: dict[str, list[Row]] = {}
            for row in self._claim(session, now, wanted, ignore_schedule, ids):
                work.setdefault(row.delivery.notifier, []).append(
                    Row(row.delivery.id, row.delivery.created_at, build_alert(row, self.config)))
        if not work:
            return report
        with ThreadPoolExecutor(len(work), thread_name_prefix="veille-send") as pool:
            futures = [pool.submit(self._send_all, name, rows) for name, rows in work.items()]
            for future in futures:
                attempts, deferred = future.result()
                report.attempts.extend(attempts)
                report.deferred.extend(deferred)
        return report

    def _claim(self, session: Session, now: datetime, wanted: list[str],
               ignore_schedule: bool, ids: Sequence[int] | None) -> list[Claimed]:
        digests = [n for n in wanted if self.config.notifiers[n].digest is not None]
        plain = [n for n in wanted if n not in digests]
        claimed = []
        if plain:
            claimed += outbox.claim_due(session, now, self.owner, CLAIM_LEASE, ids=ids,
                                        ignore_schedule=ignore_schedule, notifiers=plain)
        for name in digests:  # claimed apart, so that one digest holds all that is due
            claimed += outbox.claim_due(
                session, now, self.owner, CLAIM_LEASE, ids=ids, notifiers=[name],
                ignore_schedule=ignore_schedule and ids is not None, limit=DIGEST_MAX)
        return claimed

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
                    outbox.release(session, [r.delivery_id for b in batches[i:] for r in b.rows])
                break
            if limit is not None and not limit.take(self.now()):
                return attempts, self._defer(name, batches[i:], limit)
            if not self._renew(batch):
                continue  # our claim expired and another process took these rows
            attempts.extend(self._send_batch(name, batch))
        return attempts, []

    def _renew(self, batch: Batch) -> bool:
        """Extend the claim of a batch right before sending it: a long queue behind a slow
        notifier must not outlive its claim and let another process send the same rows."""
        ids = [r.delivery_id for r in batch.rows]
        now = self.now()
        with self.db.write() as session:
            return outbox.renew(session, ids, self.owner, now,
                                now + timedelta(seconds=CLAIM_LEASE))

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
                return [Attempt(r.delivery_id, name, r.alert, True, digest=sent_as)
                        for r in batch.rows]
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
        else:
            log.warning("%s to %s failed (attempt %d, retry at %s): %s", what, name, count,
                        next_at.isoformat(timespec="seconds"), error)
        return outcome
