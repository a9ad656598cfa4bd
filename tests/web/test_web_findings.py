"""The case page lists the case's findings, with their response; the public page shows none."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, days_ago
from tests.web.test_web_console import _log_in


def test_the_case_page_lists_each_finding_and_the_public_page_none(browser: Any, site: Api) -> None:
    case = site.decision_pending()
    cid = case["id"]
    audit = site.as_("viewer").get(f"/api/cases/{cid}").json()["audits"][-1]
    for severity, evidence in (
        ("major", "维修记录缺失"),
        ("observation", "signage could be clearer"),
    ):
        recorded = site.as_("auditor").post(
            f"/api/cases/{cid}/findings",
            json={"audit_id": audit["id"], "severity": severity, "indicator": "repair",
                  "evidence": evidence},
        )  # fmt: skip
        assert recorded.status_code == 201, recorded.text
    site.as_("operator").post(
        f"/api/cases/{cid}/findings/1/response",
        json={"cause": "no form", "correction": "records kept", "corrective_action": "weekly check",
              "responded_on": days_ago(1)},
    )  # fmt: skip
    site.as_("auditor").post(f"/api/cases/{cid}/findings/1/close")
    number = site.as_("operator").post(f"/api/cases/{cid}/decide").json()["case"]["number"]

    page = _log_in(browser, site, "viewer")
    page.goto(f"{site.base}/console/cases/{cid}")
    rows = page.locator("#findings tr.finding")
    assert rows.count() == 2
    major, observation = rows.nth(0), rows.nth(1)
    assert major.locator(".label").inner_text() == "F1"
    assert major.locator(".severity").inner_text() == "major"
    assert major.locator(".audit").inner_text() == days_ago(40)
    assert major.locator(".status").inner_text().startswith("closed ")
    assert "维修记录缺失" in major.locator(".evidence").inner_text()
    assert "corrective action: weekly check" in major.locator(".response").inner_text()
    assert observation.locator(".due").inner_text() == "—"
    assert observation.get_attribute("data-status") == "open"
    page.goto(f"{site.base}/verify/{number}")
    assert "维修记录缺失" not in page.content() and "F1" not in page.content()
    page.close()
