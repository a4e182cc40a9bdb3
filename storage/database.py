"""The engine, SQLite's settings (WAL, busy timeout, BEGIN IMMEDIATE) and migrations at start.

Migrations run under a lock (PostgreSQL: an advisory lock; SQLite: the write lock, taken up
front), so that any number of veille processes may start together on any schema version. A
write that fails for a full disk or a read-only database raises StorageFaultError with one
sentence, said once per episode (faults.py). SQLite's write-ahead log is kept small
(`journal_size_limit`, `checkpoint`), so that space freed on a full disk is usable.

SQLite: a deferred transaction that reads and then writes fails at once with "database is
locked" when another connection wrote meanwhile, whatever the busy timeout; write transactions
therefore take the lock up front (SQLAlchemy's documented pysqlite recipe), and read-only ones
stay deferred so that listing commands never wait for a poll.

The database holds feed content and alert history: its files are the owner's only (0600, in a
0700 directory when veille creates it), whatever the umask.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from storage import faults

BUSY_TIMEOUT_MS = 30_000
WAL_LIMIT = 4 << 20  # bytes of write-ahead log kept after a checkpoint
MIGRATIONS = Path(__file__).parent / "migrations"


class StorageError(Exception):
    """Root of storage errors: the database cannot be opened, migrated or written.

        StorageError
        └── StorageFaultError   the disk is full or the database read-only (a state that
                                ends by itself: `kind` is faults.DISK_FULL or READ_ONLY)
    """


class StorageFaultError(StorageError):
    """A write failed because the disk is full or the database is read-only."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


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
        # After a checkpoint the log shrinks back to this: it never keeps a full disk full.
        cur.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("veille_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


@functools.cache
def head_revision() -> str | None:
    """The newest migration's revision, read from the migration files themselves (the one no
    other names as its `down_revision`), so that a start at head need not import Alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        revision = _REVISION.search(text)
        if revision:
            revisions.add(revision.group(1))
        parent = _DOWN_REVISION.search(text)
        if parent:
            parents.add(parent.group(1))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


_REVISION = re.compile(r'^revision\s*=\s*["\']([^"\']+)["\']', re.MULTILINE)
_DOWN_REVISION = re.compile(r'^down_revision\s*=\s*["\']([^"\']+)["\']', re.MULTILINE)


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
        path = sqlite_path(self.url)
        self.fault = faults.FaultState(str(path) if path is not None else self.safe_url,
                                       still=lambda: self._looks_faulty(path))

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    def migrate(self) -> None:
        """Create or upgrade the schema to the newest migration (Alembic), under a lock.

        A schema already at the newest version is only read (a read-only database still
        lists). Otherwise one process migrates while the others wait for it, then find
        nothing left to do: several daemons may start at once on an empty database.
        """
        try:  # at head already (every start but the first after an upgrade): no Alembic import
            with self.engine.connect() as conn:
                conn = conn.execution_options(veille_begin="DEFERRED")
                current = conn.exec_driver_sql(
                    "SELECT version_num FROM alembic_version").scalar()
            if current is not None and current == head_revision():
                return
        except Exception:  # noqa: S110 - no schema yet: Alembic below says what to do
            pass
        from alembic import command
        from alembic.config import Config
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        logging.getLogger("alembic").setLevel(logging.WARNING)
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        head = ScriptDirectory.from_config(cfg).get_current_head()
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(veille_begin="DEFERRED")
                if MigrationContext.configure(conn).get_current_revision() == head:
                    return
        except Exception:  # noqa: S110 - no schema yet, or unreadable: migrating says why
            pass
        try:
            with self.engine.connect() as conn:
                postgres = conn.dialect.name == "postgresql"
                if postgres:  # one migrator per schema; the lock ends with the session
                    conn.exec_driver_sql(
                        "SELECT pg_advisory_lock(hashtext('veille migrations ' || "
                        "current_schema()))")
                    conn.commit()
                try:
                    cfg.attributes["connection"] = conn
                    # SQLite: the migration's transaction begins IMMEDIATE (the write lock).
                    command.upgrade(cfg, "head")
                    conn.commit()
                finally:
                    if postgres:
                        conn.rollback()
                        conn.exec_driver_sql(
                            "SELECT pg_advisory_unlock(hashtext('veille migrations ' || "
                            "current_schema()))")
                        conn.commit()
        except Exception as exc:
            kind = self._fault_of(exc)
            if kind is not None:
                raise StorageFaultError(kind, f"cannot migrate: {self.fault.failed(kind, exc)}"
                                        ) from exc
            raise StorageError(f"cannot migrate database {self.safe_url}: {exc}") from exc

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session in one write transaction, committed on success, rolled back on error;
        a full disk or a read-only database raises StorageFaultError."""
        try:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                yield session
        except Exception as exc:
            kind = self._fault_of(exc)
            if kind is None or isinstance(exc, StorageFaultError):
                raise
            raise StorageFaultError(kind, self.fault.failed(kind, exc)) from exc
        self.fault.ok()

    @staticmethod
    def _looks_faulty(path: Path | None) -> str | None:
        state = faults.inspect(path) if path is not None else None
        return state[0] if state is not None else None

    def _fault_of(self, exc: BaseException) -> str | None:
        """The storage fault behind `exc`, if any. SQLite reports a full disk met while it
        creates or grows its -wal and -shm files as a mere I/O error: where its file system
        is full or read-only, that is the fault."""
        kind = faults.classify(exc)
        path = sqlite_path(self.url)
        if kind is None and path is not None and faults.sqlite_io_error(exc):
            state = faults.inspect(path)
            kind = state[0] if state is not None else None
        return kind

    def write_state(self) -> tuple[str, str] | None:
        """(fault, sentence) when the database cannot be written now, judged without writing:
        for SQLite its file system and permissions, for PostgreSQL a read-only session or a
        standby; None when it can be written (as far as can be told)."""
        path = sqlite_path(self.url)
        if path is not None:
            return faults.inspect(path)
        if self.is_sqlite:
            return None
        try:
            with self.engine.connect() as conn:
                standby, read_only = conn.exec_driver_sql(
                    "SELECT pg_is_in_recovery(), current_setting('transaction_read_only')"
                ).one()
        except Exception:  # unreachable: the command that asked says so by itself
            return None
        if standby or read_only == "on":
            why = "a standby server" if standby else "read-only transactions"
            return faults.READ_ONLY, faults.sentence(faults.READ_ONLY, self.safe_url, why,
                                                     daemon=False)
        return None

    def checkpoint(self) -> None:
        """SQLite: copy the write-ahead log into the database and truncate it, so that the
        log never holds on to space (a no-op elsewhere; a failure is left for next time)."""
        if not self.is_sqlite:
            return
        try:
            raw = self.engine.raw_connection()  # outside any transaction, as it must be
            try:
                raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            finally:
                raw.close()
        except Exception:  # busy readers or a full disk: the next checkpoint catches up
            logging.getLogger(__name__).debug("checkpoint deferred", exc_info=True)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; on SQLite it never takes the write lock."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(veille_begin="DEFERRED")
            with Session(bind=conn, expire_on_commit=False) as session, session.begin():
                yield session

    def dispose(self) -> None:
        self.engine.dispose()
