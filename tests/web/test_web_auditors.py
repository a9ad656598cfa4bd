"""The auditor register in the console, in a real browser: qualification status at a glance,
and an auditor's record with its history; only operators and auditors see it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tests.api.conftest import Api, credit_code
from tests.web.conftest import ENGLISH, fresh


def _log_in(browser: Any, site: Api, role: str) -> Any:
    fresh(browser, site)
    page = browser.new_page()
    page.goto(f"{site.base}/console/login")
    page.fill("#token", site.tokens[role])
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.base}/console")
    return page


def _add(site: Api, registration: str, valid_until: str, **more: Any) -> dict[str, Any]:
    body = {
        "name": f"审核员 {registration}",
        "registration": registration,
        "grade": "auditor",
        "registered_on": "2020-01-01",
        "valid_until": valid_until,
        **more,
    }
    made = site.as_("operator").post("/api/auditors", json=body)
    assert made.status_code == 201, made.text
    found: dict[str, Any] = made.json()
    return found


def test_the_register_shows_each_qualification_valid_expiring_or_lapsed(
    browser: Any, site: Api
) -> None:
    today = site.app.clock.now().astimezone(site.app.config.zone).date()
    days = site.app.config.auditors.expiring_days
    valid = _add(site, "WEB-1", (today + timedelta(days=days + 30)).isoformat())
    expiring = _add(site, "WEB-2", (today + timedelta(days=days - 1)).isoformat())
    lapsed = _add(site, "WEB-3", (today - timedelta(days=1)).isoformat())
    page = _log_in(browser, site, "auditor")
    page.click("header a:text('Auditors')")
    page.wait_for_url(f"{site.base}/console/auditors")
    for auditor, status in ((valid, "valid"), (expiring, "expiring"), (lapsed, "lapsed")):
        row = page.locator(f"#auditors tr[data-auditor='{auditor['id']}']")
        assert row.locator(".badge").inner_text() == status
    background = page.evaluate(
        "getComputedStyle(document.querySelector('.qualification-lapsed')).backgroundColor"
    )
    assert background == "rgb(248, 215, 215)"  # the stylesheet applies under the content policy
    page.close()


def test_an_auditors_page_shows_the_record_and_who_changed_it(browser: Any, site: Api) -> None:
    org = (
        site.as_("operator")
        .post("/api/organisations", json={"name": "闽江家电", "credit_code": credit_code()})
        .json()
    )
    wang = _add(
        site,
        "WEB-10",
        "2099-12-31",
        areas=["furniture"],
        relations=[{"organisation_id": org["id"], "kind": "employment", "from": "2015-01-01"}],
    )
    patched = site.as_("operator").patch(
        f"/api/auditors/{wang['id']}",
        json={"add_unavailable": [{"from": "2026-09-01", "to": "2026-09-03"}]},
    )
    assert patched.status_code == 200, patched.text
    page = _log_in(browser, site, "operator")
    page.goto(f"{site.base}/console/auditors")
    page.click(f"#auditors a:text('{wang['name']}')")
    page.wait_for_url(f"{site.base}/console/auditors/{wang['id']}")
    assert page.inner_text("#qualification-status") == "valid"
    assert page.inner_text("#unavailable") == "2026-09-01 – 2026-09-03"
    assert page.inner_text("#relations") == (
        f"employment with organisation {org['id']}, 2015-01-01 – ongoing"
    )
    history = page.locator("#history li").all_inner_texts()
    assert [h.split(" — ")[1] for h in history] == ["updated: unavailable", "added"]
    assert all("operator-1" in h for h in history)
    page.close()


def test_viewers_are_refused_the_register(site: Api) -> None:
    wang = _add(site, "WEB-20", "2099-12-31")
    with httpx.Client(base_url=site.base, cookies=ENGLISH) as client:
        own = {"Origin": site.base}
        client.post("/console/login", data={"token": site.tokens["viewer"]}, headers=own)
        for path in ("/console/auditors", f"/console/auditors/{wang['id']}"):
            refused = client.get(path)
            assert refused.status_code == 403 and "operators and auditors" in refused.text
        assert "/console/auditors" not in client.get("/console").text
    with httpx.Client(base_url=site.base, cookies=ENGLISH) as client:
        assert client.get("/console/auditors").headers["location"] == "/console/login"
