"""The `veille` command: init, validate, check, run, demo, feeds, history, deliveries,
test-notify. Exit codes: 0 success; 1 a feed poll or alert delivery failed; 2 bad usage or
config.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from monitor import __version__, commands, logsetup
from monitor.config import load_config
from monitor.errors import AlreadyRunningError, ConfigError, ForeignPackageError
from monitor.packages import ensure_own_packages
from storage.database import StorageError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"veille: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("-c", "--config", default=argparse.SUPPRESS, metavar="PATH",
                        help="config file (default: $VEILLE_CONFIG, else ./config.toml)")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="log debug details")
    parser = _Parser(prog="veille", parents=[common],
                     description="Watch news feeds; alert on new and revised items that "
                                 "mention what you watch.")
    parser.add_argument("--version", action="version", version=f"veille {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("init", parents=[common], help="write a commented sample config")
    p.add_argument("path", nargs="?", default=None, metavar="PATH")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    sub.add_parser("validate", parents=[common], help="check the config (exit 2 on problems)")
    p = sub.add_parser("check", parents=[common],
                       help="poll feeds now, record, try every waiting alert, exit")
    p.add_argument("--feed", action="append", metavar="NAME", help="only this feed (repeatable)")
    p.add_argument("--dry-run", action="store_true",
                   help="print what would be alerted; record and send nothing")
    sub.add_parser("run", parents=[common], help="run the daemon until SIGTERM/SIGINT")
    p = sub.add_parser("demo", parents=[common],
                       help="the whole flow on bundled sample feeds served on loopback")
    p.add_argument("--keep", action="store_true", help="keep the demo server up afterwards")
    sub.add_parser("feeds", parents=[common], help="each feed's status, items and next poll")
    p = sub.add_parser("history", parents=[common], help="events and the diffs of revisions")
    p.add_argument("--feed", metavar="NAME")
    p.add_argument("--item", metavar="KEY", help="every version of one item, with diffs")
    p.add_argument("--since", metavar="WHEN", help="a duration (2d, 12h) or a date (2024-05-14)")
    p.add_argument("--limit", type=int, default=50)
    p = sub.add_parser("deliveries", parents=[common], help="the outbox; `retry ID|--all`")
    p.add_argument("--failed", action="store_true",
                   help="only unsent alerts that failed at least once")
    p.add_argument("action", nargs="?", choices=["retry"])
    p.add_argument("ids", nargs="*", type=int, metavar="ID")
    p.add_argument("--all", action="store_true", help="with retry: every failed alert")
    p = sub.add_parser("test-notify", parents=[common],
                       help="send a test alert through one notifier")
    p.add_argument("name", metavar="NAME")
    return parser


def _config_path(args: argparse.Namespace) -> Path:
    given = getattr(args, "config", None) or os.environ.get("VEILLE_CONFIG") or "config.toml"
    return Path(given)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `veille` and `python -m monitor`."""
    args = _parser().parse_args(argv)
    if args.command is None:
        _parser().print_help(sys.stderr)
        return EXIT_USAGE
    try:
        ensure_own_packages()
    except ForeignPackageError as exc:
        print(f"veille: {exc}", file=sys.stderr)
        return EXIT_USAGE
    logsetup.setup(bool(getattr(args, "verbose", False)))
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
        config = load_config(path)
    except ConfigError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return EXIT_USAGE
    logsetup.redact_with(config)
    try:
        if args.command == "validate":
            return commands.validate(config)
        if args.command == "check":
            return commands.check(config, feeds=args.feed, dry_run=args.dry_run)
        if args.command == "run":
            return commands.run(config)
        if args.command == "feeds":
            return commands.feeds(config)
        if args.command == "history":
            return commands.history(config, feed=args.feed, item=args.item, since=args.since,
                                    limit=args.limit)
        if args.command == "deliveries":
            if args.action == "retry":
                return commands.retry(config, ids=None if args.all else args.ids)
            return commands.deliveries(config, failed=args.failed)
        if args.command == "test-notify":
            return commands.test_notify(config, args.name)
    except (StorageError, AlreadyRunningError) as exc:
        print(f"veille: {config.redact(str(exc))}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, AlreadyRunningError) else EXIT_FAILED
    except commands.UsageError as exc:
        print(f"veille: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_USAGE
