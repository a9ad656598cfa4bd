"""Findings over the HTTP API: auditors record, verify and reject; the decision waits for major
findings; bad input names the field and writes nothing; the public lookup shows no findings."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.api.conftest import Api, days_ago


def _stage2_audit(api: Api, case_id: int) -> dict[str, Any]:
    detail = api.as_("viewer").get(f"/api/cases/{case_id}").json()
    audit: dict[str, Any] = detail["audits"][-1]
    assert audit["kind"] == "stage2"
    return audit


def _major(api: Api, case_id: int, audit_id: int) -> Any:
    return api.as_("auditor").post(
        f"/api/cases/{case_id}/findings",
        json={"audit_id": audit_id, "severity": "major", "indicator": "complaint_handling",
              "evidence": "complaints answered after 30 days"},
    )  # fmt: skip


RESPONSE = {
    "cause": "no owner for complaints",
    "correction": "backlog answered",
    "corrective_action": "a named complaints officer",
}


def test_a_major_finding_holds_up_the_decision_until_an_auditor_closes_it(api: Api) -> None:
    case = api.decision_pending()
    cid = case["id"]
    audit = _stage2_audit(api, cid)
    recorded = _major(api, cid, audit["id"])
    assert recorded.status_code == 201, recorded.text
    finding = recorded.json()["finding"]
    assert (finding["label"], finding["status"], finding["recorded_by"]) == (
        "F1",
        "open",
        "auditor-1",
    )
    assert (
        finding["due_on"]
        == (date.fromisoformat(audit["audit_date"]) + timedelta(days=90)).isoformat()
    )
    assert recorded.json()["events"][0]["trigger"] == "record_finding"

    refused = api.as_("operator").post(f"/api/cases/{cid}/decide")
    assert refused.status_code == 409
    assert "major finding F1 (complaint_handling" in refused.json()["message"]

    answered = api.as_("operator").post(
        f"/api/cases/{cid}/findings/1/response", json={**RESPONSE, "responded_on": days_ago(1)}
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["finding"]["status"] == "responded"
    closed = api.as_("auditor").post(f"/api/cases/{cid}/findings/1/close")
    assert closed.json()["finding"]["status"] == "closed", closed.text
    decided = api.as_("operator").post(f"/api/cases/{cid}/decide")
    assert decided.json()["case"]["state"] == "active"

    listed = api.as_("viewer").get(f"/api/cases/{cid}/findings").json()
    assert [(f["label"], f["status"]) for f in listed] == [("F1", "closed")]
    assert api.as_("viewer").get(f"/api/cases/{cid}").json()["findings"] == listed
    public = api.as_(None).get(f"/verify/{decided.json()['case']['number']}")
    assert public.status_code == 200
    assert "finding" not in public.text and "complaint" not in public.text


def test_bad_finding_requests_name_the_field_and_write_nothing(api: Api) -> None:
    cid = api.decision_pending()["id"]
    other = api.decision_pending(holder="Other Repairs")["id"]
    audit = _stage2_audit(api, cid)
    assert _major(api, cid, audit["id"]).status_code == 201
    history = api.as_("viewer").get(f"/api/cases/{cid}/history").json()
    auditor, operator = api.as_("auditor"), api.as_("operator")
    other_audit = _stage2_audit(api, other)["id"]
    answers = [
        (_major(api, cid, other_audit), 422, "audit_id"),
        (auditor.post(f"/api/cases/{cid}/findings/9/close"), 404, None),
        (auditor.post(f"/api/cases/{cid}/findings/1/close"), 422, "finding"),
        (operator.post(f"/api/cases/{cid}/findings/1/response",
                       json={**RESPONSE, "responded_on": days_ago(41)}), 422, "responded_on"),
        (operator.post(f"/api/cases/{cid}/findings/1/response",
                       json={**RESPONSE, "responded_on": "yesterday"}), 422, "responded_on"),
        (operator.post(f"/api/cases/{cid}/findings/1/response",  # the calendar's first day
                       json={**RESPONSE, "responded_on": "0001-01-01"}), 422, "responded_on"),
        (auditor.post(f"/api/cases/{cid}/findings",
                      json={"audit_id": audit["id"], "severity": "grave", "indicator": "repair",
                            "evidence": "x"}), 422, "severity"),
    ]  # fmt: skip
    for answer, status, field in answers:
        assert answer.status_code == status, answer.text
        if field is not None:
            assert answer.json()["field"] == field, answer.text
    assert "has no finding F9" in answers[1][0].json()["message"]
    assert api.as_("viewer").get(f"/api/cases/{cid}/history").json() == history
    assert api.as_("viewer").get(f"/api/cases/{other}/findings").json() == []


def test_a_step_is_dated_by_its_on_field(api: Api) -> None:
    cid = api.decision_pending(holder="Dated Repairs")["id"]
    audit = _stage2_audit(api, cid)
    recorded = api.as_("auditor").post(
        f"/api/cases/{cid}/findings",
        json={"audit_id": audit["id"], "severity": "observation", "indicator": "delivery",
              "evidence": "late deliveries noted", "on": days_ago(39)},
    )  # fmt: skip
    assert recorded.json()["finding"]["recorded_on"] == days_ago(39), recorded.text
    bad = api.as_("auditor").post(f"/api/cases/{cid}/findings/1/close", json={"on": "tomorrow"})
    assert (bad.status_code, bad.json()["field"]) == (422, "on")
    early = api.as_("auditor").post(f"/api/cases/{cid}/findings/1/close", json={"on": days_ago(45)})
    assert (early.status_code, early.json()["field"]) == (422, "on"), early.text
    closed = api.as_("auditor").post(f"/api/cases/{cid}/findings/1/close", json={"on": days_ago(2)})
    assert closed.json()["finding"]["closed_on"] == days_ago(2), closed.text
