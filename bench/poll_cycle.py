"""veille's poll cycle against bare feedparser, on 200 and 1,000 synthetic NATO-style feeds.

Reproduce from the repository root:

    .venv/bin/python bench/poll_cycle.py [--feeds 200,1000] [--quick]

What is served: N feeds of 50 items (~60 KB each; even-numbered feeds RSS 2.0, odd ones Atom;
French and English text with accents, typographic apostrophes and HTML summaries/contents),
generated from a fixed seed, by an aiohttp.web server on 127.0.0.1 in a separate process (its
CPU is not counted). It answers `If-None-Match` with 304 when validators are on, and can be
switched to serve the same bodies without any validator.

What is measured, for each feed count, in four cycles done by veille and by the floor:

1. first poll, every item new (veille: baseline into a fresh SQLite file, one watch of 20
   keywords routed to a console notifier; the poll itself never sends);
2. nothing changed, every feed answers 304;
3. nothing changed, no validators: 200 with the same body (veille stops at the body hash);
4. 10% of the feeds gain one item (validators on: the others answer 304; veille parses the
   changed feeds incrementally).

veille is `monitor.poll.Poller(load_config(config.toml), Database, owner=…).poll(due_only=False)`
with `concurrency = per_host = 50`. The floor is bare feedparser: the same aiohttp client at the
same concurrency (one ClientSession per cycle, If-None-Match sent when an ETag is known), every
200 body given to `feedparser.parse` (its defaults) on one worker thread, nothing stored.

How: each side and feed count runs in a fresh spawned process, so imports, caches and memory
of one never weigh on another. CPU is `time.process_time()` of that process (every thread);
wall is `time.perf_counter()`. Peak RSS: before each cycle the kernel's high-water mark is reset
(`/proc/self/clear_refs` ← 5), and after it `VmHWM` is the cycle's own peak; `ru_maxrss`
(the process-lifetime peak, never reset) is reported at the end of each cycle too. The fetching
figure is veille's `Fetcher` alone fetching every feed (200, ~60 KB body) at concurrency 50 after
a warm-up, as bench/fetch.py does. veille's CPU is also split by thread CPU into parse
(`monitor.parse.parse_feed`), record (the rest of `Poller._process`) and loop (the rest: claim,
fetch, asyncio). "CPU per changed feed" (4) is the cycle's CPU less the unchanged feeds' share
at cycle 2's per-feed cost (net), shown with the gross cycle CPU / changed feeds beside it; the
verdict is on the net figure. With `--profile DIR`, veille's cycles are also run under cProfile
in a separate pass (files `DIR/veille-<N>-s<k>.prof`, both threads), never in the timed one.
Run-to-run noise on this machine is about ±10%: compare variants back to back.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import hashlib
import io
import json
import multiprocessing
import os
import platform
import random
import resource
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from importlib import metadata
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

COMMAND = ".venv/bin/python bench/poll_cycle.py"
SEED = 20240522
ITEMS = 50
CONCURRENCY = 50
CHANGED_SHARE = 10  # one feed in this many gains an item in scenario 4
CONTROL = "/_state"

KEYWORDS = (
    "République de Corée", "Republic of Korea", "Corée du Sud", "South Korea",
    "Indo-Pacifique", "Indo-Pacific", "Japon", "Japan", "Australie", "Australia",
    "Nouvelle-Zélande", "New Zealand", "cyberdéfense", "cyber defence", "mer Baltique",
    "Baltic Sea", "menaces hybrides", "hybrid threats", "Grand Nord", "High North",
)

SCENARIOS = (
    ("s1", "1. first poll, all new"),
    ("s2", "2. unchanged, 304"),
    ("s3", "3. unchanged, no validators"),
    ("s4", "4. 10% gain one item"),
)
# Server state per scenario: (validators on, the chosen feeds have gained an item).
SERVER_STATE = {"s1": (True, False), "s2": (True, False), "s3": (False, False),
                "s4": (True, True)}

TARGETS = {
    "s3_ratio": 0.10,  # veille CPU <= 1/10 of the floor's, unchanged feeds without validators
    "s4_ms": 10.0,  # CPU ms per changed feed
    "s1_ratio": 1.3,  # first poll <= 1.3x the floor's CPU
    "fetch_ms": 1.0,  # fetching CPU per request at concurrency 50
    "rss_mb": 150.0,  # peak RSS with 1,000 feeds
}

# ---- synthetic feeds --------------------------------------------------------------------------

FR = {
    "partners": ["la République de Corée", "le Japon", "l’Australie", "la Nouvelle-Zélande",
                 "l’Ukraine", "la Finlande", "la Suède", "la Géorgie", "la République de Moldova",
                 "la Jordanie", "la Mongolie", "l’Irlande", "la Suisse", "l’Autriche",
                 "la Bosnie-Herzégovine", "l’Union européenne", "l’Union africaine"],
    "topics": ["la cyberdéfense", "les menaces hybrides", "la sécurité maritime en mer Baltique",
               "le Grand Nord", "la formation militaire", "les nouvelles technologies",
               "la lutte contre le terrorisme", "le changement climatique et la sécurité",
               "la résilience des infrastructures critiques", "la défense antimissile",
               "l’interopérabilité des forces", "la sécurité énergétique"],
    "cities": ["Bruxelles", "Séoul", "Tokyo", "Canberra", "Mons", "Naples", "Brunssum",
               "Norfolk", "Vilnius", "Tallinn", "Bucarest", "Kyiv", "Helsinki", "Reykjavik"],
    "people": ["le Secrétaire général", "la Secrétaire générale adjointe",
               "le président du Comité militaire", "le commandant suprême des forces alliées",
               "le directeur de la Division Sécurité coopérative", "la porte-parole de l’OTAN"],
    "titles": ["Entretiens entre l’OTAN et {p} sur {t} ({c})",
               "{P} et l’OTAN renforcent leur coopération dans {t}",
               "À {c}, les Alliés et {p} font le point sur {t}",
               "Visite de {pe} à {c} : {t} au cœur des échanges"],
    "sentences": [
        "Le {d} mai 2024, l’OTAN a reçu à {c} des représentants de {p} pour des entretiens "
        "consacrés à {t}.",
        "« Notre partenariat avec {p} n’a jamais été aussi important », a déclaré {pe} à "
        "l’issue de la réunion.",
        "Les participants ont passé en revue les activités menées depuis 2023 et arrêté un "
        "programme de travail pour l’année à venir, notamment dans l’Indo-Pacifique.",
        "Les Alliés ont souligné l’importance d’une approche globale face aux défis communs, "
        "qu’il s’agisse de {t} ou de la désinformation.",
        "Un exercice conjoint est prévu à l’automne près de {c}, avec la participation de "
        "plusieurs États membres et partenaires.",
        "{Pe} a rappelé que la sécurité euro-atlantique et celle des autres régions du monde "
        "sont étroitement liées.",
        "Des experts civils et militaires ont présenté les enseignements tirés des "
        "déploiements récents et des capacités à développer d’ici 2030.",
    ],
    "updated": "Mis à jour le : {d} mai 2024 {h:02d}:{m:02d}",
    "feed_title": "OTAN – Actualités",
}
EN = {
    "partners": ["the Republic of Korea", "Japan", "Australia", "New Zealand", "Ukraine",
                 "Finland", "Sweden", "Georgia", "the Republic of Moldova", "Jordan",
                 "Mongolia", "Ireland", "Switzerland", "Austria", "Bosnia and Herzegovina",
                 "the European Union", "the African Union"],
    "topics": ["cyber defence", "hybrid threats", "maritime security in the Baltic Sea",
               "the High North", "military training", "emerging technologies",
               "counter-terrorism", "climate change and security",
               "the resilience of critical infrastructure", "missile defence",
               "interoperability", "energy security"],
    "cities": ["Brussels", "Seoul", "Tokyo", "Canberra", "Mons", "Naples", "Brunssum",
               "Norfolk", "Vilnius", "Tallinn", "Bucharest", "Kyiv", "Helsinki", "Reykjavík"],
    "people": ["the Secretary General", "the Deputy Secretary General",
               "the Chair of the Military Committee", "the Supreme Allied Commander Europe",
               "the Director of the Cooperative Security Division", "NATO’s spokesperson"],
    "titles": ["NATO and {p} hold staff talks on {t} ({c})",
               "{P} and NATO step up cooperation on {t}",
               "In {c}, Allies and {p} take stock of {t}",
               "{Pe} visits {c}: {t} high on the agenda"],
    "sentences": [
        "On {d} May 2024, NATO hosted representatives of {p} in {c} for talks on {t}.",
        "“Our partnership with {p} has never been more important,” said {pe} after the "
        "meeting.",
        "Participants reviewed the activities carried out since 2023 and agreed a work "
        "programme for the year ahead, including in the Indo-Pacific.",
        "Allies underlined the need for a comprehensive approach to shared challenges, from "
        "{t} to disinformation.",
        "A joint exercise is planned for the autumn near {c}, with several member states and "
        "partners taking part.",
        "{Pe} recalled that Euro-Atlantic security and the security of other regions are "
        "closely linked.",
        "Civilian and military experts presented lessons learned from recent deployments and "
        "the capabilities to develop by 2030.",
    ],
    "updated": "Updated: {d} May 2024 {h:02d}:{m:02d}",
    "feed_title": "NATO – News",
}
BASE_TIME = datetime(2024, 5, 23, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class FeedShape:
    """Which format and language feed `index` uses."""

    index: int

    @property
    def atom(self) -> bool:
        return self.index % 2 == 1

    @property
    def lang(self) -> str:
        return "fr" if (self.index // 2) % 2 == 0 else "en"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _item_text(rng: random.Random, words: dict[str, Any], day: int,
               partner: str | None = None) -> tuple[str, str, list[str]]:
    """(title, summary sentence, content paragraphs) of one item."""
    p = partner or rng.choice(words["partners"])
    t, c, pe = rng.choice(words["topics"]), rng.choice(words["cities"]), rng.choice(words["people"])
    fill = {"p": p, "P": _cap(p), "t": t, "c": c, "pe": pe, "Pe": _cap(pe), "d": day}
    title = rng.choice(words["titles"]).format(**fill)
    sentences = [s.format(**fill) for s in words["sentences"]]
    first, rest = sentences[0], sentences[1:]
    rng.shuffle(rest)
    paragraphs = [first + " " + rest[0], rest[1]]
    return title, first, paragraphs


def _html_content(rng: random.Random, paragraphs: list[str], link: str, updated: str,
                  lang: str) -> str:
    marked = list(paragraphs)
    marked[1] = marked[1].replace(" ", " <strong>", 1).replace(".", ".</strong>", 1)
    parts = [f"<p>{p}</p>" for p in marked]
    see = "Voir aussi :" if lang == "fr" else "See also:"
    if rng.random() < 0.4:
        parts.append(f'<p>{see} <a href="{link}">{rng.choice(["dossier", "photos"])}</a></p>')
    parts.append(f"<p><em>{updated}</em></p>")
    return '<div class="article">' + "".join(parts) + "</div>"


def _item(shape: FeedShape, number: int, rng: random.Random, partner: str | None = None) -> str:
    words = FR if shape.lang == "fr" else EN
    published = BASE_TIME - timedelta(hours=5 * number, minutes=shape.index % 60)
    updated = published + timedelta(hours=rng.choice([0, 0, 1, 26]), minutes=rng.randrange(60))
    title, summary, paragraphs = _item_text(rng, words, published.day, partner)
    news = 226_000 + shape.index * 1000 - number
    link = (f"https://www.nato.int/cps/{shape.lang}/natohq/news_{news}.htm"
            f"?selectedLocale={shape.lang}&utm_source=rss")
    stamp = words["updated"].format(d=updated.day, h=updated.hour, m=updated.minute)
    content = _html_content(rng, paragraphs, link, stamp, shape.lang)
    if shape.atom:
        local = timedelta(hours=2)
        return (
            "  <entry>\n"
            f"    <title type=\"text\">{escape(title, quote=False)}</title>\n"
            f"    <link rel=\"alternate\" type=\"text/html\" href=\"{escape(link)}\"/>\n"
            f"    <id>tag:nato.int,2024:news/{news}-{shape.lang}</id>\n"
            f"    <published>{(published + local).strftime('%Y-%m-%dT%H:%M:%S')}+02:00"
            "</published>\n"
            f"    <updated>{(updated + local).strftime('%Y-%m-%dT%H:%M:%S')}+02:00</updated>\n"
            f"    <summary type=\"html\">{escape(f'<p>{summary}</p>', quote=False)}</summary>\n"
            f"    <content type=\"html\">{escape(content, quote=False)}</content>\n"
            "  </entry>\n")
    return (
        "    <item>\n"
        f"      <title>{escape(title, quote=False)}</title>\n"
        f"      <link>{escape(link)}</link>\n"
        f"      <guid isPermaLink=\"false\">nato-news-{news}-{shape.lang}</guid>\n"
        f"      <pubDate>{published.strftime('%a, %d %b %Y %H:%M:%S GMT')}</pubDate>\n"
        f"      <category>{'Partenariats' if shape.lang == 'fr' else 'Partnerships'}</category>\n"
        f"      <description>{escape(f'<p>{summary}</p>', quote=False)}</description>\n"
        f"      <content:encoded><![CDATA[{content}]]></content:encoded>\n"
        "    </item>\n")


def make_feed(index: int, grown: bool = False) -> bytes:
    """Feed `index` (deterministic); `grown` adds one newer item, as a publisher would."""
    shape = FeedShape(index)
    rng = random.Random(SEED * 100_003 + index)
    items = [_item(shape, number, rng) for number in range(ITEMS)]
    built = BASE_TIME + timedelta(minutes=3)
    if grown:
        words = FR if shape.lang == "fr" else EN
        items.insert(0, _item(shape, -1, random.Random(-SEED - index), words["partners"][0]))
        built += timedelta(hours=5)
    words = FR if shape.lang == "fr" else EN
    lang = shape.lang
    if shape.atom:
        head = (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{lang}">\n'
            f"  <title type=\"text\">{words['feed_title']} {index}</title>\n"
            f'  <link rel="alternate" type="text/html" '
            f'href="https://www.nato.int/cps/{lang}/natohq/news.htm"/>\n'
            f"  <id>tag:nato.int,2024:news/{lang}/{index}</id>\n"
            f"  <updated>{built.strftime('%Y-%m-%dT%H:%M:%SZ')}</updated>\n"
            "  <author><name>NATO Public Diplomacy Division</name></author>\n")
        return (head + "".join(items) + "</feed>\n").encode()
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">\n'
        "  <channel>\n"
        f"    <title>{words['feed_title']} {index}</title>\n"
        f"    <link>https://www.nato.int/cps/{lang}/natohq/news.htm</link>\n"
        "    <description>Les dernières actualités de l’Organisation du Traité de l’Atlantique "
        "Nord</description>\n"
        f"    <language>{lang}</language>\n"
        f"    <lastBuildDate>{built.strftime('%a, %d %b %Y %H:%M:%S GMT')}</lastBuildDate>\n")
    return (head + "".join(items) + "  </channel>\n</rss>\n").encode()


def changed_feeds(count: int) -> list[int]:
    """The feeds that gain an item in scenario 4 (a fixed-seed sample of 10%)."""
    return sorted(random.Random(SEED).sample(range(count), max(1, count // CHANGED_SHARE)))


# ---- the server (a separate process) ---------------------------------------------------------


def serve(conn: Connection, count: int) -> None:
    """Child process: serve `count` feeds on 127.0.0.1 and send the port back through `conn`."""
    from aiohttp import web

    bodies = [make_feed(i) for i in range(count)]
    grown: dict[int, bytes] = {}
    state: dict[str, Any] = {"validators": True, "grown": frozenset()}

    def etag(body: bytes) -> str:
        return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'

    tags = [etag(b) for b in bodies]
    kinds = ["application/atom+xml; charset=utf-8" if FeedShape(i).atom else
             "application/rss+xml; charset=utf-8" for i in range(count)]

    async def feed(request: web.Request) -> web.Response:
        index = int(request.match_info["index"])
        if not 0 <= index < count:
            raise web.HTTPNotFound()
        if index in state["grown"]:
            body = grown[index]
            tag = etag(body)
        else:
            body, tag = bodies[index], tags[index]
        if not state["validators"]:
            return web.Response(body=body, headers={"Content-Type": kinds[index]})
        asked = request.headers.get("If-None-Match", "")
        if tag in (t.strip() for t in asked.split(",")):
            return web.Response(status=304, headers={"ETag": tag})
        return web.Response(body=body, headers={"Content-Type": kinds[index], "ETag": tag})

    async def control(request: web.Request) -> web.Response:
        wanted = await request.json()
        state["validators"] = bool(wanted["validators"])
        state["grown"] = frozenset(wanted["grown"])
        for index in state["grown"]:
            if index not in grown:
                grown[index] = make_feed(index, grown=True)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/feed/{index:\\d+}.xml", feed)
    app.router.add_post(CONTROL, control)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    conn.send((sock.getsockname()[1], sum(map(len, bodies)) / count))
    web.run_app(app, sock=sock, print=None, access_log=None, handle_signals=True)


def set_server(port: int, scenario: str, count: int) -> None:
    """Put the server in the state of `scenario` (outside any measurement)."""
    import aiohttp

    validators, grow = SERVER_STATE[scenario]

    async def post() -> None:
        async with aiohttp.ClientSession() as session, session.post(
                f"http://127.0.0.1:{port}{CONTROL}",
                json={"validators": validators,
                      "grown": changed_feeds(count) if grow else []}) as resp:
            resp.raise_for_status()

    asyncio.run(post())


def feed_url(port: int, index: int) -> str:
    return f"http://127.0.0.1:{port}/feed/{index}.xml"


# ---- measurement ------------------------------------------------------------------------------


@dataclass
class Cycle:
    """One measured cycle of one side."""

    cpu: float = 0.0
    wall: float = 0.0
    hwm_mb: float | None = None  # this cycle's own peak RSS (VmHWM after a reset)
    maxrss_mb: float = 0.0  # ru_maxrss at the end of the cycle: lifetime peak so far
    statuses: dict[str, int] = field(default_factory=dict)
    new: int = 0
    changed: int = 0
    silent: int = 0
    alerts: int = 0
    parsed: int = 0
    parse_cpu: float = 0.0  # thread CPU in feedparser.parse (floor) or monitor.parse_feed
    process_cpu: float = 0.0  # veille: thread CPU in Poller._process (parse + record)


def reset_peak() -> bool:
    """Reset the kernel's RSS high-water mark of this process; False where not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def vm_mb(field: str = "VmHWM") -> float | None:
    """A memory figure of this process from /proc/self/status, in MB (None where absent)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def measured(action: Callable[[], Cycle]) -> Cycle:
    """Run `action` and fill in its CPU, wall and memory figures."""
    gc.collect()
    resettable = reset_peak()
    cpu, wall = time.process_time(), time.perf_counter()
    cycle = action()
    cycle.cpu, cycle.wall = time.process_time() - cpu, time.perf_counter() - wall
    cycle.hwm_mb = vm_mb() if resettable else None
    cycle.maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return cycle


# ---- veille ------------------------------------------------------------------------------------


def write_config(folder: Path, port: int, count: int) -> Path:
    lines = [
        "[veille]",
        f'database = "sqlite:///{folder / "veille.db"}"',
        'interval = "15m"', 'jitter = "30s"', 'first_run = "baseline"', 'timeout = "60s"',
        'timezone = "Europe/Brussels"', 'user_agent = "veille-bench/0.1"',
        f"concurrency = {CONCURRENCY}", f"per_host = {CONCURRENCY}", "",
    ]
    for i in range(count):
        lines += ["[[feed]]", f'name = "nato-{i:04d}"', f'url = "{feed_url(port, i)}"',
                  f'tags = ["nato", "{FeedShape(i).lang}"]', ""]
    lines += ["[[watch]]", 'name = "indo-pacific"',
              "keywords = [" + ", ".join(json.dumps(k, ensure_ascii=False) for k in KEYWORDS)
              + "]", 'feeds = ["nato"]', 'notify = ["screen"]', "",
              "[notifier.screen]", 'type = "console"', ""]
    path = folder / "config.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def veille_side(conn: Connection, port: int, count: int, profile_dir: str | None) -> None:
    """Child process: veille's four cycles (then the fetch-only pass) for `count` feeds."""
    sys.stdout = open(os.devnull, "w")  # the console notifier's stream: a null one  # noqa: SIM115
    from sqlalchemy import func, select

    from monitor.config import load_config
    from monitor.poll import Poller
    from storage.database import Database
    from storage.models import Feed

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="veille-bench-") as tmp:
        config = load_config(write_config(Path(tmp), port, count))
        db = Database(config.veille.database)
        db.migrate()
        poller = Poller(config, db, owner="bench")
        poller.sync_feeds()
        spent = split_clock(poller)
        gc.collect()
        results["setup_mb"] = vm_mb("VmRSS")  # imports, config, engine: before any cycle
        for key, _ in SCENARIOS:
            set_server(port, key, count)

            def cycle() -> Cycle:
                spent.update(parse=0.0, process=0.0)
                report = poller.poll(due_only=False)
                out = Cycle(statuses=dict(Counter(o.status for o in report.outcomes)),
                            parse_cpu=spent["parse"], process_cpu=spent["process"])
                for o in report.outcomes:
                    out.new, out.changed, out.silent = (out.new + o.new, out.changed + o.changed,
                                                        out.silent + o.silent)
                    out.alerts += len(o.alerts)
                return out

            results[key] = asdict(measured(cycle))
            if key == "s1":
                with db.read() as session:
                    results["caches"] = session.scalar(
                        select(func.count()).select_from(Feed).where(Feed.parse_cache.is_not(None)))
        results["fetch"] = fetch_only(port, count)
        results["db_mb"] = round((Path(tmp) / "veille.db").stat().st_size / 1e6, 1)
        db.dispose()
    if profile_dir:
        results["profiles"] = profile_veille(port, count, Path(profile_dir))
    conn.send(results)


def split_clock(poller: Any) -> dict[str, float]:
    """Count the thread CPU of veille's parse step and of its whole per-feed step.

    Wraps `monitor.poll.parse_feed` and `Poller._process` (both run on the record worker);
    what is left of a cycle's CPU is the event loop's: claiming, fetching, scheduling.
    """
    import monitor.poll as poll_module

    spent = {"parse": 0.0, "process": 0.0}
    parse = poll_module.parse_feed

    def timed_parse(*args: Any, **kwargs: Any) -> Any:
        start = time.thread_time()
        try:
            return parse(*args, **kwargs)
        finally:
            spent["parse"] += time.thread_time() - start

    def timed(step: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any) -> Any:
            start = time.thread_time()
            try:
                return step(*args)
            finally:
                spent["process"] += time.thread_time() - start
        return run

    poll_module.parse_feed = timed_parse
    # `_process_unchanged` (304s recorded by batches) is a proposed step; counted if present.
    for name in ("_process", "_process_unchanged"):
        if hasattr(poller, name):
            setattr(poller, name, timed(getattr(poller, name)))
    return spent


def profile_veille(port: int, count: int, folder: Path) -> list[str]:
    """The four cycles again in a fresh database, each under cProfile (not timed).

    cProfile sees only the thread it is enabled in: the event loop's thread is profiled around
    `poll()`, the record worker's around each per-feed step (`Poller._process`, and
    `_process_unchanged` where it exists), and both go into one file.
    """
    import pstats

    from monitor.config import load_config
    from monitor.poll import Poller
    from storage.database import Database

    folder.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    with tempfile.TemporaryDirectory(prefix="veille-prof-") as tmp:
        config = load_config(write_config(Path(tmp), port, count))
        db = Database(config.veille.database)
        db.migrate()
        poller = Poller(config, db, owner="bench")
        poller.sync_feeds()
        worker = cProfile.Profile()
        depth = [0]

        def traced(step: Callable[..., Any]) -> Callable[..., Any]:
            def run(*args: Any) -> Any:
                depth[0] += 1
                if depth[0] == 1:
                    worker.enable()
                try:
                    return step(*args)
                finally:
                    depth[0] -= 1
                    if not depth[0]:
                        worker.disable()
            return run

        for name in ("_process", "_process_unchanged"):
            if hasattr(poller, name):
                setattr(poller, name, traced(getattr(poller, name)))
        for key, _ in SCENARIOS:
            set_server(port, key, count)
            loop_thread = cProfile.Profile()
            loop_thread.enable()
            poller.poll(due_only=False)
            loop_thread.disable()
            path = folder / f"veille-{count}-{key}.prof"
            stats = pstats.Stats(loop_thread)
            worker.create_stats()
            if worker.stats:  # type: ignore[attr-defined]
                stats.add(worker)
            stats.dump_stats(path)
            worker.clear()
            written.append(str(path))
        db.dispose()
    return written


def fetch_only(port: int, count: int) -> dict[str, float]:
    """CPU ms per request of veille's Fetcher alone: every feed once, 200 with a body."""
    from monitor.fetch import Fetcher
    from monitor.records import FetchRequest

    set_server(port, "s3", count)  # no validators: every answer is a 200 with ~60 KB
    reqs = [FetchRequest(f"f{i}", feed_url(port, i), timeout=60) for i in range(count)]

    async def run() -> tuple[float, float, int]:
        async with Fetcher(user_agent="veille-bench/0.1", concurrency=CONCURRENCY,
                           per_host=CONCURRENCY) as fetcher:
            async for _ in fetcher.fetch_many(reqs[:100]):  # warm the pool and the code paths
                pass
            cpu, wall = time.process_time(), time.perf_counter()
            failed = 0
            async for result in fetcher.fetch_many(reqs):
                failed += result.status != "ok"
            return time.process_time() - cpu, time.perf_counter() - wall, failed

    cpu, wall, failed = asyncio.run(run())
    return {"ms": cpu / count * 1000, "wall": wall, "failed": failed}


# ---- the floor: bare feedparser -----------------------------------------------------------------


def floor_side(conn: Connection, port: int, count: int) -> None:
    """Child process: the same four cycles with aiohttp + feedparser.parse, nothing stored."""
    import aiohttp
    import feedparser

    etags: dict[str, str] = {}
    urls = [feed_url(port, i) for i in range(count)]

    def parse(body: bytes) -> tuple[float, int]:
        start = time.thread_time()
        # BytesIO: a bare bytes argument is first tried as a file name by feedparser.
        entries = len(feedparser.parse(io.BytesIO(body)).entries)
        return time.thread_time() - start, entries

    async def run(out: Cycle) -> None:
        loop = asyncio.get_running_loop()
        statuses: Counter[str] = Counter()
        connector = aiohttp.TCPConnector(limit=CONCURRENCY, limit_per_host=CONCURRENCY)
        with ThreadPoolExecutor(1, thread_name_prefix="floor-parse") as worker:
            async with aiohttp.ClientSession(
                    connector=connector, headers={"User-Agent": "floor-bench/0.1"},
                    cookie_jar=aiohttp.DummyCookieJar()) as session:

                async def fetch(url: str) -> tuple[str, int, bytes | None, str | None]:
                    headers = {"If-None-Match": etags[url]} if url in etags else {}
                    async with session.get(url, headers=headers) as resp:
                        body = await resp.read() if resp.status == 200 else None
                        return url, resp.status, body, resp.headers.get("ETag")

                tasks = [asyncio.create_task(fetch(u)) for u in urls]
                for next_done in asyncio.as_completed(tasks):
                    url, status, body, tag = await next_done
                    statuses[str(status)] += 1
                    if tag:
                        etags[url] = tag
                    if body is not None:
                        spent, _ = await loop.run_in_executor(worker, parse, body)
                        out.parse_cpu += spent
                        out.parsed += 1
        out.statuses = dict(statuses)

    results: dict[str, Any] = {"setup_mb": vm_mb("VmRSS")}
    for key, _ in SCENARIOS:
        set_server(port, key, count)

        def cycle() -> Cycle:
            out = Cycle()
            asyncio.run(run(out))
            return out

        results[key] = asdict(measured(cycle))
    conn.send(results)


# ---- orchestration and report ------------------------------------------------------------------


def in_child(target: Callable[..., None], *args: Any) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=target, args=(child, *args))
    proc.start()
    child.close()  # so that a child's death reads as EOF here
    try:
        result: dict[str, Any] = parent.recv()
    except EOFError:
        proc.join()
        raise SystemExit(f"{target.__name__} failed (exit code {proc.exitcode})") from None
    proc.join()
    return result


def wait_for(port: int) -> None:
    for _ in range(100):  # the child binds before it listens
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the feed server did not start")


def versions() -> str:
    names = ("feedparser", "aiohttp", "SQLAlchemy", "alembic", "pydantic")
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    import sqlite3

    return ", ".join(found + [f"SQLite {sqlite3.sqlite_version}"])


def revision() -> str:
    """The commit measured, and whether the work tree differs from it."""
    import importlib.util
    import subprocess

    spec = importlib.util.find_spec("monitor")  # the code measured (PYTHONPATH may point away)
    origin = spec.origin if spec is not None else None
    root = Path(origin).resolve().parent.parent if origin else Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              check=False).stdout.strip()

    head = git("rev-parse", "--short", "HEAD")
    if not head:
        return f"{root} (not a git work tree)"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "monitor", "storage")
    return f"{root} at {head}" + (" + uncommitted changes in monitor/ or storage/" if dirty
                                  else "")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(runs: dict[int, dict[str, dict[str, Any]]], command: str, size: float) -> bool:
    """Print the tables and the targets; True when every target is met."""
    print()
    print(f"{'cycle':32} {'N':>5} | {'veille CPU s':>12} {'wall s':>7} {'peak MB':>8} "
          f"{'maxrss':>7} | {'floor CPU s':>11} {'wall s':>7} {'peak MB':>8} | "
          f"{'CPU x':>6} {'wall x':>6}")
    for count, run in runs.items():
        for key, label in SCENARIOS:
            v, f = run["veille"][key], run["floor"][key]
            hwm_v = f"{v['hwm_mb']:.0f}" if v["hwm_mb"] is not None else "-"
            hwm_f = f"{f['hwm_mb']:.0f}" if f["hwm_mb"] is not None else "-"
            print(f"{label:32} {count:>5} | {v['cpu']:12.2f} {v['wall']:7.2f} {hwm_v:>8} "
                  f"{v['maxrss_mb']:7.0f} | {f['cpu']:11.2f} {f['wall']:7.2f} {hwm_f:>8} | "
                  f"{v['cpu'] / f['cpu']:6.2f} {v['wall'] / f['wall']:6.2f}")
    print("(peak MB: the cycle's own RSS high-water mark, VmHWM reset before it; maxrss: "
          "ru_maxrss at its end, the process's\n lifetime peak; CPU x, wall x: veille / floor)")
    print("\nwhat each cycle did (sanity):")
    for count, run in runs.items():
        for key, label in SCENARIOS:
            v, f = run["veille"][key], run["floor"][key]
            print(f"  {count:>5} {label:30} veille {v['statuses']} new={v['new']} "
                  f"changed={v['changed']} silent={v['silent']} alerts={v['alerts']}; "
                  f"floor {f['statuses']} parsed={f['parsed']}")
        print(f"  {count:>5} parse caches after cycle 1: {run['veille']['caches']}/{count}; "
              f"SQLite file {run['veille']['db_mb']} MB; RSS before the first cycle: "
              f"veille {run['veille']['setup_mb']:.0f} MB, floor {run['floor']['setup_mb']:.0f} MB")

    print("\nwhere the CPU went, ms per feed polled (veille: parse = monitor.parse.parse_feed, "
          "record = the rest of\nPoller._process, both on the record thread; loop = the rest: "
          "claim, fetch, asyncio. floor: parse = feedparser.parse):")
    for count, run in runs.items():
        for key, label in SCENARIOS:
            v, f = run["veille"][key], run["floor"][key]
            per = 1000 / count
            print(f"  {count:>5} {label:30} veille parse {v['parse_cpu'] * per:6.2f}  record "
                  f"{(v['process_cpu'] - v['parse_cpu']) * per:6.2f}  loop "
                  f"{(v['cpu'] - v['process_cpu']) * per:6.2f}   | floor parse "
                  f"{f['parse_cpu'] * per:6.2f}  loop {(f['cpu'] - f['parse_cpu']) * per:6.2f}")

    print("\ntargets:")
    ok = True
    for count, run in runs.items():
        v, f = run["veille"], run["floor"]
        changed = len(changed_feeds(count))
        s3 = v["s3"]["cpu"] / f["s3"]["cpu"]
        per_304 = v["s2"]["cpu"] / count
        s4_gross = v["s4"]["cpu"] / changed * 1000
        s4_net = (v["s4"]["cpu"] - per_304 * (count - changed)) / changed * 1000
        full_parse = f["s1"]["parse_cpu"] / max(1, f["s1"]["parsed"]) * 1000
        s1 = v["s1"]["cpu"] / f["s1"]["cpu"]
        fetch = v["fetch"]["ms"]
        rows = [
            (f"(3) unchanged, no validators: veille CPU / floor CPU = {s3:.3f} "
             f"(1/{1 / s3:.0f})", s3 <= TARGETS["s3_ratio"], "<= 1/10"),
            (f"(4) CPU per changed feed: {s4_net:.1f} ms net of the {count - changed} 304s "
             f"(gross {s4_gross:.1f} ms, {verdict(s4_gross <= TARGETS['s4_ms'])}); full "
             f"feedparser parse {full_parse:.1f} ms/feed ({full_parse / s4_net:.1f}x the net)",
             s4_net <= TARGETS["s4_ms"], "<= 10 ms"),
            (f"(1) first poll: veille CPU / floor CPU = {s1:.2f}", s1 <= TARGETS["s1_ratio"],
             "<= 1.3x"),
            (f"fetching CPU per request at concurrency {CONCURRENCY}: {fetch:.3f} ms "
             f"(veille Fetcher, 200 + ~60 KB body); 304 cycle {per_304 * 1000:.2f} ms/feed "
             "all-in", fetch <= TARGETS["fetch_ms"], "<= 1 ms"),
        ]
        peak = max(v[k]["maxrss_mb"] for k, _ in SCENARIOS)
        if count >= 1000:
            rows.append((f"peak RSS of veille's process over the four cycles: {peak:.0f} MB",
                         peak <= TARGETS["rss_mb"], "<= 150 MB"))
        else:
            rows.append((f"peak RSS of veille's process over the four cycles: {peak:.0f} MB "
                         "(target applies to 1,000 feeds)", True, "info"))
        print(f"  N = {count}")
        for text, passed, target in rows:
            mark = verdict(passed) if target != "info" else "    "
            ok = ok and passed
            print(f"    {mark}  {text}   [target {target}]")
    print(f"\nfeeds: ~{size / 1000:.1f} KB each, {ITEMS} items; seed {SEED}; "
          f"reproduce: {command}")
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", default="200,1000",
                        help="comma-separated feed counts (default 200,1000)")
    parser.add_argument("--quick", action="store_true", help="one small count (100 feeds)")
    parser.add_argument("--profile", metavar="DIR",
                        help="also write cProfile files of veille's cycles to DIR (untimed)")
    args = parser.parse_args(argv)
    counts = [100] if args.quick else [int(n) for n in args.feeds.split(",") if n.strip()]
    command = " ".join([COMMAND, *(argv if argv is not None else sys.argv[1:])])
    print(f"command: {command}")
    print(f"machine: nproc {os.cpu_count()}, {platform.python_implementation()} "
          f"{platform.python_version()}, {platform.machine()}, {platform.system()} "
          f"{platform.release()}")
    print(f"libraries: {versions()}")
    print(f"code: {revision()}")

    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=serve, args=(child, max(counts)), daemon=True)
    server.start()
    child.close()
    runs: dict[int, dict[str, dict[str, Any]]] = {}
    try:
        port, size = parent.recv()
        wait_for(port)
        for count in counts:
            started = time.perf_counter()
            print(f"N = {count}: veille …", end=" ", flush=True)
            veille = in_child(veille_side, port, count, args.profile)
            print("floor …", end=" ", flush=True)
            floor = in_child(floor_side, port, count)
            print(f"{time.perf_counter() - started:.0f} s", flush=True)
            runs[count] = {"veille": veille, "floor": floor}
    finally:
        server.terminate()
        server.join()
    ok = report(runs, command, size)
    for run in runs.values():
        for path in run["veille"].get("profiles", []):
            print(f"profile: {path}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
