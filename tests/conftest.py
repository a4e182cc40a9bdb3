"""Shared fixtures: real databases (SQLite files, PostgreSQL when present) and servers."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from httpserver import FeedServer

from storage.database import Database


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A running `FeedServer` on 127.0.0.1, closed after the test."""
    with FeedServer() as server:
        yield server


PG_URL = os.environ.get("VEILLE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_reason() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when they can."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'veille[test]')"
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            pass
    except OSError:
        return "no PostgreSQL server on 127.0.0.1:5432 (database 'test', user 'postgres')"
    return None


PG_SKIP = _postgres_reason()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL on a fresh schema of its own, dropped afterwards."""
    if PG_SKIP:
        pytest.skip(f"PostgreSQL tests skipped: {PG_SKIP}")
    from sqlalchemy import create_engine

    schema = f"veille_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for each backend: a SQLite file, and PostgreSQL where available."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'veille.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A migrated database on each backend."""
    database = Database(db_url)
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def env(tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str],
        db_url: str) -> Iterator[object]:
    """A whole analyst setup on loopback, on each database backend."""
    from harness import Env
    from smtpserver import SMTPServer
    from webhookserver import WebhookServer

    with SMTPServer() as smtp, WebhookServer() as hook:
        yield Env(tmp_path, feed_server, smtp, hook, capsys, db_url)


@pytest.fixture
def sqlite_env(tmp_path: Path, feed_server: FeedServer,
               capsys: pytest.CaptureFixture[str]) -> Iterator[object]:
    """The analyst setup on SQLite only (for tests that are not about storage)."""
    from harness import Env
    from smtpserver import SMTPServer
    from webhookserver import WebhookServer

    with SMTPServer() as smtp, WebhookServer() as hook:
        yield Env(tmp_path, feed_server, smtp, hook, capsys,
                  f"sqlite:///{tmp_path / 'veille.db'}")
