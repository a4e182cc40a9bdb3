"""/healthz (the console answers), /readyz (the database answers, the scheduler runs, the last
poll cycle is recent) and /metrics (Prometheus text format)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from monitor.console import metrics
from monitor.console.app import console_of
from storage import console as store

READY_CYCLE_AGE = timedelta(minutes=5)  # a poll cycle starts every few seconds in `veille run`


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def _checks(request: web.Request) -> dict[str, str]:
    console = console_of(request)
    checks: dict[str, str] = {}
    try:
        with console.db.read() as session:
            store.ping(session)
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", said plainly
        checks["database"] = console.config.redact(f"unreachable: {type(exc).__name__}")
    if not console.hosted:
        return checks  # `veille serve`: no scheduler here, only the database matters
    state = console.state
    running = state.scheduler_running() if state.scheduler_running else False
    checks["scheduler"] = "ok" if running else "not running"
    started = state.cycle_started
    now = datetime.now(UTC)
    if started is None:
        begun = state.started_at or now
        checks["poll_cycle"] = "ok" if now - begun < READY_CYCLE_AGE else "none yet"
    elif now - started > READY_CYCLE_AGE:
        checks["poll_cycle"] = f"last started {int((now - started).total_seconds())}s ago"
    else:
        checks["poll_cycle"] = "ok"
    return checks


async def readyz(request: web.Request) -> web.Response:
    checks = await asyncio.get_running_loop().run_in_executor(None, _checks, request)
    ready = all(v == "ok" for v in checks.values())
    return web.json_response({"status": "ok" if ready else "unavailable", "checks": checks},
                             status=200 if ready else 503)


async def metrics_page(request: web.Request) -> web.Response:
    console = console_of(request)
    body = await asyncio.get_running_loop().run_in_executor(None, metrics.exposition,
                                                            console.db)
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_page)
