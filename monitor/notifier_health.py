"""Notifier health: failing episodes, their one log line, their alerts, and the drain after.

A notifier's failed attempts make one episode (logged once when it starts). Once it has lasted
`[veille] notifier_failing_after`, a `notifier.failing` event goes to the other notifiers
(`health_notify`, or every other one); when the notifier answers again, its whole backlog is
due at once — oldest first, at its `max_per_minute` — and, if the failing alert went out, a
`notifier.recovered` follows. While it fails, its oldest waiting alert is tried at least once
a PROBE_EVERY, so a recovery is seen within that time even when retries back off for an hour.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.digest import DueAt
from monitor.durations import format_duration
from monitor.record import write_outbox
from monitor.route import Route
from storage import notifier_state as store
from storage.models import Event

log = logging.getLogger(__name__)

PROBE_EVERY = timedelta(minutes=1)
FAILING = "notifier.failing"
RECOVERED = "notifier.recovered"


def _took(since: datetime, now: datetime) -> str:
    return format_duration(max(1, round((now - since).total_seconds())))


class NotifierHealth:
    """The health bookkeeping of one config's notifiers, in the dispatcher's transactions."""

    def __init__(self, config: Config, due_at: DueAt) -> None:
        self.config = config
        self.due_at = due_at
        self._ensured = False

    def ensure(self, session: Session) -> None:
        """Create the state rows of the configured notifiers (once per config)."""
        if not self._ensured:
            store.ensure(session, list(self.config.notifiers))
            self._ensured = True

    def failed(self, session: Session, name: str, error: str, now: datetime,
               retry_after: float | None) -> None:
        """A send to `name` failed: one warning when that starts an episode, the failing
        alert when the episode has lasted long enough."""
        hold = now + timedelta(seconds=retry_after) if retry_after else None
        if store.failed(session, name, error, now, hold):
            log.warning("notifier %s is failing: %s — its alerts wait and are retried "
                        "(veille deliveries --failed lists them); veille says so again when "
                        "it answers", name, error)
        self._maybe_failing(session, name, now)

    def succeeded(self, session: Session, name: str, now: datetime) -> bool:
        """A send to `name` went through: the end of its episode, if one was under way
        (True: its waiting alerts are due now)."""
        episode = store.succeeded(session, name, now)
        if episode is None:
            return False
        moved = store.drain(session, name, now)
        log.warning("notifier %s answers again after %s failing (%d failed attempt%s); "
                    "%d waiting alert%s due now", name, _took(episode.since, now),
                    episode.failures, "s" if episode.failures != 1 else "", moved,
                    "s are" if moved != 1 else " is")
        if episode.notified:
            self._event(session, RECOVERED, name, now,
                        f"{name} answers again after failing for {_took(episode.since, now)}"
                        f" ({episode.failures} failed attempts); last error: "
                        f"{episode.last_error}")
        return True

    def housekeeping(self, session: Session, now: datetime) -> None:
        """Raise the failing alerts that are due, and probe failing notifiers."""
        self.ensure(session)
        for state in store.failing(session):
            if state.name not in self.config.notifiers:
                continue
            self._maybe_failing(session, state.name, now)
            held = state.hold_until is not None and state.hold_until > now
            quiet = state.last_attempt_at is None or state.last_attempt_at + PROBE_EVERY <= now
            if quiet and not held:
                store.probe(session, state.name, now)

    def _maybe_failing(self, session: Session, name: str, now: datetime) -> None:
        after = self.config.veille.notifier_failing_after
        if not store.mark_notified(session, name, after, now):
            return
        state = next(s for s in store.failing(session) if s.name == name)
        since = state.failing_since or now
        self._event(session, FAILING, name, now,
                    f"{name} has been failing for {_took(since, now)} ({state.failures} "
                    f"failed attempts); last error: {state.last_error}")

    def _event(self, session: Session, kind: str, name: str, now: datetime,
               error: str) -> None:
        cfg = self.config.notifiers.get(name)
        chosen = self.config.veille.health_notify
        recipients = [n for n in (chosen if chosen is not None else self.config.notifiers)
                      if n != name and n in self.config.notifiers]
        event = Event(type=kind, feed_id=None, item_id=None, occurred_at=now, changes=[],
                      watches={}, error=error, notifier=name,
                      notifier_type=cfg.type if cfg is not None else None)
        session.add(event)
        session.flush()
        write_outbox(session, event, tuple(Route(n, (), (), "") for n in recipients),
                     self.due_at, now)
        # The episode's start and end have their warning; this says who was told.
        log.info("%s: %s; told %s", kind, error, ", ".join(recipients) or "nobody "
                 "(no other notifier)")
