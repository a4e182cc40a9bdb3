"""`veille prune` (retention per `[veille] keep`) and `veille backup PATH`."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from monitor.config import Config, format_duration
from storage import retention
from storage.database import Database, StorageError


def prune(config: Config, db: Database, *, dry_run: bool) -> int:
    """Delete old versions and delivered alerts past `keep`; say how many."""
    keep = config.veille.keep
    if keep is None:
        print(f"nothing to prune: [veille] keep is not set in {config.path} (everything is "
              "kept); set e.g. keep = \"365d\"")
        return 0
    before = datetime.now(UTC) - timedelta(seconds=keep)
    if dry_run:
        with db.read() as session:
            report = retention.prune(session, before)
            session.rollback()
    else:
        with db.write() as session:
            report = retention.prune(session, before)
    verb = "would remove" if dry_run else "removed"
    print(f"{verb} {report.versions} item version{'s' if report.versions != 1 else ''} and "
          f"{report.deliveries} delivered alert{'s' if report.deliveries != 1 else ''} older "
          f"than {format_duration(keep)} (kept: current and first versions, undelivered "
          "alerts, the first alert about each item)")
    return 0


def backup(config: Config, db: Database, target: Path) -> int:
    """A consistent copy of the SQLite database; for PostgreSQL, how to use pg_dump (exit 2)."""
    if not db.is_sqlite:
        url = make_url(db.url)
        print("veille: backup copies SQLite databases; this one is PostgreSQL. Use its own "
              "tool, which is consistent while veille runs:\n"
              f"  pg_dump --format=custom --file {target} "
              f"--host {url.host or 'localhost'} --port {url.port or 5432} "
              f"--username {url.username or 'postgres'} {url.database or ''}\n"
              "and restore with pg_restore --clean --dbname …", file=sys.stderr)
        return 2
    try:
        retention.backup(db, target)
    except StorageError as exc:
        print(f"veille: {config.redact(str(exc))}", file=sys.stderr)
        return 2
    size = target.stat().st_size
    print(f"backed up {db.safe_url} to {target} ({size / 1e6:.1f} MB); restore by stopping "
          "veille and copying it back in place of the database file")
    return 0
