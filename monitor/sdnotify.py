"""systemd's readiness protocol (`Type=notify`): READY, RELOADING, STOPPING, STATUS and the
watchdog, written to `$NOTIFY_SOCKET` as sd_notify(3) documents. Outside systemd (no socket)
every call does nothing."""

from __future__ import annotations

import logging
import os
import socket
import time

log = logging.getLogger(__name__)


class Notifier:
    """Talks to the service manager, if there is one."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET", "")
        self.address: str | None = None
        if address.startswith("@"):  # an abstract socket
            self.address = "\0" + address[1:]
        elif address.startswith("/"):
            self.address = address
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        mine = not pid or pid == str(os.getpid())
        self.watchdog = int(usec) / 1e6 if usec.isdigit() and int(usec) > 0 and mine else None
        self._last_ping = 0.0

    @property
    def active(self) -> bool:
        return self.address is not None

    def send(self, *fields: str) -> None:
        """One message of `KEY=value` lines; a lost message is only worth a debug line."""
        if self.address is None:
            return
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.connect(self.address)
                sock.sendall("\n".join(fields).encode("utf-8"))
        except OSError as exc:
            log.debug("could not notify systemd: %s", exc)

    def ready(self, status: str) -> None:
        self.send("READY=1", f"STATUS={status}")

    def reloading(self) -> None:
        # RELOADING=1 must carry the monotonic time (systemd ≥ 253 checks it).
        usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        self.send("RELOADING=1", f"MONOTONIC_USEC={usec}")

    def stopping(self) -> None:
        self.send("STOPPING=1", "STATUS=finishing in-flight work")

    def status(self, text: str) -> None:
        self.send(f"STATUS={text}")

    def alive(self) -> None:
        """A watchdog ping, at most twice per watchdog period; the daemon's main loop calls it
        while its scheduler runs, so a wedged daemon stops pinging and systemd restarts it."""
        if self.watchdog is None:
            return
        now = time.monotonic()
        if now - self._last_ping >= self.watchdog / 2:
            self._last_ping = now
            self.send("WATCHDOG=1")
