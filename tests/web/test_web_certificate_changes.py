"""Certificate changes on the console's case page, in a real browser: an operator reduces the
scope and renames the holder from the page, sees the new version and every earlier one; a
refused change says why on the page; the public page says an earlier number was superseded."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.web.test_web_console import _log_in


def test_an_operator_changes_a_certificate_from_its_page(browser: Any, site: Api) -> None:
    case = site.certified(holder="Page Appliances")
    number = case["number"]
    code = site.as_("viewer").get(f"/api/organisations/{case['organisation_id']}").json()
    page = _log_in(browser, site, "operator")
    page.goto(f"{site.base}/console/cases/{case['id']}")
    assert page.locator("form[data-change=extend-scope]").count() == 0  # nothing requested
    form = page.locator("form[data-change=reduce-scope]")
    form.locator("input[name=scope]").fill("refrigerators only")
    form.locator("textarea[name=reason]").fill("washing machines failed the special audit")
    form.locator("button").click()
    page.wait_for_url(f"{site.base}/console/cases/{case['id']}?done=reduce-scope")
    assert page.inner_text("#certificate-number").startswith(f"{number}-A1")
    rows = page.locator("#versions tr.version")
    assert rows.count() == 2
    assert "scope reduced" in rows.nth(1).inner_text() and "(in force)" in rows.nth(1).inner_text()

    holder = page.locator("form[data-change=holder]")
    holder.locator("input[name=holder]").fill("Page Appliances (Fuzhou)")
    holder.locator("input[name=credit_code]").fill("91350100M000100Y43")  # another entity's
    holder.locator("button").click()
    assert page.inner_text("[role=alert]").startswith("Credit code: ")  # the form's label
    assert page.locator("#versions tr.version").count() == 2  # nothing written

    holder = page.locator("form[data-change=holder]")
    holder.locator("input[name=holder]").fill("Page Appliances (Fuzhou)")
    holder.locator("input[name=credit_code]").fill(code["credit_code"])
    holder.locator("button").click()
    page.wait_for_url(f"{site.base}/console/cases/{case['id']}?done=holder")
    assert page.inner_text("#certificate-number").startswith(f"{number}-A2")
    assert page.locator("#timeline li.event").first.get_attribute("data-trigger") == "change_holder"

    browser.clear_cookies()
    public = browser.new_page()
    public.goto(f"{site.base}/verify?number={number}-A1")
    assert f"superseded by version {number}-A2" in public.inner_text("[role=alert]")
    public.goto(f"{site.base}/verify?number={number}-A2")
    assert public.inner_text("#holder") == "Page Appliances (Fuzhou)"
    assert f"{number}-A2" in public.inner_text("#certificate h2")
    public.close()
    page.close()


def test_a_viewer_sees_the_versions_but_no_change_forms(browser: Any, site: Api) -> None:
    case = site.certified()
    page = _log_in(browser, site, "viewer")
    page.goto(f"{site.base}/console/cases/{case['id']}")
    assert page.locator("#versions tr.version").count() == 1
    assert page.locator("form[data-change]").count() == 0
    page.close()


def test_an_operator_transfers_a_certificate_in_from_the_application_page(
    browser: Any, site: Api
) -> None:
    from datetime import timedelta

    from tests.api.conftest import FACTS, days_ago
    from tests.office_day import office_today
    from workflows.credit_code import check_character

    code = "91350300M00000017"  # this module's own: the fixtures number theirs from 1
    op = site.as_("operator")
    org = op.post(
        "/api/organisations",
        json={"name": "Moved In Co", "credit_code": code + check_character(code)},
    )
    assert org.status_code == 201, org.text
    applied = op.post(
        "/api/applications",
        json={
            "organisation_id": org.json()["id"], "submitted_on": days_ago(1),
            "service_system_since": days_ago(400), "scope": "elevator service", "facts": FACTS,
        },
    ).json()["case"]  # fmt: skip
    today = office_today()
    page = _log_in(browser, site, "operator")
    page.goto(f"{site.base}/console/cases/{applied['id']}")

    def fill(expires: str) -> None:
        form = page.locator("form[data-change=transfer-in]")
        form.locator("input[name=previous_body]").fill("CQC")
        form.locator("input[name=previous_number]").fill("CQC-SV-0815")
        form.locator("input[name=decided_on]").fill((today - timedelta(days=200)).isoformat())
        form.locator("input[name=expires_on]").fill(expires)
        form.locator("select[name=star_level]").select_option("four_star")
        form.locator("button").click()

    fill((today - timedelta(days=1)).isoformat())
    assert page.inner_text("[role=alert]").startswith("Expires on: ")
    assert page.get_attribute("#case-state", "data-state") == "applied"
    fill((today + timedelta(days=700)).isoformat())
    page.wait_for_url(f"{site.base}/console/cases/{applied['id']}?done=transfer-in")
    assert page.get_attribute("#case-state", "data-state") == "active"
    assert "transferred in from CQC" in page.inner_text("#versions")
    page.close()
