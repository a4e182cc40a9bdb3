"""`--json` on every listing command: the output validates against its schema in docs/schemas,
on both database backends; `veille items` searches the way watches match."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from feedgen import INDO_PACIFIC, LATVIA, SEED, SEED_REVISED, rss
from harness import Env
from webhookserver import Reply

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "docs" / "schemas"
LISTINGS = ("feeds", "history", "deliveries", "items")


def _validate(name: str, document: Any) -> None:
    schema = json.loads((SCHEMAS / f"{name}.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(document)


def _json(env: Env, *args: str) -> Any:
    code, out, err = env.veille(*args, "--json")
    assert code == 0, err
    return json.loads(out)


class TestSchemas:
    """Each listing's JSON is what its schema says, UTC times included."""

    def test_every_listing_validates(self, env: Env) -> None:
        env.feeds.set("/fr.xml", rss([SEED, LATVIA]))
        env.write(feeds={"nato-fr": "/fr.xml", "nato-en": "/en.xml"},
                  feed_extra="", veille="")
        env.feeds.set("/en.xml", rss([LATVIA.but(guid="en-1", title="NATO and Latvia")]))
        env.veille("check")
        env.hook.queue(Reply(500), Reply(500))  # the webhook fails: retrying deliveries to list
        env.feeds.set("/fr.xml", rss([INDO_PACIFIC, SEED_REVISED, LATVIA]))
        env.veille("check")
        for name in LISTINGS:
            document = _json(env, name)
            assert document, name
            _validate(name, document)
        statuses = {d["status"] for d in _json(env, "deliveries")}
        assert statuses == {"sent", "pending"}
        events = _json(env, "history")
        assert {e["type"] for e in events} == {"item.new", "item.changed"}
        changed = next(e for e in events if e["type"] == "item.changed")
        assert changed["item"]["title"] == SEED.title and changed["feed"] == "nato-fr"
        assert {c["field"] for c in changed["changes"]} >= {"summary", "updated"}
        feeds = {f["name"]: f for f in _json(env, "feeds")}
        assert feeds["nato-fr"]["status"] == "ok" and feeds["nato-fr"]["items"] == 3
        _validate("history", _json(env, "history", "--item", SEED.guid or ""))

    def test_empty_listings_are_empty_arrays(self, sqlite_env: Env) -> None:
        sqlite_env.write(feeds={"nato-fr": "/fr.xml"})
        for name in ("history", "deliveries", "items"):
            assert _json(sqlite_env, name) == []
        feeds = _json(sqlite_env, "feeds")
        _validate("feeds", feeds)
        assert [f["status"] for f in feeds] == ["new"]

    def test_a_schema_rejects_what_it_should(self) -> None:
        with pytest.raises(jsonschema.ValidationError):
            _validate("items", [{"id": 1}])
        with pytest.raises(jsonschema.ValidationError):
            _validate("feeds", [{"name": "x", "url": "u", "title": "", "status": "ok",
                                 "consecutive_failures": 0, "last_poll": "2024-05-23 08:00",
                                 "last_success": None, "next_poll": None, "items": 0,
                                 "note": None, "moved_to": None}])


class TestItemsSearch:
    """`veille items --search` folds like matching: case, accents, apostrophes ignored."""

    def test_search_is_case_and_accent_insensitive(self, env: Env) -> None:
        env.feeds.set("/fr.xml", rss([SEED, LATVIA, INDO_PACIFIC]))
        env.feeds.set("/en.xml", rss([LATVIA.but(guid="en-1", title="NATO and Latvia",
                                                 summary="<p>Support to Ukraine.</p>")]))
        env.write(feeds={"nato-fr": "/fr.xml", "nato-en": "/en.xml"})
        env.veille("check")
        titles = {i["title"] for i in _json(env, "items", "--search", "REPUBLIQUE DE COREE")}
        assert titles == {SEED.title, INDO_PACIFIC.title}
        assert {i["feed"] for i in _json(env, "items", "--search", "ukraine")} == \
            {"nato-fr", "nato-en"}
        only = _json(env, "items", "--search", "ukraine", "--feed", "nato-en")
        assert [i["title"] for i in only] == ["NATO and Latvia"]
        assert _json(env, "items", "--search", "l'OTAN accueilli") == []  # not a phrase there
        assert len(_json(env, "items", "--search", "l’otan a accueilli")) == 1
        assert len(_json(env, "items", "--limit", "2")) == 2
        code, out, _ = env.veille("items", "--search", "Coree")
        assert code == 0 and "Entretiens de travail" in out and "Latvia" not in out
