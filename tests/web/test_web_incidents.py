"""The incidents page: deadlines whose firing failed, retried or resolved by an operator."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from starcert.cli.daemon_commands import runner_for
from tests.api.conftest import Api
from tests.web.conftest import ENGLISH
from tests.web.test_web_console import _log_in
from workflows.model import Deadline, DeadlineKind


def _set_state(site: Api, case_id: int, state: str) -> None:
    engine = create_engine(site.app.config.database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE cases SET state = :s WHERE id = :c"), {"s": state, "c": case_id})
    engine.dispose()


def _broken_deadline(site: Api) -> tuple[int, int]:
    """A reminder due an hour ago on a case whose record the daemon cannot read: firing fails."""
    case_id: int = site.certified()["id"]
    with site.app.uow() as uow:
        deadline = uow.deadlines.add(
            Deadline(
                id=None,
                case_id=case_id,
                kind=DeadlineKind.SURVEILLANCE_WINDOW_OPENS,
                due_at=datetime.now(UTC) - timedelta(hours=1),
            )
        )
        uow.commit()
    assert deadline.id is not None
    _set_state(site, case_id, "bogus")
    return case_id, deadline.id


def _fire(site: Api) -> Any:
    return runner_for(site.app, "web-test").tick()


def test_a_failed_deadline_shows_and_an_operator_retries_and_resolves_it(
    browser: Any, site: Api
) -> None:
    first_case, first = _broken_deadline(site)
    second_case, second = _broken_deadline(site)
    assert _fire(site).failed == 2

    page = _log_in(browser, site, "viewer")
    page.goto(f"{site.base}/console/incidents")
    assert page.locator("header a:text('Incidents')").get_attribute("href") == "/console/incidents"
    row = page.locator(f"tr.incident[data-deadline='{first}']")
    assert row.locator(".case").inner_text() == f"case {first_case}"
    assert row.locator(".kind").get_attribute("data-kind") == "surveillance_window_opens"
    assert row.locator(".kind").inner_text() == "surveillance window opens"
    assert row.locator(".attempts").inner_text() == "1"
    assert "bogus" in row.locator(".last-error").inner_text()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", row.locator(".retry-at").inner_text())
    assert page.locator("tr.incident").count() == 2
    assert page.locator("form[data-incident-action]").count() == 0  # viewers get no buttons
    csrf = page.locator("form[action='/console/logout'] input[name=csrf]").get_attribute("value")
    refused = page.request.post(
        f"{site.base}/console/incidents/{first}/retry",
        form={"csrf": csrf or ""},
        headers={"Origin": site.base},
    )
    assert refused.status == 403 and "needs operator" in refused.text()
    page.close()

    _set_state(site, first_case, "active")  # the record is repaired; the operator retries
    _set_state(site, second_case, "active")
    page = _log_in(browser, site, "operator")
    page.goto(f"{site.base}/console/incidents")
    assert _fire(site).claimed == 0  # still backed off
    page.locator(
        f"tr.incident[data-deadline='{first}'] form[data-incident-action=retry] button"
    ).click()
    page.wait_for_url(f"{site.base}/console/incidents?done=retry")
    assert page.inner_text("p.notice") == "Done: retry."
    row = page.locator(f"tr.incident[data-deadline='{first}']")
    assert row.locator(".retry-at").inner_text() == "next tick"
    assert _fire(site).fired == 1  # the next tick fires it
    page.reload()
    assert page.locator(f"tr.incident[data-deadline='{first}']").count() == 0

    resolve = page.locator(
        f"tr.incident[data-deadline='{second}'] form[data-incident-action=resolve]"
    )
    resolve.locator("input[name=reason]").fill("reminder sent by phone instead")
    resolve.locator("button").click()
    page.wait_for_url(f"{site.base}/console/incidents?done=resolve")
    assert page.locator("tr.incident").count() == 0
    assert page.locator("#no-incidents").count() == 1
    history = site.as_("viewer").get(f"/api/cases/{second_case}/history").json()
    assert (history[-1]["trigger"], history[-1]["actor"], history[-1]["reason"]) == (
        "incident_resolved",
        "operator-1",
        "reminder sent by phone instead",
    )
    assert _fire(site).claimed == 0  # resolved: never fired
    page.close()


def test_an_incident_write_without_the_form_token_is_refused(site: Api) -> None:
    case_id, deadline = _broken_deadline(site)
    _fire(site)
    _set_state(site, case_id, "active")
    own = {"Origin": site.base}
    with httpx.Client(base_url=site.base, cookies=ENGLISH) as client:
        client.post("/console/login", data={"token": site.tokens["operator"]}, headers=own)
        forged = client.post(
            f"/console/incidents/{deadline}/resolve", data={"reason": "x"}, headers=own
        )
        assert forged.status_code == 403 and "form token" in forged.text
        listed = client.get("/console/incidents")
        assert f'data-deadline="{deadline}"' in listed.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', listed.text)
        assert csrf is not None
        blank = client.post(
            f"/console/incidents/{deadline}/resolve",
            data={"reason": " ", "csrf": csrf.group(1)},
            headers=own,
        )
        assert blank.status_code == 422 and "reason" in blank.text
        assert f'data-deadline="{deadline}"' in blank.text  # still open


def test_planning_warnings_list_due_audits_without_a_team_and_ending_qualifications(
    browser: Any, site: Api
) -> None:
    case_id: int = site.certified()["id"]
    engine = create_engine(site.app.config.database_url)
    with engine.begin() as conn:  # its surveillance falls due in ten days
        conn.execute(
            text("UPDATE deadlines SET due_at = :d WHERE case_id = :c AND kind = :k"),
            {"d": datetime.now(UTC) + timedelta(days=10), "c": case_id, "k": "surveillance_due"},
        )
    engine.dispose()
    today = site.app.clock.now().astimezone(site.app.config.zone).date()
    ends = (today + timedelta(days=20)).isoformat()
    added = site.as_("operator").post(
        "/api/auditors",
        json={"name": "审核员 WQ", "registration": "WEB-Q", "grade": "auditor",
              "registered_on": "2020-01-01", "valid_until": ends},
    )  # fmt: skip
    assert added.status_code == 201, added.text
    auditor_id = added.json()["id"]
    page = _log_in(browser, site, "operator")
    page.goto(f"{site.base}/console/incidents")
    due = page.locator(f"#planning-warnings li[data-case='{case_id}']").inner_text()
    assert re.search(r"surveillance audit due by \d{4}-\d\d-\d\d has no team assigned", due)
    qualification = page.locator(f"#planning-warnings li[data-auditor='{auditor_id}']")
    said = f"审核员 WQ: qualification WEB-Q ends {ends}, 20 day(s) left"
    assert qualification.inner_text() == said
    page.close()
    # A viewer sees the audit, not the register's personal data.
    page = _log_in(browser, site, "viewer")
    page.goto(f"{site.base}/console/incidents")
    assert page.locator(f"#planning-warnings li[data-case='{case_id}']").count() == 1
    assert page.locator("#planning-warnings li[data-auditor]").count() == 0
    page.close()
