"""The engine, SQLite's settings (WAL, busy timeout, BEGIN IMMEDIATE) and migrations at start.

SQLite: a deferred transaction that reads and then writes fails at once with "database is
locked" when another connection wrote meanwhile, whatever the busy timeout; write transactions
therefore take the lock up front (SQLAlchemy's documented pysqlite recipe), and read-only ones
stay deferred so that listing commands never wait for a poll.

The database holds feed content and alert history: its files are the owner's only (0600, in a
0700 directory when veille creates it), whatever the umask.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

BUSY_TIMEOUT_MS = 30_000
MIGRATIONS = Path(__file__).parent / "migrations"


class StorageError(Exception):
    """Root of storage errors: the database cannot be opened or migrated."""


def normalise_url(url: str) -> str:
    """Pick the psycopg 3 driver for a bare `postgresql://` URL (psycopg2 is not a dependency)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None for another database or an in-memory one."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def private_dir(path: Path) -> None:
    """Create `path` and its missing parents with mode 0700, whatever the umask; existing
    directories are left as they are (they may be the operator's own)."""
    missing: list[Path] = []
    while not path.exists():
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(folder, 0o700)


def private_file(path: Path, *, create: bool = True) -> None:
    """Make `path` readable by its owner only: created empty with mode 0600 when missing
    (with `create`), its group and other bits removed when it exists."""
    if create:
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return
    if mode & 0o077:
        try:
            os.chmod(path, mode & 0o700)
        except OSError as exc:  # not ours to change (another user's file): say so, go on
            logging.getLogger(__name__).warning(
                "%s is readable by other users (mode %o) and could not be restricted: %s",
                path, mode, exc.strerror or exc)


def _private_sqlite(path: Path) -> None:
    """The database and its -wal / -shm 0600 in a 0700 directory veille creates. SQLite gives
    the -wal, -shm and journal files it creates the mode of the database file."""
    private_dir(path.parent)
    private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        private_file(path.with_name(path.name + suffix), create=False)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let the "begin" hook below emit BEGIN itself
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("veille_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """One engine for the process; `write()` and `read()` give transactional sessions."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        backend = make_url(self.url).get_backend_name()
        self.is_sqlite = backend == "sqlite"
        kwargs: dict[str, Any] = {"future": True}
        if self.is_sqlite:
            path = sqlite_path(self.url)
            if path is not None and not str(path).startswith("file:"):
                _private_sqlite(path)
            kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_MS / 1000,
                                      "check_same_thread": False}
        else:
            kwargs["pool_pre_ping"] = True
        try:
            self.engine = create_engine(self.url, **kwargs)
        except Exception as exc:  # a bad URL or a missing driver
            raise StorageError(f"cannot open database {self.safe_url}: {exc}") from exc
        if self.is_sqlite:
            _configure_sqlite(self.engine)

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    def migrate(self) -> None:
        """Create or upgrade the schema to the newest migration (Alembic)."""
        from alembic import command
        from alembic.config import Config

        logging.getLogger("alembic").setLevel(logging.WARNING)
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.connect() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                conn.commit()
        except Exception as exc:
            raise StorageError(f"cannot migrate database {self.safe_url}: {exc}") from exc

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session in one write transaction, committed on success, rolled back on error."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; on SQLite it never takes the write lock."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(veille_begin="DEFERRED")
            with Session(bind=conn, expire_on_commit=False) as session, session.begin():
                yield session

    def dispose(self) -> None:
        self.engine.dispose()
