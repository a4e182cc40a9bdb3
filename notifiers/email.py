"""The `email` notifier: one multipart message per alert (or per digest) over SMTP.

Failures map onto the notifier contract: connection errors, timeouts and SMTP 4xx replies are
transient; SMTP 5xx replies, refused logins and certificates that fail verification are
permanent. Once the server has accepted the message, nothing that follows fails the alert.
`timeout` is a total deadline for one message (resolve, connect, TLS, every command and
reply): smtplib's own timeout is per socket operation, so a server that drips its replies
would hold a send for ever; a watchdog shuts the connection down when the deadline passes.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.message import EmailMessage
from typing import Any, ClassVar

from notifiers import digest
from notifiers.base import Alert, NotifierError, PermanentError, TransientError
from notifiers.deadline import Watchdog, connect
from notifiers.email_digest import build_digest_message
from notifiers.email_message import EmailTemplates, build_message
from notifiers.email_options import EmailSettings, parse_options

log = logging.getLogger(__name__)


def _reply_error(code: int, text: str) -> NotifierError:
    """An SMTP reply as the contract sees it: 4xx try again later, 5xx give up."""
    if 400 <= code < 500:
        return TransientError(f"SMTP server replied {code} {text} (temporary)")
    if 500 <= code < 600:
        return PermanentError(f"SMTP server replied {code} {text}")
    return TransientError(f"SMTP server replied {code} {text}")


def _decode(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


class _SMTP(smtplib.SMTP):
    """smtplib's client, connecting within the deadline and known to the watchdog as soon
    as it has a socket (the greeting is read inside the constructor)."""

    def __init__(self, host: str, port: int, *, timeout: float, deadline: float,
                 known: list[smtplib.SMTP]) -> None:
        self._deadline = deadline
        self._known = known
        super().__init__(host, port, timeout=timeout)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        self._known.append(self)
        return connect(host, port, timeout, self._deadline)


class _SMTPS(smtplib.SMTP_SSL):
    """As `_SMTP`, with TLS from the first byte (`security = "tls"`)."""

    def __init__(self, host: str, port: int, *, timeout: float, deadline: float,
                 known: list[smtplib.SMTP], context: ssl.SSLContext) -> None:
        self._deadline = deadline
        self._known = known
        self._server_name = host
        super().__init__(host, port, timeout=timeout, context=context)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        self._known.append(self)
        raw = connect(host, port, timeout, self._deadline)
        return self.context.wrap_socket(raw, server_hostname=self._server_name)


class EmailNotifier:
    """Sends each alert (or digest) as one email; a connection per message (they are few)."""

    type_name: ClassVar[str] = "email"
    secret_keys: ClassVar[frozenset[str]] = frozenset({"password"})

    def __init__(
        self, name: str, settings: EmailSettings, templates: EmailTemplates | None = None
    ) -> None:
        self.name = name
        self.settings = settings
        self.templates = templates or EmailTemplates(settings.template, settings.subject)

    @classmethod
    def from_options(cls, name: str, options: Mapping[str, Any]) -> EmailNotifier:
        """Validate every option (NotifierConfigError lists each problem) and build."""
        settings, templates = parse_options(options)
        return cls(name, settings, templates)

    def message(self, alert: Alert, now: datetime | None = None) -> EmailMessage:
        """The email for `alert`, as it would be sent."""
        s = self.settings
        return build_message(
            alert, sender=s.sender, to=s.to, subject_prefix=s.subject_prefix,
            templates=self.templates, now=now,
        )

    def digest_message(self, alerts: Sequence[Alert], now: datetime | None = None
                       ) -> EmailMessage:
        """The digest email for `alerts`, as it would be sent."""
        s = self.settings
        return build_digest_message(
            alerts, sender=s.sender, to=s.to, subject_prefix=s.subject_prefix,
            templates=self.templates, now=now,
        )

    def send(self, alert: Alert) -> None:
        """Deliver `alert` or raise TransientError / PermanentError."""
        try:
            msg = self.message(alert)
        except Exception as exc:  # a template or header failure will not cure itself
            raise PermanentError(f"cannot build the email: {exc}") from exc
        self._deliver(msg, alert.id)

    def send_digest(self, alerts: Sequence[Alert]) -> None:
        """Deliver `alerts` as one digest email or raise TransientError / PermanentError."""
        try:
            msg = self.digest_message(alerts)
        except Exception as exc:  # a template or header failure will not cure itself
            raise PermanentError(f"cannot build the digest email: {exc}") from exc
        self._deliver(msg, digest.digest_id(alerts))

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if not self.settings.tls_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _deliver(self, msg: EmailMessage, alert_id: str) -> None:
        s = self.settings
        where = f"{s.host}:{s.port}"
        known: list[smtplib.SMTP] = []
        deadline = time.monotonic() + s.timeout

        def current() -> socket.socket | None:
            sock: socket.socket | None = getattr(known[-1], "sock", None) if known else None
            return sock

        with Watchdog(s.timeout, current) as watchdog:
            try:
                refused = self._exchange(msg, known, deadline)
            except NotifierError as error:
                if watchdog.expired and isinstance(error, TransientError):
                    raise TransientError(
                        f"SMTP with {where}: no complete exchange within {s.timeout:g}s "
                        "(the server is too slow or stalled)") from error
                raise
            finally:
                if known:
                    _quit(known[-1])
        if refused:
            # Others got it: retrying would send it to them twice.
            log.warning("alert %s: %s refused some recipients: %s", alert_id, where, refused)

    def _exchange(self, msg: EmailMessage, known: list[smtplib.SMTP],
                  deadline: float) -> dict[str, tuple[int, bytes]]:
        s = self.settings
        where = f"{s.host}:{s.port}"
        try:
            smtp: smtplib.SMTP
            if s.security == "tls":
                smtp = _SMTPS(s.host, s.port, timeout=s.timeout, deadline=deadline,
                              known=known, context=self._context())
            else:
                smtp = _SMTP(s.host, s.port, timeout=s.timeout, deadline=deadline,
                             known=known)
            if s.security == "starttls":
                smtp.starttls(context=self._context())
            if s.username is not None and s.password is not None:
                smtp.login(s.username, s.password)
            return smtp.send_message(
                msg, from_addr=s.sender[1], to_addrs=[address for _, address in s.to]
            )
        except smtplib.SMTPAuthenticationError as exc:
            if 400 <= exc.smtp_code < 500:
                raise _reply_error(exc.smtp_code, _decode(exc.smtp_error)) from exc
            raise PermanentError(
                f"SMTP login as {s.username!r} refused by {where} ({exc.smtp_code} "
                f"{_decode(exc.smtp_error)}): check username and password"
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = {code for code, _ in exc.recipients.values()}
            text = "; ".join(f"{a}: {c} {_decode(m)}" for a, (c, m) in exc.recipients.items())
            error = _reply_error(max(codes), f"for every recipient: {text}")
            raise error from exc
        except smtplib.SMTPResponseException as exc:
            raise _reply_error(exc.smtp_code, _decode(exc.smtp_error)) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentError(f"{where}: {exc}; check security and port") from exc
        except ssl.SSLCertVerificationError as exc:
            raise PermanentError(
                f"TLS certificate of {where} could not be verified ({exc.verify_message}): "
                "check the server's certificate, or set tls_verify = false"
            ) from exc
        except ssl.SSLError as exc:
            if time.monotonic() >= deadline:  # the watchdog cut the handshake short
                raise TransientError(f"TLS with {where} did not complete in time") from exc
            raise PermanentError(
                f"TLS with {where} failed ({exc.reason or exc}): check security and port "
                '("tls" is usually port 465, "starttls" port 587)'
            ) from exc
        except (TimeoutError, smtplib.SMTPServerDisconnected, smtplib.SMTPException) as exc:
            raise TransientError(f"SMTP with {where} failed: {exc}") from exc
        except OSError as exc:
            raise TransientError(f"cannot connect to SMTP server {where}: {exc}") from exc

    def close(self) -> None:
        """Nothing to release: each alert uses its own connection."""


def _quit(smtp: smtplib.SMTP) -> None:
    """Say goodbye if the connection still works; the outcome is already decided."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
