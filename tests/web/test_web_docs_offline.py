"""/docs and /redoc render the API's operations in a real browser with no way out to the
internet: every request that leaves the server is refused, and none is even tried."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api


def _offline_page(browser: Any, site: Api, left: list[str], refused: list[str]) -> Any:
    """A page whose requests beyond the server are refused and noted in `left`; content policy
    refusals it reports are noted in `refused`."""
    page = browser.new_page()
    page.route("**/*", lambda route: _route(route, site, left))
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    return page


def _route(route: Any, site: Api, left: list[str]) -> None:
    if route.request.url.startswith(site.base):
        route.continue_()
    else:
        left.append(route.request.url)
        route.abort()


def test_swagger_ui_shows_the_operations_without_the_internet(browser: Any, site: Api) -> None:
    left: list[str] = []
    refused: list[str] = []
    page = _offline_page(browser, site, left, refused)
    page.goto(f"{site.base}/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert len(paths) >= 20
    assert any("/public/certificates" in p for p in paths)
    assert "/api/cases/{case_id}/suspend" in " ".join(paths).replace("\u200b", "")
    assert left == [] and refused == []
    page.close()


def test_redoc_shows_the_operations_without_the_internet(browser: Any, site: Api) -> None:
    left: list[str] = []
    refused: list[str] = []
    page = _offline_page(browser, site, left, refused)
    page.goto(f"{site.base}/redoc")
    page.wait_for_selector("[data-section-id^='operation']", timeout=30_000)
    assert page.locator("[data-section-id^='operation']").count() >= 20
    assert "/public/certificates" in page.inner_text("body")
    assert left == []
    # ReDoc's "API docs by Redocly" mark names an image on its CDN: the policy stops it before
    # any request is made, and that is the only thing it stops.
    assert all("https://cdn.redoc.ly/redoc/logo-mini.svg" in r for r in refused), refused
    page.close()
