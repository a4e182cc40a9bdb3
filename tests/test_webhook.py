"""The webhook notifier against a real HTTP endpoint on loopback."""

from __future__ import annotations

import base64
import json
import logging
import secrets
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import formatdate
from typing import Any

import pytest
from standardwebhooks import Webhook
from webhookserver import Reply, WebhookServer

from notifiers import formats, registry
from notifiers.base import (
    Alert,
    AlertChange,
    FeedInfo,
    ItemInfo,
    Notifier,
    NotifierConfigError,
    PermanentError,
    TransientError,
)
from notifiers.webhook import WebhookNotifier, json_retry_after, parse_retry_after

TOKEN = "T0KEN-B1234567-xoxb-s3cr3t-path"
PATH = f"/services/{TOKEN}?sig=qs-s3cr3t-value"
NOW = 1_716_530_000.0  # a fixed clock for Retry-After dates

ALERT = Alert(
    id="3f2a9c1e5b7d4e6f8a0b1c2d3e4f5a6b",
    type="item.changed",
    occurred_at=datetime(2024, 5, 24, 8, 5, 0, tzinfo=UTC),
    feed=FeedInfo("nato-fr", "https://www.nato.int/cps/rss/fr/natohq/rssFeed.xml", "OTAN"),
    item=ItemInfo(
        key="https://www.nato.int/cps/fr/natohq/news_226000.htm",
        title="La République de Corée invitée au sommet",
        link="https://www.nato.int/cps/fr/natohq/news_226000.htm",
        published=datetime(2024, 5, 23, 6, 58, tzinfo=UTC),
        updated=datetime(2024, 5, 24, 8, 2, tzinfo=UTC),
        summary="Les ministres se réunissent.",
        version=2,
    ),
    watches=("korea",),
    matched=("République de Corée",),
    match="kept",
    changes=(
        AlertChange("updated", "2024-05-23T06:58:00Z", "2024-05-24T08:02:00Z"),
        AlertChange("summary", "Avant.", "Après.", truncated=True),
    ),
    timezone="Europe/Brussels",
)


@pytest.fixture
def server() -> Iterator[WebhookServer]:
    with WebhookServer() as srv:
        yield srv


Make = Callable[..., WebhookNotifier]


@pytest.fixture
def make(server: WebhookServer) -> Iterator[Make]:
    """Builds notifiers (for `server` unless a url is given) and closes them afterwards."""
    built: list[WebhookNotifier] = []

    def build(url: str | None = None, clock: Callable[[], float] | None = None,
              **options: Any) -> WebhookNotifier:
        url = url or server.url(PATH)
        if clock is None:
            notifier = WebhookNotifier.from_options("chat", {"url": url, **options})
        else:
            notifier = WebhookNotifier("chat", url, clock=clock, **options)
        built.append(notifier)
        return notifier

    yield build
    for notifier in built:
        notifier.close()


def failure(make: Make, server: WebhookServer, reply: Reply, **options: Any) -> Exception:
    """The error that sending ALERT raises when the server answers `reply`."""
    server.queue(reply)
    with pytest.raises((TransientError, PermanentError)) as caught:
        make(**options).send(ALERT)
    assert TOKEN not in str(caught.value) and "s3cr3t" not in str(caught.value)
    return caught.value


class TestJsonBody:
    """The `json` format posts DESIGN.md's body, exactly."""

    def test_changed_item(self, server: WebhookServer, make: Make) -> None:
        make().send(ALERT)
        (request,) = server.requests
        assert request.method == "POST" and request.path == PATH
        assert request.headers["content-type"] == "application/json"
        assert request.headers["user-agent"].startswith("veille")
        assert request.json == {
            "type": "item.changed",
            "id": "3f2a9c1e5b7d4e6f8a0b1c2d3e4f5a6b",
            "occurred_at": "2024-05-24T08:05:00Z",
            "feed": {"name": "nato-fr", "url": "https://www.nato.int/cps/rss/fr/natohq/rssFeed.xml",
                     "title": "OTAN"},
            "item": {"key": "https://www.nato.int/cps/fr/natohq/news_226000.htm",
                     "title": "La République de Corée invitée au sommet",
                     "link": "https://www.nato.int/cps/fr/natohq/news_226000.htm",
                     "published": "2024-05-23T06:58:00Z", "updated": "2024-05-24T08:02:00Z",
                     "summary": "Les ministres se réunissent.", "version": 2},
            "watches": ["korea"],
            "matched": ["République de Corée"],
            "spans": {},
            "match": "kept",
            "changes": [
                {"field": "updated", "before": "2024-05-23T06:58:00Z",
                 "after": "2024-05-24T08:02:00Z"},
                {"field": "summary", "before": "Avant.", "after": "Après.", "truncated": True},
            ],
        }
        assert "République".encode() in request.body  # UTF-8, not \u escapes

    def test_feed_failing_has_error_in_place_of_item(self, server: WebhookServer,
                                                     make: Make) -> None:
        alert = Alert(id="f1", type="feed.failing", occurred_at=ALERT.occurred_at,
                      feed=ALERT.feed, match="", error="HTTP 503 Service Unavailable")
        make().send(alert)
        body = server.requests[0].json
        assert body["error"] == "HTTP 503 Service Unavailable" and "item" not in body
        assert (body["type"], body["changes"], body["watches"]) == ("feed.failing", [], [])

    @pytest.mark.parametrize("fmt", ["slack", "discord", "teams", "mattermost"])
    def test_chat_formats_post_the_service_payload(self, server: WebhookServer, make: Make,
                                                   fmt: str) -> None:
        make(format=fmt).send(ALERT)
        assert server.requests[0].json == formats.render(fmt, ALERT)


class TestSignedRequests:
    """With a secret, each request carries Standard Webhooks headers a receiver can verify."""

    def test_verified_by_reference_library(self, server: WebhookServer, make: Make) -> None:
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        make(secret=secret).send(ALERT)
        request = server.requests[0]
        assert Webhook(secret).verify(request.body, request.headers) == request.json
        assert request.headers["webhook-id"] == ALERT.id == request.json["id"]

    def test_id_stable_and_timestamp_fresh_across_retries(self, server: WebhookServer,
                                                          make: Make) -> None:
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        clock = iter([NOW, NOW + 90])
        notifier = make(secret=secret, clock=lambda: next(clock))
        server.queue(Reply(500))
        with pytest.raises(TransientError):
            notifier.send(ALERT)
        notifier.send(ALERT)
        first, second = (r.headers for r in server.requests)
        assert first["webhook-id"] == second["webhook-id"] == ALERT.id
        assert (first["webhook-timestamp"], second["webhook-timestamp"]) == (
            str(int(NOW)), str(int(NOW + 90)))
        assert first["webhook-signature"] != second["webhook-signature"]

    def test_unsigned_without_secret(self, server: WebhookServer, make: Make) -> None:
        make().send(ALERT)
        assert not any(h.startswith("webhook-") for h in server.requests[0].headers)


class TestCustomHeaders:
    """Headers from the `headers` table are sent with every request."""

    def test_sent(self, server: WebhookServer, make: Make) -> None:
        make(headers={"Authorization": "Bearer abc", "X-Team": "analysts"}
                     ).send(ALERT)
        headers = server.requests[0].headers
        assert headers["authorization"] == "Bearer abc" and headers["x-team"] == "analysts"


class TestOutcomes:
    """Statuses and network failures map to sent, transient (with delay) or permanent."""

    @pytest.mark.parametrize("status", [200, 201, 202, 204])
    def test_success(self, server: WebhookServer, make: Make, status: int) -> None:
        server.queue(Reply(status, body="ok" if status != 204 else b""))
        make().send(ALERT)  # no exception

    @pytest.mark.parametrize("status", [500, 502, 504, 408])
    def test_transient(self, server: WebhookServer, make: Make, status: int) -> None:
        error = failure(make, server, Reply(status, body="upstream trouble"))
        assert isinstance(error, TransientError) and error.retry_after is None
        assert f"HTTP {status}" in str(error) and "upstream trouble" in str(error)

    def test_timeout(self, server: WebhookServer, make: Make) -> None:
        error = failure(make, server, Reply(200, delay=3), timeout=0.3)
        assert isinstance(error, TransientError) and "0.3s" in str(error)

    def test_connection_refused(self, make: Make) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        with pytest.raises(TransientError) as caught:
            make(f"http://127.0.0.1:{port}{PATH}").send(ALERT)
        assert TOKEN not in str(caught.value) and f"127.0.0.1:{port}" in str(caught.value)

    @pytest.mark.parametrize("status", [429, 503])
    def test_retry_after_seconds(self, server: WebhookServer, make: Make, status: int) -> None:
        error = failure(make, server, Reply(status, {"Retry-After": "30"}))
        assert isinstance(error, TransientError) and error.retry_after == 30

    @pytest.mark.parametrize("status", [429, 503])
    def test_retry_after_http_date(self, server: WebhookServer, make: Make, status: int) -> None:
        server.queue(Reply(status, {"Retry-After": formatdate(NOW + 120, usegmt=True)}))
        with pytest.raises(TransientError) as caught:
            make(clock=lambda: NOW).send(ALERT)
        assert caught.value.retry_after == 120

    @pytest.mark.parametrize("value", ["86400", formatdate(NOW + 7 * 86400, usegmt=True)])
    def test_retry_after_capped_at_an_hour(self, server: WebhookServer, make: Make,
                                           value: str) -> None:
        server.queue(Reply(429, {"Retry-After": value}))
        with pytest.raises(TransientError) as caught:
            make(clock=lambda: NOW).send(ALERT)
        assert caught.value.retry_after == 3600

    @pytest.mark.parametrize(("retry_after", "expected"), [(1.5, 1.5), (987654.3, 3600)])
    def test_discord_json_retry_after(self, server: WebhookServer, make: Make, retry_after: float,
                                      expected: float) -> None:
        reply = Reply(429, {"Content-Type": "application/json"},
                      {"message": "You are being rate limited.", "retry_after": retry_after,
                       "global": False})
        error = failure(make, server, reply, format="discord")
        assert isinstance(error, TransientError) and error.retry_after == expected

    def test_header_wins_over_json_retry_after(self, server: WebhookServer, make: Make) -> None:
        error = failure(make, server, Reply(429, {"Retry-After": "2"}, {"retry_after": 2000}))
        assert isinstance(error, TransientError) and error.retry_after == 2

    @pytest.mark.parametrize("status", [400, 403, 404, 410])
    def test_permanent(self, server: WebhookServer, make: Make, status: int) -> None:
        error = failure(make, server, Reply(status, body=f"no_service for /services/{TOKEN}"))
        assert isinstance(error, PermanentError) and f"HTTP {status}" in str(error)
        assert "no_service for" in str(error)  # an excerpt, the token cut out

    @pytest.mark.parametrize("status", [301, 302, 307, 308])
    def test_redirect_is_permanent_and_not_followed(self, server: WebhookServer, make: Make,
                                                    status: int) -> None:
        error = failure(make, server, Reply(status, {"Location": server.url("/elsewhere")}))
        assert isinstance(error, PermanentError) and f"HTTP {status}" in str(error)
        assert "redirect" in str(error) and len(server.requests) == 1

    def test_long_error_body_is_cut(self, server: WebhookServer, make: Make) -> None:
        error = failure(make, server, Reply(400, body="x" * 100_000))
        assert len(str(error)) < 300


class TestRetryAfterParsing:
    """Retry-After values: seconds or HTTP-date, clamped to [0, 1 h], junk ignored."""

    @pytest.mark.parametrize(
        ("value", "expected"),
        [("0", 0.0), ("-5", 0.0), ("12", 12.0), (" 7 ", 7.0), ("nan", None), ("inf", None),
         ("soon", None), ("", None), (None, None), (formatdate(NOW - 60, usegmt=True), 0.0),
         (formatdate(NOW + 45, usegmt=True), 45.0)],
    )
    def test_header(self, value: str | None, expected: float | None) -> None:
        assert parse_retry_after(value, NOW) == expected

    @pytest.mark.parametrize(
        ("body", "expected"),
        [(b'{"retry_after": 0.25}', 0.25), (b'{"retry_after": 1e12}', 3600.0),
         (b'{"retry_after": true}', None), (b'{"retry_after": "5"}', None), (b"[]", None),
         (b"not json", None), (b'{"retry_after": -3}', 0.0)],
    )
    def test_discord_body(self, body: bytes, expected: float | None) -> None:
        assert json_retry_after(body) == expected


class TestSecrecy:
    """The webhook URL's path and query never reach messages, reprs or logs."""

    def test_logs_at_debug_hold_no_token(self, server: WebhookServer, make: Make,
                                         caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.DEBUG)
        notifier = make()
        notifier.send(ALERT)
        server.queue(Reply(404, body="gone"))
        with pytest.raises(PermanentError):
            notifier.send(ALERT)
        assert "s3cr3t" not in caplog.text and TOKEN not in caplog.text

    def test_repr_shows_scheme_and_host(self, server: WebhookServer, make: Make) -> None:
        notifier = make()
        assert repr(notifier) == (f"WebhookNotifier(name='chat', url='http://127.0.0.1:"
                                  f"{server.port}', format='json')")

    def test_secret_keys(self) -> None:
        assert WebhookNotifier.secret_keys == frozenset({"url", "secret"})


class TestOptions:
    """`from_options` accepts the documented options and reports every problem at once."""

    def test_registry_builds_a_notifier(self) -> None:
        assert registry.get("webhook") is WebhookNotifier
        notifier = registry.build("webhook", "chat", {"url": "https://hooks.example.org/x"})
        assert isinstance(notifier, Notifier) and notifier.name == "chat"
        notifier.close()

    @pytest.mark.parametrize(("value", "seconds"), [(5, 5.0), (2.5, 2.5), ("10s", 10.0),
                                                    ("1m", 60.0), ("15", 15.0)])
    def test_timeout(self, make: Make, value: object, seconds: float) -> None:
        assert make("https://h.example", timeout=value).timeout == seconds

    def test_every_problem_listed_without_secrets(self) -> None:
        options = {
            "url": f"ftp://hooks.example.org{PATH}",
            "format": "telegram",
            "secret": "whsec_dG9vIHNob3J0",
            "headers": {"Content-Type": "text/plain", "Bad Name": "x", "X-Ok": "a\r\nInjected: 1"},
            "timeout": "ten seconds",
            "template": "mine.j2",
            "colour": "red",
        }
        with pytest.raises(NotifierConfigError) as caught:
            WebhookNotifier.from_options("chat", options)
        keys = [key for key, _ in caught.value.problems]
        assert sorted(keys) == sorted(["url", "format", "secret", "headers.Content-Type",
                                       "headers.Bad Name", "headers.X-Ok", "timeout",
                                       "template", "colour"])
        text = str(caught.value)
        assert TOKEN not in text and "dG9vIHNob3J0" not in text
        assert "not supported for webhook" in text

    @pytest.mark.parametrize("url", [None, "", "https://", "https://exa mple.org/x",
                                     "https://h.example:99999/x", 42])
    def test_bad_urls(self, url: object) -> None:
        options = {} if url is None else {"url": url}
        with pytest.raises(NotifierConfigError) as caught:
            WebhookNotifier.from_options("chat", options)
        assert [key for key, _ in caught.value.problems] == ["url"]

    @pytest.mark.parametrize("timeout", [0, -1, 301, True, "10 minutes", [10]])
    def test_bad_timeouts(self, timeout: object) -> None:
        with pytest.raises(NotifierConfigError, match="timeout"):
            WebhookNotifier.from_options("c", {"url": "https://h.example", "timeout": timeout})

    def test_common_keys_are_not_the_notifiers_business(self, make: Make) -> None:
        assert make("https://h.example", type="webhook", give_up_after="48h").format == "json"

    def test_body_is_the_exact_signed_bytes(self, make: Make) -> None:
        compact = json.dumps(ALERT.to_json(), ensure_ascii=False, separators=(",", ":"))
        assert make("https://h.example").body(ALERT) == compact.encode("utf-8")
