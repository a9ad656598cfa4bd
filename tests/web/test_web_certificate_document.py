"""The certificate page in a real browser: its inline stylesheet passes the page's content
policy, and printing it gives one A4 page."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from pypdf import PdfReader

from tests.api.conftest import Api
from tests.documents.test_certificate_pdf import HOLDER, document_server
from workflows.fake_clock import FakeClock

A4_POINTS = (595, 842)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, FakeClock]]:
    yield from document_server(tmp_path_factory)


def test_the_public_certificate_page_is_styled_and_prints_on_one_a4_page(
    browser: Any, server: tuple[Api, FakeClock]
) -> None:
    api, _ = server
    case = api.certified(loss=2, holder=HOLDER)
    page = browser.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{api.base}/certificates/{case['number']}/document")
        assert page.inner_text("#holder") == HOLDER
        title = page.eval_on_selector("h1", "e => getComputedStyle(e).color")
        assert title == "rgb(122, 31, 31)"  # the stylesheet applied: the policy admitted it
        assert page.eval_on_selector("img.logo", "e => e.naturalWidth") > 0
        printed = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))
    finally:
        page.close()
    assert not refused, refused
    assert len(printed.pages) == 1
    box = printed.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == A4_POINTS
