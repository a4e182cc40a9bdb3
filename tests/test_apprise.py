"""The apprise notifier: real deliveries through apprise's json:// service on loopback."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sample_alerts import changed_alert, feed_alert, new_alert
from webhookserver import Reply, WebhookServer

from notifiers import registry
from notifiers.apprise import INSTALL_HINT, AppriseNotifier
from notifiers.base import AlertChange, Notifier, NotifierConfigError, TransientError

TOKEN = "Tk3n-aPPr1se-s3cr3t"


@pytest.fixture
def server() -> Iterator[WebhookServer]:
    with WebhookServer() as srv:
        yield srv


@pytest.fixture
def installed() -> None:
    """Skips where apprise (the `veille[apprise]` extra) is not installed."""
    pytest.importorskip("apprise", reason="apprise is not installed: pip install 'veille[apprise]'")


def json_url(server: WebhookServer, path: str = f"/hook/{TOKEN}") -> str:
    """apprise's generic JSON service: it POSTs {title, message, type, …} to http://host/path."""
    return f"json://127.0.0.1:{server.port}{path}"


@pytest.mark.usefixtures("installed")
class TestDelivery:
    """An alert reaches every URL as a title and a plain-text body."""

    def test_json_service(self, server: WebhookServer) -> None:
        notifier = AppriseNotifier.from_options("ops", {"urls": [json_url(server)]})
        notifier.send(new_alert())
        (request,) = server.requests
        assert request.method == "POST" and request.path == f"/hook/{TOKEN}"
        body = request.json
        assert body["title"].startswith("New: La République de Corée")
        assert "https://www.nato.int/cps/fr/natohq/news_226000.htm" in body["message"]
        assert "korea" in body["message"] and "23 May 2024 08:58 CEST" in body["message"]
        assert body["type"] == "info"

    def test_feed_failing_is_a_failure_notification(self, server: WebhookServer) -> None:
        AppriseNotifier.from_options("ops", {"urls": [json_url(server)]}).send(feed_alert())
        assert server.requests[0].json["type"] == "failure"
        assert "HTTP 503 Service Unavailable" in server.requests[0].json["message"]

    def test_mentions_are_neutralised(self, server: WebhookServer) -> None:
        AppriseNotifier.from_options("ops", {"urls": [json_url(server)]}).send(
            new_alert(matched=("@everyone",))
        )
        assert "@everyone" not in server.requests[0].json["message"]

    def test_feed_mention_syntax_reaches_no_service(self, server: WebhookServer) -> None:
        hostile = "_@channel <!here> <@U024BE7LH> <at>Adele</at> &#64;all @here"
        alert = new_alert()
        assert alert.item is not None
        alert = replace(alert, item=replace(alert.item, title=hostile, summary=hostile))
        AppriseNotifier.from_options("ops", {"urls": [json_url(server)]}).send(alert)
        body = server.requests[0].json
        for text in (body["title"], body["message"]):
            assert "_@\u200bchannel" in text and "<\u200b!here>" in text
            assert not re.search(r"@\w|<[!@#]|<at\b|&#", text)

    def test_summary_inside_content_is_shown_once(self, server: WebhookServer) -> None:
        before = "Le 14 mai 2024, l’OTAN a accueilli la République de Corée."
        after = "Le 14 mai 2024, l’OTAN a reçu une délégation de la République de Corée."
        changes = (AlertChange("summary", before, after),
                   AlertChange("content", f"{before}\n\nÀ Bruxelles.", f"{after}\n\nÀ Bruxelles."))
        AppriseNotifier.from_options("ops", {"urls": [json_url(server)]}).send(
            changed_alert(changes=changes))
        message = server.requests[0].json["message"]
        assert message.count("a accueilli la République") == 1
        assert "Content\n" in message and "Summary" not in message


@pytest.mark.usefixtures("installed")
class TestFailures:
    """apprise's "not sent" is transient; URLs that took the alert are not sent it again."""

    def test_refused_is_transient_and_names_no_token(self, server: WebhookServer,
                                                     caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.DEBUG)
        server.queue(Reply(500))
        notifier = AppriseNotifier.from_options("ops", {"urls": [json_url(server)]})
        with pytest.raises(TransientError) as caught:
            notifier.send(new_alert())
        assert "urls[0] (json://…)" in str(caught.value) and TOKEN not in str(caught.value)
        assert TOKEN not in caplog.text  # apprise and urllib3 print request URLs at DEBUG

    def test_retry_skips_urls_already_served(self) -> None:
        with WebhookServer() as first, WebhookServer([Reply(503)]) as second:
            notifier = AppriseNotifier.from_options(
                "ops", {"urls": [json_url(first), json_url(second)]}
            )
            with pytest.raises(TransientError, match=r"urls\[1\].*1 of 2"):
                notifier.send(new_alert())
            notifier.send(new_alert())
            assert (len(first.requests), len(second.requests)) == (1, 2)
            notifier.send(new_alert(id="dlv-999"))  # another alert goes to both again
            assert (len(first.requests), len(second.requests)) == (2, 3)


class TestOptions:
    """`urls` is required, each URL must be one apprise accepts, and none is ever quoted."""

    @pytest.mark.usefixtures("installed")
    def test_registry(self, server: WebhookServer) -> None:
        assert registry.get("apprise") is AppriseNotifier
        notifier = registry.build("apprise", "ops", {"urls": [json_url(server)]})
        assert isinstance(notifier, Notifier)
        assert AppriseNotifier.secret_keys == frozenset({"urls"})
        assert TOKEN not in repr(notifier)

    @pytest.mark.usefixtures("installed")
    @pytest.mark.parametrize("url", [f"nosuchservice://host/{TOKEN}", f"hooks.example/{TOKEN}"])
    def test_rejected_url_not_quoted(self, caplog: pytest.LogCaptureFixture, url: str) -> None:
        caplog.set_level(logging.DEBUG)
        with pytest.raises(NotifierConfigError) as caught:
            AppriseNotifier.from_options("ops", {"urls": [url]})
        assert [key for key, _ in caught.value.problems] == ["urls[0]"]
        assert TOKEN not in str(caught.value) and TOKEN not in caplog.text

    @pytest.mark.parametrize(
        ("options", "keys"),
        [({}, ["urls"]), ({"urls": "json://h/x"}, ["urls"]), ({"urls": []}, ["urls"]),
         ({"urls": ["json://h/x", 3, ""]}, ["urls[1]", "urls[2]"]),
         ({"urls": ["json://h/x"], "template": "t.j2", "url": "x"}, ["template", "url"])],
    )
    def test_problems(self, options: dict[str, object], keys: list[str]) -> None:
        with pytest.raises(NotifierConfigError) as caught:
            AppriseNotifier.from_options("ops", options)
        assert [key for key, _ in caught.value.problems] == keys

    def test_not_installed(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setitem(sys.modules, "apprise", None)  # `import apprise` raises ImportError
        with pytest.raises(NotifierConfigError) as caught:
            AppriseNotifier.from_options("ops", {"urls": ["json://127.0.0.1/x"]})
        assert "pip install 'veille[apprise]'" in str(caught.value)
        assert caught.value.problems == [("type", INSTALL_HINT)]
