"""The console and the public page in a real browser, as an operator and the public use them."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.conftest import Api, days_ago
from tests.web.conftest import ENGLISH, fresh

REASON = "client asked for a pause during relocation"


def _log_in(browser: Any, site: Api, role: str) -> Any:
    fresh(browser, site)
    page = browser.new_page()
    page.goto(f"{site.base}/console")
    assert page.url.endswith("/console/login")  # no session: sent to log in
    page.fill("#token", site.tokens[role])
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.base}/console")
    return page


def test_an_operator_finds_a_certificate_suspends_it_and_sees_the_timeline(
    browser: Any, site: Api
) -> None:
    case = site.certified()
    page = _log_in(browser, site, "operator")
    assert "operator-1" in page.inner_text("header")

    page.fill("input[name=q]", case["number"])
    page.click("form.search button")
    page.click(f"table.results a:text('{case['number']}')")
    page.wait_for_url(f"{site.base}/console/cases/{case['id']}")
    assert page.get_attribute("#case-state", "data-state") == "active"
    assert page.locator("#state-active.current").count() == 1  # the diagram marks the state
    assert page.locator("#timeline li.event").first.get_attribute("data-trigger") == "certify"

    assert "Asia/Shanghai time" in page.inner_text("h2:has-text('Timeline')")
    expiry = f"expiry — due {case['expires_on']}"  # the due day in the body's zone, not UTC
    assert expiry in page.inner_text("ul.deadlines")
    form = page.locator("form[data-action=suspend]")
    causes = form.locator("select[name=cause] option")
    assert causes.first.inner_text() == "choose a cause"
    offered = [causes.nth(i).get_attribute("value") for i in range(causes.count())]
    assert "client_request" in offered and "overdue_surveillance" not in offered
    form.locator("select[name=cause]").select_option("client_request")
    form.locator("textarea[name=reason]").fill(REASON)
    form.locator("button").click()
    page.wait_for_url(f"{site.base}/console/cases/{case['id']}?done=suspend")

    assert page.get_attribute("#case-state", "data-state") == "suspended"
    assert page.locator("#state-suspended.current").count() == 1
    newest = page.locator("#timeline li.event").first
    assert newest.get_attribute("data-trigger") == "suspend"
    assert REASON in newest.inner_text() and "operator-1" in newest.inner_text()
    assert page.locator("form[data-action=restore]").count() == 1  # buttons follow the state
    assert page.locator("form[data-action=suspend]").count() == 0

    history = site.as_("viewer").get(f"/api/cases/{case['id']}/history").json()
    assert (history[-1]["trigger"], history[-1]["actor"], history[-1]["reason"]) == (
        "suspend",
        "operator-1",
        REASON,
    )
    page.close()


def test_an_operator_enters_a_decision_and_a_suspension_late_dated_the_day_they_took_effect(
    browser: Any, site: Api
) -> None:
    case = site.decision_pending()
    page = _log_in(browser, site, "operator")
    page.goto(f"{site.base}/console/cases/{case['id']}")
    decide = page.locator("form[data-action=decide]")
    assert decide.locator("input[name=on]").get_attribute("max") is not None  # no future day
    decide.locator("input[name=on]").fill(days_ago(30))
    decide.locator("button").click()
    page.wait_for_url(f"{site.base}/console/cases/{case['id']}?done=decide")
    assert page.get_attribute("#case-state", "data-state") == "active"
    assert page.inner_text("dt:text('Issued') + dd") == days_ago(30)

    _suspend_on(page, days_ago(35))  # before the decision it follows
    error = page.inner_text("p.error")
    assert "Took effect on:" in error and "before the case's last event" in error, error
    assert page.get_attribute("#case-state", "data-state") == "active"  # nothing written

    _suspend_on(page, days_ago(10))
    page.wait_for_url(f"{site.base}/console/cases/{case['id']}?done=suspend")
    assert days_ago(10) in page.inner_text("dt:text('Suspended') + dd")
    history = site.as_("viewer").get(f"/api/cases/{case['id']}/history").json()
    assert [(e["trigger"], e["data"].get("on")) for e in history[-2:]] == [
        ("certify", days_ago(30)),
        ("suspend", days_ago(10)),
    ]

    withdraw = page.locator("form[data-action=withdraw]")
    withdraw.locator("textarea[name=reason]").fill("the client stopped trading")
    withdraw.locator("input[name=on]").fill(days_ago(5))
    withdraw.locator("button").click()
    assert page.inner_text("#confirm-on") == days_ago(5)  # the confirmation carries the day
    page.click("form.confirm button")
    page.wait_for_url(f"{site.base}/console/cases/{case['id']}?done=withdraw")
    history = site.as_("viewer").get(f"/api/cases/{case['id']}/history").json()
    assert (history[-1]["trigger"], history[-1]["data"].get("on")) == ("withdraw", days_ago(5))
    page.close()


def _suspend_on(page: Any, day: str) -> None:
    form = page.locator("form[data-action=suspend]")
    form.locator("select[name=cause]").select_option("client_request")
    form.locator("textarea[name=reason]").fill(REASON)
    form.locator("input[name=on]").fill(day)
    form.locator("button").click()


def test_a_viewer_sees_the_certificate_but_no_buttons(browser: Any, site: Api) -> None:
    case = site.certified()
    page = _log_in(browser, site, "viewer")
    page.goto(f"{site.base}/console/cases/{case['id']}")
    assert page.get_attribute("#case-state", "data-state") == "active"
    assert page.locator("form.action").count() == 0
    assert "Only operators" in page.inner_text("main")
    page.close()


def test_the_public_page_verifies_a_certificate(browser: Any, site: Api) -> None:
    case = site.certified()
    fresh(browser, site)
    page = browser.new_page()
    page.goto(f"{site.base}/verify")
    page.fill("input[name=number]", case["number"])
    page.click("form.search button")
    page.wait_for_selector("#certificate")
    assert page.inner_text("#status") == "Valid"
    assert page.inner_text("#holder") == "Acme Appliances"
    assert case["final_score"] not in page.content()
    page.goto(f"{site.base}/verify?number=ASC-2026-999999")
    assert "no certificate" in page.inner_text("[role=alert]")
    page.close()


def test_the_public_finds_a_certificate_from_the_landing_page(browser: Any, site: Api) -> None:
    case = site.certified(holder="Minhou Appliance Service 闽侯家电")
    fresh(browser, site)
    page = browser.new_page()
    page.goto(f"{site.base}/")
    page.click("#to-query")
    page.wait_for_url(f"{site.base}/certificates")
    page.fill("#q-holder", "闽侯家电")
    page.locator("form:has(#q-holder) button").click()
    row = page.locator(f"tr[data-number='{case['number']}']")
    assert row.locator(".holder").inner_text() == "Minhou Appliance Service 闽侯家电"
    assert row.locator(".status").inner_text() == "Valid"
    page.fill("#q-credit-code", "91350100M000000011")
    page.locator("form:has(#q-credit-code) button").click()
    assert "check character should be" in page.inner_text("[role=alert]")
    page.close()


def test_a_console_write_without_the_form_token_is_refused(site: Api) -> None:
    case = site.certified()
    with httpx.Client(base_url=site.base, cookies=ENGLISH) as client:
        own = {"Origin": site.base}
        logged_in = client.post(
            "/console/login", data={"token": site.tokens["operator"]}, headers=own
        )
        assert logged_in.status_code == 303 and client.cookies.get("starcert_session")
        forged = client.post(
            f"/console/cases/{case['id']}/actions/withdraw", data={"reason": "x"}, headers=own
        )
        assert forged.status_code == 403 and "form token" in forged.text
        cross_site = client.post(
            f"/console/cases/{case['id']}/actions/withdraw",
            data={"reason": "x", "csrf": "whatever"},
            headers={"Origin": "https://evil.example"},
        )
        assert cross_site.status_code == 403 and "own pages" in cross_site.text
    assert site.as_("viewer").get(f"/api/cases/{case['id']}").json()["case"]["state"] == "active"


def test_an_operator_decides_a_case_and_the_diagram_follows(browser: Any, site: Api) -> None:
    case = site.decision_pending()
    page = _log_in(browser, site, "operator")
    page.goto(f"{site.base}/console/cases/{case['id']}")
    assert page.locator("#state-decision.current").count() == 1
    page.locator("form[data-action=decide] button").click()
    page.wait_for_url(f"{site.base}/console/cases/{case['id']}?done=decide")
    assert page.inner_text("p.notice") == "Done: decide."
    assert page.get_attribute("#case-state", "data-state") == "active"
    page.goto(f"{site.base}/console/cases/{case['id']}?done=certificate%20revoked%2C%20call%20us")
    assert page.locator("p.notice").count() == 0  # a link cannot make the console say things
    assert page.locator("#state-active.current").count() == 1
    assert page.locator("#timeline li.event").first.get_attribute("data-trigger") == "certify"
    page.close()


def test_the_content_policy_blocks_nothing_our_pages_use(browser: Any, site: Api) -> None:
    case = site.certified()
    page = _log_in(browser, site, "operator")
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    public = ("/", "/certificates?holder=Acme", "/verify", "/announcements")
    for path in (f"/console/cases/{case['id']}", "/console", "/console/incidents", *public):
        answer = page.goto(f"{site.base}{path}")
        assert (
            answer is not None and "script-src 'self'" in answer.headers["content-security-policy"]
        )
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(246, 247, 249)", path  # the stylesheet applies
    page.goto(f"{site.base}/console/cases/{case['id']}")
    assert page.locator("#state-active.current rect").bounding_box() is not None
    page.evaluate(
        "document.body.appendChild(Object.assign(document.createElement('script'), {textContent: 'window.ran = 1'}))"
    )
    assert page.evaluate("window.ran") is None  # an injected inline script does not run
    assert refused, "the blocked inline script is reported"
    page.close()
