"""When a feed is polled next: its interval plus jitter, backoff on failure, the server's say.

Pure functions of the feed's state and `now`, so the scheduling rules are tested without time.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

MAX_BACKOFF = 6 * 3600.0  # a failing feed is still tried at least every 6 hours
TTL_CAP = 3600.0  # a feed's <ttl> may slow polling down to once an hour, no more
RETRY_AFTER_CAP = 6 * 3600.0
UNCONDITIONAL_EVERY = timedelta(hours=6)  # servers that keep validators across edits


def after_success(now: datetime, interval: float, jitter: float, rng: random.Random,
                  ttl: float | None = None) -> datetime:
    """Next poll after a successful one: interval (or the feed's capped ttl) plus jitter."""
    delay = interval
    if ttl is not None and ttl > delay:
        delay = max(interval, min(ttl, TTL_CAP))
    return now + timedelta(seconds=delay + rng.uniform(0, jitter))


def after_failure(now: datetime, interval: float, jitter: float, failures: int,
                  rng: random.Random, retry_after: float | None = None) -> datetime:
    """Next poll after `failures` consecutive failures: exponential backoff, capped."""
    delay = min(interval * (2 ** max(0, failures - 1)), max(interval, MAX_BACKOFF))
    if retry_after is not None:
        delay = max(delay, min(retry_after, RETRY_AFTER_CAP))
    return now + timedelta(seconds=delay + rng.uniform(0, jitter))


def wants_unconditional(last_unconditional: datetime | None, now: datetime) -> bool:
    """Whether to fetch without validators, so that edits hidden by a stale ETag surface."""
    return last_unconditional is None or now - last_unconditional >= UNCONDITIONAL_EVERY


def delivery_backoff(attempts: int, rng: random.Random, retry_after: float | None = None,
                     base: float = 30.0, cap: float = 3600.0) -> float:
    """Seconds before the next attempt of an alert: exponential with jitter, or Retry-After."""
    if retry_after is not None:
        return min(max(retry_after, 1.0), cap)
    delay: float = min(base * (2 ** max(0, attempts - 1)), cap)
    return delay * rng.uniform(0.8, 1.2)
