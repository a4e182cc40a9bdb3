"""Who a fetch may reach, and with which of the feed's configured headers.

A feed's `headers` go to the origin (scheme, host, port) of its URL as written in config.toml,
never elsewhere: not across a redirect, not to a 301's new home, not to an article page on
another host. The address guard (`netguard`) applies to every hop, at connect time, unless the
feed or `[veille]` sets `allow_private = true`; the one exemption is the host of a feed URL
written as an IP address or `localhost`, which is the operator's explicit choice of address.
A name in a feed URL is not: DNS can point it anywhere.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from yarl import URL

if TYPE_CHECKING:
    from monitor.config import Config

Origin = tuple[str, str, int | None]


def origin_of(url: URL | str) -> Origin | None:
    """(scheme, host, port) of `url`, lower-cased, default ports filled in; None if unusable."""
    try:
        parsed = url if isinstance(url, URL) else URL(url)
        if not parsed.scheme or not parsed.host:
            return None
        return parsed.scheme.lower(), parsed.host.lower().rstrip("."), parsed.port
    except ValueError:
        return None


def is_explicit_address(host: str) -> bool:
    """Whether `host` names one address by itself: an IP literal (any spelling the C library
    accepts) or `localhost`, which RFC 6761 reserves for loopback."""
    bare = host.strip("[]").rstrip(".").lower()
    if bare == "localhost" or bare.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(bare)
    except ValueError:
        try:
            socket.inet_aton(bare)
        except OSError:
            return False
    return True


@dataclass(frozen=True)
class FeedAccess:
    """One feed's rules: its configured origin, headers and private-address choice."""

    origin: Origin | None
    header_names: frozenset[str] = frozenset()  # lower-case names of its configured headers
    allow_private: bool = False
    trusted_host: str | None = None  # an explicit address written in its URL


@dataclass(frozen=True)
class FetchPolicy:
    """The rules a `Fetcher` applies per request, looked up by the request's feed name.

    `allow_private` is the default for requests of feeds the policy does not know.
    """

    allow_private: bool = True
    feeds: Mapping[str, FeedAccess] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def for_feeds(cls, config: Config) -> FetchPolicy:
        """Feed fetches: the host of a feed URL written as an address is trusted."""
        return cls._build(config, trust_written_address=True)

    @classmethod
    def for_pages(cls, config: Config) -> FetchPolicy:
        """Article pages: their links come from the feed's content, so nothing is trusted
        beyond each feed's own `allow_private`."""
        return cls._build(config, trust_written_address=False)

    @classmethod
    def _build(cls, config: Config, *, trust_written_address: bool) -> FetchPolicy:
        feeds: dict[str, FeedAccess] = {}
        for feed in config.feeds:
            origin = origin_of(feed.url)
            trusted = None
            if trust_written_address and origin is not None and is_explicit_address(origin[1]):
                trusted = origin[1]
            feeds[feed.name] = FeedAccess(
                origin=origin, header_names=frozenset(k.lower() for k in feed.headers),
                allow_private=feed.allow_private, trusted_host=trusted)
        return cls(allow_private=config.veille.allow_private, feeds=MappingProxyType(feeds))

    def private_ok(self, feed: str, url: URL) -> bool:
        """Whether `feed`'s request may reach `url` at a non-public address."""
        access = self.feeds.get(feed)
        if access is None:
            return self.allow_private
        if access.allow_private:
            return True
        host = origin_of(url)
        return access.trusted_host is not None and host is not None \
            and host[1] == access.trusted_host

    def strip_headers(self, feed: str, first: URL, url: URL,
                      headers: Mapping[str, str]) -> dict[str, str]:
        """`headers` without the feed's configured ones when `url` is not the feed's origin.

        Headers the fetch added itself (validators, Accept) stay. For a feed the policy does
        not know, the origin is the request's first URL and every extra header counts.
        """
        access = self.feeds.get(feed)
        home = access.origin if access is not None else origin_of(first)
        if home is not None and origin_of(url) == home:
            return dict(headers)
        own = access.header_names if access is not None else None
        return {k: v for k, v in headers.items()
                if (own is not None and k.lower() not in own)
                or k.lower() in _FETCH_OWN}


# Headers a fetch sets itself, never configured secrets: kept on every hop.
_FETCH_OWN = frozenset({"if-none-match", "if-modified-since", "accept"})
