"""What each CLI command does, on a loaded config; cli.py only parses arguments."""

from __future__ import annotations

import shutil
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from monitor import display, jsonout, logsetup
from monitor.config import Config, parse_duration
from monitor.owner import owner_id
from monitor.usage import UsageError as UsageError
from storage import deliveries as outbox
from storage import feeds as feed_store
from storage import pages as page_store
from storage import search
from storage.database import Database, private_dir, private_file
from storage.models import Delivery, Event

if TYPE_CHECKING:  # the engine loads only for the commands that run it (fast listings)
    from monitor.dispatch import DispatchReport
    from monitor.poll import PollReport

SAMPLE_CONFIG = Path(__file__).parent / "sample-config.toml"
URL_CHANGE_NOTE_FOR = timedelta(days=7)  # how long `veille feeds` mentions a URL edit


def open_db(config: Config) -> Database:
    db = Database(config.veille.database)
    db.migrate()
    return db


def now() -> datetime:
    return datetime.now(UTC)


# -- init / validate ----------------------------------------------------------------------
def init(path: Path, *, force: bool) -> int:
    if path.exists() and not force:
        print(f"veille: {path} exists; use --force to overwrite it", file=sys.stderr)
        return 2
    # A config holds secrets (or will): the owner's only, whatever the umask.
    private_dir(path.parent)
    private_file(path)
    shutil.copyfile(SAMPLE_CONFIG, path)
    print(f"wrote {path}; edit it, then run: veille validate -c {path}")
    return 0


def validate(config: Config) -> int:
    """The config's summary; a valid config that watches nothing says so instead of "OK"."""
    print(config.describe())
    if not config.feeds:
        paused = f" ({len(config.paused)} paused)" if config.paused else ""
        print(f"{config.path}: warning: nothing to watch: no active [[feed]]{paused}; add one "
              "with `veille feeds add URL`", file=sys.stderr)
        print("config valid, but nothing to watch")
        return 0
    if not config.watches:
        print(f"{config.path}: warning: no [[watch]]: feeds are recorded, nothing alerts",
              file=sys.stderr)
    print("config OK")
    return 0


# -- check / run --------------------------------------------------------------------------
def check(config: Config, *, feeds: list[str] | None, dry_run: bool) -> int:
    """Poll now, record, try every waiting alert; exit 1 when a poll or a delivery failed."""
    names = [f.name for f in config.feeds]
    for name in feeds or []:
        if name in {f.name for f in config.paused}:
            raise UsageError(f"feed {name!r} is paused (enabled = false in {config.path}); "
                             f"`veille feeds resume {name}` first")
        if name not in names:
            raise UsageError(f"no feed named {name!r} in {config.path}; known: "
                             f"{', '.join(names) or 'none'}")
    logsetup.warn_old_python()
    from monitor.daemon import release_gone_owners
    from monitor.dispatch import Dispatcher
    from monitor.follow import Follower
    from monitor.poll import Poller
    from monitor.progress import Progress
    db = open_db(config)
    owner = owner_id()
    release_gone_owners(db, now())  # a crashed run's claims would make this run skip feeds
    progress = Progress.for_terminal(len(set(feeds or names)), config.redact)
    poller = Poller(config, db, owner=owner, progress=progress)
    poller.sync_feeds()
    try:
        report = poller.poll(feeds or None, due_only=False, dry_run=dry_run)
    finally:
        if progress is not None:
            progress.finish()
    print_poll(report, config, dry_run=dry_run)
    # Followed article pages (issue 4): after the poll, before dispatch, so that a page revision
    # found now goes out in this run; a page failure does not fail the command.
    pages = Follower(config, db, owner=owner).check(feeds or None, due_only=False,
                                                    dry_run=dry_run)
    for line in pages.lines(dry_run=dry_run):
        print(config.redact(line))
    failed = bool(report.failed)
    if not dry_run:
        dispatcher = Dispatcher(config, db, owner=owner)
        try:
            sent = dispatcher.dispatch(ignore_schedule=True)
        finally:
            dispatcher.close()
        print_dispatch(sent, config.veille.timezone)
        print_waiting(config, db)
        failed = failed or bool(sent.failed)
    db.dispose()
    return 1 if failed else 0


def print_waiting(config: Config, db: Database) -> None:
    """Say which alerts wait for a digest period to end, so that silence is explained."""
    digests = [n for n, c in config.notifiers.items() if c.digest is not None]
    if not digests:
        return
    with db.read() as session:
        waiting = outbox.waiting(session, digests, now())
    for name, count, due in waiting:
        print(f"{count} alert{'s' if count != 1 else ''} wait for {name}'s digest at "
              f"{display.local(due, config.veille.timezone)}")


def change_summary(change: dict[str, object], tz: str, width: int = 60) -> str:
    """`before → after` on one line, each cut to `width` around the part that differs (two
    long texts sharing their start would otherwise show the same prefix twice)."""
    before, after = str(change.get("before") or ""), str(change.get("after") or "")
    if change.get("field") in display.DATE_FIELDS:
        before, after = display.local_iso(before, tz), display.local_iso(after, tz)
    old, new = display.difference(before, after, width)
    return f"{old or '-'} → {new or '-'}"


def print_poll(report: PollReport, config: Config, *, dry_run: bool) -> None:
    tz = config.veille.timezone
    for name in report.skipped:
        print(f"{name}: skipped — another veille process is polling it right now")
    for o in report.outcomes:
        if o.status in ("failed", "gone"):
            print(f"{o.name}: FAILED — {config.redact(o.error or '')}")
        else:
            what = {"not_modified": "not modified (304)", "same_body": "unchanged (same body)",
                    "skipped": f"skipped — {o.error}"}.get(o.status)
            if what is None:
                what = f"{o.new} new, {o.changed} changed, {o.silent} recorded silently"
            print(f"{o.name}: {what}" + (f" — warning: {o.warning}" if o.warning else ""))
        for alert in o.alerts:
            verb = "would alert" if dry_run else "alert"
            targets = ", ".join(f"{r.notifier} ({', '.join(r.watches) or 'health'}"
                                f"{': ' + ', '.join(r.matched) if r.matched else ''})"
                                for r in alert.routes) or "nobody (no notifier)"
            print(f"  {verb} {alert.type}: {display.one_line(alert.title, 80)} → {targets}")
            for change in alert.changes:
                print(f"      {change['field']}: {change_summary(change, tz)}")


def print_dispatch(report: DispatchReport, tz: str = "UTC") -> None:
    for a in report.attempts:
        title = a.alert.item.title if a.alert.item else a.alert.feed.name
        state = "sent" if a.ok else ("GIVEN UP" if a.given_up else "FAILED, will retry")
        line = f"delivery {a.delivery_id} → {a.notifier}: {state} ({a.alert.type}: "
        line += f"{display.one_line(title, 60)})"
        if a.error:
            line += f": {a.error}"
        print(line)
    for d in report.deferred:
        print(f"delivery {d.delivery_id} → {d.notifier}: held back by max_per_minute until "
              f"{display.local(d.until, tz, seconds=True)}")


def run(config: Config) -> int:
    from monitor.daemon import Daemon, single_run_lock
    logsetup.warn_old_python()
    db = open_db(config)
    with single_run_lock(db):
        return Daemon(config, db).run(config.path)


def serve(config: Config, *, listen: str | None) -> int:
    """The console alone until SIGTERM/SIGINT: a machine that only shows."""
    from monitor.console.access import is_loopback, parse_listen
    from monitor.console.server import serve_until_signal

    http = config.veille.http
    address = listen if listen is not None else http.listen
    if not address:
        raise UsageError('[veille.http] listen is "" (no console); give --listen HOST:PORT')
    try:
        host, _port = parse_listen(address)
    except ValueError as exc:
        raise UsageError(f"--listen {exc}") from None
    if not is_loopback(host) and not (http.token or http.password_hash):
        raise UsageError(f"{address} is reachable from other machines: set [veille.http] "
                         "token or password_hash (from ${NAME}) first")
    db = open_db(config)
    try:
        return serve_until_signal(config, db, address)
    finally:
        db.dispose()


def demo(*, keep: bool) -> int:
    from monitor.demo import run_demo

    return run_demo(keep=keep)


# -- listings -----------------------------------------------------------------------------
def feeds(config: Config, *, as_json: bool = False) -> int:
    """Each stored feed's state; configured feeds never polled yet are listed as new."""
    db = open_db(config)
    tz, at = config.veille.timezone, now()
    configured = {f.name for f in config.feeds}
    paused = {f.name for f in config.paused}
    rows = []
    documents: list[dict[str, object]] = []
    from monitor.follow import cap_notes, pages_note
    with db.read() as session:
        followed = page_store.per_feed(session)  # followed article pages
        capped = cap_notes(session, config)
        for f in feed_store.all_feeds(session):
            status = f.status
            if f.name in paused:
                status = "paused"
            elif f.name not in configured:
                status = "removed"
            elif f.status == "failing":
                status = f"failing ×{f.consecutive_failures}"
            elif f.moved_to:
                status = "moved"
            note = f.last_error or f.warning or ""
            if not note and f.url_changed_at is not None and \
                    at - f.url_changed_at < URL_CHANGE_NOTE_FOR:
                note = (f"URL edited {display.local(f.url_changed_at, tz)}:"
                        " re-baselined silently")
            if f.moved_to and f.name in configured:
                note = f"moved to {f.moved_to} — update config.toml"
            if f.id in followed:
                note = "; ".join(n for n in (note, pages_note(followed[f.id], capped.get(f.id)))
                                  if n)
            polled = f.status != "gone" and f.name in configured
            next_poll = display.ago(f.next_poll_at, at) if polled else "-"
            rows.append([f.name, status, display.local(f.last_poll_at, tz), str(f.item_count),
                         next_poll, display.one_line(config.redact(note), 200)])
            documents.append({
                "name": f.name, "url": config.redact(f.url), "title": f.title,
                "status": status.split(" ")[0], "consecutive_failures": f.consecutive_failures,
                "last_poll": jsonout.utc(f.last_poll_at),
                "last_success": jsonout.utc(f.last_success_at),
                "next_poll": jsonout.utc(f.next_poll_at) if polled else None,
                "items": f.item_count, "note": config.redact(note) or None,
                "moved_to": f.moved_to})
    fault = db.write_state()  # a full disk or a read-only database: the first thing to say
    db.dispose()
    stored = {d["name"] for d in documents}
    for feed in (*config.feeds, *config.paused):  # configured, not polled yet
        if feed.name not in stored:
            status = "paused" if feed.name in paused else "new"
            rows.append([feed.name, status, "-", "0", "-", "not polled yet"])
            documents.append({"name": feed.name, "url": config.redact(feed.url), "title": "",
                              "status": status, "consecutive_failures": 0, "last_poll": None,
                              "last_success": None, "next_poll": None, "items": 0,
                              "note": "not polled yet", "moved_to": None})
    if fault is not None:
        kind, sentence = fault
        print(f"database {kind.upper()}: {config.redact(sentence)}",
              file=sys.stderr if as_json else sys.stdout)
    if as_json:
        jsonout.emit(documents)
    else:
        print(display.table(["FEED", "STATUS", "LAST POLL", "ITEMS", "NEXT POLL", "NOTE"],
                            rows, shrink=[5]))
    return 0


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return now() - timedelta(seconds=parse_duration(value))
    except (ValueError, TypeError):
        pass
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--since {value!r}: give a duration (2d, 12h) or a date "
                         f"(2024-05-14)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def history(config: Config, *, feed: str | None, item: str | None, since: str | None,
            limit: int, as_json: bool = False) -> int:
    from monitor.history import HistoryNotFoundError, show_history

    db = open_db(config)
    try:
        return show_history(config, db, feed=feed, item=item, since=_since(since), limit=limit,
                            as_json=as_json)
    except HistoryNotFoundError as exc:
        raise UsageError(str(exc)) from None
    finally:
        db.dispose()


def deliveries(config: Config, *, failed: bool, as_json: bool = False) -> int:
    """The outbox, newest first: each alert's item title (not its internal key)."""
    db = open_db(config)
    tz = config.veille.timezone
    rows = []
    documents: list[dict[str, object]] = []
    with db.read() as session:
        listed = outbox.listing(session, failed_only=failed)
        titles = search.version_titles(session, [(i.id, e.version) for _, e, _, i in listed
                                                 if i is not None and e.version is not None])
        for d, e, f, i in listed:
            state = d.status.replace("_", " ")
            if d.status == outbox.PENDING and d.attempts:
                state = f"retrying ({d.attempts} failed)"
            title = titles.get((i.id, e.version or 0), "") if i is not None else ""
            rows.append([str(d.id), d.notifier, state, f.name if f else "-", e.type,
                         display.one_line(title, 200) or "-",
                         display.local(d.sent_at or d.next_attempt_at, tz),
                         display.one_line(config.redact(d.last_error or ""), 200)])
            documents.append({
                "id": d.id, "notifier": d.notifier, "status": d.status,
                "attempts": d.attempts, "event": e.type, "feed": f.name if f else None,
                "item": None if i is None else {"key": i.key, "title": title,
                                                "version": e.version},
                "created_at": jsonout.utc(d.created_at), "sent_at": jsonout.utc(d.sent_at),
                "next_attempt_at": None if d.status != outbox.PENDING
                else jsonout.utc(d.next_attempt_at),
                "last_error": config.redact(d.last_error) if d.last_error else None})
    db.dispose()
    if as_json:
        jsonout.emit(documents)
    else:
        print(display.table(["ID", "NOTIFIER", "STATUS", "FEED", "EVENT", "TITLE",
                             "SENT / NEXT TRY", "LAST ERROR"], rows, shrink=[5, 7]))
    return 0


def retry(config: Config, *, ids: list[int] | None) -> int:
    """Send the given (or every) failed alert now; ids that no alert has are bad usage."""
    db = open_db(config)
    if ids:
        with db.read() as session:
            unknown = search.unknown_deliveries(session, ids)
        if unknown:
            db.dispose()
            raise UsageError(f"no delivery with id {', '.join(map(str, unknown))}; "
                             "`veille deliveries` lists them")
    with db.write() as session:
        chosen = outbox.requeue(session, now(), ids)
    if not chosen:
        print("nothing to retry")
        db.dispose()
        return 0
    from monitor.dispatch import Dispatcher
    dispatcher = Dispatcher(config, db, owner=owner_id())
    try:
        report = dispatcher.dispatch(ignore_schedule=True, ids=chosen)
    finally:
        dispatcher.close()
    print_dispatch(report, config.veille.timezone)
    db.dispose()
    return 1 if report.failed else 0


def test_notify(config: Config, name: str) -> int:
    """A clearly marked test alert through the real path: outbox row, claim, send."""
    if name not in config.notifiers:
        raise UsageError(f"no notifier named {name!r}; known: "
                         f"{', '.join(config.notifiers) or 'none'}")
    db = open_db(config)
    at = now()
    with db.write() as session:
        event = Event(type="test", feed_id=None, item_id=None, occurred_at=at, changes=[],
                      watches={}, error=None)
        session.add(event)
        session.flush()
        delivery = Delivery(event_id=event.id, notifier=name, alert_id=uuid.uuid4().hex,
                            status="pending", watches=[], matched=[], match="", attempts=0,
                            next_attempt_at=at, created_at=at)
        session.add(delivery)
        session.flush()
        delivery_id = delivery.id
    from monitor.dispatch import Dispatcher
    dispatcher = Dispatcher(config, db, owner=owner_id())
    try:
        report = dispatcher.dispatch(ignore_schedule=True, ids=[delivery_id])
    finally:
        dispatcher.close()
    if report.sent:
        db.dispose()
        print(f"test alert sent through {name} (delivery {delivery_id})")
        return 0
    error = report.failed[0].error if report.failed else "not attempted"
    with db.write() as session:  # a test alert is not worth retrying in the background
        outbox.mark_given_up(session, delivery_id, error or "failed", attempted=False)
    db.dispose()
    print(f"test alert through {name} FAILED: {error}", file=sys.stderr)
    return 1
