"""Email threading as mail clients read it: a revision replies to the new-item email that was
really sent through the same notifier, else to the item's stable thread id.

Outbox rows come from real polls of a loopback feed, emails go through the dispatcher to a real
SMTP server (aiosmtpd) and are parsed back with `email`. Thunderbird threads a message under
the last id of its `References` (RFC 5322's parent) and falls back to `In-Reply-To`; Gmail
needs one of the ids of `In-Reply-To` / `References` to be the Message-ID of a message it has.
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from dispatchkit import (
    JAPAN,
    KOREA_1,
    KOREA_2,
    Clock,
    MakeDispatcher,
    dispatchers_fixture,  # noqa: F401 - the `dispatchers` fixture
    outbox,
    poll,
    write_config,
)
from httpserver import FeedServer
from smtpserver import SMTPServer
from sqlalchemy import delete, select

from monitor.config import Config
from notifiers import digest
from storage.database import Database
from storage.deliveries import GIVEN_UP, PENDING, SENT, first_sent_message
from storage.models import Delivery, Event

DOMAIN = "veille.example.org"
KOREA_1_V2 = KOREA_1.but(title="L’OTAN et la République de Corée renforcent leur coopération "
                               "en cyberdéfense et dans l’espace")
KOREA_1_V3 = KOREA_1_V2.but(summary="<p>Mis à jour le 24 mai 2024 : les deux parties signent "
                                    "un programme de partenariat.</p>")


def mail(smtp: SMTPServer, name: str = "analysts", digest_value: str | None = None) -> str:
    extra = f'digest = "{digest_value}"\n' if digest_value else ""
    return (f'\n[notifier.{name}]\ntype = "email"\nhost = "127.0.0.1"\nport = {smtp.port}\n'
            f'security = "none"\nfrom = "veille <veille@{DOMAIN}>"\n'
            f'to = ["Analystes <analysts@example.org>"]\n{extra}')


def setup(tmp_path: Path, db: Database, feeds: FeedServer, notifiers: str,
          notify: str = '["analysts"]') -> Config:
    return write_config(tmp_path, db.url, feeds.url("/fr.xml"), notifiers, notify=notify)


def ids(header: str | None) -> list[str]:
    return (header or "").split()


def thunderbird_parent(message: EmailMessage) -> str:
    """The message Thunderbird shows this one under: the last of References, else In-Reply-To."""
    refs = ids(message["References"])
    return refs[-1] if refs else ids(message["In-Reply-To"])[0]


def replies_to(revision: EmailMessage, first: EmailMessage) -> None:
    """`revision` threads under `first` in Thunderbird, Gmail and by In-Reply-To alone."""
    first_id = first["Message-ID"]
    assert revision["In-Reply-To"] == first_id
    assert thunderbird_parent(revision) == first_id
    assert first_id in ids(revision["References"])
    # RFC 5322: the parent's References, then the parent's Message-ID.
    assert ids(revision["References"]) == ids(first["References"]) + [first_id]


def revision_emails(smtp: SMTPServer) -> list[EmailMessage]:
    return [m.message for m in smtp.messages
            if m.message["Subject"].startswith("[veille] Updated")]


class TestRepliesToTheSentEmail:
    """A revision replies to the new-item email of its item that went out through it."""

    def test_each_revision_replies_to_its_items_new_email(
            self, tmp_path: Path, db: Database, feed_server: FeedServer,
            dispatchers: MakeDispatcher) -> None:
        clock = Clock()
        with SMTPServer() as smtp:
            config = setup(tmp_path, db, feed_server, mail(smtp))
            # Two new items sent by one dispatch: under this frozen clock they share a
            # sent_at, and must still read as two emails sent alone, not as a digest.
            poll(config, db, clock, feed_server, [KOREA_1, KOREA_2])
            dispatchers(config, db, clock).dispatch()
            clock.advance(minutes=30)
            poll(config, db, clock, feed_server, [KOREA_1_V2, KOREA_2])
            dispatchers(config, db, clock).dispatch()
            clock.advance(minutes=30)
            poll(config, db, clock, feed_server, [KOREA_1_V3, KOREA_2])
            dispatchers(config, db, clock).dispatch()
        assert len(smtp.messages) == 4
        new_1 = next(m.message for m in smtp.messages if "cyberd" in m.message["Subject"])
        new_2 = next(m.message for m in smtp.messages if "naval" in m.message["Subject"])
        assert new_1["In-Reply-To"] is None and new_2["In-Reply-To"] is None
        assert new_1["References"] != new_2["References"]  # one thread per item
        first_revision, second_revision = revision_emails(smtp)
        replies_to(first_revision, new_1)
        replies_to(second_revision, new_1)  # every revision, not the previous one
        assert new_2["Message-ID"] not in first_revision["References"]

    def test_digest_sent_first_is_the_one_replied_to(
            self, tmp_path: Path, db: Database, feed_server: FeedServer,
            dispatchers: MakeDispatcher) -> None:
        clock = Clock()
        with SMTPServer() as smtp:
            config = setup(tmp_path, db, feed_server, mail(smtp, digest_value="1h"))
            poll(config, db, clock, feed_server, [KOREA_1, JAPAN])
            clock.advance(hours=1)  # past the end of the 10:00-11:00 period
            dispatchers(config, db, clock).dispatch()
            assert [r.status for r in outbox(db)] == [SENT, SENT]
            # The digest is removed from config: the revision goes out as its own email.
            config = setup(tmp_path, db, feed_server, mail(smtp))
            clock.advance(minutes=10)
            poll(config, db, clock, feed_server, [KOREA_1_V2, JAPAN])
            dispatchers(config, db, clock).dispatch()
        (digest_email,) = [m.message for m in smtp.messages
                           if m.message["X-Veille-Alert-Type"] == "digest"]
        (revision,) = revision_emails(smtp)
        alert_ids = [r.alert_id for r in outbox(db)[:2]]
        expected = f"<{digest.digest_id_of(alert_ids)}@{DOMAIN}>"
        assert digest_email["Message-ID"] == expected
        assert revision["In-Reply-To"] == expected
        assert thunderbird_parent(revision) == expected
        assert ids(revision["References"])[0].startswith("<thread.item-")


class TestFallsBackToTheThreadId:
    """With no earlier email sent through the notifier, the stable thread id is replied to."""

    def test_new_item_email_given_up(self, tmp_path: Path, db: Database,
                                     feed_server: FeedServer,
                                     dispatchers: MakeDispatcher) -> None:
        clock = Clock()
        with SMTPServer(fail={"DATA": "554 5.7.1 Message refused"}) as smtp:
            config = setup(tmp_path, db, feed_server, mail(smtp))
            poll(config, db, clock, feed_server, [KOREA_1])
            dispatchers(config, db, clock).dispatch()
            assert [r.status for r in outbox(db)] == [GIVEN_UP]
            smtp.handler.fail.clear()
            clock.advance(minutes=30)
            poll(config, db, clock, feed_server, [KOREA_1_V2])
            dispatchers(config, db, clock).dispatch()
        given_up = outbox(db)[0].alert_id
        (revision,) = revision_emails(smtp)
        root = ids(revision["References"])
        assert len(root) == 1 and root[0].startswith("<thread.item-")
        assert revision["In-Reply-To"] == root[0]
        assert given_up not in revision.as_string()

    def test_new_item_email_still_pending_then_sent(
            self, tmp_path: Path, db: Database, feed_server: FeedServer,
            dispatchers: MakeDispatcher) -> None:
        clock = Clock()
        with SMTPServer(fail={"DATA": "451 4.3.0 Try again later"}) as smtp:
            config = setup(tmp_path, db, feed_server, mail(smtp))
            poll(config, db, clock, feed_server, [KOREA_1])
            dispatchers(config, db, clock).dispatch()
            smtp.handler.fail.clear()
            poll(config, db, clock, feed_server, [KOREA_1_V2])
            new_row, revision_row = outbox(db)
            assert (new_row.status, new_row.attempts) == (PENDING, 1)
            # `deliveries retry ID` sends the revision while the new item waits its retry.
            dispatchers(config, db, clock).dispatch(ids=[revision_row.id])
            (early,) = revision_emails(smtp)
            assert early["In-Reply-To"] == ids(early["References"])[0]
            assert early["In-Reply-To"].startswith("<thread.item-")
            clock.advance(hours=1)
            dispatchers(config, db, clock).dispatch()  # the new item's email, at last
            clock.advance(minutes=10)
            poll(config, db, clock, feed_server, [KOREA_1_V3])
            dispatchers(config, db, clock).dispatch()
        new = next(m.message for m in smtp.messages if m.message["Subject"].startswith(
            "[veille] New"))
        later = revision_emails(smtp)[1]
        replies_to(later, new)

    def test_only_the_same_notifiers_emails_count(
            self, tmp_path: Path, db: Database, feed_server: FeedServer,
            dispatchers: MakeDispatcher) -> None:
        clock = Clock()
        with SMTPServer() as good, SMTPServer(fail={"DATA": "554 5.7.1 refused"}) as desk:
            config = setup(tmp_path, db, feed_server, mail(good) + mail(desk, "desk"),
                           notify='["analysts", "desk"]')
            poll(config, db, clock, feed_server, [KOREA_1])
            dispatchers(config, db, clock).dispatch()
            desk.handler.fail.clear()
            clock.advance(minutes=30)
            poll(config, db, clock, feed_server, [KOREA_1_V2])
            dispatchers(config, db, clock).dispatch()
        (new,) = [m.message for m in good.messages if "New" in m.message["Subject"]]
        replies_to(revision_emails(good)[0], new)
        (desk_revision,) = revision_emails(desk)
        assert desk_revision["In-Reply-To"].startswith("<thread.item-")
        assert new["Message-ID"] not in desk_revision["References"]

    def test_new_item_row_no_longer_kept(self, tmp_path: Path, db: Database,
                                         feed_server: FeedServer,
                                         dispatchers: MakeDispatcher) -> None:
        clock = Clock()
        with SMTPServer() as smtp:
            config = setup(tmp_path, db, feed_server, mail(smtp))
            poll(config, db, clock, feed_server, [KOREA_1])
            dispatchers(config, db, clock).dispatch()
            with db.write() as session:  # as retention of delivered rows would
                session.execute(delete(Delivery))
            clock.advance(minutes=30)
            poll(config, db, clock, feed_server, [KOREA_1_V2])
            dispatchers(config, db, clock).dispatch()
        (revision,) = revision_emails(smtp)
        assert revision["In-Reply-To"].startswith("<thread.item-")
        assert revision["References"] == revision["In-Reply-To"]


class TestFirstSentQuery:
    """The outbox query behind it, on SQLite and PostgreSQL."""

    def test_none_before_anything_was_sent(self, tmp_path: Path, db: Database,
                                           feed_server: FeedServer) -> None:
        clock = Clock()
        with SMTPServer() as smtp:
            config = setup(tmp_path, db, feed_server, mail(smtp))
            poll(config, db, clock, feed_server, [KOREA_1])
        with db.read() as session:
            event = session.scalars(select(Event).where(Event.type == "item.new")).one()
            assert event.item_id is not None
            assert first_sent_message(session, event.item_id, "analysts", event.id + 1) is None
