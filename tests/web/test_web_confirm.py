"""Withdraw and cancel cannot be undone: the console asks first, and says why, in both languages."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.api.conftest import Api
from tests.web.test_web_console import _log_in

WHY = "surveillance audit found falsified service records"


def _state(site: Api, case_id: int) -> str:
    state: str = site.as_("viewer").get(f"/api/cases/{case_id}").json()["case"]["state"]
    return state


def _csrf(text: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', text)
    assert found is not None
    return found.group(1)


def test_withdraw_asks_first_and_only_the_confirming_post_acts(site: Api) -> None:
    case = site.certified()
    own = {"Origin": site.base}
    with httpx.Client(base_url=site.base) as client:  # the body's language: Chinese
        client.post("/console/login", data={"token": site.tokens["operator"]}, headers=own)
        csrf = _csrf(client.get(f"/console/cases/{case['id']}").text)
        url = f"/console/cases/{case['id']}/actions/withdraw"
        form = {"csrf": csrf, "reason": WHY, "expected_version": str(case["version"])}

        asked = client.post(url, data=form, headers=own)
        assert asked.status_code == 200
        assert "立即失效" in asked.text and "无法恢复" in asked.text
        assert 'name="confirm" value="yes"' in asked.text and WHY in asked.text
        assert _state(site, case["id"]) == "active"  # asking changed nothing

        unsigned = client.post(url, data={"reason": WHY, "confirm": "yes"}, headers=own)
        assert unsigned.status_code == 403 and "表单令牌" in unsigned.text
        assert _state(site, case["id"]) == "active"

        done = client.post(url, data={**form, "confirm": "yes"}, headers=own)
        assert done.status_code == 303
        assert done.headers["location"].endswith("?done=withdraw")
    assert _state(site, case["id"]) == "withdrawn"
    history = site.as_("viewer").get(f"/api/cases/{case['id']}/history").json()
    assert (history[-1]["trigger"], history[-1]["reason"]) == ("withdraw", WHY)


def test_cancel_in_the_browser_states_the_consequence_and_going_back_keeps_it(
    browser: Any, site: Api
) -> None:
    case = site.certified()
    page = _log_in(browser, site, "operator")
    page.goto(f"{site.base}/console/cases/{case['id']}")
    form = page.locator("form[data-action=cancel]")
    form.locator("textarea[name=reason]").fill("client closed its service branch")
    form.locator("button").click()
    consequence = page.inner_text("#consequence")
    assert "at the client's request" in consequence and "cannot be restored" in consequence
    assert _state(site, case["id"]) == "active"
    page.click("#back")
    page.wait_for_url(f"{site.base}/console/cases/{case['id']}")
    assert page.get_attribute("#case-state", "data-state") == "active"

    form = page.locator("form[data-action=cancel]")
    form.locator("textarea[name=reason]").fill("client closed its service branch")
    form.locator("button").click()
    page.locator("form[data-confirm=cancel] button").click()
    page.wait_for_url(f"{site.base}/console/cases/{case['id']}?done=cancel")
    assert page.get_attribute("#case-state", "data-state") == "cancelled"
    assert _state(site, case["id"]) == "cancelled"
    page.close()
