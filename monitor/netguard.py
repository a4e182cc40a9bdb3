"""Refuse connections to non-public addresses (`allow_private = false`).

A resolver wrapper filters what DNS returns, so the check happens where aiohttp connects, on
every redirect hop; IP-literal hosts, which aiohttp never resolves, go through `literal_refusal`.
"""

from __future__ import annotations

import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult

_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT; not in is_private
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class RefusedAddressError(OSError):
    """A host resolved only to non-public addresses; never leaves the fetcher (an OSError so
    that aiohttp carries it inside its connector error)."""


def address_kind(address: str) -> str | None:
    """Why `address` is not a public address ("loopback", "private", …), or None if it is."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "invalid"
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv6 address that embeds an IPv4 one reaches that IPv4 address.
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_kind(str(embedded))
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip in _SHARED:
        return "shared (carrier-grade NAT)"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private or not ip.is_global:
        return "private"
    return None


def refusal(host: str, address: str) -> str | None:
    """The sentence refusing `host` at `address`, or None when the address is public."""
    if address_kind(address) is None:
        return None
    where = f"{address} is" if host == address else f"{host} resolves to {address},"
    return f"refused: {where} a private address (set allow_private = true to allow)"


def literal_refusal(host: str) -> str | None:
    """The refusal for a host written as an IP address, in any form the OS accepts.

    `2130706433`, `0x7f.1` and `127.1` all mean 127.0.0.1 to the C library.
    """
    bare = host.strip("[]").rstrip(".")
    try:
        address = str(ipaddress.ip_address(bare))
    except ValueError:
        try:
            address = socket.inet_ntoa(socket.inet_aton(bare))
        except (OSError, ValueError):
            return None  # a name: the resolver checks what it resolves to
    return refusal(host, address)


class GuardedResolver(AbstractResolver):
    """Resolve with `inner`, keep only public addresses; none left raises RefusedAddressError."""

    def __init__(self, inner: AbstractResolver) -> None:
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve `host`, dropping every non-public address."""
        results = await self._inner.resolve(host, port, family)
        public = [r for r in results if address_kind(r["host"]) is None]
        if results and not public:
            raise RefusedAddressError(refusal(host, results[0]["host"]))
        return public

    async def close(self) -> None:
        """Close the inner resolver."""
        await self._inner.close()
