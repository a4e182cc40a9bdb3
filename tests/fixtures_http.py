"""Pytest fixture for a loopback feed server; conftest.py imports it to share it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from httpserver import FeedServer


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A running `FeedServer` on 127.0.0.1, closed after the test."""
    with FeedServer() as server:
        yield server
