"""Prometheus metrics: counters the engine bumps through one-line hooks, and gauges read from
the database at scrape time (outbox depth, feeds by status), so that they hold in any process.

Label values are bounded: feed and notifier names come from config.toml, the rest from fixed
sets. Nothing here may raise into the engine: a hook that fails logs and returns.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

if TYPE_CHECKING:
    from monitor.outcomes import Attempt
    from monitor.record import FeedOutcome
    from storage.database import Database

log = logging.getLogger(__name__)
T = TypeVar("T")

REGISTRY = CollectorRegistry(auto_describe=True)
POLLS = Counter("veille_polls", "Feed polls, by feed and outcome (ok, not_modified, "
                "same_body, failed, gone, skipped)", ["feed", "status"], registry=REGISTRY)
ITEMS = Counter("veille_item_versions", "Item versions recorded by polls, by kind (new, "
                "changed, silent)", ["kind"], registry=REGISTRY)
ALERTS = Counter("veille_alerts", "Alerts queued in the outbox, by event type and notifier",
                 ["type", "notifier"], registry=REGISTRY)
ATTEMPTS = Counter("veille_delivery_attempts", "Delivery attempts, by notifier and outcome "
                   "(sent, retry, given_up)", ["notifier", "outcome"], registry=REGISTRY)
LATENCY = Histogram("veille_delivery_latency_seconds", "From the detection of an event to the "
                    "successful send of its alert", ["notifier"], registry=REGISTRY,
                    buckets=(1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 86400))
CYCLE = Histogram("veille_poll_cycle_duration_seconds", "Duration of one poll cycle",
                  registry=REGISTRY, buckets=(0.05, 0.25, 1, 5, 15, 60, 300, 900))
LAST_CYCLE = Gauge("veille_poll_cycle_last_end_timestamp_seconds",
                   "When the last poll cycle of this process ended (Unix time)",
                   registry=REGISTRY)
STARTED = Gauge("veille_daemon_start_time_seconds", "When this veille run started (Unix time)",
                registry=REGISTRY)


@dataclass
class DaemonState:
    """What the overview and /readyz know of the daemon hosting the console (if any)."""

    started_at: datetime | None = None
    cycle_started: datetime | None = None
    cycle_ended: datetime | None = None
    cycle_seconds: float | None = None
    scheduler_running: Callable[[], bool] | None = None


STATE = DaemonState()
_lock = threading.Lock()


def _safe(hook: Callable[[], None]) -> None:
    try:
        hook()
    except Exception:  # a metric must never fail a poll or a send
        log.exception("metrics hook failed")


def daemon_started(scheduler_running: Callable[[], bool]) -> None:
    """The daemon of this process is up; `scheduler_running` tells /readyz whether it ticks."""
    STATE.started_at = datetime.now(UTC)
    STATE.scheduler_running = scheduler_running
    STARTED.set(STATE.started_at.timestamp())


@contextmanager
def poll_cycle() -> Iterator[None]:
    """Wrap one poll cycle: its duration and end time are observed even when it fails."""
    STATE.cycle_started = datetime.now(UTC)
    began = time.perf_counter()
    try:
        yield
    finally:
        seconds = time.perf_counter() - began
        with _lock:
            STATE.cycle_seconds = seconds
            STATE.cycle_ended = datetime.now(UTC)

        def observe() -> None:
            CYCLE.observe(seconds)
            LAST_CYCLE.set(time.time())

        _safe(observe)


def polled(outcomes: Iterable[FeedOutcome]) -> None:
    """Count recorded feed polls, their item versions and the alerts they queued."""
    def count() -> None:
        for o in outcomes:
            POLLS.labels(o.name, o.status).inc()
            for kind, number in (("new", o.new), ("changed", o.changed), ("silent", o.silent)):
                if number:
                    ITEMS.labels(kind).inc(number)
            for alert in o.alerts:
                for route in alert.routes:
                    ALERTS.labels(alert.type, route.notifier).inc()

    _safe(count)


def attempted(attempts: Sequence[Attempt]) -> Sequence[Attempt]:
    """Count delivery attempts and observe the latency of the sent ones; returns them."""
    def count() -> None:
        now = datetime.now(UTC)
        for a in attempts:
            outcome = "sent" if a.ok else "given_up" if a.given_up else "retry"
            ATTEMPTS.labels(a.notifier, outcome).inc()
            if a.ok:
                LATENCY.labels(a.notifier).observe(
                    max(0.0, (now - a.alert.occurred_at).total_seconds()))

    _safe(count)
    return attempts


class _DatabaseGauges:
    """Gauges computed from the database when scraped: true whichever process polls."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[Metric]:
        from storage import console as store

        with self.db.read() as session:
            outbox = store.outbox_counts(session)
            feeds = store.feeds_by_status(session)
        depth = GaugeMetricFamily("veille_outbox_deliveries", "Unsent alerts in the outbox, "
                                  "by state (waiting, failing, given_up) and notifier",
                                  labels=["state", "notifier"])
        for state, per in outbox.items():
            for notifier, count in sorted(per.items()):
                depth.add_metric([state, notifier], count)
        yield depth
        by_status = GaugeMetricFamily("veille_feeds", "Feeds by status (new, ok, failing, "
                                      "gone, moved)", labels=["status"])
        for status in ("new", "ok", "failing", "gone", "moved"):
            by_status.add_metric([status], feeds.get(status, 0))
        yield by_status
        yield GaugeMetricFamily("veille_feeds_failing", "Feeds whose polls fail (failing or "
                                "gone)", value=feeds.get("failing", 0) + feeds.get("gone", 0))


class _Both:
    def __init__(self, db: Database) -> None:
        self.gauges = _DatabaseGauges(db)

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()
        yield from self.gauges.collect()


def exposition(db: Database) -> bytes:
    """The Prometheus text format of every metric: this process's counters, the database's
    gauges."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Both(db))
    return generate_latest(registry)
