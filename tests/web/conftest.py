"""A real headless browser (Debian's chromium driven by Playwright) against a real server.

Skipped, with the reason printed, where chromium or Playwright is missing; under CI=true a
missing browser is a failure, since CI installs it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Api, make_app, serve

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI=true but {reason}: browser tests must run")
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed")
    profile = tempfile.mkdtemp(prefix="starcert-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=str(CHROMIUM), headless=True, args=ARGS
            )
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    yield from serve(make_app(tmp_path_factory.mktemp("web")))


ENGLISH = {"starcert_lang": "en"}
"""The cookie the language switch leaves: the tests that read English words send it."""


def fresh(browser: Any, site: Api, lang: str = "en") -> None:
    """A visitor without a session who has chosen `lang` (as the switch on every page does)."""
    browser.clear_cookies()
    browser.add_cookies([{"name": "starcert_lang", "value": lang, "url": site.base}])
