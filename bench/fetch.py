"""CPU cost of `monitor.fetch.Fetcher` per request at concurrency 50, against a 60 KB feed
served on loopback by an aiohttp server in a separate process (its CPU is not counted).

    .venv/bin/python bench/fetch.py [--requests 2000] [--concurrency 50] [--gzip]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import multiprocessing
import socket
import sys
import time
from multiprocessing.connection import Connection

from aiohttp import web

from monitor.fetch import Fetcher
from monitor.records import FetchRequest

TARGET_MS = 1.0


def feed_body(size: int = 60_000) -> bytes:
    """An RSS 2.0 document of about `size` bytes, French news items with accents and HTML."""
    items: list[str] = []
    i = 0
    while sum(len(item) for item in items) < size - 400:
        items.append(
            f"<item><title>L’OTAN et la République de Corée renforcent leur coopération n°{i}"
            f"</title><link>https://www.nato.int/cps/fr/natohq/news_{i}.htm</link>"
            f"<guid>news-{i}</guid><pubDate>Wed, 22 May 2024 06:00:00 GMT</pubDate>"
            f"<description>&lt;p&gt;Mis à jour le 23 mai 2024 – les Alliés se sont réunis à "
            f"Bruxelles pour discuter de la sécurité dans l’Indo-Pacifique.&lt;/p&gt;"
            f"</description></item>\n"
        )
        i += 1
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        "<title>OTAN – Actualités</title><link>https://www.nato.int/</link>\n"
        + "".join(items) + "</channel></rss>\n"
    ).encode()


def serve(conn: Connection, compress: bool) -> None:
    """Child process: serve the feed on 127.0.0.1 and send the port back through `conn`."""
    body = feed_body()
    payload, headers = body, {"Content-Type": "application/rss+xml; charset=utf-8"}
    if compress:
        payload, headers["Content-Encoding"] = gzip.compress(body, mtime=0), "gzip"

    async def feed(request: web.Request) -> web.Response:
        return web.Response(body=payload, headers=headers)

    app = web.Application()
    app.router.add_get("/feed.xml", feed)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    conn.send((sock.getsockname()[1], len(body)))
    web.run_app(app, sock=sock, print=None, access_log=None, handle_signals=True)


async def measure(url: str, requests: int, concurrency: int) -> tuple[float, float, int]:
    """(CPU seconds, wall seconds, failures) for `requests` fetches of `url`."""
    reqs = [FetchRequest(f"f{i}", url) for i in range(requests)]
    async with Fetcher(user_agent="veille-bench/0.1", concurrency=concurrency,
                       per_host=concurrency) as fetcher:
        async for _ in fetcher.fetch_many(reqs[:100]):  # warm the pool and the code paths
            pass
        cpu, wall = time.process_time(), time.perf_counter()
        failed = 0
        async for result in fetcher.fetch_many(reqs):
            failed += result.status != "ok"
        return time.process_time() - cpu, time.perf_counter() - wall, failed


def main() -> int:
    """Run the benchmark and print the figure with the command that reproduces it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--gzip", action="store_true", help="serve the feed gzip-encoded")
    args = parser.parse_args()
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=serve, args=(child, args.gzip), daemon=True)
    server.start()
    try:
        port, size = parent.recv()
        url = f"http://127.0.0.1:{port}/feed.xml"
        for _ in range(50):  # the child binds before it listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        cpu, wall, failed = asyncio.run(measure(url, args.requests, args.concurrency))
    finally:
        server.terminate()
        server.join()
    per_request = cpu / args.requests * 1000
    print(f"command:     {' '.join([sys.executable, *sys.argv])}")
    print(f"feed:        {size / 1000:.0f} KB{' gzip-encoded' if args.gzip else ''}, "
          f"{args.requests} requests at concurrency {args.concurrency}, {failed} failed")
    print(f"client CPU:  {per_request:.3f} ms per request (target <= {TARGET_MS} ms)")
    print(f"wall:        {wall:.2f} s, {args.requests / wall:.0f} requests/s")
    return 0 if per_request <= TARGET_MS and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
