"""CPU cost of parsing a 60 KB, 50-item feed: full parse vs incremental parse with one new item,
and the entity-laden (quadratic blowup) fixture.

Run:  .venv/bin/python bench/parse.py [rounds]
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from monitor.parse import parse_feed

FEEDS = Path(__file__).resolve().parent.parent / "tests" / "data" / "feeds"
URL = "https://www.nato.int/cps/rss/fr/natohq/rssFeed.xsl/rssFeed.xml"
HEADERS = {"content-type": "application/rss+xml; charset=utf-8"}
NEW_ITEM = """    <item>
      <title>L’OTAN et la République de Corée signent un nouveau programme de partenariat</title>
      <link>https://www.nato.int/cps/fr/natohq/news_226100.htm?selectedLocale=fr</link>
      <guid isPermaLink="false">nato-news-226100-fr</guid>
      <pubDate>Fri, 24 May 2024 09:00:00 GMT</pubDate>
      <description>&lt;p&gt;Un nouveau programme a été signé.&lt;/p&gt;</description>
    </item>
""".encode()


def cpu_ms(action: Callable[[], object], rounds: int) -> tuple[float, float]:
    """Median and minimum CPU milliseconds of `action` over `rounds` runs."""
    samples = []
    for _ in range(rounds):
        start = time.process_time()
        action()
        samples.append((time.process_time() - start) * 1000)
    return statistics.median(samples), min(samples)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    before = (FEEDS / "nato-fr-rss-50.xml").read_bytes()
    at = before.index(b"    <item>")
    after = before[:at] + NEW_ITEM + before[at:].replace(
        b"08:03:12 GMT", b"09:03:12 GMT", 1)  # lastBuildDate moves too, as in real feeds
    cache = parse_feed(before, url=URL, headers=HEADERS).cache
    quick = parse_feed(after, url=URL, headers=HEADERS, previous_cache=cache)
    assert len(quick.entries) == 1 and len(quick.unchanged_keys) == 50, "incremental not used"
    blowup = (FEEDS / "entity-blowup.xml").read_bytes()

    print(f"feed: {len(after) / 1000:.1f} KB, 51 items (1 new); {rounds} rounds, CPU ms")
    for label, action in [
        ("full parse", lambda: parse_feed(after, url=URL, headers=HEADERS)),
        ("incremental parse", lambda: parse_feed(after, url=URL, headers=HEADERS,
                                                 previous_cache=cache)),
        (f"entity-laden feed ({len(blowup) // 1000} KB)",
         lambda: parse_feed(blowup, url=URL, headers=HEADERS)),
    ]:
        median, best = cpu_ms(action, rounds)
        print(f"  {label:30} median {median:7.2f}   min {best:7.2f}")


if __name__ == "__main__":
    main()
