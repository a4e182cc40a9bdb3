"""Email delivery: options, STARTTLS and TLS, AUTH, and how SMTP failures map to the contract."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from sample_alerts import TITLE, new_alert
from smtpserver import Cert, SMTPServer, free_port, notifier, self_signed, sent

from notifiers import registry
from notifiers.base import NotifierConfigError, PermanentError, TransientError
from notifiers.email import EmailNotifier


@pytest.fixture
def server() -> Iterator[SMTPServer]:
    with SMTPServer() as smtp:
        yield smtp


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> Cert:
    return self_signed(tmp_path_factory.mktemp("cert"))


class TestOptions:
    """`from_options` checks every option and lists every problem at once."""

    def test_defaults(self) -> None:
        mailer = EmailNotifier.from_options("m", {"host": "smtp.example.org",
                                                  "from": "v@example.org", "to": ["a@example.org"]})
        s = mailer.settings
        assert (s.port, s.security, s.tls_verify, s.subject_prefix, s.timeout) == (
            587, "starttls", True, "[veille]", 30.0)

    @pytest.mark.parametrize(("security", "port"), [("tls", 465), ("none", 25), ("starttls", 587)])
    def test_port_follows_security(self, security: str, port: int) -> None:
        options = {"host": "h", "security": security, "from": "v@example.org", "to": ["a@x.org"]}
        assert EmailNotifier.from_options("m", options).settings.port == port

    def test_every_problem_is_listed(self) -> None:
        with pytest.raises(NotifierConfigError) as err:
            EmailNotifier.from_options("m", {
                "security": "ssl", "from": "not an address", "to": [], "timeout": "soon",
                "tls_verify": "maybe", "colour": "blue", "port": 70000,
            })
        keys = {key for key, _ in err.value.problems}
        assert keys == {"host", "security", "from", "to", "timeout", "tls_verify", "colour", "port"}

    def test_bad_recipient_is_named_by_position(self) -> None:
        with pytest.raises(NotifierConfigError) as err:
            notifier(25, to=["a@example.org", "bob"])
        assert [key for key, _ in err.value.problems] == ["to[1]"]

    def test_password_never_shown(self) -> None:
        with pytest.raises(NotifierConfigError) as err:
            notifier(25, host="smtp.example.org", username="veille", password="s3cr3t-pw")
        assert "s3cr3t-pw" not in str(err.value)
        assert [key for key, _ in err.value.problems] == ["username"]
        settings = notifier(25, username="veille", password="s3cr3t-pw").settings
        assert "s3cr3t-pw" not in repr(settings)

    @pytest.mark.parametrize(
        ("value", "seconds"), [("30s", 30.0), ("2m", 120.0), (1.5, 1.5), (10, 10.0)]
    )
    def test_timeout_durations(self, value: object, seconds: float) -> None:
        assert notifier(25, timeout=value).settings.timeout == seconds

    def test_broken_templates_are_config_errors(self, tmp_path: Path) -> None:
        bad = tmp_path / "bad.html.j2"
        bad.write_text("{% if %}", encoding="utf-8")
        only_items = tmp_path / "items.html.j2"
        only_items.write_text("{{ alert.item.title }}", encoding="utf-8")
        for options, key in ((dict(template=str(bad)), "template"),
                             (dict(template=str(tmp_path / "missing.j2")), "template"),
                             (dict(template=str(only_items)), "template"),
                             (dict(subject="{{ nope }}"), "subject")):
            with pytest.raises(NotifierConfigError) as err:
                notifier(25, **options)
            assert [k for k, _ in err.value.problems] == [key]

    def test_registered_as_email(self) -> None:
        assert cast(object, registry.get("email")) is EmailNotifier


class TestTLSAndAuth:
    """STARTTLS and implicit TLS, certificate verification, and SMTP AUTH."""

    @pytest.mark.parametrize(("tls", "security"), [("starttls", "starttls"), ("implicit", "tls")])
    def test_unverified_tls_delivers(self, cert: Cert, tls: str, security: str) -> None:
        with SMTPServer(tls=tls, cert=cert) as server:
            [got] = sent(server, new_alert(), security=security, tls_verify=False)
        assert got.tls and got.message["Subject"] == f"[veille] New: {TITLE}"

    @pytest.mark.parametrize(("tls", "security"), [("starttls", "starttls"), ("implicit", "tls")])
    def test_self_signed_certificate_is_refused(self, cert: Cert, tls: str, security: str) -> None:
        with SMTPServer(tls=tls, cert=cert) as server:
            with pytest.raises(PermanentError, match="tls_verify = false"):
                sent(server, new_alert(), security=security)
            assert server.messages == []

    def test_trusted_certificate_is_verified(
        self, cert: Cert, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("SSL_CERT_FILE", str(cert.certfile))
        with SMTPServer(tls="starttls", cert=cert) as server:
            [got] = sent(server, new_alert(), security="starttls")
        assert got.tls

    def test_login(self, cert: Cert) -> None:
        with SMTPServer(tls="starttls", cert=cert, users={"veille": "pw"}) as server:
            [got] = sent(server, new_alert(), security="starttls", tls_verify=False,
                         username="veille", password="pw")
        assert got.login == b"veille"

    def test_refused_login_is_permanent(self, cert: Cert) -> None:
        with SMTPServer(tls="starttls", cert=cert, users={"veille": "pw"}) as server:
            with pytest.raises(PermanentError, match="check username and password"):
                sent(server, new_alert(), security="starttls", tls_verify=False,
                     username="veille", password="wrong")

    def test_tls_against_a_plain_server_is_permanent(self, server: SMTPServer) -> None:
        with pytest.raises(PermanentError, match="check security and port"):
            sent(server, new_alert(), security="tls", tls_verify=False, timeout=5)


class TestFailures:
    """Failures map onto the contract: retry on 4xx and network trouble, give up on 5xx."""

    def test_server_down_is_transient(self) -> None:
        with pytest.raises(TransientError, match="cannot connect"):
            notifier(free_port()).send(new_alert())

    def test_silent_server_times_out_transiently(self) -> None:
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen()
            with pytest.raises(TransientError):
                notifier(listener.getsockname()[1], timeout=0.3).send(new_alert())

    @pytest.mark.parametrize(
        ("step", "reply", "error"),
        [
            ("MAIL", "451 4.3.0 Try again later", TransientError),
            ("RCPT", "450 4.2.0 Mailbox busy", TransientError),
            ("RCPT", "550 5.1.1 No such user", PermanentError),
            ("DATA", "451 4.3.0 Try again later", TransientError),
            ("DATA", "554 5.7.1 Message refused", PermanentError),
        ],
    )
    def test_smtp_replies(self, step: str, reply: str, error: type[Exception]) -> None:
        with SMTPServer(fail={step: reply}) as server:
            with pytest.raises(error, match=reply.split()[0]):
                notifier(server.port).send(new_alert())
