"""The console's queries on SQLite and PostgreSQL: filters, search, outbox and feed counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from test_console_support import console_site

from storage import console as store


class TestQueries:
    """One body, both backends (PostgreSQL skipped with the reason where absent)."""

    def test_filters_search_and_counts(self, tmp_path: Path, db_url: str) -> None:
        with console_site(tmp_path, database=db_url) as site, site.db.read() as session:
            everything = store.events(session)
            assert [r.event.type for r in everything].count("item.new") == 2
            assert all(r.version is not None for r in everything)
            korea = store.events(session, store.EventFilter(watch="korea"))
            assert len(korea) == 3
            assert store.events(session, store.EventFilter(watch="latvia")) == []
            assert store.events(session, store.EventFilter(watch="kore")) == []
            found = store.events(session, store.EventFilter(search="MARITIME"))
            assert [r.version.title for r in found if r.version] == [
                "L’OTAN et ses partenaires de l’Indo-Pacifique parlent sécurité maritime"]
            assert store.events(session, store.EventFilter(search="100%_")) == []
            hostile = store.events(session, store.EventFilter(feed="hostile", type="item.new"))
            assert len(hostile) == 1
            now = datetime.now(UTC)
            assert store.events(session, store.EventFilter(until=now - timedelta(days=1))) == []
            assert len(store.events(session, store.EventFilter(
                since=now - timedelta(days=1)))) == 3
            assert len(store.events(session, limit=1, offset=2)) == 1
            assert store.outbox_counts(session) == {"waiting": {}, "failing": {"chat": 3},
                                                    "given_up": {}}
            assert store.feeds_by_status(session) == {"ok": 2, "moved": 0}
            assert len(store.deliveries(session, state="failing")) == 3
            assert store.deliveries(session, state="sent") == []
            assert len(store.recent_items(session, now - timedelta(days=1))) == 5
            first = store.items(session, feed="nato-fr", limit=10)
            detail = store.item_detail(session, first[-1][0].id)
            assert detail is not None and detail.feed.name == "nato-fr"
            assert store.item_detail(session, 10**9) is None
            store.ping(session)
