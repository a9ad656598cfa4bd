"""A refused transition tells an API client which requests it can make instead."""

from __future__ import annotations

from tests.api.conftest import Api


def test_a_refused_transition_gives_each_allowed_trigger_with_its_endpoint(api: Api) -> None:
    case = api.decision_pending()
    cid = case["id"]
    refused = api.as_("operator").post(f"/api/cases/{cid}/suspend", json={
        "cause": "client_request", "reason": "r"})  # fmt: skip
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "illegal_transition" and body["state"] == "decision"
    assert body["endpoints"] == {
        "certify": f"POST /api/cases/{cid}/decide",
        "refuse_certification": f"POST /api/cases/{cid}/decide",
        "cancel": f"POST /api/cases/{cid}/cancel",
    }
    assert set(body["allowed"]) == set(body["endpoints"])
