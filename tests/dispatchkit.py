"""Helpers for the dispatch and digest tests: a config.toml on disk, an injected clock, polls of
a loopback feed at set times (the real path to outbox rows), and a look at the outbox."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from feedgen import Item, rss
from httpserver import FeedServer
from sqlalchemy import select

from monitor.config import Config, load_config
from monitor.dispatch import Dispatcher
from monitor.poll import Poller
from storage.database import Database
from storage.models import Delivery

# Friday 24 May 2024, 10:05 in Brussels (CEST).
START = datetime(2024, 5, 24, 8, 5, tzinfo=UTC)

CONFIG = '''[veille]
database = "{database}"
interval = "10m"
jitter = 0
first_run = "notify"
timezone = "Europe/Brussels"

[[feed]]
name = "nato-fr"
url = "{feed}"

[[watch]]
name = "korea"
keywords = ["République de Corée"]
notify = {notify}

[[watch]]
name = "japon"
keywords = ["Japon"]
notify = {notify}
'''


def item(number: int, title: str, summary: str = "") -> Item:
    """A NATO-style French news item."""
    return Item(
        guid=f"news_2260{number:02d}_fr",
        title=title,
        link=f"https://www.nato.int/cps/fr/natohq/news_2260{number:02d}.htm?selectedLocale=fr",
        summary=f"<p>{summary or title}. Le siège de l’OTAN, à Bruxelles, l’a annoncé.</p>",
        published="Fri, 24 May 2024 09:00:00 +0200",
    )


KOREA_1 = item(10, "L’OTAN et la République de Corée renforcent leur coopération en "
                   "cyberdéfense")
JAPAN = item(11, "Le secrétaire général reçoit le Premier ministre du Japon")
KOREA_2 = item(12, "Exercice naval conjoint avec la République de Corée en mer Jaune")
UKRAINE = item(13, "Les ministres de la Défense réaffirment leur soutien à l’Ukraine")


def korea_items(count: int) -> list[Item]:
    """`count` distinct items that each match the korea watch."""
    return [item(20 + i, f"Dialogue n° {i + 1} du partenariat OTAN – République de Corée")
            for i in range(count)]


def write_config(tmp_path: Path, database: str, feed_url: str, notifiers: str,
                 notify: str = '["chat"]') -> Config:
    """Write config.toml (two watches, one feed, `notifiers` tables) and load it."""
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(database=database, feed=feed_url, notify=notify) + notifiers,
                    encoding="utf-8")
    return load_config(path, environ={})


@dataclass
class Clock:
    """The `now` handed to Poller and Dispatcher: time moves only when a test says so."""

    at: datetime = START

    def __call__(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


def poll(config: Config, db: Database, clock: Clock, server: FeedServer,
         items: list[Item]) -> None:
    """Serve `items` as the nato-fr feed and poll it once at `clock`'s time."""
    server.set("/fr.xml", rss(items))
    poller = Poller(config, db, owner="test-poller", now=clock)
    poller.sync_feeds()
    report = poller.poll(due_only=False)
    assert [o.status for o in report.outcomes] == ["ok"], report.outcomes


def outbox(db: Database) -> list[Delivery]:
    """Every delivery row, oldest first."""
    with db.read() as session:
        rows = list(session.scalars(select(Delivery).order_by(Delivery.id)))
        session.expunge_all()
        return rows


MakeDispatcher = Callable[..., Dispatcher]


@pytest.fixture(name="dispatchers")
def dispatchers_fixture() -> Iterator[MakeDispatcher]:
    """`dispatchers(config, db, clock, owner=...)`: a Dispatcher on the injected clock, closed
    after the test even when it fails (an unclosed client would fail a later test)."""
    made: list[Dispatcher] = []

    def make(config: Config, db: Database, clock: Clock, owner: str = "test") -> Dispatcher:
        made.append(Dispatcher(config, db, owner=owner, now=clock))
        return made[-1]

    yield make
    for dispatcher in made:
        dispatcher.close()
