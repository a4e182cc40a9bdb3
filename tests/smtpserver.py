"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd), with optional STARTTLS, TLS and AUTH,
and helpers to point veille's email notifier at it.

    with SMTPServer(tls="starttls", cert=self_signed(tmp_path)) as server:
        ... send to ("127.0.0.1", server.port) ...
        server.messages[0].message["Subject"]
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPProtocol
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from notifiers.base import Alert
from notifiers.email import EmailNotifier


@dataclass(frozen=True)
class Cert:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key."""

    certfile: Path
    keyfile: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.certfile, self.keyfile)
        return context


def self_signed(directory: Path) -> Cert:
    """Write a fresh self-signed certificate (EC P-256, valid one day) into `directory`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "veille test SMTP")])
    now = dt.datetime.now(dt.UTC)
    san = x509.SubjectAlternativeName(
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))
    return Cert(certfile, keyfile)


@dataclass
class Received:
    """One message as the server got it: envelope, raw bytes, parsed with policy.default."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: bool
    login: bytes | None
    message: EmailMessage = field(init=False)

    def __post_init__(self) -> None:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.message = parsed


class _Handler:
    """Collects messages; `fail` = {"MAIL"|"RCPT"|"DATA": "451 4.3.0 …"} refuses at that step."""

    def __init__(self, fail: dict[str, str]) -> None:
        self.fail = fail
        self.messages: list[Received] = []

    async def handle_MAIL(
        self, server: SMTPProtocol, session: Session, envelope: Envelope, address: str,
        mail_options: list[str],
    ) -> str:
        if "MAIL" in self.fail:
            return self.fail["MAIL"]
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTPProtocol, session: Session, envelope: Envelope, address: str,
        rcpt_options: list[str],
    ) -> str:
        if "RCPT" in self.fail:
            return self.fail["RCPT"]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPProtocol, session: Session, envelope: Envelope) -> str:
        if "DATA" in self.fail:
            return self.fail["DATA"]
        login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else None
        assert isinstance(envelope.content, bytes)
        self.messages.append(Received(
            str(envelope.mail_from), list(envelope.rcpt_tos), envelope.content,
            server.transport is not None
            and server.transport.get_extra_info("ssl_object") is not None,
            login,
        ))
        return "250 Message accepted"


class _LoopbackController(Controller):
    """aiosmtpd's Controller on a port the system picks (it wants a fixed one)."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class SMTPServer:
    """An SMTP server in a thread. `tls`: "none", "starttls" (required) or "implicit";
    `users` = {login: password} requires AUTH (over TLS); `fail` refuses a step with a reply."""

    def __init__(
        self, *, tls: str = "none", cert: Cert | None = None,
        users: dict[str, str] | None = None, fail: dict[str, str] | None = None,
    ) -> None:
        self.handler = _Handler(fail or {})
        self.users = users
        kwargs: dict[str, Any] = {}
        if tls == "starttls":
            assert cert is not None
            kwargs.update(tls_context=cert.server_context(), require_starttls=True)
        elif tls == "implicit":
            assert cert is not None
            kwargs.update(ssl_context=cert.server_context())
        if users is not None:
            kwargs.update(auth_required=True, authenticator=self._authenticate)
        self.controller = _LoopbackController(self.handler, hostname="127.0.0.1", port=0, **kwargs)

    def _authenticate(
        self, server: SMTPProtocol, session: Session, envelope: Envelope, mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        ok = (
            self.users is not None and isinstance(auth_data, LoginPassword)
            and self.users.get(auth_data.login.decode()) == auth_data.password.decode()
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    @property
    def port(self) -> int:
        port: int = self.controller.port
        return port

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def __enter__(self) -> SMTPServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def notifier(port: int, **options: Any) -> EmailNotifier:
    """An email notifier for 127.0.0.1:`port` (plain SMTP unless `options` say otherwise)."""
    base: dict[str, Any] = {
        "host": "127.0.0.1", "port": port, "security": "none",
        "from": "veille <veille@veille.example.org>", "to": ["Analystes <analysts@example.org>"],
    }
    return EmailNotifier.from_options("analysts", base | options)


def sent(server: SMTPServer, *alerts: Alert, **options: Any) -> list[Received]:
    """Send `alerts` through a notifier built with `options`; what `server` received."""
    mailer = notifier(server.port, **options)
    for alert in alerts:
        mailer.send(alert)
    return server.messages


def free_port() -> int:
    """A loopback port nothing listens on (for "server down")."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
