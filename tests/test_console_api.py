"""The console's HTTP surface on real data: every API path answers what its OpenAPI document
says, secrets never show, POSTs need the CSRF token, a configured secret is required, the
Host of a loopback console is checked, and /readyz fails when the database is gone."""

from __future__ import annotations

import base64
import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from test_console_support import Site, console_site

from monitor.config import load_config
from monitor.console.access import hash_password
from monitor.console.server import ConsoleThread
from storage.database import Database

SECRET = "T0KEN-SECRET-PATH"  # in the chat webhook's URL: never shown


def fetch(url: str, *, method: str = "GET", headers: dict[str, str] | None = None,
          body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with console_site(tmp_path_factory.mktemp("console")) as running:
        yield running


@pytest.fixture(scope="module")
def spec(site: Site) -> dict[str, Any]:
    status, headers, body = fetch(site.url + "/api/v1/openapi.json")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    document: dict[str, Any] = json.loads(body)
    return document


def validator(spec: dict[str, Any], path: str, method: str, status: int) -> Draft202012Validator:
    """A JSON Schema validator for one response of one operation, refs resolved in `spec`."""
    content = spec["paths"][path][method]["responses"][str(status)]["content"]
    schema = content["application/json"]["schema"]
    registry: Registry[Any] = Registry().with_resource("urn:veille:openapi",
                                                       DRAFT202012.create_resource(spec))
    if "$ref" in schema:
        schema = {"$ref": "urn:veille:openapi" + schema["$ref"]}
    return Draft202012Validator(schema, registry=registry)


def check(spec: dict[str, Any], path: str, url: str, *, method: str = "get",
          status: int = 200, **kwargs: Any) -> Any:
    got, headers, body = fetch(url, method=method.upper(), **kwargs)
    assert got == status, body[:300]
    assert headers["Content-Type"].startswith("application/json")
    answer = json.loads(body)
    errors = list(validator(spec, path, method, status).iter_errors(answer))
    assert errors == [], f"{path}: {errors[0].message} at {list(errors[0].absolute_path)}"
    assert SECRET not in body.decode()
    return answer


class TestOpenAPI:
    """Every path of the document is served, and each answer matches its schema."""

    def test_document_is_openapi_3_1_and_lists_the_api(self, spec: dict[str, Any]) -> None:
        assert spec["openapi"] == "3.1.0"
        assert {"/api/v1/feeds", "/api/v1/items", "/api/v1/items/{id}",
                "/api/v1/items/{id}/versions", "/api/v1/events", "/api/v1/deliveries",
                "/api/v1/deliveries/{id}/retry", "/api/v1/deliveries/retry",
                "/api/v1/watches", "/api/v1/watches/{name}/try"} <= set(spec["paths"])
        Draft202012Validator.check_schema(spec["components"]["schemas"]["Event"])

    def test_every_get_path_answers_its_schema(self, site: Site, spec: dict[str, Any]) -> None:
        items = check(spec, "/api/v1/items", site.url + "/api/v1/items")["data"]
        assert items, "the site has items"
        item_id = items[0]["id"]
        urls = {
            "/api/v1/csrf": "/api/v1/csrf",
            "/api/v1/feeds": "/api/v1/feeds",
            "/api/v1/items": "/api/v1/items?feed=nato-fr",
            "/api/v1/items/{id}": f"/api/v1/items/{item_id}",
            "/api/v1/items/{id}/versions": f"/api/v1/items/{item_id}/versions",
            "/api/v1/events": "/api/v1/events?watch=korea&type=item.new",
            "/api/v1/deliveries": "/api/v1/deliveries?state=failing",
            "/api/v1/watches": "/api/v1/watches",
            "/api/v1/watches/{name}/try": "/api/v1/watches/korea/try?days=3",
        }
        gets = {p for p, ops in spec["paths"].items() if "get" in ops}
        assert gets == set(urls), "a GET path without a test, or a test without a path"
        for path, url in urls.items():
            check(spec, path, site.url + url)

    def test_errors_answer_their_schema(self, site: Site, spec: dict[str, Any]) -> None:
        check(spec, "/api/v1/items/{id}", site.url + "/api/v1/items/999999", status=404)
        check(spec, "/api/v1/feeds", site.url + "/api/v1/feeds?limit=0", status=400)
        check(spec, "/api/v1/events", site.url + "/api/v1/events?type=nope", status=400)
        check(spec, "/api/v1/watches/{name}/try", site.url + "/api/v1/watches/none/try",
              status=404)

    def test_pagination_walks_every_event_once(self, site: Site, spec: dict[str, Any]) -> None:
        everything = check(spec, "/api/v1/events", site.url + "/api/v1/events")["data"]
        seen: list[int] = []
        url: str | None = "/api/v1/events?limit=1"
        while url:
            page = check(spec, "/api/v1/events", site.url + url)
            seen += [e["id"] for e in page["data"]]
            url = page["next"]
        assert seen == [e["id"] for e in everything] and len(seen) >= 3

    def test_events_say_what_matched_and_who_was_told(self, site: Site,
                                                      spec: dict[str, Any]) -> None:
        events = check(spec, "/api/v1/events", site.url + "/api/v1/events?q=Cor%C3%A9e")["data"]
        changed = [e for e in events if e["type"] == "item.changed"]
        assert changed and changed[0]["watches"] == {"korea": ["République de Corée"]}
        assert {c["field"] for c in changed[0]["changes"]} >= {"summary", "updated"}
        assert [d["notifier"] for d in changed[0]["deliveries"]] == ["chat"]
        assert changed[0]["deliveries"][0]["state"] == "failing"

    def test_try_finds_what_the_watch_matches(self, site: Site, spec: dict[str, Any]) -> None:
        found = check(spec, "/api/v1/watches/{name}/try",
                      site.url + "/api/v1/watches/korea/try?days=1")["data"]
        assert {t["feed"] for t in found} == {"nato-fr", "hostile"}
        assert all(t["matched"] for t in found)


class TestRetry:
    """A retry is a POST that needs this process's CSRF token; it sends at once."""

    def test_without_the_token_it_is_refused(self, site: Site) -> None:
        status, _h, body = fetch(site.url + "/api/v1/deliveries/retry", method="POST")
        assert status == 403 and b"CSRF" in body
        status, _h, _b = fetch(site.url + "/deliveries/retry", method="POST",
                               body=b"all=1&csrf=wrong",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 403

    def test_from_another_origin_it_is_refused(self, site: Site) -> None:
        token = json.loads(fetch(site.url + "/api/v1/csrf")[2])["csrf"]
        status, _h, _b = fetch(site.url + "/api/v1/deliveries/retry", method="POST",
                               headers={"X-CSRF-Token": token,
                                        "Origin": "https://evil.example"})
        assert status == 403

    def test_with_the_token_one_delivery_is_sent(self, site: Site,
                                                 spec: dict[str, Any]) -> None:
        failing = check(spec, "/api/v1/deliveries",
                        site.url + "/api/v1/deliveries?state=failing")["data"]
        target = failing[-1]["id"]
        token = json.loads(fetch(site.url + "/api/v1/csrf")[2])["csrf"]
        before = len(site.hook.requests)
        answer = check(spec, "/api/v1/deliveries/{id}/retry",
                       site.url + f"/api/v1/deliveries/{target}/retry", method="post",
                       headers={"X-CSRF-Token": token})
        assert answer == {"sent": 1, "failed": 0, "errors": []}
        assert len(site.hook.requests) == before + 1
        sent = check(spec, "/api/v1/deliveries", site.url + "/api/v1/deliveries?state=sent")
        assert target in [d["id"] for d in sent["data"]]


class TestHeaders:
    """Every answer carries the strict security headers; pages escape feed text."""

    @pytest.mark.parametrize("path", ["/", "/alerts", "/deliveries", "/watches", "/config",
                                      "/items/1", "/api/v1/feeds", "/metrics", "/healthz",
                                      "/nope", "/feeds/korea.atom", "/static/console.css"])
    def test_csp_and_friends(self, site: Site, path: str) -> None:
        _status, headers, body = fetch(site.url + path)
        assert headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert "unsafe-inline" not in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert SECRET not in body.decode(errors="replace")

    def test_hostile_text_is_escaped_in_pages_and_atom(self, site: Site) -> None:
        for path in ("/", "/alerts", "/watches?watch=korea&run=1", "/feeds/korea.atom"):
            body = fetch(site.url + path)[2].decode()
            assert "<script>window.pwned" not in body and "<img src=\"x\"" not in body
            assert "onerror=\"window" not in body and 'href="javascript:' not in body
        alerts = fetch(site.url + "/alerts")[2].decode()
        assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in alerts

    def test_a_foreign_host_is_refused_by_a_loopback_console(self, site: Site) -> None:
        status, _h, body = fetch(site.url + "/api/v1/feeds",
                                 headers={"Host": "rebind.evil.example"})
        assert status == 421 and SECRET.encode() not in body

    def test_atom_is_a_feed_of_the_watch(self, site: Site) -> None:
        import feedparser

        _s, headers, body = fetch(site.url + "/feeds/korea.atom")
        assert headers["Content-Type"].startswith("application/atom+xml")
        parsed = feedparser.parse(body)
        assert parsed.version == "atom10" and not parsed.bozo
        titles = [e.title for e in parsed.entries]
        assert any("Indo-Pacifique" in t for t in titles) and len(titles) == 3
        assert fetch(site.url + "/feeds/nope.atom")[0] == 404


class TestAuthentication:
    """With a token or a password hash, every path but /healthz needs it."""

    @pytest.fixture
    def locked(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
        monkeypatch.setenv("VEILLE_HTTP_TOKEN", "s3cret-token-value")
        monkeypatch.setenv("VEILLE_HTTP_HASH", hash_password("correct horse", iterations=1000))
        (tmp_path / "config.toml").write_text(
            f'[veille]\ndatabase = "sqlite:///{tmp_path}/v.db"\n[veille.http]\n'
            'listen = "0.0.0.0:0"\ntoken = "${VEILLE_HTTP_TOKEN}"\n'
            'password_hash = "${VEILLE_HTTP_HASH}"\n')
        config = load_config(tmp_path / "config.toml")
        db = Database(config.veille.database)
        db.migrate()
        console = ConsoleThread(lambda: config, db, "127.0.0.1:0", hosted=False)
        assert console.start()
        yield console.url
        console.stop()
        db.dispose()

    def test_without_credentials_only_healthz_answers(self, locked: str) -> None:
        assert fetch(locked + "/healthz")[0] == 200
        for path in ("/", "/api/v1/feeds", "/metrics", "/readyz", "/api/v1/openapi.json"):
            status, headers, _b = fetch(locked + path)
            assert status == 401 and headers["WWW-Authenticate"].startswith("Basic")

    def test_bearer_token_basic_token_and_basic_password(self, locked: str) -> None:
        def basic(password: str) -> dict[str, str]:
            return {"Authorization": "Basic " + base64.b64encode(
                f"me:{password}".encode()).decode()}

        assert fetch(locked + "/api/v1/feeds",
                     headers={"Authorization": "Bearer s3cret-token-value"})[0] == 200
        assert fetch(locked + "/", headers=basic("s3cret-token-value"))[0] == 200
        assert fetch(locked + "/", headers=basic("correct horse"))[0] == 200
        assert fetch(locked + "/", headers=basic("correct horse"))[0] == 200  # remembered
        assert fetch(locked + "/", headers=basic("wrong horse"))[0] == 401
        assert fetch(locked + "/", headers={"Authorization": "Bearer nope"})[0] == 401

    def test_a_bearer_token_needs_no_csrf_token(self, locked: str) -> None:
        status, _h, body = fetch(locked + "/api/v1/deliveries/retry", method="POST",
                                 headers={"Authorization": "Bearer s3cret-token-value"})
        assert status == 200 and json.loads(body)["sent"] == 0

    def test_no_secret_in_the_config_page(self, locked: str) -> None:
        body = fetch(locked + "/config", headers={
            "Authorization": "Bearer s3cret-token-value"})[2].decode()
        assert "s3cret-token-value" not in body and "pbkdf2_sha256$" not in body
        assert "token or password" in body


class TestReadiness:
    """/readyz says whether the console can read the database."""

    def test_ready_then_not_when_the_database_is_gone(self, tmp_path: Path) -> None:
        folder = tmp_path / "state"
        folder.mkdir()
        (tmp_path / "config.toml").write_text(
            f'[veille]\ndatabase = "sqlite:///{folder}/v.db"\n')
        config = load_config(tmp_path / "config.toml")
        db = Database(config.veille.database)
        db.migrate()
        console = ConsoleThread(lambda: config, db, "127.0.0.1:0", hosted=False)
        assert console.start()
        try:
            status, _h, body = fetch(console.url + "/readyz")
            assert status == 200 and json.loads(body)["checks"] == {"database": "ok"}
            shutil.rmtree(folder)
            db.dispose()  # no pooled connection to the removed file survives
            status, _h, body = fetch(console.url + "/readyz")
            assert status == 503
            answer = json.loads(body)
            assert answer["status"] == "unavailable"
            assert answer["checks"]["database"].startswith("unreachable")
            assert fetch(console.url + "/healthz")[0] == 200  # alive, not ready
        finally:
            console.stop()
            db.dispose()


class TestFeedHealth:
    """The overview says which feed fails, since when and why, without its secrets."""

    def test_a_failing_feed(self, tmp_path: Path) -> None:
        with console_site(tmp_path, extra="") as site:
            site.feeds.set("/hostile.xml", b"gone wrong", status=500)
            for _ in range(3):  # failing_after = 3
                site.veille("check", "--feed", "hostile")
            body = fetch(site.url + "/")[2].decode()
            assert "failing since" in body and "(3 polls)" in body
            assert "HTTP 500" in body
            feeds = {f["name"]: f for f in json.loads(fetch(site.url + "/api/v1/feeds")[2])
                     ["data"]}
            assert feeds["hostile"]["status"] == "failing"
            assert feeds["hostile"]["consecutive_failures"] == 3
            assert feeds["nato-fr"]["status"] == "ok"
            metrics = fetch(site.url + "/metrics")[2].decode()
            assert "veille_feeds_failing 1.0" in metrics
            events = json.loads(fetch(site.url + "/api/v1/events?type=feed.failing")[2])
            assert [e["feed"] for e in events["data"]] == ["hostile"]
            assert SECRET not in body + metrics
