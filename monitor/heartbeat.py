"""The heartbeat: renews the leases of what this process is working on, while it works.

Leases are short (`[veille] lease`, a minute by default) so that a crashed owner's feeds and
alerts are taken up again within about that time; work that lasts longer (a slow feed, a slow
notifier, a big first poll) stays leased because this thread renews it every quarter lease.
Only what is registered as in flight is renewed: a claim that a bug left behind expires.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from storage import leases
from storage.database import Database, StorageFaultError
from storage.leases import Leased

log = logging.getLogger(__name__)


class Heartbeat:
    """Renews `owner`'s leases on the rows held through it, every `seconds / 4`."""

    def __init__(self, db: Database, owner: str, seconds: float,
                 now: Callable[[], datetime]) -> None:
        self.db = db
        self.owner = owner
        self.seconds = seconds
        self.now = now
        self._held: dict[Leased, dict[int, int]] = {}  # kind -> id -> holds
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    def hold(self, kind: Leased, ids: Iterable[int]) -> None:
        """Keep the leases on `ids` alive until they are dropped."""
        with self._lock:
            held = self._held.setdefault(kind, {})
            for one in ids:
                held[one] = held.get(one, 0) + 1
            if self._thread is None and held:
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name="veille-heartbeat")
                self._thread.start()

    def drop(self, kind: Leased, ids: Iterable[int]) -> None:
        """Stop renewing `ids` (recorded, released or lost)."""
        with self._lock:
            held = self._held.get(kind, {})
            for one in ids:
                left = held.get(one, 0) - 1
                if left > 0:
                    held[one] = left
                else:
                    held.pop(one, None)

    @contextmanager
    def holding(self, kind: Leased, ids: Iterable[int]) -> Iterator[None]:
        """Hold `ids` for the duration of the block."""
        chosen = list(ids)
        self.hold(kind, chosen)
        try:
            yield
        finally:
            self.drop(kind, chosen)

    def held(self, kind: Leased) -> set[int]:
        with self._lock:
            return set(self._held.get(kind, {}))

    def beat(self) -> None:
        """Renew every held lease now."""
        with self._lock:
            work = {kind: list(ids) for kind, ids in self._held.items() if ids}
        if not work:
            return
        try:
            with self.db.write() as session:
                now = self.now()
                for kind, ids in work.items():
                    leases.renew(session, kind, ids, self.owner, now, self.seconds)
        except Exception as exc:  # a full disk, a read-only or unreachable database
            # Logged once per episode (a full disk or a read-only database: by the database).
            if not self._failing and not isinstance(exc, StorageFaultError):
                log.warning("leases could not be renewed (will try again): %s",
                            _short(exc))
            self._failing = True
            return
        if self._failing:
            log.info("leases renewed again")
        self._failing = False

    def _run(self) -> None:
        while True:
            self._wake.wait(self.seconds / 4)
            with self._lock:
                if not any(self._held.values()):
                    self._thread = None
                    return
            self.beat()


def _short(exc: BaseException) -> str:
    """The first line of an error, without SQLAlchemy's statement and background link."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
