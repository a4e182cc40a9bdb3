"""The console in a real browser (Debian's headless Chromium driven by Playwright): every page
clicked through under the strict CSP without a console error, alerts filtered and searched, an
item opened, a failed delivery retried and seen sent, a watch tried, hostile titles inert.

`VEILLE_SCREENSHOTS=docs` also writes the README's screenshots (docs/console-*.png).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_console_support import Site, console_site

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 10_000  # every browser action and wait is bounded by this

if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
    pytest.skip("Chromium is not installed (apt-get install chromium chromium-driver; "
                ".ci/run does it)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright is not installed (pip install -e '.[test]')")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with console_site(tmp_path_factory.mktemp("browser")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
            args=ARGS, timeout=TIMEOUT_MS * 3)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page that records console errors (a CSP violation is one) and dialogs."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    tab.errors = []
    tab.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: tab.errors.append(str(e)))
    tab.on("dialog", lambda d: d.accept())
    yield tab
    context.close()


def shot(page: Any, name: str) -> None:
    folder = os.environ.get("VEILLE_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"console-{name}.png"), full_page=True)


class TestPages:
    """Each page, reached by clicking, under the CSP."""

    def test_click_through_every_page(self, site: Site, page: Any) -> None:
        page.goto(site.url + "/")
        assert page.locator("h1").inner_text() == "Overview"
        assert page.locator("#feeds tbody tr").count() == 2
        assert re.search(r"\d failing", page.locator(".cards").inner_text())
        shot(page, "overview")
        for link, heading in (("Alerts", "Alerts"), ("Deliveries", "Deliveries"),
                              ("Watches", "Watches"), ("Config", "Config"),
                              ("Overview", "Overview")):
            page.locator("header nav").get_by_role("link", name=link).click()
            page.wait_for_load_state()
            assert page.locator("h1").inner_text() == heading
        page.goto(site.url + "/config")
        assert "***" in page.locator("#config").inner_text()
        assert "T0KEN" not in page.content()
        assert page.errors == []

    def test_filter_and_search_alerts(self, site: Site, page: Any) -> None:
        page.goto(site.url + "/alerts")
        assert page.locator(".event").count() == 3
        page.select_option("select[name=type]", "item.changed")
        page.get_by_role("button", name="Filter").click()
        page.wait_for_load_state()
        assert page.locator(".event").count() == 1
        assert page.locator(".event .what").inner_text().lower() == "updated"
        assert page.locator(".event del").count() > 0 and page.locator(".event ins").count() > 0
        page.goto(site.url + "/alerts")
        page.fill("input[name=q]", "maritime")
        page.press("input[name=q]", "Enter")
        page.wait_for_load_state()
        assert page.locator(".event").count() == 1
        assert "Indo-Pacifique" in page.locator(".event mark").first.inner_text()
        page.select_option("select[name=feed]", "hostile")
        page.get_by_role("button", name="Filter").click()
        page.wait_for_load_state()
        assert page.locator(".event").count() == 0
        assert page.errors == []

    def test_open_an_item_and_compare_versions(self, site: Site, page: Any) -> None:
        page.goto(site.url + "/alerts?type=item.changed")
        page.get_by_role("link", name="item history").click()
        page.wait_for_load_state()
        assert page.locator("#versions tbody tr").count() == 2
        assert "silent: baseline" in page.locator("#versions").inner_text()
        assert "hybrides" in page.locator("#diff ins").all_inner_texts().__str__()
        assert "chat" in page.locator("#item-events").inner_text()
        shot(page, "item")
        page.check("input[name=a][value='2']")
        page.get_by_role("button", name="Compare").click()
        page.wait_for_load_state()
        assert "Version 2 → 2" in page.content()
        assert page.errors == []


class TestActions:
    """What a person does from the console."""

    def test_retry_a_failed_delivery_and_see_it_sent(self, site: Site, page: Any) -> None:
        page.goto(site.url + "/deliveries?state=failing")
        rows = page.locator("#deliveries tbody tr")
        before, requests = rows.count(), len(site.hook.requests)
        assert before >= 1
        row_id = rows.first.get_attribute("id")
        rows.first.get_by_role("button", name="Retry").click()
        page.wait_for_load_state()
        assert "1 sent, 0 failed" in page.locator("#flash").inner_text()
        assert len(site.hook.requests) == requests + 1
        page.goto(site.url + "/deliveries?state=sent")
        assert page.locator(f"#{row_id} .pill").inner_text() == "sent"
        page.goto(site.url + "/deliveries?state=failing")
        assert page.locator("#deliveries tbody tr").count() == before - 1
        assert page.errors == []

    def test_try_a_watch_with_other_keywords(self, site: Site, page: Any) -> None:
        page.goto(site.url + "/watches")
        page.get_by_role("button", name="Try it").click()
        page.wait_for_load_state()
        assert "3 items would have alerted" in page.locator("#results-title").inner_text()
        shot(page, "watches")
        page.fill("textarea[name=keywords]", "letton\nsecrétaire général")
        page.get_by_role("button", name="Try it").click()
        page.wait_for_load_state()
        assert "1 item would have alerted" in page.locator("#results-title").inner_text()
        assert page.locator("#results mark").first.inner_text() == "secrétaire général"
        page.goto(site.url + "/watches?watch=latvia&run=1&days=1")
        assert "1 item would have alerted" in page.locator("#results-title").inner_text()
        assert page.errors == []


class TestHostileFeeds:
    """Feed text that is markup or script shows as text and never runs."""

    @pytest.mark.parametrize("path", ["/", "/alerts", "/watches?watch=korea&run=1",
                                      "/alerts?feed=hostile"])
    def test_hostile_title_renders_as_text(self, site: Site, page: Any, path: str) -> None:
        page.goto(site.url + path)
        page.mouse.move(200, 400)
        assert page.evaluate("typeof window.pwned") == "undefined"
        assert page.locator('img[src="x"]').count() == 0
        assert page.locator("b[onmouseover]").count() == 0
        assert page.locator('a[href^="javascript:"]').count() == 0
        assert "<script>window.pwned = 1</script>" in page.locator("main").inner_text()
        assert page.errors == []
