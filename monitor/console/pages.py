"""The console's pages: overview, alerts, item, deliveries (with retry), watches (try it),
config. Each handler reads in a worker thread (its own read transaction) and renders there:
the console's loop only moves bytes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from urllib.parse import urlencode

from aiohttp import web

from monitor.config import WatchConfig
from monitor.console import views
from monitor.console.app import Console, console_of
from monitor.console.retry import retry_now
from notifiers.render import format_local, one_line
from storage import console as store
from storage.models import Feed

T = TypeVar("T")
EVENT_TYPES = ("item.new", "item.changed", "feed.failing", "feed.recovered", "test")
PAGE_SIZE = 50


async def off_loop(func: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(None, func)


def _when(console: Console) -> Callable[[datetime | None], str]:
    tz = console.config.veille.timezone
    return lambda dt: format_local(dt, tz) if dt is not None else "–"


def _ago(dt: datetime | None) -> str:
    if dt is None:
        return "never"
    seconds = int((datetime.now(UTC) - dt).total_seconds())
    future, seconds = seconds < 0, abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            text = f"{seconds // size}{unit}"
            break
    else:
        text = f"{seconds}s"
    return f"in {text}" if future else f"{text} ago"


def _health(feed: Feed, configured: set[str], when: Callable[[datetime | None], str]
            ) -> tuple[str, str]:
    """(css class, words) of a feed's health."""
    if feed.name not in configured:
        return "muted", "removed from config.toml"
    if feed.status == "gone":
        return "bad", "gone (410): no longer polled"
    if feed.status == "failing":
        since = f" since {when(feed.last_success_at)}" if feed.last_success_at else ""
        return "bad", f"failing{since} ({feed.consecutive_failures} polls)"
    if feed.moved_to:
        return "warn", "moved — update config.toml"
    if feed.status == "new":
        return "muted", "not polled yet"
    return "ok", "ok"


async def overview(request: web.Request) -> web.Response:
    console = console_of(request)

    def page() -> web.Response:
        config = console.config
        configured = {f.name for f in config.feeds}
        with console.db.read() as session:
            feeds = store.feeds(session)
            outbox = store.outbox_counts(session)
            recent = store.events(session, limit=100)
            last_poll = store.last_poll(session)
        hits: dict[str, list[store.EventRow]] = {w.name: [] for w in config.watches}
        for row in recent:
            for watch in store.hits_of(row.event):
                if watch in hits and len(hits[watch]) < 5:
                    hits[watch].append(row)
        when = _when(console)
        rows = [dict(feed=f, health=_health(f, configured, when), url=views.feed_url(config, f),
                     error=config.redact(f.last_error or f.warning or ""),
                     next=_ago(f.next_poll_at) if f.status != "gone" and f.name in configured
                     else "–") for f in feeds]
        state = console.state
        return console.render(
            request, "overview.html.j2", title="Overview", feeds=rows, outbox=outbox,
            totals={k: sum(v.values()) for k, v in outbox.items()}, hits=hits,
            watches=config.watches, state=state, last_poll=last_poll, when=_when(console),
            ago=_ago, one_line=one_line)

    return await off_loop(page)


def _date_arg(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise web.HTTPBadRequest(text=f"{field}: {value!r} is not a date such as "
                                      "2024-05-14\n") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def event_filter(request: web.Request) -> store.EventFilter:
    """The filters of /alerts and /api/v1/events, from the query string."""
    q = request.query
    until = _date_arg(q.get("until"), "until")
    if until is not None and len(q.get("until", "")) == 10:
        until += timedelta(days=1)  # a bare date means the whole of that day
    kind = q.get("type") or None
    if kind is not None and kind not in EVENT_TYPES:
        raise web.HTTPBadRequest(text=f"type: {kind!r} is not one of {', '.join(EVENT_TYPES)}\n")
    return store.EventFilter(watch=q.get("watch") or None, feed=q.get("feed") or None,
                             type=kind, since=_date_arg(q.get("since"), "since"), until=until,
                             search=(q.get("q") or "").strip() or None)


def _page_number(request: web.Request) -> int:
    try:
        return max(1, int(request.query.get("page", "1")))
    except ValueError:
        raise web.HTTPBadRequest(text="page: expected a number\n") from None


async def alerts(request: web.Request) -> web.Response:
    console = console_of(request)
    where = event_filter(request)
    number = _page_number(request)

    def page() -> web.Response:
        config = console.config
        with console.db.read() as session:
            rows = store.events(session, where, limit=PAGE_SIZE + 1,
                                offset=(number - 1) * PAGE_SIZE)
            deliveries = store.deliveries_of(session, [r.event.id for r in rows])
            feeds = [f.name for f in store.feeds(session)]
        shown = []
        for r in rows[:PAGE_SIZE]:
            view = views.alert_view(r, config)
            terms = [t for ts in store.hits_of(r.event).values() for t in ts]
            # The view marks what the event's recorded spans cover, as the email does;
            # events recorded before spans existed are marked by their terms.
            marked = bool(view.highlights)
            shown.append(dict(row=r, view=view,
                              title=view.title_html if marked else views.highlight(view.title,
                                                                                    terms),
                              summary=view.summary_html if marked else views.highlight(
                                  view.summary, terms),
                              deliveries=deliveries.get(r.event.id, [])))
        query = {k: v for k, v in request.query.items() if k != "page"}
        return console.render(
            request, "alerts.html.j2", title="Alerts", alerts=shown, where=where,
            query=query, watches=[w.name for w in config.watches], feeds=feeds,
            types=EVENT_TYPES, page=number, more=len(rows) > PAGE_SIZE, when=_when(console),
            raw=request.query)

    return await off_loop(page)


async def item(request: web.Request) -> web.Response:
    console = console_of(request)
    try:
        item_id = int(request.match_info["id"])
        a = int(request.query["a"]) if request.query.get("a") else None
        b = int(request.query["b"]) if request.query.get("b") else None
    except ValueError:
        raise web.HTTPBadRequest(text="expected numbers\n") from None

    def page() -> web.Response:
        config = console.config
        with console.db.read() as session:
            detail = store.item_detail(session, item_id)
        if detail is None:
            raise web.HTTPNotFound(text=f"no item {item_id}\n")
        by_number = {v.number: v for v in detail.versions}
        newest = detail.versions[-1].number
        right = b if b in by_number else newest
        left = a if a in by_number else max((n for n in by_number if n < right), default=right)
        diff = views.diff(by_number[left], by_number[right]) if left != right else []
        return console.render(
            request, "item.html.j2", title=one_line(detail.versions[-1].title) or "Item",
            detail=detail, feed_url=views.feed_url(config, detail.feed), left=left,
            right=right, diff=diff, when=_when(console), value_of=views.value_of,
            redact=config.redact, hits_of=store.hits_of)

    return await off_loop(page)


DELIVERY_STATES = ("unsent", "failing", "given_up", "waiting", "sent")


async def deliveries(request: web.Request) -> web.Response:
    console = console_of(request)
    state = request.query.get("state", "unsent")
    if state not in DELIVERY_STATES:
        raise web.HTTPBadRequest(text=f"state: one of {', '.join(DELIVERY_STATES)}\n")
    number = _page_number(request)

    def page() -> web.Response:
        config = console.config
        with console.db.read() as session:
            rows = store.deliveries(session, state=state, limit=PAGE_SIZE + 1,
                                    offset=(number - 1) * PAGE_SIZE)
        return console.render(
            request, "deliveries.html.j2", title="Deliveries", rows=rows[:PAGE_SIZE],
            state=state, states=DELIVERY_STATES, page=number, more=len(rows) > PAGE_SIZE,
            when=_when(console), redact=config.redact, flash=request.query.get("done", ""),
            one_line=one_line)

    return await off_loop(page)


async def retry(request: web.Request) -> web.Response:
    console = console_of(request)
    form = await request.post()
    ids: list[int] | None
    if form.get("all"):
        ids = None
    else:
        try:
            ids = [int(str(form["id"]))]
        except (KeyError, ValueError):
            raise web.HTTPBadRequest(text="give a delivery id, or all\n") from None
    outcome = await off_loop(lambda: retry_now(console, ids))
    raise web.HTTPSeeOther("/deliveries?" + urlencode({"done": outcome.summary}))


def _trial_watch(request: web.Request, base: WatchConfig | None) -> WatchConfig | None:
    """The watch as the form edits it: its terms one per line; None without a watch."""
    q = request.query
    if base is None:
        return None
    if "keywords" not in q:
        return base

    def lines(name: str) -> tuple[str, ...]:
        return tuple(t.strip() for t in q.get(name, "").splitlines() if t.strip())

    return WatchConfig(name=base.name, keywords=lines("keywords"), all=lines("all"),
                       exclude=lines("exclude"), regex=base.regex, exact=base.exact,
                       feeds=base.feeds, on=base.on, notify=base.notify)


async def watches(request: web.Request) -> web.Response:
    console = console_of(request)
    config = console.config
    chosen = request.query.get("watch") or (config.watches[0].name if config.watches else "")
    base = next((w for w in config.watches if w.name == chosen), None)
    try:
        days = min(365, max(1, int(request.query.get("days", "7"))))
    except ValueError:
        raise web.HTTPBadRequest(text="days: expected a number\n") from None
    trial = _trial_watch(request, base)

    def page() -> web.Response:
        results: list[views.Trial] | None = None
        problem = ""
        if trial is not None and "run" in request.query:
            with console.db.read() as session:
                rows = store.recent_items(session, datetime.now(UTC) - timedelta(days=days))
            try:
                results = views.try_watch(trial, rows, config)
            except ValueError as exc:
                problem = str(exc)
        return console.render(
            request, "watches.html.j2", title="Watches", watches=config.watches, chosen=chosen,
            trial=trial, days=days, results=results, problem=problem)

    return await off_loop(page)


async def config_page(request: web.Request) -> web.Response:
    console = console_of(request)
    config = console.config
    return console.render(request, "config.html.j2", title="Config",
                          described=config.describe(), http=config.veille.http)


def add_routes(app: web.Application) -> None:
    from monitor.console import atom

    app.router.add_get("/", overview)
    app.router.add_get("/alerts", alerts)
    app.router.add_get("/items/{id}", item)
    app.router.add_get("/deliveries", deliveries)
    app.router.add_post("/deliveries/retry", retry)
    app.router.add_get("/watches", watches)
    app.router.add_get("/config", config_page)
    app.router.add_get("/feeds/{watch}.atom", atom.feed)
