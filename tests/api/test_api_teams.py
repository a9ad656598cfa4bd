"""/api/teams/check: the CLI's team check over HTTP, on a real server: the verdict rule by rule
with the audit time; a bad request is refused naming the field; only operators and auditors."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, credit_code

FACTS = {
    "has_service_documents": True,
    "has_dedicated_manager": True,
    "has_dedicated_funds": True,
    "has_trained_staff": True,
    "is_prc_legal_entity": True,
    "last_major_failure": None,
}


def _setup(api: Api) -> tuple[int, int]:
    op = api.as_("operator")
    org = op.post(
        "/api/organisations", json={"name": "闽江家电", "credit_code": credit_code()}
    ).json()["id"]
    case = op.post(
        "/api/applications",
        json={
            "organisation_id": org, "submitted_on": "2026-03-02",
            "service_system_since": "2025-11-30", "scope": "家电售后服务", "facts": FACTS,
            "area": "household_appliances", "personnel": 120, "sites": 3,
        },
    )  # fmt: skip
    assert case.status_code == 201, case.text
    added = op.post(
        "/api/auditors",
        json={
            "name": "王芳", "registration": f"T-{org}", "grade": "senior_auditor",
            "registered_on": "2021-04-01", "valid_until": "2099-03-31",
            "areas": ["household_appliances"],
        },
    )  # fmt: skip
    assert added.status_code == 201, added.text
    return case.json()["case"]["id"], added.json()["id"]


def test_an_operator_and_an_auditor_read_the_verdict_with_the_audit_time(api: Api) -> None:
    case, wang = _setup(api)
    body: dict[str, Any] = {"case_id": case, "auditors": [str(wang)], "on": "2026-06-01"}
    for role in ("operator", "auditor"):
        said = api.as_(role).post("/api/teams/check", json=body)
        assert said.status_code == 200, said.text
        verdict = said.json()
        assert verdict["accepted"] is True and verdict["kind"] == "stage1"
        assert verdict["audit_time"]["days"] == "1.5"
        assert [r["verdict"] for r in verdict["rules"]] == ["passed"] * 5
    staged = (
        api.as_("operator").post("/api/teams/check", json={**body, "kind": "stage2"}).json()
    )  # 3.5 days: two auditors
    assert staged["accepted"] is False
    assert [r["rule"] for r in staged["rules"] if r["verdict"] == "refused"] == ["team.team_size"]


def test_a_bad_request_names_the_field_and_other_roles_are_refused(api: Api) -> None:
    case, wang = _setup(api)
    op = api.as_("operator")
    unknown = op.post("/api/teams/check", json={"case_id": case, "auditors": ["999"]})
    assert (unknown.status_code, unknown.json()["field"]) == (422, "auditors"), unknown.text
    adjust = op.post(
        "/api/teams/check", json={"case_id": case, "auditors": [str(wang)], "adjust": ["x"]}
    )
    assert (adjust.status_code, adjust.json()["field"]) == (422, "adjust"), adjust.text
    for role in ("viewer", "rule_author", "admin"):
        refused = api.as_(role).post(
            "/api/teams/check", json={"case_id": case, "auditors": [str(wang)]}
        )
        assert refused.status_code == 403, refused.text
