"""The case page lists each audit with its date, kind, auditor, score and band, as `show` does."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, days_ago
from tests.web.test_web_console import _log_in

STAR_WORDS = {"five_star": "Five-star", "four_star": "Four-star", "three_star": "Three-star"}


def test_the_case_page_shows_each_audit_with_its_score_and_band(browser: Any, site: Api) -> None:
    case = site.certified(loss=2)
    page = _log_in(browser, site, "viewer")
    page.goto(f"{site.base}/console/cases/{case['id']}")
    rows = page.locator("#audits tr.audit")
    assert rows.count() == 2
    stage1, stage2 = rows.nth(0), rows.nth(1)
    assert stage1.locator(".date").inner_text() == days_ago(50)
    assert stage1.locator(".kind").inner_text() == "stage 1 audit"
    assert stage1.locator(".auditor").inner_text() == "auditor-1"
    assert stage1.locator(".score").inner_text() == "no score sheet"
    assert stage2.locator(".date").inner_text() == days_ago(40)
    assert stage2.locator(".kind").inner_text() == "stage 2 audit"
    assert stage2.locator(".auditor").inner_text() == "auditor-1"
    assert stage2.locator(".score").inner_text() == str(case["final_score"])
    assert stage2.locator(".band").get_attribute("data-band") == case["star_level"]
    assert stage2.locator(".band").inner_text() == STAR_WORDS[case["star_level"]]
    page.close()
