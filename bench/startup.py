"""Start-up and rest: what veille costs before and between polls.

Reproduce from the repository root (nothing else running on the machine):

    .venv/bin/python bench/startup.py [--runs 7] [--idle 1000,10000] [--idle-seconds 60]
                                      [--others]

What is measured, each as the median of `--runs` whole processes (wall and CPU = user + system
of the child, from `os.wait4`):

1. `veille --help`; `veille validate` (200 feeds); `veille check` of 200 unchanged feeds (every
   feed answers 304; the first, silent baseline check is not counted). The feeds are
   bench/poll_cycle.py's 200 NATO-style feeds (~60 KB, 50 items), served by an aiohttp server
   on 127.0.0.1 in another process.
2. With `--others`: urlwatch and rss2email, installed from PyPI into `bench/.others-venv` (made
   on first use), doing the same run over the same 200 URLs: urlwatch with one `url` job per
   feed (its second run, when every job answers 304), rss2email `run --no-send` (its second
   run).
3. The idle daemon: `veille run` on N tiny feeds (one item each, ETag and 304) after a first
   check has polled them all, the console off, interval 1h: its CPU share of one core over
   `--idle-seconds` and its resident memory (VmRSS, VmHWM) at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import poll_cycle  # noqa: E402  (bench/ is not a package; its feeds are shared)

VEILLE = [sys.executable, "-m", "monitor"]
OTHERS = HERE / ".others-venv"


def tiny_feeds(conn: Connection, count: int) -> None:
    """Child process: `count` one-item feeds with ETags on 127.0.0.1."""
    from aiohttp import web

    async def feed(request: web.Request) -> web.Response:
        index = int(request.match_info["index"])
        body = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>f{index}'
                f"</title><link>https://ex.org/</link><item><guid>g{index}</guid><title>Item "
                f"{index}</title></item></channel></rss>").encode()
        tag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
        if request.headers.get("If-None-Match") == tag:
            return web.Response(status=304, headers={"ETag": tag})
        return web.Response(body=body, headers={"ETag": tag,
                                                "Content-Type": "application/rss+xml"})

    app = web.Application()
    app.router.add_get("/tiny/{index:\\d+}.xml", feed)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    conn.send((sock.getsockname()[1], 0.0))
    web.run_app(app, sock=sock, print=None, access_log=None, handle_signals=True)


def start(target: object, count: int) -> tuple[multiprocessing.Process, int]:
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(target=target, args=(child, count),
                                                          daemon=True)
    process.start()
    port, _ = parent.recv()
    poll_cycle.wait_for(port)
    return process, port


def timed(command: Sequence[str], *, cwd: Path | None = None) -> tuple[float, float, int]:
    """(wall s, CPU s, exit code) of one whole process, its output discarded."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    return wall, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status)


def median_of(command: Sequence[str], runs: int, cwd: Path | None = None) -> tuple[float, float]:
    results = [timed(command, cwd=cwd) for _ in range(runs)]
    bad = [code for _, _, code in results if code not in (0, 1)]
    if bad:
        raise SystemExit(f"{' '.join(command)} exited {bad[0]}")
    return (statistics.median(w for w, _, _ in results),
            statistics.median(c for _, c, _ in results))


def others_venv() -> Path:
    """A venv with urlwatch and rss2email from PyPI (made once)."""
    python = OTHERS / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(OTHERS)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "urlwatch",
                        "rss2email"], check=True)
    return OTHERS / "bin"


def urlwatch_run(folder: Path, port: int, count: int, runs: int) -> tuple[float, float]:
    bin_dir = others_venv()
    urls = folder / "urls.yaml"
    urls.write_text("\n---\n".join(f"url: {poll_cycle.feed_url(port, i)}\nname: feed {i}"
                                   for i in range(count)) + "\n")
    config = folder / "urlwatch.yaml"
    command = [str(bin_dir / "urlwatch"), "--urls", str(urls), "--config", str(config),
               "--cache", str(folder / "urlwatch-cache.db")]
    subprocess.run([*command, "--edit-config"], env={**os.environ, "EDITOR": "true"},
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    timed(command)  # first run: fills its cache
    return median_of(command, runs)


def rss2email_run(folder: Path, port: int, count: int, runs: int) -> tuple[float, float]:
    bin_dir = others_venv()
    config, data = folder / "r2e.cfg", folder / "r2e.json"
    base = [str(bin_dir / "r2e"), "-c", str(config), "-d", str(data)]
    subprocess.run([*base, "new", "bench@example.org"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for i in range(count):
        subprocess.run([*base, "add", f"feed{i}", poll_cycle.feed_url(port, i)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    command = [*base, "run", "--no-send"]
    timed(command)
    return median_of(command, runs)


def idle_daemon(count: int, seconds: float) -> tuple[float, float, float]:
    """(CPU % of one core, VmRSS MB, VmHWM MB) of an idle `veille run` with `count` feeds."""
    server, port = start(tiny_feeds, count)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            lines = ["[veille]", f'database = "sqlite:///{folder / "veille.db"}"',
                     'interval = "1h"', "jitter = 0", 'timeout = "30s"', "concurrency = 50",
                     "per_host = 50", "", "[veille.http]", 'listen = ""', ""]
            for i in range(count):
                lines += ["[[feed]]", f'name = "tiny-{i:05d}"',
                          f'url = "http://127.0.0.1:{port}/tiny/{i}.xml"', ""]
            lines += ["[[watch]]", 'name = "all"', "keywords = []", 'notify = ["screen"]', "",
                      "[notifier.screen]", 'type = "console"', ""]
            config = folder / "config.toml"
            config.write_text("\n".join(lines))
            subprocess.run([*VEILLE, "-c", str(config), "check"], check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            daemon = subprocess.Popen([*VEILLE, "-c", str(config), "run"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                time.sleep(10)  # start-up and its first tick
                before, started = _cpu(daemon.pid), time.perf_counter()
                time.sleep(seconds)
                used, wall = _cpu(daemon.pid) - before, time.perf_counter() - started
                rss, hwm = _status(daemon.pid, "VmRSS"), _status(daemon.pid, "VmHWM")
            finally:
                daemon.send_signal(signal.SIGTERM)
                daemon.wait(60)
    finally:
        server.terminate()
    return 100.0 * used / wall, rss, hwm


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _status(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--idle", default="1000,10000", help="feed counts for the idle daemon")
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument("--others", action="store_true",
                        help="also time urlwatch and rss2email (installed from PyPI)")
    args = parser.parse_args(argv)
    command = "python bench/startup.py " + " ".join(argv if argv is not None else sys.argv[1:])
    rows: list[tuple[str, float, float]] = []
    server, port = start(poll_cycle.serve, args.feeds)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            config = poll_cycle.write_config(folder, port, args.feeds)
            rows.append(("veille --help", *median_of([*VEILLE, "--help"], args.runs)))
            rows.append((f"veille validate ({args.feeds} feeds)",
                         *median_of([*VEILLE, "-c", str(config), "validate"], args.runs)))
            timed([*VEILLE, "-c", str(config), "check"])  # the silent baseline
            rows.append((f"veille check ({args.feeds} unchanged feeds)",
                         *median_of([*VEILLE, "-c", str(config), "check"], args.runs)))
            if args.others:
                rows.append((f"urlwatch ({args.feeds} unchanged URLs)",
                             *urlwatch_run(folder, port, args.feeds, args.runs)))
                rows.append((f"rss2email run --no-send ({args.feeds} unchanged feeds)",
                             *rss2email_run(folder, port, args.feeds, args.runs)))
    finally:
        server.terminate()
    print(f"# {command}\n# median of {args.runs} whole processes; CPU = user + system")
    print(f"{'command':52} {'wall s':>8} {'CPU s':>8}")
    for name, wall, cpu in rows:
        print(f"{name:52} {wall:8.3f} {cpu:8.3f}")
    for count in (int(c) for c in args.idle.split(",") if c):
        share, rss, hwm = idle_daemon(count, args.idle_seconds)
        print(f"idle veille run, {count} feeds: {share:.2f} % of one core over "
              f"{args.idle_seconds:.0f} s, VmRSS {rss:.0f} MB, VmHWM {hwm:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
