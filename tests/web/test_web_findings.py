"""The case page lists the case's findings, with their response; the public page shows none."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, days_ago
from tests.web.conftest import ENGLISH
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
    assert major.get_attribute("data-severity") == "major"
    assert major.locator(".severity").inner_text() == "major nonconformity"
    assert major.locator(".audit").inner_text() == days_ago(40)
    assert major.locator(".status").inner_text().startswith("closed ")
    assert "维修记录缺失" in major.locator(".evidence").inner_text()
    assert "corrective action: weekly check" in major.locator(".response").inner_text()
    assert observation.locator(".due").inner_text() == "—"
    assert observation.get_attribute("data-status") == "open"
    page.goto(f"{site.base}/verify/{number}")
    assert "维修记录缺失" not in page.content() and "F1" not in page.content()
    page.close()


def test_an_auditor_records_and_closes_a_finding_and_an_operator_records_the_response(
    browser: Any, site: Api
) -> None:
    cid = site.decision_pending(holder="Gamma Service")["id"]
    auditor = _log_in(browser, site, "auditor")
    auditor.goto(f"{site.base}/console/cases/{cid}")
    form = auditor.locator("#record-finding")
    form.locator("select[name=severity]").select_option("major")
    form.locator("input[name=indicator]").fill("repairs")  # not an indicator: refused
    form.locator("textarea[name=evidence]").fill("no repair records")
    form.locator("button[type=submit]").click()
    assert "Indicator: 'repairs' is not an indicator" in auditor.locator(".error").inner_text()
    assert auditor.locator("#findings").count() == 0  # nothing written
    form = auditor.locator("#record-finding")
    form.locator("select[name=severity]").select_option("major")
    form.locator("input[name=indicator]").fill("repair")
    form.locator("textarea[name=evidence]").fill("no repair records")
    form.locator("button[type=submit]").click()
    auditor.wait_for_url(f"**/console/cases/{cid}?finding=recorded#findings")
    row = auditor.locator("#findings tr.finding")
    assert row.locator(".label").inner_text() == "F1"
    assert row.get_attribute("data-status") == "open"
    auditor.close()

    operator = _log_in(browser, site, "operator")
    operator.goto(f"{site.base}/console/cases/{cid}")
    assert operator.locator("#record-finding").count() == 0  # auditors record findings
    for day in (days_ago(45), days_ago(1)):  # the first before the audit that raised it
        respond = operator.locator("form[data-step=respond]")
        respond.locator("textarea[name=cause]").fill("no record form")
        respond.locator("textarea[name=correction]").fill("records kept")
        respond.locator("textarea[name=corrective_action]").fill("weekly check")
        respond.locator("input[name=responded_on]").fill(day)
        respond.locator("button[type=submit]").click()
        if day == days_ago(45):
            said = operator.locator(".error").inner_text()
            assert f"Response date: {day} is before the audit of {days_ago(40)}" in said, said
            assert operator.locator("#findings tr.finding").get_attribute("data-status") == "open"
    operator.wait_for_url("**#findings")
    assert operator.locator("#findings tr.finding").get_attribute("data-status") == "responded"
    assert operator.locator("form[data-step=close]").count() == 0  # auditors verify
    operator.close()

    auditor = _log_in(browser, site, "auditor")
    auditor.goto(f"{site.base}/console/cases/{cid}")
    auditor.locator("form[data-step=close] button").click()
    auditor.wait_for_url("**#findings")
    assert auditor.locator("#findings tr.finding").get_attribute("data-status") == "closed"
    auditor.close()
    assert site.as_("operator").post(f"/api/cases/{cid}/decide").json()["case"]["state"] == "active"


def test_a_finding_form_from_another_role_is_refused(site: Api) -> None:
    import httpx

    cid = site.decision_pending(holder="Delta Service")["id"]
    with httpx.Client(base_url=site.base, cookies=ENGLISH) as client:
        client.post("/console/login", data={"token": site.tokens["viewer"]},
                    headers={"Origin": site.base})  # fmt: skip
        page = client.get(f"/console/cases/{cid}")
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        refused = client.post(
            f"/console/cases/{cid}/findings",
            data={"csrf": csrf, "audit_id": "1", "severity": "major", "indicator": "repair",
                  "evidence": "x"},
            headers={"Origin": site.base},
        )  # fmt: skip
    assert refused.status_code == 403 and "this needs auditor" in refused.text
    assert site.as_("viewer").get(f"/api/cases/{cid}/findings").json() == []
