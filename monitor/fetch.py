"""Fetch feeds: conditional GET over pooled aiohttp sessions, a total deadline, a cap on the
decoded body and redirects followed by hand; every failure is a `FetchResult`, never raised.

Each hop is checked against the `FetchPolicy`: the address guard (a literal host here, a name
by the guarded resolver at connect time) and the feed's headers, sent to its own origin only.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib.util
import logging
from collections.abc import AsyncIterator, Iterable
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver
from aiohttp.resolver import DefaultResolver
from yarl import URL

from monitor.fetch_policy import FetchPolicy
from monitor.fetch_result import Hop, answer, describe, error, seconds_text
from monitor.netguard import GuardedResolver, literal_refusal
from monitor.records import FetchRequest, FetchResult

log = logging.getLogger(__name__)

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
# aiohttp decodes br only with one of these installed; never ask for what we cannot read.
_BROTLI = any(importlib.util.find_spec(name) for name in ("brotli", "brotlicffi"))
ACCEPT_ENCODING = "gzip, deflate, br" if _BROTLI else "gzip, deflate"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})


class _Gate:
    __slots__ = ("slots", "users")

    def __init__(self, size: int) -> None:
        self.slots = asyncio.Semaphore(size)
        self.users = 0


class Fetcher:
    """Fetches feeds over pooled sessions; use as `async with Fetcher(...) as fetcher`.

    `policy` says per feed which hops may reach private addresses and where its headers go;
    without one, `allow_private` holds for every request. `resolver` replaces the system's
    DNS (tests); the guard wraps it all the same.
    """

    def __init__(
        self,
        *,
        user_agent: str,
        concurrency: int = 20,
        per_host: int = 2,
        max_redirects: int = 5,
        allow_private: bool = True,
        policy: FetchPolicy | None = None,
        resolver: AbstractResolver | None = None,
    ) -> None:
        self._user_agent = user_agent
        self._concurrency = concurrency
        self._per_host = per_host
        self._max_redirects = max_redirects
        self._policy = policy or FetchPolicy(allow_private=allow_private)
        self._inner_resolver = resolver
        # Two pools: hops the guard covers, and hops allowed to reach private addresses
        # (opened on first use: most configs never need it).
        self._guarded: aiohttp.ClientSession | None = None
        self._open: aiohttp.ClientSession | None = None
        self._resolvers: list[AbstractResolver] = []
        self._slots: asyncio.Semaphore | None = None
        self._gates: dict[str, _Gate] = {}

    def _new_session(self, guarded: bool) -> aiohttp.ClientSession:
        resolver: AbstractResolver = self._inner_resolver or DefaultResolver()
        if guarded:
            resolver = GuardedResolver(resolver)
        if self._inner_resolver is None or guarded:
            self._resolvers.append(resolver)
        connector = aiohttp.TCPConnector(
            limit=self._concurrency, limit_per_host=self._per_host,
            ttl_dns_cache=60, resolver=resolver,
        )
        headers = {"User-Agent": self._user_agent, "Accept": ACCEPT,
                   "Accept-Encoding": ACCEPT_ENCODING}
        return aiohttp.ClientSession(
            connector=connector, headers=headers, cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=None),
        )

    def _session_for(self, private_ok: bool) -> aiohttp.ClientSession:
        if not private_ok:
            if self._guarded is None:
                raise RuntimeError("use the Fetcher as `async with Fetcher(...)`")
            return self._guarded
        if self._open is None:
            self._open = self._new_session(guarded=False)
        return self._open

    async def __aenter__(self) -> Fetcher:
        self._slots = asyncio.Semaphore(self._concurrency)
        self._guarded = self._new_session(guarded=True)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for session in (self._guarded, self._open):
            if session is not None:
                await session.close()
        for resolver in self._resolvers:
            await resolver.close()
        self._guarded = self._open = None
        self._resolvers = []

    async def fetch_many(self, reqs: Iterable[FetchRequest]) -> AsyncIterator[FetchResult]:
        """Fetch every request concurrently, yielding each result as soon as it is done."""
        tasks = [asyncio.ensure_future(self.fetch(req)) for req in reqs]
        try:
            for done in asyncio.as_completed(tasks):
                yield await done
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def fetch(self, req: FetchRequest) -> FetchResult:
        """Fetch one feed; network and HTTP failures come back as `status="error"` results.

        The deadline (`req.timeout`) starts once a connection slot for the feed's host is free,
        so feeds queued behind others on one host are not charged for the wait.
        """
        if self._guarded is None or self._slots is None:
            raise RuntimeError("use the Fetcher as `async with Fetcher(...)`")
        try:
            hop = Hop(URL(req.url))
        except ValueError:
            return FetchResult(req.feed_name, "error", req.url, error="invalid URL")
        loop = asyncio.get_running_loop()
        async with self._gate(f"{hop.url.scheme}://{hop.url.host}:{hop.url.port}"), self._slots:
            start = loop.time()
            try:
                async with asyncio.timeout(req.timeout):
                    result = await self._follow(req, hop, start + req.timeout)
            except TimeoutError:
                doing = "reading the body from" if hop.reading else "waiting for"
                text = f"timed out after {seconds_text(req.timeout)} {doing} {hop.url.host}"
                result = error(req, hop, text)
            except (aiohttp.ClientError, OSError, ValueError) as exc:
                result = error(req, hop, describe(exc, hop.url.host or "?"))
            elapsed = loop.time() - start
        log.debug("feed %s from %s: %s in %.3fs", req.feed_name, hop.url.host, result.status,
                  elapsed)
        return dataclasses.replace(result, elapsed=elapsed)

    @contextlib.asynccontextmanager
    async def _gate(self, key: str) -> AsyncIterator[None]:
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = _Gate(self._per_host)
        gate.users += 1
        try:
            async with gate.slots:
                yield
        finally:
            gate.users -= 1
            if not gate.users:
                del self._gates[key]

    async def _follow(self, req: FetchRequest, hop: Hop, deadline: float) -> FetchResult:
        first = hop.url
        extra = dict(req.headers)
        if req.etag:
            extra["If-None-Match"] = req.etag
        if req.last_modified:
            extra["If-Modified-Since"] = req.last_modified
        visited = {hop.url}
        loop = asyncio.get_running_loop()
        while True:
            private_ok = self._policy.private_ok(req.feed_name, hop.url)
            refused = self._refusal(hop.url, private_ok)
            if refused:
                return error(req, hop, refused)
            # Once off the feed's origin, its headers stay off, even back on it.
            extra = self._policy.strip_headers(req.feed_name, first, hop.url, extra)
            # aiohttp's own deadline backs up asyncio.timeout for this hop.
            timeout = aiohttp.ClientTimeout(total=max(deadline - loop.time(), 0.001))
            async with self._session_for(private_ok).get(
                hop.url, headers=extra, allow_redirects=False, timeout=timeout
            ) as resp:
                location = resp.headers.get("Location") if resp.status in _REDIRECTS else None
                if location is None:
                    return await answer(req, hop, resp)
                status = resp.status
            target = hop.url.join(URL(location)).with_fragment(None)
            if target in visited:
                return error(req, hop, f"redirect loop: {hop.url.host} redirects back to a "
                                        "URL already visited")
            if hop.redirects == self._max_redirects:
                return error(req, hop, f"too many redirects (more than {self._max_redirects})")
            visited.add(target)
            hop.url, hop.redirects = target, hop.redirects + 1
            hop.permanent = hop.permanent and status in _PERMANENT

    def _refusal(self, url: URL, private_ok: bool) -> str | None:
        if url.scheme not in ("http", "https", ""):
            return f"refused: {url.scheme}: URLs are not fetched (only http and https)"
        if not url.scheme or not url.host:
            return "invalid URL: not an absolute http or https URL"
        return None if private_ok else literal_refusal(url.host)


def fetch_all(reqs: Iterable[FetchRequest], **opts: Any) -> list[FetchResult]:
    """Fetch every request from synchronous code; results in the order of `reqs`.

    `opts` are `Fetcher`'s (`user_agent` is required). Not for use inside a running event loop.
    """

    async def run() -> list[FetchResult]:
        async with Fetcher(**opts) as fetcher:
            return list(await asyncio.gather(*(fetcher.fetch(req) for req in reqs)))

    return asyncio.run(run())
