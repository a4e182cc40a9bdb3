"""The address guard follows the IANA IPv4 and IPv6 special-purpose registries, block by block,
and judges an IPv6 address that carries an IPv4 one by that IPv4 address."""

from __future__ import annotations

import pytest

from monitor.netguard import address_kind, literal_refusal

# One address inside each block of the IANA IPv4 Special-Purpose Address Registry (and of
# multicast / reserved space), written here by hand from the registry, not from the code.
IPV4_SPECIAL = [
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "this-network"),
    ("10.200.3.4", "private"),
    ("100.64.0.1", "shared (carrier-grade NAT)"),
    ("100.127.255.254", "shared (carrier-grade NAT)"),
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("169.254.169.254", "link-local"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.0.0.1", "IPv4 service continuity (DS-Lite)"),
    ("192.0.0.8", "dummy"),
    ("192.0.0.170", "NAT64 discovery"),
    ("192.0.0.171", "NAT64 discovery"),
    ("192.0.0.200", "IETF protocol assignment"),
    ("192.0.2.10", "documentation"),
    ("192.88.99.1", "6to4 relay anycast (deprecated)"),
    ("192.168.1.1", "private"),
    ("198.18.0.1", "benchmarking"),
    ("198.19.255.255", "benchmarking"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("224.0.0.251", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "broadcast"),
]

IPV6_SPECIAL = [
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("::7f00:1", "reserved (IPv4-compatible, deprecated)"),
    ("64:ff9b:1::a", "NAT64 local-use"),
    ("100::1", "discard-only"),
    ("100:0:0:1::1", "dummy"),
    ("2001:2::1", "benchmarking"),
    ("2001:10::1", "ORCHID (deprecated)"),
    ("2001:100::1", "IETF protocol assignment"),
    ("2001:db8::1", "documentation"),
    ("3fff::1", "documentation"),
    ("5f00::1", "segment routing (SRv6)"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("fe80::1", "link-local"),
    ("febf::1", "link-local"),
    ("fec0::1", "site-local (deprecated)"),
    ("feff::1", "site-local (deprecated)"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),
    ("4000::1", "reserved"),  # outside global unicast 2000::/3
    ("::2:1", "reserved (IPv4-compatible, deprecated)"),
]

# IPv6 addresses carrying an IPv4 address: judged by it.
EMBEDDED = [
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:10.0.0.1", "private"),
    ("::ffff:169.254.169.254", "link-local"),
    ("::ffff:8.8.8.8", None),
    ("64:ff9b::7f00:1", "loopback"),
    ("64:ff9b::a00:1", "private"),
    ("64:ff9b::808:808", None),
    ("2002:7f00:1::1", "loopback"),  # 6to4 of 127.0.0.1
    ("2002:a9fe:a9fe::1", "link-local"),
    ("2002:c0a8:101::1", "private"),
    ("2002:808:808::1", None),
    # Teredo: server 65.54.227.120, client 127.0.0.1 stored inverted (0x80fffffe).
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback"),
    # Teredo with a private server.
    ("2001:0:a00:1:8000:63bf:f7f7:f7f7", "private"),
    # Teredo, public server 65.54.227.120 and public client 8.8.8.8 (inverted f7f7:f7f7).
    ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", None),
]

# Globally reachable: inside special blocks but public by the registry, or ordinary.
PUBLIC = [
    "192.0.0.9", "192.0.0.10",  # PCP and TURN anycast, inside 192.0.0.0/24
    "192.31.196.1", "192.52.193.1", "192.175.48.1",  # AS112, AMT
    "93.184.216.34", "1.1.1.1", "100.63.255.255", "100.128.0.0", "172.32.0.1",
    "198.17.255.255", "198.20.0.0", "223.255.255.255",
    "2001:1::1", "2001:1::2", "2001:1::3",  # anycasts inside 2001::/23
    "2001:3::1", "2001:4:112::1", "2001:20::1", "2001:30::1",
    "2606:4700:4700::1111", "2a00:1450:4007:80e::200e", "2620:4f:8000::1",
]


class TestRegistries:
    """Each special-purpose block is refused under its own name; public space is not."""

    @pytest.mark.parametrize("address, kind", IPV4_SPECIAL)
    def test_ipv4_special_purpose(self, address: str, kind: str) -> None:
        assert address_kind(address) == kind

    @pytest.mark.parametrize("address, kind", IPV6_SPECIAL)
    def test_ipv6_special_purpose(self, address: str, kind: str) -> None:
        assert address_kind(address) == kind

    @pytest.mark.parametrize("address, kind", EMBEDDED)
    def test_ipv4_carried_in_ipv6(self, address: str, kind: str | None) -> None:
        assert address_kind(address) == kind

    @pytest.mark.parametrize("address", PUBLIC)
    def test_globally_reachable(self, address: str) -> None:
        assert address_kind(address) is None

    @pytest.mark.parametrize("host", ["[fec0::1]", "[::ffff:7f00:1]", "[64:ff9b::a9fe:a9fe]",
                                      "100.64.0.1", "198.18.0.1", "192.0.0.8"])
    def test_literal_hosts_are_refused(self, host: str) -> None:
        refusal = literal_refusal(host)
        assert refusal is not None and refusal.startswith("refused: ")
