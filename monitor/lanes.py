"""A lane per notifier: at most `slots` sends to it at once, each on a thread of its own.

The daemon's dispatch job only starts work on lanes with a free slot and returns, so a
notifier that hangs holds its own slots and nothing else: not the dispatch job, not the poll,
not another notifier. Threads are daemon threads: at shutdown, a send that outlives the stop
bound (a receiver that never answers) does not keep the process alive; its claim expires.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from storage.database import StorageFaultError

log = logging.getLogger(__name__)


class Lane:
    """The sends in flight to one notifier."""

    def __init__(self, name: str, slots: int) -> None:
        self.name = name
        self.slots = slots
        self._busy = 0
        self._cond = threading.Condition()

    @property
    def busy(self) -> int:
        with self._cond:
            return self._busy

    def free(self) -> int:
        with self._cond:
            return self.slots - self._busy

    def start(self, work: Callable[[], None]) -> bool:
        """Run `work` on a new thread if a slot is free; False when every slot is busy."""
        with self._cond:
            if self._busy >= self.slots:
                return False
            self._busy += 1
        thread = threading.Thread(target=self._run, args=(work,), daemon=True,
                                  name=f"veille-send-{self.name}")
        try:
            thread.start()
        except BaseException:
            self._done()
            raise
        return True

    def _run(self, work: Callable[[], None]) -> None:
        try:
            work()
        except StorageFaultError:
            pass  # a full disk or a read-only database: said once by the database
        except Exception:  # a bug in a send loop must not kill the lane's slot for good
            log.exception("sending through %s failed; will try again at the next tick",
                          self.name)
        finally:
            self._done()

    def _done(self) -> None:
        with self._cond:
            self._busy -= 1
            self._cond.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no send is in flight, at most `timeout` seconds."""
        with self._cond:
            return self._cond.wait_for(lambda: self._busy == 0, timeout)
