"""A console on real data, for the console tests: NATO-style feeds and a hostile one served on
loopback, two `veille check` runs (a baseline, then a new item, a revision and hostile titles),
a webhook that fails at first (so that deliveries wait for a retry), then the console itself.

Not a test module of its own: the console tests import `console_site` from here.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from pathlib import Path

from feedgen import INDO_PACIFIC, LATVIA, SEED, SEED_REVISED, STEADFAST, Item, rss
from httpserver import FeedServer
from webhookserver import Reply, WebhookServer

from monitor.cli import main
from monitor.config import Config, load_config
from monitor.console.server import ConsoleThread
from storage.database import Database

# Feeds are hostile: these must reach the page as text, never as markup or script.
HOSTILE_TITLE = ('Republic of Korea <script>window.pwned = 1</script>'
                 '<img src="x" onerror="window.pwned = 2"> & "quotes"')
HOSTILE = Item(
    guid="hostile-1",
    # Escaped twice: whatever feedparser's sanitiser does, the stored text holds the tags.
    title=escape(HOSTILE_TITLE),
    link="javascript:window.pwned=3",
    summary=escape('<b onmouseover="window.pwned=4">Indo-Pacific</b> '
                   '<a href="javascript:window.pwned=5">click</a>'),
    published="Sat, 25 May 2024 08:00:00 +0200",
)


@dataclass
class Site:
    url: str  # the console
    config: Config
    db: Database
    hook: WebhookServer
    feeds: FeedServer
    tmp: Path

    def veille(self, *args: str) -> int:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            return main(["-c", str(self.tmp / "config.toml"), *args])


CONFIG = """\
[veille]
database = "{db}"
interval = "1m"
jitter = 0
timeout = "5s"
timezone = "Europe/Brussels"

[veille.http]
listen = "127.0.0.1:0"

[[feed]]
name = "nato-fr"
url = "{feeds}/fr.xml"
tags = ["nato"]

[[feed]]
name = "hostile"
url = "{feeds}/hostile.xml"
first_run = "notify"

[[watch]]
name = "korea"
keywords = ["République de Corée", "Republic of Korea", "Indo-Pacifique", "Indo-Pacific"]
notify = ["chat"]

[[watch]]
name = "latvia"
keywords = ["letton"]
notify = ["chat"]

[notifier.chat]
type = "webhook"
url = "{hook}/hooks/T0KEN-SECRET-PATH"
"""


@contextlib.contextmanager
def console_site(tmp: Path, *, extra: str = "", database: str | None = None) -> Iterator[Site]:
    """The populated site (SQLite in `tmp` unless `database` is given); every chat delivery
    failed once (HTTP 500) when it is yielded."""
    url = database or f"sqlite:///{tmp / 'veille.db'}"
    with FeedServer() as feeds, WebhookServer(default=Reply(500)) as hook:
        feeds.set("/fr.xml", rss([SEED, LATVIA, STEADFAST]))
        feeds.set("/hostile.xml", rss([HOSTILE], title="Hostile <feed>"))
        (tmp / "config.toml").write_text(CONFIG.format(
            db=url, feeds=feeds.url("").rstrip("/"),
            hook=hook.url("").rstrip("/")) + extra)
        site = Site("", load_config(tmp / "config.toml"), Database(url), hook, feeds, tmp)
        site.veille("check")
        feeds.set("/fr.xml", rss([SEED_REVISED, LATVIA, STEADFAST, INDO_PACIFIC]))
        site.veille("check")
        hook.default = Reply(200)
        console = ConsoleThread(lambda: site.config, site.db, "127.0.0.1:0", hosted=False)
        assert console.start(), console.error
        site.url = console.url
        try:
            yield site
        finally:
            console.stop()
            site.db.dispose()
