"""The JSON API under /api/v1/: feeds, items, versions, events, deliveries, watches, retry.

Listings are paginated (`limit` ≤ 200, `offset`; `next` is the URL of the next page or null).
Instants are ISO 8601 UTC. What a person could not see in `veille validate` — secrets in feed
URLs, errors, notifier options — is redacted the same way here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode

from aiohttp import web

from monitor.config import Config
from monitor.console import views
from monitor.console.app import console_of
from monitor.console.openapi import document
from monitor.console.pages import event_filter
from monitor.console.retry import retry_now
from storage import console as store
from storage.models import Delivery, Feed, Item, ItemVersion

T = TypeVar("T")
DEFAULT_LIMIT = 50


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def feed_json(feed: Feed, config: Config) -> dict[str, Any]:
    return {"name": feed.name, "url": views.feed_url(config, feed), "title": feed.title,
            "status": feed.status, "configured": feed.name in {f.name for f in config.feeds},
            "moved_to": config.redact(feed.moved_to) if feed.moved_to else None,
            "last_poll_at": iso(feed.last_poll_at), "last_success_at": iso(feed.last_success_at),
            "next_poll_at": iso(feed.next_poll_at),
            "consecutive_failures": feed.consecutive_failures, "items": feed.item_count,
            "last_error": config.redact(feed.last_error) if feed.last_error else None,
            "warning": config.redact(feed.warning) if feed.warning else None}


def version_json(v: ItemVersion) -> dict[str, Any]:
    return {"number": v.number, "recorded_at": iso(v.recorded_at), "title": v.title,
            "link": v.display_link or v.link, "summary": v.summary, "content": v.content,
            "published": iso(v.published), "updated": iso(v.updated),
            "silent_reason": v.silent_reason, "page_title": v.page_title,
            "page_text": v.page_text, "page_published": iso(v.page_published),
            "page_modified": iso(v.page_modified)}


def item_json(item: Item, feed: Feed, current: ItemVersion | None) -> dict[str, Any]:
    return {"id": item.id, "feed": feed.name, "key": item.key, "guid": item.guid,
            "link": item.link, "first_seen_at": iso(item.first_seen_at),
            "changed_at": iso(item.changed_at), "version": item.current_version,
            "title": current.title if current else ""}


def delivery_json(d: Delivery, config: Config) -> dict[str, Any]:
    state = "sent" if d.status == "sent" else "given_up" if d.status == "given_up" else \
        "failing" if d.attempts else "waiting"
    return {"id": d.id, "event": d.event_id, "notifier": d.notifier, "alert_id": d.alert_id,
            "state": state, "attempts": d.attempts, "watches": list(d.watches),
            "matched": list(d.matched), "created_at": iso(d.created_at),
            "next_attempt_at": iso(d.next_attempt_at) if d.status == "pending" else None,
            "sent_at": iso(d.sent_at),
            "last_error": config.redact(d.last_error) if d.last_error else None}


def event_json(row: store.EventRow, config: Config,
               deliveries: list[Delivery]) -> dict[str, Any]:
    e = row.event
    status = e.watches.get("status") if isinstance(e.watches, dict) else None
    return {"id": e.id, "type": e.type, "occurred_at": iso(e.occurred_at),
            "feed": row.feed.name if row.feed else None,
            "item": row.item.id if row.item else None, "version": e.version,
            "title": row.version.title if row.version else None,
            "link": (row.version.display_link or row.version.link) if row.version else None,
            "watches": store.hits_of(e), "match": status if isinstance(status, str) else None,
            "changes": [{"field": str(c.get("field")), "before": c.get("before"),
                         "after": c.get("after"), "truncated": bool(c.get("truncated", False))}
                        for c in e.changes],
            "error": config.redact(e.error) if e.error else None,
            "deliveries": [delivery_json(d, config) for d in deliveries]}


def _paging(request: web.Request) -> tuple[int, int]:
    try:
        limit = int(request.query.get("limit", DEFAULT_LIMIT))
        offset = int(request.query.get("offset", 0))
    except ValueError:
        raise _bad("limit and offset are whole numbers") from None
    if not 1 <= limit <= store.MAX_LIMIT or offset < 0:
        raise _bad(f"limit is 1 to {store.MAX_LIMIT}, offset 0 or more")
    return limit, offset


def _bad(message: str, status: type[web.HTTPException] = web.HTTPBadRequest
         ) -> web.HTTPException:
    return status(text=f'{{"error": {_quote(message)}}}', content_type="application/json")


def _quote(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


def _page(request: web.Request, data: list[Any], limit: int, offset: int) -> web.Response:
    more = len(data) > limit
    query = dict(request.query)
    query.update(limit=str(limit), offset=str(offset + limit))
    return web.json_response({"data": data[:limit], "limit": limit, "offset": offset,
                              "next": f"{request.path}?{urlencode(query)}" if more else None})


async def off_loop(func: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(None, func)


async def openapi(_request: web.Request) -> web.Response:
    return web.json_response(document())


async def csrf(request: web.Request) -> web.Response:
    return web.json_response({"csrf": console_of(request).csrf})


async def feeds(request: web.Request) -> web.Response:
    console, (limit, offset) = console_of(request), _paging(request)

    def read() -> list[Any]:
        with console.db.read() as session:
            return [feed_json(f, console.config)
                    for f in store.feeds(session, limit=limit + 1, offset=offset)]

    return _page(request, await off_loop(read), limit, offset)


async def items(request: web.Request) -> web.Response:
    console, (limit, offset) = console_of(request), _paging(request)
    feed = request.query.get("feed") or None

    def read() -> list[Any]:
        with console.db.read() as session:
            return [item_json(i, f, v) for i, f, v in
                    store.items(session, feed=feed, limit=limit + 1, offset=offset)]

    return _page(request, await off_loop(read), limit, offset)


def _item_id(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except ValueError:
        raise _bad("an item id is a whole number") from None


async def item(request: web.Request) -> web.Response:
    console, item_id = console_of(request), _item_id(request)

    def read() -> dict[str, Any] | None:
        with console.db.read() as session:
            detail = store.item_detail(session, item_id)
        if detail is None:
            return None
        body = item_json(detail.item, detail.feed, detail.versions[-1] if detail.versions
                         else None)
        body["versions"] = [version_json(v) for v in detail.versions]
        return body

    body = await off_loop(read)
    if body is None:
        raise _bad(f"no item {item_id}", web.HTTPNotFound)
    return web.json_response(body)


async def versions(request: web.Request) -> web.Response:
    console, item_id = console_of(request), _item_id(request)

    def read() -> list[Any] | None:
        with console.db.read() as session:
            found = store.versions(session, item_id)
        return [version_json(v) for v in found] if found else None

    data = await off_loop(read)
    if data is None:
        raise _bad(f"no item {item_id}", web.HTTPNotFound)
    return web.json_response({"data": data})


async def events(request: web.Request) -> web.Response:
    console, (limit, offset) = console_of(request), _paging(request)
    try:
        where = event_filter(request)
    except web.HTTPBadRequest as exc:
        raise _bad(exc.text or "bad filter") from None

    def read() -> list[Any]:
        with console.db.read() as session:
            rows = store.events(session, where, limit=limit + 1, offset=offset)
            sent = store.deliveries_of(session, [r.event.id for r in rows])
        return [event_json(r, console.config, sent.get(r.event.id, [])) for r in rows]

    return _page(request, await off_loop(read), limit, offset)


API_STATES = ("unsent", "waiting", "failing", "given_up", "sent")


async def deliveries(request: web.Request) -> web.Response:
    console, (limit, offset) = console_of(request), _paging(request)
    state = request.query.get("state") or None
    if state is not None and state not in API_STATES:
        raise _bad(f"state is one of {', '.join(API_STATES)}")

    def read() -> list[Any]:
        with console.db.read() as session:
            return [delivery_json(d, console.config) for d, _e, _f, _i in
                    store.deliveries(session, state=state, limit=limit + 1, offset=offset)]

    return _page(request, await off_loop(read), limit, offset)


async def retry(request: web.Request) -> web.Response:
    console = console_of(request)
    raw = request.match_info.get("id")
    try:
        ids = [int(raw)] if raw is not None else None
    except ValueError:
        raise _bad("a delivery id is a whole number") from None
    outcome = await off_loop(lambda: retry_now(console, ids))
    return web.json_response({"sent": outcome.sent, "failed": outcome.failed,
                              "errors": list(outcome.errors)})


def watch_json(w: Any) -> dict[str, Any]:
    return {"name": w.name, "keywords": list(w.keywords), "all": list(w.all),
            "exclude": list(w.exclude), "regex": list(w.regex), "exact": list(w.exact),
            "feeds": list(w.feeds), "on": sorted(w.on), "notify": list(w.notify),
            "atom": f"/feeds/{w.name}.atom"}


async def watches(request: web.Request) -> web.Response:
    return web.json_response({"data": [watch_json(w)
                                       for w in console_of(request).config.watches]})


async def try_watch(request: web.Request) -> web.Response:
    console = console_of(request)
    config = console.config
    name = request.match_info["name"]
    watch = next((w for w in config.watches if w.name == name), None)
    if watch is None:
        raise _bad(f"no watch named {name!r}", web.HTTPNotFound)
    try:
        days = int(request.query.get("days", "7"))
    except ValueError:
        raise _bad("days is a whole number") from None
    if not 1 <= days <= 365:
        raise _bad("days is 1 to 365")

    def run() -> list[Any]:
        with console.db.read() as session:
            rows = store.recent_items(session, datetime.now(UTC) - timedelta(days=days))
        return [{"item": t.item_id, "feed": t.feed, "title": str(t.title.striptags()),
                 "matched": list(t.terms)} for t in views.try_watch(watch, rows, config)]

    return web.json_response({"watch": name, "days": days, "data": await off_loop(run)})


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/v1/openapi.json", openapi)
    r.add_get("/api/v1/csrf", csrf)
    r.add_get("/api/v1/feeds", feeds)
    r.add_get("/api/v1/items", items)
    r.add_get("/api/v1/items/{id}", item)
    r.add_get("/api/v1/items/{id}/versions", versions)
    r.add_get("/api/v1/events", events)
    r.add_get("/api/v1/deliveries", deliveries)
    r.add_post("/api/v1/deliveries/retry", retry)
    r.add_post("/api/v1/deliveries/{id}/retry", retry)
    r.add_get("/api/v1/watches", watches)
    r.add_get("/api/v1/watches/{name}/try", try_watch)
