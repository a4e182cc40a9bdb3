"""Retrying deliveries from the console: the same steps as `veille deliveries retry` (make them
due now, then claim and send them), so that the person who clicked sees the outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from monitor.console.app import Console
from monitor.dispatch import Dispatcher
from monitor.owner import owner_id
from storage import deliveries as outbox


@dataclass(frozen=True)
class RetryOutcome:
    sent: int
    failed: int
    errors: tuple[str, ...]

    @property
    def summary(self) -> str:
        if not self.sent and not self.failed:
            return "nothing to retry"
        text = f"{self.sent} sent, {self.failed} failed"
        return text + (f": {self.errors[0]}" if self.errors else "")


def retry_now(console: Console, ids: list[int] | None) -> RetryOutcome:
    """Requeue `ids` (None: every failed or given-up delivery) and send them now. A claim is
    atomic: a daemon sending the same rows at this moment never sends one twice."""
    config = console.config
    with console.db.write() as session:
        chosen = outbox.requeue(session, datetime.now(UTC), ids)
    if not chosen:
        return RetryOutcome(0, 0, ())
    dispatcher = Dispatcher(config, console.db, owner=owner_id())
    try:
        report = dispatcher.dispatch(ignore_schedule=True, ids=chosen)
    finally:
        dispatcher.close()
    errors = tuple(config.redact(a.error or "") for a in report.failed if a.error)
    return RetryOutcome(len(report.sent), len(report.failed), errors)
