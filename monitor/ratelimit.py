"""`max_per_minute`: at most N messages per rolling minute to one notifier, in one process.

The dispatcher keeps one `RateLimit` per notifier for as long as it runs, so the budget holds
across dispatch cycles; a digest counts as one message. Each veille process applies its own
budget: several processes sharing one database may together send up to N each.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=1)


class RateLimit:
    """The send times of one notifier within the last minute."""

    def __init__(self, per_minute: int, window: timedelta = WINDOW) -> None:
        self.per_minute = per_minute
        self.window = window
        self._sent: deque[datetime] = deque()
        self._lock = threading.Lock()  # two dispatch cycles may overlap (poll-triggered)

    def _forget(self, now: datetime) -> None:
        while self._sent and self._sent[0] <= now - self.window:
            self._sent.popleft()

    def take(self, now: datetime) -> bool:
        """Count one message sent at `now` if the budget allows it; False if it does not."""
        with self._lock:
            self._forget(now)
            if len(self._sent) >= self.per_minute:
                return False
            self._sent.append(now)
            return True

    def slots(self, now: datetime, count: int) -> list[datetime]:
        """When each of `count` more messages may go, in order, each at its earliest slot."""
        with self._lock:
            self._forget(now)
            planned = list(self._sent)
        times = []
        for _ in range(count):
            at = now
            if len(planned) >= self.per_minute:
                at = max(now, planned[-self.per_minute] + self.window)
            planned.append(at)
            times.append(at)
        return times
