"""The console's aiohttp application: routes, and the checks every request passes first —
authentication, the Host of a loopback console, CSRF on POSTs, and strict security headers.

A loopback console without a secret is open to this machine only; it checks the Host header
so that a web page in a browser here cannot reach it by DNS rebinding. With a `token` or a
`password_hash`, every path but /healthz needs it: `Authorization: Bearer TOKEN`, or HTTP
Basic with any user name and the token or the password as password.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from monitor.config import Config
from monitor.console import access
from monitor.console.metrics import STATE, DaemonState
from storage.database import Database

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
           "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
           "Cross-Origin-Opener-Policy": "same-origin",
           "Cross-Origin-Resource-Policy": "same-origin", "Cache-Control": "no-store"}
OPEN_PATHS = frozenset({"/healthz"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Console:
    """What every handler reads: the running config (it follows SIGHUP), the database,
    this process's CSRF token, the templates and, inside `veille run`, the daemon's state."""

    get_config: Callable[[], Config]
    db: Database
    hosted: bool  # inside `veille run` (else `veille serve`, or the demo)
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    state: DaemonState = field(default_factory=lambda: STATE)
    templates: Environment = field(init=False)
    _verified: set[str] = field(default_factory=set)  # digests of Basic passwords that matched

    def __post_init__(self) -> None:
        self.templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                                     autoescape=True, undefined=StrictUndefined,
                                     trim_blocks=True, lstrip_blocks=True)

    @property
    def config(self) -> Config:
        return self.get_config()

    def render(self, request: web.Request, name: str, status: int = 200,
               **context: object) -> web.Response:
        html = self.templates.get_template(name).render(
            csrf=self.csrf, path=request.path, hosted=self.hosted, **context)
        return web.Response(text=html, content_type="text/html", charset="utf-8",
                            status=status)


CONSOLE: web.AppKey[Console] = web.AppKey("console", Console)


def console_of(request: web.Request) -> Console:
    return request.app[CONSOLE]


def _loopback_host(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _authorised(console: Console, request: web.Request) -> bool:
    http = console.config.veille.http
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and http.token:
        return access.same_secret(value.strip(), http.token)
    if scheme.lower() != "basic":
        return False
    try:
        password = base64.b64decode(value.strip(), validate=True).decode().partition(":")[2]
    except (binascii.Error, UnicodeDecodeError):
        return False
    if http.token and access.same_secret(password, http.token):
        return True
    if not http.password_hash:
        return False
    # PBKDF2 is slow on purpose: remember the passwords that matched, by digest only.
    known = hashlib.sha256(f"{http.password_hash}\0{password}".encode()).hexdigest()
    if known in console._verified:
        return True
    if access.password_matches(password, http.password_hash):
        console._verified.add(known)
        return True
    return False


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authentication, the Host check, CSRF; security headers on every answer."""
    console = console_of(request)
    http = console.config.veille.http
    try:
        if http.token or http.password_hash:
            if request.path not in OPEN_PATHS and not _authorised(console, request):
                raise web.HTTPUnauthorized(text="authentication required\n",
                                           headers={"WWW-Authenticate": 'Basic realm="veille"'})
        elif not _loopback_host(request.host):
            raise web.HTTPMisdirectedRequest(text="this console answers to localhost only\n")
        if request.method not in ("GET", "HEAD"):
            await _check_csrf(console, request)
        response = await handler(request)
    except web.HTTPException as exc:
        _secure(exc.headers)
        raise
    except Exception:  # a bug: say so in the log, answer plainly, with the same headers
        log.exception("console: %s %s failed", request.method, request.path)
        response = web.Response(status=500, text="internal error; see the veille log\n")
    _secure(response.headers)
    return response


def _secure(headers: Any) -> None:
    for name, value in HEADERS.items():
        headers.setdefault(name, value)


async def _check_csrf(console: Console, request: web.Request) -> None:
    """A POST carries this process's CSRF token (form field `csrf` or `X-CSRF-Token`), and
    comes from this origin when the browser says where it comes from. A bearer token is not
    sent by browsers on their own, so it needs no CSRF token."""
    origin = request.headers.get("Origin")
    if origin and origin not in (f"http://{request.host}", f"https://{request.host}"):
        raise web.HTTPForbidden(text="cross-origin request refused\n")
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        return
    token = request.headers.get("X-CSRF-Token")
    if token is None and request.content_type in ("application/x-www-form-urlencoded",
                                                  "multipart/form-data"):
        token = str((await request.post()).get("csrf", ""))
    if not token or not access.same_secret(token, console.csrf):
        raise web.HTTPForbidden(text="missing or wrong CSRF token; reload the page\n")


def build_app(console: Console) -> web.Application:
    """The whole console: pages, API, Atom, health, metrics and its own static files."""
    from monitor.console import api as api_routes
    from monitor.console import pages, probes

    app = web.Application(middlewares=[guard], client_max_size=64 * 1024)
    app[CONSOLE] = console
    pages.add_routes(app)
    api_routes.add_routes(app)
    probes.add_routes(app)
    app.router.add_static("/static/", HERE / "static", append_version=False)
    return app
