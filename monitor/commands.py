"""What each CLI command does, on a loaded config; cli.py only parses arguments."""

from __future__ import annotations

import shutil
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor import display
from monitor.config import Config, parse_duration
from monitor.daemon import Daemon, owner_id, release_gone_owners, single_run_lock
from monitor.dispatch import Dispatcher, DispatchReport
from monitor.follow import Follower, cap_notes, pages_note
from monitor.poll import Poller, PollReport
from storage import deliveries as outbox
from storage import feeds as feed_store
from storage import pages as page_store
from storage.database import Database, private_dir, private_file
from storage.models import Delivery, Event

SAMPLE_CONFIG = Path(__file__).parent / "sample-config.toml"
URL_CHANGE_NOTE_FOR = timedelta(days=7)  # how long `veille feeds` mentions a URL edit


class UsageError(Exception):
    """A command was asked for something that does not exist (exit 2)."""


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
    print(config.describe())
    print("config OK")
    return 0


# -- check / run --------------------------------------------------------------------------
def check(config: Config, *, feeds: list[str] | None, dry_run: bool) -> int:
    """Poll now, record, try every waiting alert; exit 1 when a poll or a delivery failed."""
    names = [f.name for f in config.feeds]
    for name in feeds or []:
        if name not in names:
            raise UsageError(f"no feed named {name!r} in {config.path}; known: "
                             f"{', '.join(names) or 'none'}")
    db = open_db(config)
    owner = owner_id()
    release_gone_owners(db, now())  # a crashed run's claims would make this run skip feeds
    poller = Poller(config, db, owner=owner)
    poller.sync_feeds()
    report = poller.poll(feeds or None, due_only=False, dry_run=dry_run)
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


def print_poll(report: PollReport, config: Config, *, dry_run: bool) -> None:
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
                print(f"      {change['field']}: {display.one_line(str(change['before']), 60)}"
                      f" → {display.one_line(str(change['after']), 60)}")


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
    db = open_db(config)
    with single_run_lock(db):
        return Daemon(config, db).run(config.path)


def demo(*, keep: bool) -> int:
    from monitor.demo import run_demo

    return run_demo(keep=keep)


# -- listings -----------------------------------------------------------------------------
def feeds(config: Config) -> int:
    db = open_db(config)
    tz, at = config.veille.timezone, now()
    configured = {f.name for f in config.feeds}
    rows = []
    with db.read() as session:
        followed = page_store.per_feed(session)  # followed article pages (issue 4)
        capped = cap_notes(session, config)
        for f in feed_store.all_feeds(session):
            status = f.status
            if f.name not in configured:
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
            next_poll = "-" if f.status == "gone" or f.name not in configured \
                else display.ago(f.next_poll_at, at)
            rows.append([f.name, status, display.local(f.last_poll_at, tz), str(f.item_count),
                         next_poll, display.one_line(config.redact(note), 70)])
    print(display.table(["FEED", "STATUS", "LAST POLL", "ITEMS", "NEXT POLL", "NOTE"], rows))
    db.dispose()
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
            limit: int) -> int:
    from monitor.history import show_history

    db = open_db(config)
    try:
        return show_history(config, db, feed=feed, item=item, since=_since(since), limit=limit)
    finally:
        db.dispose()


def deliveries(config: Config, *, failed: bool) -> int:
    db = open_db(config)
    tz = config.veille.timezone
    rows = []
    with db.read() as session:
        for d, e, f, i in outbox.listing(session, failed_only=failed):
            state = d.status.replace("_", " ")
            if d.status == outbox.PENDING and d.attempts:
                state = f"retrying ({d.attempts} failed)"
            what = e.type if i is None else f"{e.type} {display.one_line(i.key, 40)}"
            rows.append([str(d.id), d.notifier, state, f.name if f else "-", what,
                         display.local(d.sent_at or d.next_attempt_at, tz),
                         display.one_line(config.redact(d.last_error or ""), 60)])
    print(display.table(["ID", "NOTIFIER", "STATUS", "FEED", "EVENT", "SENT / NEXT TRY",
                         "LAST ERROR"], rows))
    db.dispose()
    return 0


def retry(config: Config, *, ids: list[int] | None) -> int:
    db = open_db(config)
    with db.write() as session:
        chosen = outbox.requeue(session, now(), ids)
    if not chosen:
        print("nothing to retry")
        db.dispose()
        return 0
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
