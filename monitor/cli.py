"""The `veille` command: init, validate, check, run, demo, serve, feeds, items, watches,
history, deliveries, import/export opml, prune, backup, test-notify.

One exit-code rule everywhere: 0 success; 1 the command ran but a feed poll or an alert
delivery it attempted failed; 2 bad usage or config, including a name, key or id given on the
command line that names nothing. A closed pipe (`veille history | head`) is not a failure.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from monitor import __version__, logsetup, pipes
from monitor.errors import AlreadyRunningError, ConfigError, ForeignPackageError
from monitor.packages import ensure_own_packages
from monitor.usage import UsageError


class _OnFirstUse(ModuleType):
    """A module imported on its first use: `veille --help` never pays for SQLAlchemy,
    pydantic, aiohttp and the rest, and a foreign `storage` package is reported by
    `ensure_own_packages` before anything imports it."""

    def __getattr__(self, attribute: str) -> object:
        return getattr(importlib.import_module(self.__name__), attribute)


if TYPE_CHECKING:
    from monitor import commands
    from monitor import config as configuration
    from monitor.config import Config
    from storage import database
else:
    commands = _OnFirstUse("monitor.commands")
    configuration = _OnFirstUse("monitor.config")
    database = _OnFirstUse("storage.database")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EPILOG = ("Exit status: 0 success; 1 a feed poll or alert delivery failed; 2 bad usage or "
          "config. Times are local, with their zone; --json gives UTC.")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"veille: error: {message}\n")


def _add(sub: argparse._SubParsersAction[_Parser], name: str, common: _Parser, help: str,
         description: str = "") -> _Parser:
    """A subcommand whose --help page opens with a description (the short help, and more)."""
    text = help[0].upper() + help[1:] + "." + (f" {description}" if description else "")
    return sub.add_parser(name, parents=[common], help=help, description=text, epilog=EPILOG)


def _json(p: _Parser) -> None:
    p.add_argument("--json", action="store_true",
                   help="print JSON (times in UTC) for scripts; schema in docs/schemas/")


def _parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("-c", "--config", default=argparse.SUPPRESS, metavar="PATH",
                        help="config file (default: $VEILLE_CONFIG, else ./config.toml)")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="log debug details")
    common.add_argument("--log-format", choices=["text", "json"], default=argparse.SUPPRESS,
                        help="log lines as text (default) or one JSON object per line, for "
                             "log shippers")
    parser = _Parser(prog="veille", parents=[common], epilog=EPILOG,
                     description="Watch news feeds; alert on new and revised items that "
                                 "mention what you watch.")
    parser.add_argument("--version", action="version", version=f"veille {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = _add(sub, "init", common, "write a commented sample config",
             "PATH defaults to -c, $VEILLE_CONFIG or ./config.toml; an existing file is kept "
             "unless --force.")
    p.add_argument("path", nargs="?", default=None, metavar="PATH", help="where to write it")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    _add(sub, "validate", common, "check the config (exit 2 on problems)",
         "Every problem is listed at once, with its file and key path; a config with no "
         "feed is valid but says there is nothing to watch.")
    p = _add(sub, "check", common, "poll feeds now, record, try every waiting alert, exit",
             "At a terminal, a progress line counts the feeds done and names each failing "
             "one as it fails; on a pipe only the report is printed.")
    p.add_argument("--feed", action="append", metavar="NAME", help="only this feed (repeatable)")
    p.add_argument("--dry-run", action="store_true",
                   help="print what would be alerted; record and send nothing")
    _add(sub, "run", common, "run the daemon until SIGTERM/SIGINT",
         "SIGHUP re-reads the config; an invalid one is refused and the running one kept.")
    p = _add(sub, "demo", common, "the whole flow on bundled sample feeds served on loopback")
    p.add_argument("--keep", action="store_true", help="keep the demo server up afterwards")
    p = _add(sub, "serve", common,
             "the console alone (web pages, API, metrics) on the database")
    p.add_argument("--listen", metavar="HOST:PORT",
                   help="instead of [veille.http] listen (default 127.0.0.1:8080)")

    p = _add(sub, "feeds", common, "each feed's status, items and next poll; add, remove, "
             "pause, resume", "Edits keep config.toml's comments and layout and are "
             "validated before they are written.")
    _json(p)
    actions = p.add_subparsers(dest="feeds_action", metavar="ACTION", parser_class=_Parser)
    a = _add(actions, "add", common, "fetch a feed once, say what it is, add it",
             "The name defaults to one made from the feed's title.")
    a.add_argument("url", metavar="URL", help="the feed's http:// or https:// URL")
    a.add_argument("--name", help="its name in config.toml, alerts and logs")
    a.add_argument("--tags", default="", metavar="A,B", help="comma-separated tags")
    a.add_argument("--interval", metavar="DURATION", help="poll interval (90s, 10m, 1h)")
    a = _add(actions, "remove", common, "remove a feed from config.toml",
             "Its history stays in the database; its pending alerts are still delivered.")
    a.add_argument("name", metavar="NAME", help="the feed's name")
    a = _add(actions, "pause", common, "stop polling a feed, keeping it (enabled = false)")
    a.add_argument("name", metavar="NAME", help="the feed's name")
    a = _add(actions, "resume", common, "poll a paused feed again")
    a.add_argument("name", metavar="NAME", help="the feed's name")

    p = _add(sub, "items", common, "stored items, newest change first; --search their text",
             "The search ignores case and accents, as watches do.")
    p.add_argument("--feed", metavar="NAME", help="only this feed's items")
    p.add_argument("--search", metavar="TEXT",
                   help="items whose title, summary or content holds TEXT")
    p.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    _json(p)

    p = _add(sub, "watches", common, "the watches; `test NAME` shows what one would alert on")
    actions = p.add_subparsers(dest="watches_action", metavar="ACTION", parser_class=_Parser)
    a = _add(actions, "test", common, "what a watch would have alerted on among stored items",
             "Each item's current version is matched; the terms found are highlighted.")
    a.add_argument("name", metavar="NAME", help="the watch's name")
    a.add_argument("--days", type=float, default=7.0,
                   help="items first seen or changed in the last N days (default 7)")

    p = _add(sub, "history", common, "events and the diffs of revisions")
    p.add_argument("--feed", metavar="NAME", help="only this feed's events")
    p.add_argument("--item", metavar="KEY", help="every version of one item, with diffs")
    p.add_argument("--since", metavar="WHEN", help="a duration (2d, 12h) or a date (2024-05-14)")
    p.add_argument("--limit", type=int, default=50, help="at most this many events (default 50)")
    _json(p)
    p = _add(sub, "deliveries", common, "the outbox; `retry ID...|--all` sends them now")
    p.add_argument("--failed", action="store_true",
                   help="only unsent alerts that failed at least once")
    p.add_argument("action", nargs="?", choices=["retry"], help="retry: send them now")
    p.add_argument("ids", nargs="*", type=int, metavar="ID", help="delivery ids, with retry")
    p.add_argument("--all", action="store_true", help="with retry: every failed alert")
    _json(p)

    p = _add(sub, "import", common, "add feeds from another reader's export")
    formats = p.add_subparsers(dest="format", metavar="FORMAT", parser_class=_Parser,
                               required=True)
    a = _add(formats, "opml", common, "add every feed of an OPML file not watched yet",
             "Categories become tags; duplicates and bad URLs are skipped and named.")
    a.add_argument("file", metavar="FILE", type=Path, help="the OPML file")
    p = _add(sub, "export", common, "the feeds in a format other readers import")
    formats = p.add_subparsers(dest="format", metavar="FORMAT", parser_class=_Parser,
                               required=True)
    a = _add(formats, "opml", common, "every feed of config.toml as OPML 2.0")
    a.add_argument("-o", "--output", type=Path, metavar="FILE",
                   help="write to FILE instead of standard output")

    p = _add(sub, "prune", common, "delete versions and delivered alerts older than [veille] keep",
             "Never an item's current or first version, nor an alert not delivered yet.")
    p.add_argument("--dry-run", action="store_true", help="say what would go; delete nothing")
    p = _add(sub, "backup", common, "a consistent copy of the SQLite database, veille running",
             "For PostgreSQL it prints how to use pg_dump and exits 2.")
    p.add_argument("path", metavar="PATH", type=Path, help="the new file")
    p = _add(sub, "test-notify", common, "send a test alert through one notifier")
    p.add_argument("name", metavar="NAME", help="the notifier's name")
    return parser


def _config_path(args: argparse.Namespace) -> Path:
    given = getattr(args, "config", None) or os.environ.get("VEILLE_CONFIG") or "config.toml"
    return Path(given)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `veille` and `python -m monitor`."""
    with pipes.quiet_on_closed_pipe():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    if args.command is None:
        _parser().print_help(sys.stderr)
        return EXIT_USAGE
    try:
        ensure_own_packages()
    except ForeignPackageError as exc:
        print(f"veille: {exc}", file=sys.stderr)
        return EXIT_USAGE
    logsetup.setup(bool(getattr(args, "verbose", False)),
                   getattr(args, "log_format", None) or "text")
    path = _config_path(args)
    if args.command == "init":
        return commands.init(Path(args.path) if args.path else path, force=args.force)
    if args.command == "demo":
        return commands.demo(keep=args.keep)
    if args.command == "deliveries" and args.action is None and (args.ids or args.all):
        print("veille: error: give `retry` before IDs or --all", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "deliveries" and args.action == "retry" and not (args.ids or args.all):
        print("veille: error: deliveries retry needs IDs or --all", file=sys.stderr)
        return EXIT_USAGE
    try:
        config = configuration.load_config(path)
    except ConfigError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return EXIT_USAGE
    logsetup.redact_with(config)
    try:
        return _run(args, config)
    except (database.StorageError, AlreadyRunningError) as exc:
        print(f"veille: {config.redact(str(exc))}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, AlreadyRunningError) else EXIT_FAILED
    except ConfigError as exc:  # an edit of config.toml that would not validate
        print("\n".join(config.redact(p) for p in exc.problems), file=sys.stderr)
        print("veille: config.toml left unchanged", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        print(f"veille: error: {config.redact(str(exc))}", file=sys.stderr)
        return EXIT_USAGE


def _run(args: argparse.Namespace, config: Config) -> int:
    handler = _HANDLERS.get(args.command)
    return handler(args, config) if handler is not None else EXIT_USAGE


def _feeds(args: argparse.Namespace, config: Config) -> int:
    from monitor import manage

    action = args.feeds_action
    if action == "add":
        tags = [t.strip() for t in args.tags.split(",") if t.strip()]
        return manage.feeds_add(config, args.url, name=args.name, tags=tags,
                                interval=args.interval)
    if action == "remove":
        return manage.feeds_remove(config, args.name)
    if action in ("pause", "resume"):
        return manage.feeds_pause(config, args.name, paused=action == "pause")
    return commands.feeds(config, as_json=args.json)


def _with_db(run: Callable[..., int]) -> Callable[[Config], int]:
    def opened(config: Config) -> int:
        db = commands.open_db(config)
        try:
            return run(config, db)
        finally:
            db.dispose()
    return opened


def _items(args: argparse.Namespace, config: Config) -> int:
    from monitor import listings

    return _with_db(lambda c, db: listings.items(c, db, feed=args.feed, text=args.search,
                                                limit=args.limit, as_json=args.json))(config)


def _watches(args: argparse.Namespace, config: Config) -> int:
    from monitor import listings

    if args.watches_action == "test":
        return _with_db(lambda c, db: listings.watch_test(c, db, args.name,
                                                          days=args.days))(config)
    return listings.watches(config)


def _import(args: argparse.Namespace, config: Config) -> int:
    from monitor import manage

    return manage.import_opml(config, args.file)


def _export(args: argparse.Namespace, config: Config) -> int:
    from monitor import manage

    return manage.export_opml(config, args.output)


def _prune(args: argparse.Namespace, config: Config) -> int:
    from monitor import upkeep

    return _with_db(lambda c, db: upkeep.prune(c, db, dry_run=args.dry_run))(config)


def _backup(args: argparse.Namespace, config: Config) -> int:
    from monitor import upkeep

    return _with_db(lambda c, db: upkeep.backup(c, db, args.path))(config)


def _deliveries(args: argparse.Namespace, config: Config) -> int:
    if args.action == "retry":
        return commands.retry(config, ids=None if args.all else args.ids)
    return commands.deliveries(config, failed=args.failed, as_json=args.json)


_HANDLERS: dict[str, Callable[[argparse.Namespace, Config], int]] = {
    "validate": lambda args, config: commands.validate(config),
    "check": lambda args, config: commands.check(config, feeds=args.feed,
                                                 dry_run=args.dry_run),
    "run": lambda args, config: commands.run(config),
    "serve": lambda args, config: commands.serve(config, listen=args.listen),
    "feeds": _feeds,
    "items": _items,
    "watches": _watches,
    "history": lambda args, config: commands.history(
        config, feed=args.feed, item=args.item, since=args.since, limit=args.limit,
        as_json=args.json),
    "deliveries": _deliveries,
    "import": _import,
    "export": _export,
    "prune": _prune,
    "backup": _backup,
    "test-notify": lambda args, config: commands.test_notify(config, args.name),
}
