"""Refuse connections to non-public addresses (`allow_private = false`): every block of the
IANA special-purpose registries, judged by the IPv4 address an IPv6 one carries where it does.

A resolver wrapper filters what DNS returns, so the check happens where aiohttp connects, on
every redirect hop; IP-literal hosts, which aiohttp never resolves, go through `literal_refusal`.
"""

from __future__ import annotations

import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult

Net = ipaddress.IPv4Network | ipaddress.IPv6Network


def _table(rows: str) -> tuple[tuple[Net, str | None], ...]:
    """`network kind` lines; the kind "-" marks a globally reachable block inside a larger
    special one (first match wins, so they come first)."""
    table: list[tuple[Net, str | None]] = []
    for line in rows.strip().splitlines():
        network, kind = line.split(None, 1)
        table.append((ipaddress.ip_network(network), None if kind == "-" else kind))
    return tuple(table)


# The IANA IPv4 Special-Purpose Address Registry in full (RFC 6890 and its updates), plus
# multicast and the reserved 240/4, checked in this order. Python's own `is_private` and
# `is_global` were wrong on 3.11 before 3.11.10 (CVE-2024-4032) and miss 100.64.0.0/10.
_IPV4 = _table("""
0.0.0.0/32 unspecified
0.0.0.0/8 this-network
10.0.0.0/8 private
100.64.0.0/10 shared (carrier-grade NAT)
127.0.0.0/8 loopback
169.254.0.0/16 link-local
172.16.0.0/12 private
192.0.0.9/32 -
192.0.0.10/32 -
192.0.0.0/29 IPv4 service continuity (DS-Lite)
192.0.0.8/32 dummy
192.0.0.170/31 NAT64 discovery
192.0.0.0/24 IETF protocol assignment
192.0.2.0/24 documentation
192.88.99.0/24 6to4 relay anycast (deprecated)
192.168.0.0/16 private
198.18.0.0/15 benchmarking
198.51.100.0/24 documentation
203.0.113.0/24 documentation
224.0.0.0/4 multicast
255.255.255.255/32 broadcast
240.0.0.0/4 reserved
""")

# The IANA IPv6 Special-Purpose Address Registry in full, plus what the IPv6 address space
# registry keeps out of global unicast (site-local, multicast). Blocks that carry an IPv4
# address (mapped, NAT64, 6to4, Teredo) are judged by that address, before this table.
_IPV6 = _table("""
::/128 unspecified
::1/128 loopback
::/96 reserved (IPv4-compatible, deprecated)
64:ff9b:1::/48 NAT64 local-use
100::/64 discard-only
100:0:0:1::/64 dummy
2001:1::1/128 -
2001:1::2/128 -
2001:1::3/128 -
2001:3::/32 -
2001:4:112::/48 -
2001:20::/28 -
2001:30::/28 -
2001:2::/48 benchmarking
2001:10::/28 ORCHID (deprecated)
2001::/23 IETF protocol assignment
2001:db8::/32 documentation
3fff::/20 documentation
5f00::/16 segment routing (SRv6)
fc00::/7 private
fe80::/10 link-local
fec0::/10 site-local (deprecated)
ff00::/8 multicast
""")
_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_TEREDO = ipaddress.ip_network("2001::/32")


class RefusedAddressError(OSError):
    """A host resolved only to non-public addresses; never leaves the fetcher (an OSError so
    that aiohttp carries it inside its connector error)."""


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _lookup(ip: Address, table: tuple[tuple[Net, str | None], ...]) -> tuple[bool, str | None]:
    for network, kind in table:
        if ip in network:
            return True, kind
    return False, None


def _embedded(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address reaches through: mapped, NAT64 (RFC 6052), 6to4,
    Teredo (its server, and its client, stored inverted)."""
    if ip.ipv4_mapped is not None:
        return (ip.ipv4_mapped,)
    if ip in _NAT64:
        return (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF),)
    if ip.sixtofour is not None:
        return (ip.sixtofour,)
    if ip in _TEREDO:
        server, client = ip.teredo or (None, None)
        return tuple(a for a in (server, client) if a is not None)
    return ()


def address_kind(address: str) -> str | None:
    """Why `address` is not a public address ("loopback", "private", …), or None if it is."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "invalid"
    if isinstance(ip, ipaddress.IPv4Address):
        return _lookup(ip, _IPV4)[1]
    embedded = _embedded(ip)
    if embedded:
        # An IPv6 address that embeds an IPv4 one reaches that IPv4 address.
        return next((k for k in map(address_kind, map(str, embedded)) if k), None)
    found, kind = _lookup(ip, _IPV6)
    if found:
        return kind
    return None if ip in _GLOBAL_UNICAST else "reserved"


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
