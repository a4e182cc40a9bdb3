"""The console's cost to the poll, and the overview's render time on a large database.

Reproduce from the repository root (about two minutes on 2 cores; run it on an idle machine):

    .venv/bin/python bench/console.py [--feeds 1000] [--renders 30]

1. Poll CPU with the console under load. The feeds of bench/poll_cycle.py (N feeds of 50
   items, ~60 KB, served by aiohttp in a separate process) are polled twice by veille in a
   fresh process each time: a first poll (every item new, a baseline into a fresh SQLite file),
   then a cycle where every feed answers 304. Once with no console, once with the console
   running in the same process (its own thread and loop, as `veille run` starts it) while a
   scripted client in another process fetches `/`, `/alerts`, `/deliveries` and `/metrics` in a
   loop. The poll's CPU is the thread CPU of the threads that poll (the asyncio loop thread
   and the record worker), so the console's own threads are not counted as the poll's; the
   process CPU (every thread) and the cycle's wall time are shown beside it. Target: the
   poll's CPU with the console under load ≤ 1.10 × without.
2. Overview render time. The first run's database is grown to N feeds and 100,000 item
   versions (a silent second version of every item, plus one event per item), then `/` is
   fetched `--renders` times, one request at a time; median and worst are reported. Target:
   median < 100 ms with 1,000 feeds and 100,000 versions.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import poll_cycle  # noqa: E402 - the same synthetic feeds and server

PAGES = ("/", "/alerts", "/deliveries", "/metrics")


def load_client(conn: Connection, base: str, stop_after: float) -> None:
    """Child process: fetch the console's pages in a loop until told to stop (or a bound)."""
    import aiohttp

    async def run() -> int:
        done = 0
        deadline = time.monotonic() + stop_after
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline and not conn.poll():
                for page in PAGES:
                    async with session.get(base + page) as resp:
                        await resp.read()
                    done += 1
        return done

    conn.send(asyncio.run(run()))


def poll_side(conn: Connection, port: int, count: int, with_console: bool,
              keep: str | None) -> None:
    """Child process: two poll cycles (first poll, then all 304), with or without the console
    under load; sends the figures back."""
    sys.stdout = open(os.devnull, "w")  # the console notifier's output  # noqa: SIM115
    from monitor.config import load_config
    from monitor.console.server import ConsoleThread
    from monitor.poll import Poller
    from storage.database import Database

    folder = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="veille-bench-console-"))
    config = load_config(poll_cycle.write_config(folder, port, count))
    db = Database(config.veille.database)
    db.migrate()
    poller = Poller(config, db, owner="bench")
    poller.sync_feeds()
    spent = poll_cycle.split_clock(poller)
    console = client = None
    results: dict[str, Any] = {}
    if with_console:
        console = ConsoleThread(lambda: config, Database(db.url), "127.0.0.1:0", hosted=True,
                                own_db=True)
        assert console.start(), console.error
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        client = (ctx.Process(target=load_client, args=(child, console.url, 600.0)), parent)
        client[0].start()
        time.sleep(2.0)  # the client is up and fetching before the cycle starts
    for key in ("s1", "s2"):
        poll_cycle.set_server(port, key, count)
        spent.update(parse=0.0, process=0.0)
        process0, thread0, wall0 = time.process_time(), time.thread_time(), time.perf_counter()
        poller.poll(due_only=False)
        results[key] = {"poll_cpu": time.thread_time() - thread0 + spent["process"],
                        "process_cpu": time.process_time() - process0,
                        "wall": time.perf_counter() - wall0}
    if client is not None and console is not None:
        client[1].send("stop")
        results["requests"] = client[1].recv()
        client[0].join()
        console.stop()
    db.dispose()
    if not keep:
        shutil.rmtree(folder, ignore_errors=True)
    conn.send(results)


def grow(folder: Path, versions: int) -> tuple[int, int]:
    """Give every item a silent second version and an event, up to `versions` versions."""
    from sqlalchemy import func, select, text

    from storage.database import Database
    from storage.models import ItemVersion

    db = Database(f"sqlite:///{folder / 'veille.db'}")
    with db.write() as session:
        have = session.scalar(select(func.count()).select_from(ItemVersion)) or 0
        missing = max(0, versions - have)
        session.execute(text(
            "INSERT INTO item_version (item_id, number, recorded_at, title, link, display_link,"
            " summary, content, published, updated, content_hash, fingerprint, rules_version,"
            " silent_reason) SELECT item_id, number + 1, recorded_at, title, link, display_link,"
            " summary, content, published, updated, content_hash, fingerprint, rules_version,"
            " 'cosmetic' FROM item_version WHERE number = 1 LIMIT :n"), {"n": missing})
        session.execute(text("UPDATE item SET current_version = 2 WHERE id IN "
                             "(SELECT item_id FROM item_version WHERE number = 2)"))
        session.execute(text(
            "INSERT INTO event (type, feed_id, item_id, version, occurred_at, changes, watches)"
            " SELECT 'item.changed', feed_id, id, 2, changed_at, '[]',"
            " '{\"hits\": {\"indo-pacific\": [\"Indo-Pacifique\"]}, \"status\": \"kept\"}'"
            " FROM item"))
    with db.read() as session:
        total = session.scalar(select(func.count()).select_from(ItemVersion)) or 0
        feeds = session.scalar(text("SELECT count(*) FROM feed")) or 0
    db.dispose()
    return int(feeds), int(total)


def render_times(folder: Path, port: int, count: int, renders: int) -> list[float]:
    """Milliseconds per GET / on the grown database, one request at a time."""
    import urllib.request

    from monitor.config import load_config
    from monitor.console.server import ConsoleThread
    from storage.database import Database

    config = load_config(poll_cycle.write_config(folder, port, count))
    db = Database(config.veille.database)
    console = ConsoleThread(lambda: config, db, "127.0.0.1:0", hosted=False)
    assert console.start(), console.error
    times = []
    try:
        urllib.request.urlopen(console.url + "/").read()  # warm: templates, caches
        for _ in range(renders):
            began = time.perf_counter()
            urllib.request.urlopen(console.url + "/").read()
            times.append((time.perf_counter() - began) * 1000)
    finally:
        console.stop()
        db.dispose()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--renders", type=int, default=30)
    parser.add_argument("--versions", type=int, default=100_000)
    args = parser.parse_args()
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=poll_cycle.serve, args=(child, args.feeds), daemon=True)
    server.start()
    port, _size = parent.recv()
    poll_cycle.wait_for(port)
    with tempfile.TemporaryDirectory(prefix="veille-bench-console-") as tmp:
        alone = poll_cycle.in_child(poll_side, port, args.feeds, False, tmp)
        loaded = poll_cycle.in_child(poll_side, port, args.feeds, True, None)
        print(f"poll of {args.feeds} feeds: CPU of the poll's threads, without → with the "
              f"console under load ({loaded.get('requests', 0)} requests served meanwhile)")
        ok = True
        for key, what in (("s1", "first poll, every item new"), ("s2", "every feed 304")):
            a, b = alone[key], loaded[key]
            ratio = b["poll_cpu"] / a["poll_cpu"] if a["poll_cpu"] else float("nan")
            ok = ok and ratio <= 1.10
            print(f"  {what:28} poll {a['poll_cpu']:6.2f} s → {b['poll_cpu']:6.2f} s "
                  f"(×{ratio:.3f}); process {a['process_cpu']:6.2f} s → "
                  f"{b['process_cpu']:6.2f} s; wall {a['wall']:5.1f} s → {b['wall']:5.1f} s")
        print(f"  target ≤ ×1.10: {'met' if ok else 'NOT met'}")
        feeds, versions = grow(Path(tmp), args.versions)
        times = render_times(Path(tmp), port, args.feeds, args.renders)
        median = statistics.median(times)
        print(f"overview (GET /) with {feeds} feeds and {versions} versions: median "
              f"{median:.1f} ms, worst {max(times):.1f} ms over {len(times)} renders "
              f"(target < 100 ms: {'met' if median < 100 else 'NOT met'})")
    server.terminate()
    return 0 if ok and median < 100 else 1


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    raise SystemExit(main())
