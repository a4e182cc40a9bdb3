"""`veille demo`: the whole flow on bundled NATO-style feeds served on loopback.

It serves a French RSS feed, an English Atom feed and the seed article's page on 127.0.0.1,
records a baseline (the page of the matching seed article is followed: its first load is silent),
then publishes a new matching item and a revision of the seed article ("Mis à jour le" moves,
the summary is reworded), then revises the article page alone (a new "Mis à jour le", one
reworded paragraph), and shows the three alerts as a console and a webhook receive them.
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from monitor.config import load_config
from monitor.daemon import owner_id
from monitor.dispatch import Dispatcher
from monitor.follow import Follower
from monitor.poll import Poller
from storage.database import Database

DATA = Path(__file__).parent / "demo_data"

SEED_BEFORE = (
    "<p>Le 14 mai 2024, l’OTAN a accueilli la République de Corée dans le cadre d’entretiens "
    "de travail tenus au siège de l’Organisation, à Bruxelles. Il a principalement été "
    "question du partenariat OTAN-République de Corée actuel, du renforcement de la "
    "résilience et des possibilités futures de coopération.</p>")
SEED_AFTER = (
    "<p>Le 14 mai 2024, l’OTAN a accueilli la République de Corée dans le cadre d’entretiens "
    "de travail tenus au siège de l’Organisation, à Bruxelles. Les discussions ont porté sur "
    "le partenariat OTAN-République de Corée, le renforcement de la résilience, la lutte "
    "contre les menaces hybrides et les possibilités futures de coopération.</p>"
    "<p>Mis à jour le : 23 mai 2024 07:58</p>")

ARTICLE = "/cps/fr/natohq/news_225706.htm"  # the seed article's page, linked from fr.xml
# Stage 3 revises the page only: what tests/data/pages/nato-fr-revised.html does to the original.
PAGE_REVISION = (
    ("Mis à jour le: 23 May. 2024 07:58", "Mis à jour le: 27 May. 2024 10:15"),
    ("2024-05-23T07:58:00+02:00", "2024-05-27T10:15:00+02:00"),
    ("née en 2005, porte sur différents", "engagée en 2005, s’étend à plusieurs"),
    ("Vu 1234 fois", "Vu 1301 fois"),
)
EXPECTED_ALERTS = 3  # stage 2: the new item and the feed revision; stage 3: the page revision

CONFIG = """\
[veille]
database = "sqlite:///{db}"
interval = "1m"
jitter = 0
first_run = "baseline"
timeout = "10s"
timezone = "Europe/Brussels"
allow_private = true               # the demo's article pages are on 127.0.0.1

[[feed]]
name = "nato-fr"
url = "{base}/fr.xml"
tags = ["nato"]
follow = true                      # follow the article pages of matching items
follow_for = "5000d"               # counted from publication: the sample articles date from 2024

[[feed]]
name = "nato-en"
url = "{base}/en.xml"
tags = ["nato"]

[[watch]]
name = "korea"
keywords = ["République de Corée", "Republic of Korea", "Indo-Pacifique", "Indo-Pacific"]
feeds = ["nato"]
notify = ["screen", "chat"]

[notifier.screen]
type = "console"

[notifier.chat]
type = "webhook"
url = "{base}/hook"
format = "json"
"""


class _Site:
    """The demo's feeds, and a webhook receiver, behind one loopback server."""

    def __init__(self) -> None:
        self.stage = 1
        self.base = ""
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def render(self, path: str) -> bytes | None:
        fields = {"base": self.base, "build_date": "Fri, 24 May 2024 09:30:00 +0200",
                  "build_date_iso": "2024-05-24T09:30:00+02:00"}
        if path == "/fr.xml":
            revised = self.stage >= 2
            fields["seed_summary"] = SEED_AFTER if revised else SEED_BEFORE
            stamp = "2024-05-23T07:58:00+02:00" if revised else "2024-05-14T10:00:00+02:00"
            fields["seed_updated"] = f"<atom:updated>{stamp}</atom:updated>"
            return (DATA / "nato-fr.xml").read_text().format(**fields).encode()
        if path == "/en.xml":
            extra = (DATA / "extra-entry-en.xml").read_text().format(**fields)
            fields["extra_entry"] = extra if self.stage >= 2 else ""
            return (DATA / "nato-en.xml").read_text().format(**fields).encode()
        if path.split("?")[0] == ARTICLE:
            page = (DATA / "nato-fr-article.html").read_text(encoding="utf-8")
            for before, after in PAGE_REVISION if self.stage >= 3 else ():
                page = page.replace(before, after)
            return page.encode()
        return None


@contextmanager
def serve(site: _Site) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            body = site.render(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            kind = "application/atom+xml" if self.path.endswith("en.xml") else \
                "application/rss+xml" if self.path.endswith(".xml") else "text/html"
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", "0"))
            payload = json.loads(self.rfile.read(length) or b"{}")
            with site.lock:
                site.received.append(payload)
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _cycle(config_path: Path, title: str) -> None:
    config = load_config(config_path)
    db = Database(config.veille.database)
    db.migrate()
    owner = owner_id()
    poller = Poller(config, db, owner=owner)
    poller.sync_feeds()
    print(f"\n=== {title} ===")
    report = poller.poll(due_only=False)
    for o in report.outcomes:
        print(f"  {o.name}: {o.new} new, {o.changed} changed, {o.silent} recorded silently"
              + (f" — {o.error}" if o.error else ""))
    for line in Follower(config, db, owner=owner).check(due_only=False).lines():
        print(f"  {line}")
    dispatcher = Dispatcher(config, db, owner=owner)
    try:
        sent = dispatcher.dispatch(ignore_schedule=True)
    finally:
        dispatcher.close()
    for failed in sent.failed:
        print(f"  delivery to {failed.notifier} failed: {failed.error}")
    db.dispose()


def run_demo(*, keep: bool = False) -> int:
    """Run the demo; exits by itself unless `keep`."""
    site = _Site()
    with tempfile.TemporaryDirectory(prefix="veille-demo-") as tmp, serve(site) as base:
        site.base = base
        config_path = Path(tmp) / "config.toml"
        config_path.write_text(CONFIG.format(db=Path(tmp) / "veille.db", base=base))
        print(f"veille demo: two NATO-style feeds served at {base} (fr.xml, en.xml), and the"
              " seed article's page;")
        print(f"config {config_path}; the 'korea' watch alerts the console and a webhook.")
        _cycle(config_path, "1. first poll: every item (and the followed page) is recorded "
                            "silently as the baseline")
        site.stage = 2
        print("\n(the feeds now publish a new Indo-Pacific item and revise the seed article:"
              "\n a new 'Mis à jour le' date and a reworded summary)")
        _cycle(config_path, "2. second poll: the new item and the revision are alerted")
        site.stage = 3
        print("\n(the article page of the seed item is revised, its feed entry is not:"
              "\n a new 'Mis à jour le' date and one reworded paragraph)")
        _cycle(config_path, "3. third poll: the page revision is alerted")
        print("\n=== what the webhook received (format = \"json\") ===")
        for body in site.received:
            print(json.dumps(body, ensure_ascii=False, indent=2))
        print(f"\n{len(site.received)} webhook alerts received.")
        if keep:
            _keep(config_path, base)
        return 0 if len(site.received) == EXPECTED_ALERTS else 1


def _keep(config_path: Path, base: str) -> None:
    """--keep: the console on the demo's database, the feeds still served, until Ctrl-C."""
    from monitor.console.server import ConsoleThread

    config = load_config(config_path)
    db = Database(config.veille.database)
    console = ConsoleThread(lambda: config, db, "127.0.0.1:8080", hosted=False)
    if not console.start():  # 8080 is taken: any free port will do for a demo
        console = ConsoleThread(lambda: config, db, "127.0.0.1:0", hosted=False)
        console.start()
    print(f"\n--keep: the console is at {console.url} (feeds served at {base});\n"
          f"also try `veille -c {config_path} feeds` or `veille -c {config_path} history`. "
          "Ctrl-C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        console.stop()
        db.dispose()
