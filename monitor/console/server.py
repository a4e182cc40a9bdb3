"""Running the console: in its own thread with its own event loop beside `veille run` (so that
it can never slow or stop polling and dispatch), or alone for `veille serve` and the demo.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from aiohttp import web

from monitor.config import Config
from monitor.console.access import parse_listen
from monitor.console.app import Console, build_app
from storage.database import Database

log = logging.getLogger(__name__)


class ConsoleThread:
    """The console on `listen`, served from a daemon thread until `stop()`."""

    def __init__(self, get_config: Callable[[], Config], db: Database, listen: str, *,
                 hosted: bool, own_db: bool = False) -> None:
        self.console = Console(get_config, db, hosted=hosted)
        self._own_db = own_db
        self.host, self.port = parse_listen(listen)
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="veille-console", daemon=True)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> bool:
        """Start serving; False (with the reason logged) when the address cannot be bound."""
        self._thread.start()
        self._ready.wait(30)
        if self.error is not None:
            log.error("console not started on %s:%d: %s", self.host, self.port, self.error)
            return False
        log.info("console at %s", self.url)
        return True

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._start())
        except BaseException as exc:  # noqa: BLE001 - reported by start(), never raised here
            self.error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._cleanup())
        self._loop.close()

    async def _start(self) -> None:
        self._runner = web.AppRunner(build_app(self.console), access_log=None,
                                     handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        if self.port == 0:  # an ephemeral port (tests, the demo): say which one
            server = getattr(site, "_server", None)
            sockets = getattr(server, "sockets", None) or []
            if sockets:
                self.port = int(sockets[0].getsockname()[1])

    async def _cleanup(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and wait (at most `timeout`) for the thread to end."""
        if self._thread.is_alive() and self.error is None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)
        if self._own_db:
            self.console.db.dispose()


def start_beside_daemon(get_config: Callable[[], Config], db: Database) -> ConsoleThread | None:
    """The console of `veille run`, when `[veille.http] listen` is set; a console that cannot
    start is logged and left out: polling goes on without it."""
    listen = get_config().veille.http.listen
    if not listen:
        return None
    try:
        console = ConsoleThread(get_config, Database(db.url), listen, hosted=True,
                                own_db=True)
    except Exception:  # noqa: BLE001
        log.exception("console not started")
        return None
    return console if console.start() else None


def serve_until_signal(config: Config, db: Database, listen: str) -> int:
    """`veille serve`: the console in the foreground until SIGTERM or SIGINT (exit 0);
    exit 1 when the address cannot be bound."""
    import signal

    console = ConsoleThread(lambda: config, db, listen, hosted=False)
    if not console.start():
        return 1
    print(f"veille console at {console.url} (Ctrl-C to stop)", flush=True)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda _s, _f: stop.set())
                for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        stop.wait()
    finally:
        console.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
