"""Who holds a lease: an owner id that names its process, and whether that process is gone.

An owner id is `host:pid:scope:start:random`. `scope` tells apart machines that share a host
name and pid namespaces (containers): a digest of the kernel's boot id and the pid
namespace. `start` is when the process started (clock ticks since boot), so a pid reused by
another process is not mistaken for the owner. A claim is released early only when its owner
is provably gone: same host and scope, and no process with that pid and start time.
"""

from __future__ import annotations

import hashlib
import os
import socket
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path


def _read(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


def _start_ticks(pid: int) -> str | None:
    """When process `pid` started, in clock ticks since boot; None if unknown or gone."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else None


@cache
def _scope() -> str:
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    boot = _read("/proc/sys/kernel/random/boot_id")
    if not (namespace or boot):
        return "-"
    return hashlib.sha256(f"{boot}\0{namespace}".encode()).hexdigest()[:8]


def owner_id() -> str:
    """A fresh owner id for this process (one per daemon or command run)."""
    host = socket.gethostname().replace(":", "_") or "localhost"
    start = _start_ticks(os.getpid()) or "-"
    return f"{host}:{os.getpid()}:{_scope()}:{start}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Owner:
    host: str
    pid: int
    scope: str
    start: str


def parse(owner: str) -> Owner | None:
    """The parts of an owner id; None for an id of another form (an older veille's)."""
    parts = owner.rsplit(":", 4)
    if len(parts) != 5 or not parts[1].isdigit():
        return None
    return Owner(parts[0], int(parts[1]), parts[2], parts[3])


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    return True


def is_gone(owner: str) -> bool:
    """Whether the process behind `owner` is provably gone (so its claims can be freed)."""
    parsed = parse(owner)
    host = socket.gethostname().replace(":", "_") or "localhost"
    if parsed is None or parsed.host != host or parsed.scope != _scope() or parsed.scope == "-":
        return False
    if not _pid_alive(parsed.pid):
        return True
    started = _start_ticks(parsed.pid)
    return started is not None and parsed.start != "-" and started != parsed.start
