"""When a new alert is first due: at once, or for a digest notifier at the end of its period.

A duration (`digest = "1h"`, `"1d"`) cuts time into periods aligned to the epoch on the wall
clock of `[veille] timezone`, so "1d" ends at local midnight and "1h" on the hour; a cron
expression ends a period at each of its fire times. The outbox row of a digest alert is
written with that end as its `next_attempt_at`: the batch lives in the database, not in
memory, and survives restarts. The dispatcher sends a digest notifier's due rows as one message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.durations import cron_trigger, parse_duration
from monitor.ratelimit import WINDOW
from storage import deliveries as outbox

log = logging.getLogger(__name__)

DueAt = Callable[[str, datetime], datetime]

_EPOCH = datetime(1970, 1, 1)


def is_cron(digest: str) -> bool:
    """Whether a `digest` value is a cron expression (5 fields) rather than a duration."""
    return len(digest.split()) == 5


def _instants(wall: datetime, zone: ZoneInfo) -> list[datetime]:
    """The UTC instants at which `zone`'s clock shows `wall`: two in the autumn overlap, and
    for a time the spring gap skips, the instant the clock jumps past it."""
    found = []
    for fold in (0, 1):
        at = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if at.astimezone(zone).replace(tzinfo=None) == wall and at not in found:
            found.append(at)
    return found or [wall.replace(tzinfo=zone).astimezone(UTC)]


def period_end(seconds: float, now: datetime, zone: ZoneInfo) -> datetime:
    """The first boundary after `now` of periods of `seconds` on `zone`'s wall clock.

    Boundaries are multiples of `seconds` since 1970-01-01 00:00 local time. Near a DST change
    the wall clock skips or repeats an hour, so every boundary within two hours of the period
    is looked at and the earliest instant after `now` wins.
    """
    length = timedelta(seconds=seconds)
    wall = now.astimezone(zone).replace(tzinfo=None)
    floor = _EPOCH + ((wall - _EPOCH) // length) * length
    margin = timedelta(hours=2)
    if length <= timedelta(days=1) and (now - margin).astimezone(zone).utcoffset() == (
            now + length + margin).astimezone(zone).utcoffset():
        return (floor + length).replace(tzinfo=zone).astimezone(UTC)  # no DST change near
    steps = -(-margin // length)  # ceil
    candidates = [at for k in range(-steps, steps + 2)
                  for at in _instants(floor + k * length, zone) if at > now]
    return min(candidates)


def _cron_rule(expression: str, timezone: str) -> Callable[[datetime], datetime]:
    trigger = cron_trigger(expression, timezone)

    def next_fire(now: datetime) -> datetime:
        # With previous = now, APScheduler returns a fire time strictly after now.
        fire: datetime | None = trigger.get_next_fire_time(now, now)
        return now if fire is None else fire.astimezone(UTC)  # config refuses "never fires"

    return next_fire


def _duration_rule(seconds: float, zone: ZoneInfo) -> Callable[[datetime], datetime]:
    return lambda now: period_end(seconds, now, zone)


def due_at_for(config: Config) -> DueAt:
    """`due_at(notifier, now)`: `now`, or the end of the digest period that contains `now`."""
    zone = ZoneInfo(config.veille.timezone)
    rules = {name: (_cron_rule(n.digest, config.veille.timezone) if is_cron(n.digest)
                    else _duration_rule(parse_duration(n.digest), zone))
             for name, n in config.notifiers.items() if n.digest is not None}

    def due_at(notifier: str, now: datetime) -> datetime:
        rule = rules.get(notifier)
        return now if rule is None else rule(now)

    return due_at


def reschedule(session: Session, config: Config, due_at: DueAt, now: datetime) -> None:
    """Bring forward the untried rows that `config` would have due sooner (a digest removed or
    shortened since they were written), so that a config edit never strands alerts."""
    for name in config.notifiers:
        end = due_at(name, now)
        # Rows held back by max_per_minute are due within a minute: leave them be.
        later_than = end + WINDOW if end == now else end
        moved = outbox.bring_forward(session, name, later_than, end)
        if moved:
            log.info("%d pending alert(s) to %s rescheduled for %s: its digest setting "
                     "changed", moved, name, end.isoformat(timespec="seconds"))
