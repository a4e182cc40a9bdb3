"""The fetcher against real loopback servers: conditional GET, errors, redirects, limits,
concurrency and the private-address guard."""

from __future__ import annotations

import asyncio
import hashlib
import re
import socket
import struct
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any

import pytest
from httpserver import FeedServer

from monitor import netguard
from monitor.fetch import ACCEPT, Fetcher, fetch_all
from monitor.fetch_result import parse_retry_after
from monitor.netguard import GuardedResolver, RefusedAddressError, address_kind, literal_refusal
from monitor.records import FetchRequest, FetchResult

UA = "veille-test/0.1 (+mailto:ops@example.org)"
FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>OTAN – Actualités</title>
<item><title>La République de Corée et l’OTAN</title><guid>n-1</guid></item>
</channel></rss>""".encode()
REFUSAL_TAIL = " a private address (set allow_private = true to allow)"


def fetch(url: str, **opts: Any) -> FetchResult:
    """Fetch one URL through `fetch_all`; request fields and Fetcher options both accepted."""
    fields = {k: opts.pop(k) for k in list(opts) if k in FetchRequest.__dataclass_fields__}
    return fetch_all([FetchRequest("feed", url, **fields)], user_agent=UA, **opts)[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def gzip_bomb(decompressed_mb: int) -> Iterator[bytes]:
    """A valid gzip stream of `decompressed_mb` MiB of zeros, about 1 KB per MiB, streamed."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = deflate.compress(bytes(1 << 20)) + deflate.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(decompressed_mb):
        crc = zlib.crc32(bytes(1 << 20), crc)
    yield b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    for _ in range(decompressed_mb):
        yield piece
    yield zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    yield struct.pack("<II", crc, (decompressed_mb << 20) & 0xFFFFFFFF)


class TestConditionalGet:
    """A feed is fetched with its validators, and unchanged content comes back without a body."""

    def test_ok_carries_body_hash_validators_and_lower_case_headers(self, feed_server: FeedServer):
        feed_server.set("/f.xml", FEED, etag='"v1"', last_modified="Wed, 22 May 2024 06:00:00 GMT",
                        headers={"Content-Type": "application/rss+xml"})
        result = fetch(feed_server.url("/f.xml"))
        assert (result.status, result.http_status, result.body) == ("ok", 200, FEED)
        assert result.body_hash == hashlib.sha256(FEED).hexdigest()
        assert (result.etag, result.last_modified) == ('"v1"', "Wed, 22 May 2024 06:00:00 GMT")
        assert result.headers["content-type"] == "application/rss+xml"
        assert result.url == feed_server.url("/f.xml") and result.moved_to is None

    def test_etag_is_sent_back_and_304_keeps_the_validators(self, feed_server: FeedServer):
        feed_server.set("/f.xml", FEED, etag='"v1"')
        result = fetch(feed_server.url("/f.xml"), etag='"v1"', last_modified="x")
        assert (result.status, result.http_status, result.body) == ("not_modified", 304, None)
        assert (result.etag, result.last_modified) == ('"v1"', "x")
        assert feed_server.requests[-1].headers["if-none-match"] == '"v1"'

    def test_last_modified_is_sent_back(self, feed_server: FeedServer):
        stamp = "Wed, 22 May 2024 06:00:00 GMT"
        feed_server.set("/f.xml", FEED, last_modified=stamp)
        assert fetch(feed_server.url("/f.xml"), last_modified=stamp).status == "not_modified"
        assert feed_server.requests[-1].headers["if-modified-since"] == stamp
        newer = "Thu, 23 May 2024 06:00:00 GMT"
        feed_server.set("/f.xml", FEED, last_modified=newer)
        result = fetch(feed_server.url("/f.xml"), last_modified=stamp)
        assert (result.status, result.last_modified) == ("ok", newer)

    def test_same_body_hash_returns_no_body(self, feed_server: FeedServer):
        feed_server.set("/f.xml", FEED)
        digest = hashlib.sha256(FEED).hexdigest()
        result = fetch(feed_server.url("/f.xml"), previous_body_hash=digest)
        assert (result.status, result.body, result.body_hash) == ("same_body", None, digest)
        assert fetch(feed_server.url("/f.xml"), previous_body_hash="0" * 64).status == "ok"

    def test_request_headers_are_honest_and_include_the_feed_s_own(self, feed_server: FeedServer):
        feed_server.set("/f.xml", FEED)
        fetch(feed_server.url("/f.xml"), headers={"Accept-Language": "fr"})
        sent = feed_server.requests[-1].headers
        assert sent["user-agent"] == UA and sent["accept"] == ACCEPT
        assert sent["accept-language"] == "fr"
        assert "gzip" in sent["accept-encoding"] and "if-none-match" not in sent

    def test_gzip_body_is_decoded(self, feed_server: FeedServer):
        feed_server.set("/f.xml", FEED * 50, gzip=True)
        result = fetch(feed_server.url("/f.xml"))
        assert result.headers["content-encoding"] == "gzip" and result.body == FEED * 50


class TestHttpErrors:
    """HTTP failures are error results that say what happened in one sentence."""

    @pytest.mark.parametrize("status, text", [(500, "HTTP 500 Internal Server Error"),
                                              (404, "HTTP 404 Not Found"),
                                              (403, "HTTP 403 Forbidden")])
    def test_status_at_or_above_400_is_an_error(self, feed_server: FeedServer, status, text):
        feed_server.set("/f.xml", "oops", status=status)
        result = fetch(feed_server.url("/f.xml"))
        assert (result.status, result.http_status, result.error) == ("error", status, text)
        assert result.body is None and not result.gone

    def test_410_means_gone(self, feed_server: FeedServer):
        feed_server.set("/f.xml", status=410)
        result = fetch(feed_server.url("/f.xml"))
        assert (result.status, result.gone) == ("error", True)
        assert result.error == "HTTP 410 Gone: the feed was removed"

    def test_429_retry_after_in_seconds(self, feed_server: FeedServer):
        feed_server.set("/f.xml", status=429, headers={"Retry-After": "120"})
        result = fetch(feed_server.url("/f.xml"))
        assert result.retry_after == 120.0
        assert result.error == "HTTP 429 Too Many Requests; retry after 120s"

    def test_503_retry_after_as_http_date(self, feed_server: FeedServer):
        later = formatdate(time.time() + 3600, usegmt=True)
        feed_server.set("/f.xml", status=503, headers={"Retry-After": later})
        result = fetch(feed_server.url("/f.xml"))
        assert result.retry_after is not None and 3590 <= result.retry_after <= 3601
        assert result.error is not None and result.error.startswith("HTTP 503 Service Unavailable")

    @pytest.mark.parametrize("value, expected", [
        ("0", 0.0), (" 30 ", 30.0), ("Wed, 22 May 2024 06:01:40 GMT", 100.0),
        ("Wed, 22 May 2024 05:00:00 GMT", 0.0), ("soon", None), ("-5", None), (None, None)])
    def test_retry_after_parsing(self, value, expected):
        now = 1716357600.0  # Wed, 22 May 2024 06:00:00 GMT
        assert parse_retry_after(value, now=now) == expected


class TestRedirects:
    """Redirects are followed by hand; only an all-permanent chain says the feed moved."""

    def test_301_then_308_chain_sets_moved_to(self, feed_server: FeedServer):
        feed_server.redirect("/old", "/older-still", 301)
        feed_server.redirect("/older-still", feed_server.url("/new"), 308)
        feed_server.set("/new", FEED)
        result = fetch(feed_server.url("/old"))
        assert (result.status, result.body) == ("ok", FEED)
        assert result.url == result.moved_to == feed_server.url("/new")

    @pytest.mark.parametrize("codes", [(302,), (301, 307), (303, 308)])
    def test_a_temporary_hop_means_no_move(self, feed_server: FeedServer, codes):
        for i, code in enumerate(codes):
            feed_server.redirect(f"/r{i}", f"/r{i + 1}", code)
        feed_server.set(f"/r{len(codes)}", FEED)
        result = fetch(feed_server.url("/r0"))
        assert (result.status, result.url) == ("ok", feed_server.url(f"/r{len(codes)}"))
        assert result.moved_to is None

    def test_validators_follow_the_redirect(self, feed_server: FeedServer):
        feed_server.redirect("/old", "/new")
        feed_server.set("/new", FEED, etag='"v1"')
        result = fetch(feed_server.url("/old"), etag='"v1"')
        assert (result.status, result.moved_to) == ("not_modified", feed_server.url("/new"))

    def test_redirect_loop_is_an_error(self, feed_server: FeedServer):
        feed_server.redirect("/a", "/b", 302)
        feed_server.redirect("/b", "/a", 302)
        result = fetch(feed_server.url("/a"))
        assert result.status == "error"
        assert result.error == "redirect loop: 127.0.0.1 redirects back to a URL already visited"
        assert len(feed_server.requests) == 2

    def test_too_many_redirects(self, feed_server: FeedServer):
        for i in range(4):
            feed_server.redirect(f"/r{i}", f"/r{i + 1}")
        feed_server.set("/r4", FEED)
        assert fetch(feed_server.url("/r0"), max_redirects=4).status == "ok"
        result = fetch(feed_server.url("/r0"), max_redirects=3)
        assert (result.status, result.error) == ("error", "too many redirects (more than 3)")

    def test_redirect_to_another_scheme_is_refused(self, feed_server: FeedServer):
        feed_server.redirect("/f.xml", "file:///etc/passwd")
        result = fetch(feed_server.url("/f.xml"))
        assert result.error == "refused: file: URLs are not fetched (only http and https)"

    def test_credentials_stay_with_their_origin(self, feed_server: FeedServer):
        other = feed_server.url("/there").replace("127.0.0.1", "localhost")
        feed_server.redirect("/here", "/same-origin")
        feed_server.redirect("/same-origin", other)
        feed_server.set("/there", FEED)
        auth = {"Authorization": "Bearer s3cret", "Accept-Language": "fr"}
        assert fetch(feed_server.url("/here"), headers=auth).status == "ok"
        first, same, there = feed_server.requests
        assert same.headers["authorization"] == "Bearer s3cret"
        # Every configured header is for the feed's origin only, not just credentials.
        assert "authorization" not in there.headers and "accept-language" not in there.headers


class TestLimits:
    """The total deadline and the size cap hold against slow and hostile servers."""

    def test_dripping_server_cannot_outlive_the_deadline(self, feed_server: FeedServer):
        feed_server.set("/f.xml", FEED, drip=0.05)  # ~10 s for the whole body
        started = time.monotonic()
        result = fetch(feed_server.url("/f.xml"), timeout=0.5)
        assert result.error == "timed out after 0.5s reading the body from 127.0.0.1"
        assert time.monotonic() - started < 5  # a sanity bound, not a benchmark

    def test_silent_server_times_out_waiting(self, feed_server: FeedServer):
        feed_server.set("/f.xml", FEED, delay=5)
        result = fetch(feed_server.url("/f.xml"), timeout=0.3)
        assert result.error == "timed out after 0.3s waiting for 127.0.0.1"

    def test_content_length_over_the_cap(self, feed_server: FeedServer):
        feed_server.set("/f.xml", b"x" * 1_000_001)
        result = fetch(feed_server.url("/f.xml"), max_size=1_000_000)
        assert (result.status, result.error) == ("error", "body larger than 1 MB")
        assert fetch(feed_server.url("/f.xml"), max_size=1_000_001).status == "ok"

    def test_streamed_body_is_cut_at_the_cap(self, feed_server: FeedServer):
        feed_server.set("/f.xml", lambda: (b"x" * 65536 for _ in range(800)))  # 52 MB
        result = fetch(feed_server.url("/f.xml"), max_size=2_500_000)
        assert (result.status, result.error) == ("error", "body larger than 2.5 MB")

    def test_the_cap_is_exact_without_content_length(self, feed_server: FeedServer):
        feed_server.set("/f.xml", lambda: (b"x" * 1000 for _ in range(1000)))
        assert fetch(feed_server.url("/f.xml"), max_size=999_999).status == "error"
        assert fetch(feed_server.url("/f.xml"), max_size=1_000_000).status == "ok"

    def test_gzip_bomb_stops_at_the_cap(self, feed_server: FeedServer):
        feed_server.set("/f.xml", lambda: gzip_bomb(1024), headers={"Content-Encoding": "gzip"})
        tracemalloc.start()
        try:
            started = time.monotonic()
            result = fetch(feed_server.url("/f.xml"), max_size=1_000_000)
            seconds = time.monotonic() - started
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert (result.status, result.error) == ("error", "body larger than 1 MB")
        assert peak < 64 << 20 and seconds < 10  # 1 GiB inflated would break both

    def test_a_small_gzip_bomb_under_the_cap_is_read_whole(self, feed_server: FeedServer):
        feed_server.set("/f.xml", lambda: gzip_bomb(3), headers={"Content-Encoding": "gzip"})
        result = fetch(feed_server.url("/f.xml"), max_size=4 << 20)
        assert result.status == "ok" and result.body == bytes(3 << 20)


class TestConnectionFailures:
    """Network failures are error results, never exceptions."""

    def test_connection_refused(self):
        port = free_port()
        result = fetch(f"http://127.0.0.1:{port}/f.xml")
        assert (result.status, result.error) == ("error", f"connection refused by 127.0.0.1:{port}")

    @pytest.mark.parametrize("body, headers", [
        (lambda: iter([FEED[:40]]), {"Content-Length": str(len(FEED))}),
        (b"this is not gzip at all", {"Content-Encoding": "gzip"})])
    def test_cut_or_garbled_body(self, feed_server: FeedServer, body, headers):
        feed_server.set("/f.xml", body, headers=headers)
        result = fetch(feed_server.url("/f.xml"))
        assert result.error == "the response body from 127.0.0.1 was cut off or badly encoded"

    def test_non_canonical_ip_is_named_when_private_addresses_are_allowed(self):
        result = fetch("http://2130706433:9/f.xml")
        assert result.error == "invalid URL: 2130706433 is not a canonical IPv4 address"

    @pytest.mark.parametrize("url", ["not a url", "http://", "ftp://example.org/f.xml"])
    def test_unusable_urls(self, url):
        result = fetch(url)
        assert result.status == "error" and result.error
        assert result.error.startswith(("invalid URL", "refused: ftp: URLs"))

    def test_fetch_outside_the_context_manager_is_a_programming_error(self):
        with pytest.raises(RuntimeError, match="async with"):
            asyncio.run(Fetcher(user_agent=UA).fetch(FetchRequest("f", "http://127.0.0.1/")))


class TestConcurrency:
    """One host never sees more than `per_host` requests at once; results stream as they end."""

    def test_per_host_limit_is_what_the_server_sees(self, feed_server: FeedServer):
        feed_server.set("/f.xml", FEED, delay=0.15)
        reqs = [FetchRequest(f"f{i}", feed_server.url("/f.xml")) for i in range(8)]
        results = fetch_all(reqs, user_agent=UA, concurrency=20, per_host=2)
        assert [r.status for r in results] == ["ok"] * 8
        assert [r.feed_name for r in results] == [f"f{i}" for i in range(8)]
        assert feed_server.max_active == 2

    def test_waiting_for_a_host_slot_is_not_charged_to_the_deadline(self, feed_server):
        feed_server.set("/f.xml", FEED, delay=0.25)
        reqs = [FetchRequest(f"f{i}", feed_server.url("/f.xml"), timeout=1.0) for i in range(6)]
        results = fetch_all(reqs, user_agent=UA, per_host=1)  # 1.5 s in all, in turn
        assert [r.status for r in results] == ["ok"] * 6
        assert all(r.elapsed < 1.0 for r in results)

    def test_fetch_many_yields_in_completion_order(self, feed_server: FeedServer):
        feed_server.set("/slow", FEED, delay=0.5)
        feed_server.set("/fast", FEED)

        async def run() -> list[str]:
            async with Fetcher(user_agent=UA) as fetcher:
                reqs = [FetchRequest("slow", feed_server.url("/slow")),
                        FetchRequest("fast", feed_server.url("/fast"))]
                return [r.feed_name async for r in fetcher.fetch_many(reqs)]

        assert asyncio.run(run()) == ["fast", "slow"]


class TestPrivateAddresses:
    """With allow_private=False, no connection reaches a non-public address, on any hop."""

    @pytest.mark.parametrize("address, kind", [
        ("127.0.0.1", "loopback"), ("10.1.2.3", "private"), ("192.168.0.1", "private"),
        ("100.64.0.1", "shared (carrier-grade NAT)"), ("169.254.169.254", "link-local"),
        ("::1", "loopback"), ("fc00::1", "private"), ("fe80::1", "link-local"),
        ("::ffff:127.0.0.1", "loopback"), ("2002:a9fe:a9fe::1", "link-local"),
        ("64:ff9b::a00:1", "private"), ("0.0.0.0", "unspecified"), ("::", "unspecified"),
        ("224.0.0.1", "multicast"), ("ff02::1", "multicast"), ("240.0.0.1", "reserved"),
        ("93.184.216.34", None), ("2606:4700:4700::1111", None), ("64:ff9b::808:808", None)])
    def test_address_kind(self, address, kind):
        assert address_kind(address) == kind

    @pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "0x7f.1", "127.1", "0177.0.0.1",
                                      "017700000001"])
    def test_every_spelling_of_loopback_is_refused(self, host):
        where = "127.0.0.1 is" if host == "127.0.0.1" else f"{host} resolves to 127.0.0.1,"
        assert literal_refusal(host) == f"refused: {where}{REFUSAL_TAIL}"

    @pytest.mark.parametrize("host", ["example.org", "8.8.8.8", "[2606:4700:4700::1111]"])
    def test_public_and_named_hosts_pass_the_literal_check(self, host):
        assert literal_refusal(host) is None

    @pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "127.1", "2130706433", "0x7f.1",
                                      "[::1]"])
    def test_loopback_url_is_refused_at_fetch_time(self, feed_server: FeedServer, host):
        feed_server.set("/f.xml", FEED)
        result = fetch(f"http://{host}:{feed_server.port}/f.xml", allow_private=False)
        assert result.status == "error" and result.error is not None
        assert result.error.startswith("refused: ") and result.error.endswith(REFUSAL_TAIL)
        assert feed_server.requests == []

    def test_localhost_names_what_it_resolves_to(self, feed_server: FeedServer):
        result = fetch(feed_server.url("/f.xml").replace("127.0.0.1", "localhost"),
                       allow_private=False)
        assert result.error is not None
        assert re.fullmatch(r"refused: localhost resolves to (127\.0\.0\.1|::1)," + re.escape(
            REFUSAL_TAIL), result.error)

    def test_a_redirect_hop_to_a_private_address_is_refused(self, feed_server, monkeypatch):
        real = netguard.address_kind
        monkeypatch.setattr(netguard, "address_kind",  # pretend 127.0.0.1 is the public internet
                            lambda a: None if a == "127.0.0.1" else real(a))
        feed_server.redirect("/f.xml", f"http://127.0.0.2:{feed_server.port}/f.xml")
        result = fetch(feed_server.url("/f.xml"), allow_private=False)
        assert result.error == f"refused: 127.0.0.2 is{REFUSAL_TAIL}"
        assert [r.path for r in feed_server.requests] == ["/f.xml"]

    def test_resolver_keeps_public_addresses_and_refuses_private_only_names(self):
        class Inner(netguard.AbstractResolver):
            async def resolve(self, host: str, port: int = 0, family: Any = 0) -> Any:
                table = {"mixed.example": ["93.184.216.34", "10.0.0.5"],
                         "metadata.example": ["169.254.169.254"]}
                return [{"hostname": host, "host": a, "port": port, "family": 2, "proto": 0,
                         "flags": 0} for a in table[host]]

            async def close(self) -> None:
                pass

        guard = GuardedResolver(Inner())
        kept = asyncio.run(guard.resolve("mixed.example", 80))
        assert [r["host"] for r in kept] == ["93.184.216.34"]
        with pytest.raises(RefusedAddressError, match=re.escape(
                f"refused: metadata.example resolves to 169.254.169.254,{REFUSAL_TAIL}")):
            asyncio.run(guard.resolve("metadata.example", 80))
