"""Storage faults as states: a full disk or a read-only database is told apart from a bug,
said once per episode in one sentence, and left behind by itself once writing works again.

`classify` reads an error (SQLite's result code, PostgreSQL's SQLSTATE, an OSError's errno)
and names the fault, if it is one. `FaultState` is the episode of one database in one process:
the first failed write logs the sentence, the first write that works again logs that it does.
`inspect` looks, without writing, at whether a SQLite database can be written now (for
`veille feeds` and the health endpoint).
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("storage")

DISK_FULL = "disk full"
READ_ONLY = "read-only"
FULL_MARGIN = 1 << 20  # less free space than this on the database's file system: full
_SQLITE_FULL, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_CANTOPEN = 13, 8, 10, 14


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        one = todo.pop()
        if one is None or any(one is s for s in seen):
            continue
        seen.append(one)
        todo += [getattr(one, "orig", None), one.__cause__, one.__context__]
    return seen


def classify(exc: BaseException) -> str | None:
    """DISK_FULL, READ_ONLY, or None for an error that is neither."""
    for one in _chain(exc):
        if isinstance(one, sqlite3.Error):
            code = (getattr(one, "sqlite_errorcode", 0) or 0) & 0xFF
            text = str(one).lower()
            if code == _SQLITE_FULL or "disk is full" in text:
                return DISK_FULL
            if code == _SQLITE_READONLY or "readonly database" in text:
                return READ_ONLY
        sqlstate = getattr(one, "sqlstate", None)
        if sqlstate == "53100":  # disk_full
            return DISK_FULL
        if sqlstate == "25006":  # read_only_sql_transaction (a standby, or read-only mode)
            return READ_ONLY
        if isinstance(one, OSError) and one.errno is not None:
            if one.errno in (errno.ENOSPC, errno.EDQUOT):
                return DISK_FULL
            if one.errno == errno.EROFS:
                return READ_ONLY
    return None


def sqlite_io_error(exc: BaseException) -> bool:
    """Whether SQLite failed to read, write or open one of its files (SQLITE_IOERR,
    SQLITE_CANTOPEN), which it also says when the disk is full or read-only."""
    return any(isinstance(one, sqlite3.Error) and (
        (getattr(one, "sqlite_errorcode", 0) or 0) & 0xFF in (_SQLITE_IOERR, _SQLITE_CANTOPEN))
        for one in _chain(exc))


def detail(exc: BaseException) -> str:
    """The database's own words for `exc`, on one line, without SQLAlchemy's statement."""
    for one in _chain(exc):
        if isinstance(one, sqlite3.Error | OSError) or getattr(one, "sqlstate", None):
            text = str(one).strip()
            if text:
                return text.splitlines()[0]
    return type(exc).__name__


def sentence(kind: str, where: str, why: str, *, daemon: bool = True) -> str:
    """The one sentence that says what is wrong, and what ends it: for the daemon, which
    goes on by itself, or for a command, which is to be run again."""
    what = "the disk is full" if kind == DISK_FULL else "it is read-only"
    fix = "space is freed" if kind == DISK_FULL else "it is writable"
    then = (f"veille keeps its place, tries again and goes on by itself once {fix}" if daemon
            else ("free some space" if kind == DISK_FULL else "make it writable")
            + ", then run this again")
    return f"the database {where} cannot be written: {what} ({why}); {then}"


class FaultState:
    """The storage fault episode of one database in this process."""

    def __init__(self, where: str, still: Callable[[], str | None] = lambda: None) -> None:
        self.where = where
        self.kind: str | None = None
        # What the file system says now: a small write can go through on a disk still full
        # (into space the log already has), which does not end the episode.
        self._still = still
        # The daemon logs each episode; a command says it once, as the error it exits with.
        self.report = False
        self._lock = threading.Lock()

    def failed(self, kind: str, exc: BaseException) -> str:
        """A write failed with fault `kind`: its sentence, logged when the episode starts."""
        text = sentence(kind, self.where, detail(exc), daemon=self.report)
        with self._lock:
            starts = self.kind != kind
            self.kind = kind
        if starts and self.report:
            log.error("%s", text)
        return text

    def ok(self) -> None:
        """A write went through: the end of the episode, if there was one."""
        if self.kind is None or self._still() == self.kind:
            return
        with self._lock:
            ended, self.kind = self.kind, None
        if ended is not None and self.report:
            log.warning("the database %s can be written again (it was %s); veille goes on",
                        self.where, ended)


def inspect(path: Path) -> tuple[str, str] | None:
    """(fault, sentence) when the SQLite database at `path` cannot be written now, looking
    only (free space, the file system's read-only flag, permissions); None when it can."""
    folder = path.parent
    try:
        stats = os.statvfs(folder)
    except OSError:
        return None
    where = str(path)
    if stats.f_flag & os.ST_RDONLY:
        return READ_ONLY, sentence(READ_ONLY, where, "its file system is mounted read-only",
                                   daemon=False)
    targets = [p for p in (path, path.with_name(path.name + "-wal")) if p.exists()]
    if not all(os.access(p, os.W_OK) for p in [folder, *targets]):
        return READ_ONLY, sentence(READ_ONLY, where, "no permission to write it or its folder",
                                   daemon=False)
    free = stats.f_bavail * stats.f_frsize
    if free < FULL_MARGIN:
        return DISK_FULL, sentence(DISK_FULL, where,
                                   f"{free // 1024} KB free on its file system", daemon=False)
    return None
