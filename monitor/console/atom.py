"""`/feeds/<watch>.atom`: a watch's alerts as an Atom feed, for the reader an analyst already
uses. Entries are the watch's newest events, each shown as its email shows it."""

from __future__ import annotations

import asyncio
import re

from aiohttp import web

from monitor.console import views
from monitor.console.app import console_of
from storage import console as store

ENTRIES = 50
# XML 1.0 forbids most control characters; feed text has had them dropped already, this is
# the last guard so that one stray byte can never make the whole document unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _iso(value: object) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if hasattr(value, "strftime") else ""


async def feed(request: web.Request) -> web.Response:
    console = console_of(request)
    name = request.match_info["watch"]
    config = console.config
    if name not in {w.name for w in config.watches}:
        raise web.HTTPNotFound(text=f"no watch named {name!r}\n")

    def render() -> str:
        with console.db.read() as session:
            rows = store.events(session, store.EventFilter(watch=name), limit=ENTRIES)
        entries = [dict(row=r, view=views.alert_view(r, config),
                        updated=_iso(r.event.occurred_at)) for r in rows]
        base = f"{request.scheme}://{request.host}"
        text = console.templates.get_template("atom.xml.j2").render(
            watch=name, entries=entries, base=base,
            updated=entries[0]["updated"] if entries else "1970-01-01T00:00:00Z")
        return _NOT_XML.sub("", text)

    text = await asyncio.get_running_loop().run_in_executor(None, render)
    return web.Response(text=text, content_type="application/atom+xml", charset="utf-8")
