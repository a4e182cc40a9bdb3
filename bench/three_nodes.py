"""Three `veille run` daemons sharing one PostgreSQL database, 10,000 feeds: how the feeds are
shared between the nodes, how many polls are doubled (there must be none), and how long the
feeds of a node killed with kill -9 wait before another node polls them.

Reproduce from the repository root, on a machine nobody else is using (it loads both cores
for several minutes), with PostgreSQL on 127.0.0.1:5432 (database `test`, user `postgres`):

    .venv/bin/python bench/three_nodes.py [--feeds 10000] [--nodes 3] [--interval 120]
        [--lease 60] [--run 600] [--kill-after 300] [--pg postgresql+psycopg://…/test]

What is served: N small RSS feeds (one item each, an ETag, 304 on a repeat) by an aiohttp.web
server on 127.0.0.1 in a separate process, which notes the time, path and User-Agent of every
request (each node has its own User-Agent). What runs: N `[[feed]]`s in one config, copied
for each node but for `user_agent`, on a fresh PostgreSQL schema; `interval` and `jitter =
interval / 4` as given, `lease` as given, `concurrency = 50`, `per_host = 1000` (every feed is on
one loopback host). The nodes are started together (migrations under their lock); node 0 is
killed with SIGKILL after `--kill-after` seconds, the others get SIGTERM at `--run`.

What is reported (and written as JSON to `bench/three_nodes.json`):
- start: seconds from launch until every feed was polled once;
- share: polls per node before the kill, and of the surviving nodes after it;
- doubles: pairs of polls of one feed closer than half the interval (0 expected: a feed is
  due again only an interval after its poll);
- takeover: for the feeds node 0 polled last before the kill, how late their next poll came
  compared with when they were due (a feed held by node 0 at the kill is due again once its
  lease ends): the maximum and the 99th percentile, in seconds, and how many were late by more
  than one lease.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
LOG_PATH = "/_log"

Poll = tuple[float, int, int]  # (seconds since the server started, feed index, node)


def feed_body(index: int) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Feed {index}</title><link>https://example.org/{index}</link>"
            f"<description>bench</description><item><guid>g{index}</guid>"
            f"<title>Item of feed {index}</title><link>https://example.org/{index}/1</link>"
            f"<description>Nothing to watch here.</description></item></channel></rss>"
            ).encode()


def serve(conn: Connection, count: int) -> None:
    """Child process: serve `count` feeds, noting every request; `GET /_log` returns them."""
    from aiohttp import web

    started = time.monotonic()
    seen: list[Poll] = []

    async def feed(request: web.Request) -> web.Response:
        index = int(request.match_info["index"])
        if not 0 <= index < count:
            raise web.HTTPNotFound()
        agent = request.headers.get("User-Agent", "")
        node = int(agent.rsplit("node", 1)[1]) if "node" in agent else -1
        seen.append((time.monotonic() - started, index, node))
        tag = f'"f{index}"'
        if request.headers.get("If-None-Match") == tag:
            return web.Response(status=304, headers={"ETag": tag})
        return web.Response(body=feed_body(index), headers={
            "Content-Type": "application/rss+xml; charset=utf-8", "ETag": tag})

    async def log(_request: web.Request) -> web.Response:
        return web.json_response({"now": time.monotonic() - started, "polls": seen})

    app = web.Application()
    app.router.add_get("/f/{index:\\d+}.xml", feed)
    app.router.add_get(LOG_PATH, log)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    conn.send(sock.getsockname()[1])
    web.run_app(app, sock=sock, print=None, access_log=None, handle_signals=True)


def fetch_log(port: int) -> tuple[float, list[Poll]]:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}{LOG_PATH}", timeout=120) as reply:
        data = json.load(reply)
    return float(data["now"]), [(float(a), int(i), int(n)) for a, i, n in data["polls"]]


def write_configs(folder: Path, url: str, port: int, feeds: int, nodes: int, interval: float,
                  lease: float) -> list[Path]:
    table = "".join(f'\n[[feed]]\nname = "f{i}"\nurl = "http://127.0.0.1:{port}/f/{i}.xml"\n'
                    for i in range(feeds))
    paths = []
    for node in range(nodes):
        path = folder / f"node{node}.toml"
        path.write_text(f'''[veille]
database = "{url}"
interval = "{interval:g}s"
jitter = "{interval / 4:g}s"
lease = "{lease:g}s"
timeout = "10s"
concurrency = 50
per_host = 1000
user_agent = "veille-bench node{node}"

[veille.http]
listen = ""
{table}
[[watch]]
name = "nothing"
keywords = ["never in these feeds"]
notify = ["screen"]

[notifier.screen]
type = "console"
''')
        paths.append(path)
    return paths


@dataclass(frozen=True)
class Figures:
    feeds: int
    nodes: int
    interval: float
    lease: float
    start_seconds: float | None
    share_before_kill: dict[str, int]
    share_after_kill: dict[str, int]
    doubles: int
    takeover_max: float | None
    takeover_p99: float | None
    late_beyond_lease: int
    held_by_killed: int


def analyse(polls: Sequence[Poll], *, feeds: int, nodes: int, interval: float, lease: float,
            launched: float, killed: float) -> Figures:
    """The figures from the server's log (times on the server's clock)."""
    by_feed: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for at, index, node in polls:
        by_feed[index].append((at, node))
    for seen in by_feed.values():
        seen.sort()
    first = [seen[0][0] for seen in by_feed.values()]
    start = max(first) - launched if len(by_feed) == feeds else None
    before = Counter(f"node{n}" for at, _, n in polls if at < killed)
    after = Counter(f"node{n}" for at, _, n in polls if at >= killed)
    doubles = sum(1 for seen in by_feed.values()
                  for (a, _), (b, _) in zip(seen, seen[1:], strict=False) if b - a < interval / 2)
    jitter = interval / 4
    lateness: list[float] = []
    for seen in by_feed.values():
        last = [(at, n) for at, n in seen if at < killed]
        if not last or last[-1][1] != 0:
            continue
        polled_at = last[-1][0]
        nxt = next((at for at, n in seen if at >= killed and n != 0), None)
        if nxt is None:
            continue
        due = max(killed, polled_at + interval + jitter)
        lateness.append(max(0.0, nxt - due))
    lateness.sort()
    return Figures(
        feeds=feeds, nodes=nodes, interval=interval, lease=lease, start_seconds=start,
        share_before_kill=dict(sorted(before.items())),
        share_after_kill=dict(sorted(after.items())), doubles=doubles,
        takeover_max=lateness[-1] if lateness else None,
        takeover_p99=lateness[int(0.99 * (len(lateness) - 1))] if lateness else None,
        late_beyond_lease=sum(1 for late in lateness if late > lease),
        held_by_killed=len(lateness))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--interval", type=float, default=120.0)
    parser.add_argument("--lease", type=float, default=60.0)
    parser.add_argument("--run", type=float, default=600.0, help="seconds in all")
    parser.add_argument("--kill-after", type=float, default=300.0)
    parser.add_argument("--pg", default=os.environ.get("VEILLE_BENCH_PG", PG))
    args = parser.parse_args(argv)

    from sqlalchemy import create_engine

    schema = f"veille_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.pg)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = f"{args.pg}?options=-csearch_path%3D{schema}"
    context = multiprocessing.get_context("spawn")
    here, there = context.Pipe()
    server = context.Process(target=serve, args=(there, args.feeds), daemon=True)
    server.start()
    port = here.recv()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            configs = write_configs(Path(folder), url, port, args.feeds, args.nodes,
                                    args.interval, args.lease)
            env = dict(os.environ, PYTHONPATH=str(ROOT))
            launched, _ = fetch_log(port)
            for config in configs:
                with open(config.with_suffix(".log"), "wb") as log:
                    procs.append(subprocess.Popen(
                        [sys.executable, "-m", "monitor", "run", "-c", str(config)],
                        stdout=subprocess.DEVNULL, stderr=log, env=env))
            time.sleep(args.kill_after)
            killed, _ = fetch_log(port)
            procs[0].send_signal(signal.SIGKILL)
            time.sleep(max(0.0, args.run - args.kill_after))
            for proc in procs[1:]:
                proc.send_signal(signal.SIGTERM)
            codes = [proc.wait(timeout=120) for proc in procs[1:]]
            _, polls = fetch_log(port)
            tracebacks = sum(config.with_suffix(".log").read_text().count("Traceback")
                             for config in configs)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        server.terminate()
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()
    figures = analyse(polls, feeds=args.feeds, nodes=args.nodes, interval=args.interval,
                      lease=args.lease, launched=launched, killed=killed)
    report: dict[str, Any] = asdict(figures) | {"exit_codes": codes, "tracebacks": tracebacks,
                                                "polls": len(polls)}
    (ROOT / "bench" / "three_nodes.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0 if figures.doubles == 0 and not tracebacks else 1


if __name__ == "__main__":
    raise SystemExit(main())
