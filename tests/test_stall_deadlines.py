"""Every send has a total deadline: a receiver that never answers, drips its headers, or an SMTP
server that drips its greeting, holds one send for `timeout` and no longer. Each misbehaving
server here would hold a send for minutes without the deadline; the bounds are generous."""

from __future__ import annotations

import time

import pytest
from sample_alerts import new_alert
from smtpserver import SMTPServer, notifier
from stallkit import RawServer, drips_headers, never_answers, read_request, smtp_drips
from webhookserver import Reply, WebhookServer

from notifiers.base import TransientError
from notifiers.webhook import WebhookNotifier

TIMEOUT = 1.5
BOUND = TIMEOUT + 3.0  # the drips below would last over a minute


def _timed(send: object) -> tuple[float, BaseException | None]:
    assert callable(send)
    start = time.monotonic()
    try:
        send()
    except BaseException as exc:  # noqa: BLE001 - returned for the test to look at
        return time.monotonic() - start, exc
    return time.monotonic() - start, None


class TestWebhookDeadline:
    """The webhook `timeout` covers connect, request, status line, headers and body."""

    @pytest.mark.parametrize("behave", [never_answers, drips_headers(0.3)],
                             ids=["never-answers", "drips-headers"])
    def test_bounded(self, behave: object) -> None:
        with RawServer(behave) as server:  # type: ignore[arg-type]
            hook = WebhookNotifier("chat", server.url("/hook"), timeout=TIMEOUT)
            try:
                elapsed, error = _timed(lambda: hook.send(new_alert()))
            finally:
                hook.close()
        assert isinstance(error, TransientError), error
        assert f"no answer within {TIMEOUT:g}s" in str(error)
        assert elapsed < BOUND

    def test_a_kept_alive_connection_obeys_it_too(self) -> None:
        """The first request is answered at once on a connection kept alive; the second,
        on the same connection, drips: it is bounded all the same."""
        served = []

        def behave(conn: object, stop: object) -> None:
            import socket
            import threading

            assert isinstance(conn, socket.socket) and isinstance(stop, threading.Event)
            read_request(conn)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            served.append(1)
            drips_headers(0.3)(conn, stop)

        with RawServer(behave) as server:
            hook = WebhookNotifier("chat", server.url("/hook"), timeout=TIMEOUT)
            try:
                hook.send(new_alert())
                elapsed, error = _timed(lambda: hook.send(new_alert(id="dlv-102")))
            finally:
                hook.close()
        assert served == [1] and server.connections == 1
        assert isinstance(error, TransientError) and elapsed < BOUND

    def test_a_slow_body_is_cut_the_status_counts(self) -> None:
        with WebhookServer([Reply(200, body="x" * 10, delay=0.1)]) as server:
            hook = WebhookNotifier("chat", server.url("/hook"), timeout=TIMEOUT)
            try:
                hook.send(new_alert())
            finally:
                hook.close()
        assert len(server.requests) == 1


class TestSmtpDeadline:
    """The email `timeout` covers the whole exchange, however slowly the server replies."""

    def test_a_dripping_greeting_is_bounded(self) -> None:
        with RawServer(smtp_drips(0.3)) as server:
            email = notifier(server.port, timeout=TIMEOUT)
            elapsed, error = _timed(lambda: email.send(new_alert()))
        assert isinstance(error, TransientError), error
        assert f"no complete exchange within {TIMEOUT:g}s" in str(error)
        assert elapsed < BOUND

    def test_a_server_silent_after_connect_is_bounded(self) -> None:
        with RawServer(lambda conn, stop: stop.wait()) as server:
            email = notifier(server.port, timeout=TIMEOUT)
            elapsed, error = _timed(lambda: email.send(new_alert()))
        assert isinstance(error, TransientError) and elapsed < BOUND

    def test_a_good_server_still_gets_the_message(self) -> None:
        with SMTPServer() as smtp:
            notifier(smtp.port, timeout=TIMEOUT).send(new_alert())
        assert len(smtp.messages) == 1
