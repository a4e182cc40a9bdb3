"""Sending what the outbox holds: claim due rows, send each through its notifier, record.

Each notifier gets its own thread, so one that is slow or down never delays another. A row is
claimed atomically before it is sent (two veille processes never send one alert twice);
transient failures are retried with backoff until `give_up_after`, permanent ones given up at
once, and a given-up alert stays listed until retried by hand.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from monitor import schedule
from monitor.alerts import build_alert
from monitor.config import Config
from notifiers import registry
from notifiers.base import Alert, Notifier, PermanentError, TransientError
from storage import deliveries as outbox
from storage.database import Database
from storage.models import Delivery

log = logging.getLogger(__name__)

CLAIM_LEASE = 300.0


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Attempt:
    """The outcome of one send."""

    delivery_id: int
    notifier: str
    alert: Alert
    ok: bool
    error: str | None = None
    given_up: bool = False


@dataclass
class DispatchReport:
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def sent(self) -> list[Attempt]:
        return [a for a in self.attempts if a.ok]

    @property
    def failed(self) -> list[Attempt]:
        return [a for a in self.attempts if not a.ok]


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
        self._notifiers: dict[str, Notifier] = dict(notifiers or {})
        self._lock = threading.Lock()
        self.stopping = threading.Event()

    def notifier(self, name: str) -> Notifier:
        """The notifier called `name`, built from the config on first use."""
        with self._lock:
            if name not in self._notifiers:
                cfg = self.config.notifiers[name]
                self._notifiers[name] = registry.build(cfg.type, name, cfg.options)
            return self._notifiers[name]

    def close(self) -> None:
        for notifier in self._notifiers.values():
            try:
                notifier.close()
            except Exception:  # closing must never mask the real outcome
                log.debug("closing notifier %s failed", notifier.name, exc_info=True)

    def dispatch(self, *, ignore_schedule: bool = False, ids: Sequence[int] | None = None,
                 notifiers: Sequence[str] | None = None) -> DispatchReport:
        """Send every due (or, with ignore_schedule, every pending) alert once."""
        report = DispatchReport()
        now = self.now()
        configured = list(self.config.notifiers)
        with self.db.write() as session:
            session.execute(
                update(Delivery)
                .where(Delivery.status == outbox.PENDING, Delivery.notifier.not_in(configured))
                .values(status=outbox.GIVEN_UP, last_error="notifier removed")
                .execution_options(synchronize_session=False))
            claimed = outbox.claim_due(session, now, self.owner, CLAIM_LEASE, ids=ids,
                                       ignore_schedule=ignore_schedule, notifiers=notifiers)
            work: dict[str, list[tuple[int, datetime, Alert]]] = {}
            for row in claimed:
                alert = build_alert(row, self.config)
                work.setdefault(row.delivery.notifier, []).append(
                    (row.delivery.id, row.delivery.created_at, alert))
        if not work:
            return report
        with ThreadPoolExecutor(len(work), thread_name_prefix="veille-send") as pool:
            futures = [pool.submit(self._send_all, name, rows) for name, rows in work.items()]
            for future in futures:
                report.attempts.extend(future.result())
        return report

    def _send_all(self, name: str, rows: list[tuple[int, datetime, Alert]]) -> list[Attempt]:
        attempts: list[Attempt] = []
        for delivery_id, created_at, alert in rows:
            if self.stopping.is_set():
                with self.db.write() as session:
                    outbox.release(session, delivery_id)
                continue
            attempts.append(self._send_one(name, delivery_id, created_at, alert))
        return attempts

    def _send_one(self, name: str, delivery_id: int, created_at: datetime,
                  alert: Alert) -> Attempt:
        cfg = self.config.notifiers[name]
        error: str | None = None
        retry_after: float | None = None
        permanent = False
        try:
            self.notifier(name).send(alert)
        except TransientError as exc:
            error, retry_after = self.config.redact(str(exc)), exc.retry_after
        except PermanentError as exc:
            error, permanent = self.config.redact(str(exc)), True
        except Exception as exc:  # a notifier bug: retry, it may be data-dependent
            log.exception("notifier %s crashed on alert %s", name, alert.id)
            error = self.config.redact(f"{type(exc).__name__}: {exc}")
        now = self.now()
        with self.db.write() as session:
            if error is None:
                outbox.mark_sent(session, delivery_id, now)
                return Attempt(delivery_id, name, alert, True)
            attempts = session.get(Delivery, delivery_id)
            count = (attempts.attempts if attempts is not None else 0) + 1
            next_at = now + timedelta(seconds=schedule.delivery_backoff(count, self.rng,
                                                                        retry_after))
            deadline = created_at + timedelta(seconds=cfg.give_up_after)
            if permanent or next_at > deadline:
                reason = error if permanent else f"gave up after {count} attempts: {error}"
                outbox.mark_given_up(session, delivery_id, reason)
                log.warning("alert %s to %s given up: %s", alert.id, name, reason)
                return Attempt(delivery_id, name, alert, False, reason, given_up=True)
            outbox.mark_retry(session, delivery_id, error, next_at)
        log.warning("alert %s to %s failed (attempt %d, retry at %s): %s", alert.id, name,
                    count, next_at.isoformat(timespec="seconds"), error)
        return Attempt(delivery_id, name, alert, False, error)
