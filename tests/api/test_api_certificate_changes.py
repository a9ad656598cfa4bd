"""Certificate changes through the API: an operator's changes give the certificate its next
version, which the case, the register, the versions list and the public verification show; an
earlier version's number is said to be superseded; bad input names its field, writes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.api.conftest import FACTS, Api, days_ago
from tests.office_day import office_day, office_today
from workflows.credit_code import check_character


def credit_code(serial: int) -> str:
    """A valid credit code of this module's own (the fixtures number theirs from 1)."""
    body = f"91350200M{serial:07d}7"
    return body + check_character(body)


def _credit_code_of(api: Api, case: dict[str, Any]) -> str:
    org = api.as_("viewer").get(f"/api/organisations/{case['organisation_id']}").json()
    code: str = org["credit_code"]
    return code


def test_changes_give_versions_the_public_verification_tells_apart(api: Api) -> None:
    case = api.certified(holder="Versioned Appliances")
    cid, number = case["id"], case["number"]
    op, auditor = api.as_("operator"), api.as_("auditor")
    assert case["certificate_number"] == number and case["amendments"] == 0
    asked = op.post(
        f"/api/cases/{cid}/scope-extension-request", json={"scope": "appliances and kitchens"}
    )
    assert asked.status_code == 200, asked.text
    early = op.post(f"/api/cases/{cid}/extend-scope")
    assert early.status_code == 409 and "special audit" in early.json()["message"]
    special = auditor.post(
        f"/api/cases/{cid}/audits", json={"kind": "special", "audit_date": office_day(0)}
    )
    assert special.status_code == 200, special.text
    extended = op.post(f"/api/cases/{cid}/extend-scope").json()["case"]
    assert extended["scope"] == "appliances and kitchens"
    assert extended["certificate_number"] == f"{number}-A1"

    code = _credit_code_of(api, case)
    renamed = op.post(
        f"/api/cases/{cid}/holder",
        json={"holder": "Versioned Appliances (Xiamen)", "credit_code": code, "address": "厦门"},
    ).json()["case"]
    assert renamed["certificate_number"] == f"{number}-A2"

    versions = api.as_("viewer").get(f"/api/cases/{cid}/versions").json()
    assert [v["number"] for v in versions] == [number, f"{number}-A1", f"{number}-A2"]
    history = api.as_("viewer").get(f"/api/cases/{cid}/history").json()
    assert [history[v["seq"] - 1]["trigger"] for v in versions] == [
        "certify", "extend_scope", "change_holder",
    ]  # fmt: skip

    public = api.as_(None)
    current = public.get(f"/verify/{number}-A2")
    assert current.status_code == 200, current.text
    assert current.json()["certificate_number"] == f"{number}-A2"
    assert current.json()["certified_entity_name"] == "Versioned Appliances (Xiamen)"
    for older in (number, f"{number}-A1"):
        said = public.get(f"/verify/{older}")
        assert said.status_code == 404
        assert f"superseded by version {number}-A2" in said.json()["message"]
    assert public.get(f"/verify/{number}-A9").status_code == 404
    query = public.get("/public/certificates", params={"number": f"{number}-A1"}).json()
    assert [i["certificate_number"] for i in query["items"]] == [f"{number}-A2"]
    assert "superseded" in query["note"]
    register = api.as_("viewer").get("/api/register").json()
    assert f"{number}-A2" in {r["certificate_number"] for r in register}
    page = public.get("/verify", params={"number": number})
    assert f"superseded by version {number}-A2" in page.text

    suspended = op.post(
        f"/api/cases/{cid}/suspend", json={"cause": "client_request", "reason": "relocating"}
    )
    assert suspended.status_code == 200, suspended.text
    news = public.get("/public/announcements").json()
    said = {(a["action"], a["certificate_number"]) for a in news}
    assert ("suspension", f"{number}-A2") in said and ("grant", number) in said


def test_bad_changes_name_their_field_and_write_nothing(api: Api) -> None:
    case = api.certified(holder="Careful Appliances")
    cid = case["id"]
    op = api.as_("operator")
    before = op.get(f"/api/cases/{cid}/history").json()
    other = op.post(
        f"/api/cases/{cid}/holder", json={"holder": "Someone Else", "credit_code": credit_code(1)}
    )
    assert other.status_code == 422 and other.json()["field"] == "credit_code"
    no_reason = op.post(f"/api/cases/{cid}/reduce-scope", json={"scope": "less"})
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    same = op.post(f"/api/cases/{cid}/reduce-scope", json={"scope": case["scope"], "reason": "why"})
    assert same.status_code == 409 and "already" in same.json()["message"]
    transfer = op.post(
        f"/api/cases/{cid}/transfer-in",
        json={
            "previous_body": "CQC", "previous_number": "X-1", "decided_on": days_ago(300),
            "expires_on": office_day(300), "star_level": "four_star",
        },
    )  # fmt: skip
    assert transfer.status_code == 409  # an active certificate is no application
    assert op.get(f"/api/cases/{cid}/history").json() == before
    assert (
        api.as_("auditor")
        .post(f"/api/cases/{cid}/reduce-scope", json={"scope": "less", "reason": "why"})
        .status_code
        == 403
    )


def test_a_transfer_in_through_the_api(api: Api) -> None:
    op = api.as_("operator")
    org = op.post("/api/organisations", json={"name": "Transfer Co", "credit_code": credit_code(2)})
    assert org.status_code == 201, org.text
    applied = op.post(
        "/api/applications",
        json={
            "organisation_id": org.json()["id"], "submitted_on": days_ago(1),
            "service_system_since": days_ago(400), "scope": "elevator service", "facts": FACTS,
        },
    ).json()["case"]  # fmt: skip
    cid = applied["id"]
    today = office_today()
    body = {
        "previous_body": "CQC", "previous_number": "CQC-SV-0815",
        "decided_on": (today - timedelta(days=400)).isoformat(),
        "expires_on": (today - timedelta(days=1)).isoformat(), "star_level": "three_star",
    }  # fmt: skip
    expired = op.post(f"/api/cases/{cid}/transfer-in", json=body)
    assert expired.status_code == 422 and expired.json()["field"] == "expires_on"
    suspended = op.post(
        f"/api/cases/{cid}/transfer-in",
        json={**body, "expires_on": office_day(600), "previous_status": "withdrawn"},
    )
    assert suspended.status_code == 422 and suspended.json()["field"] == "previous_status"
    assert op.get(f"/api/cases/{cid}").json()["case"]["state"] == "applied"
    done = op.post(
        f"/api/cases/{cid}/transfer-in",
        json={
            **body, "expires_on": office_day(600), "surveillances": 1,
            "last_surveillance_on": days_ago(30),
        },
    )  # fmt: skip
    assert done.status_code == 200, done.text
    case = done.json()["case"]
    assert case["state"] == "active" and case["expires_on"] == office_day(600)
    assert case["surveillances"] == 1 and case["final_score"] is None
    event = done.json()["events"][0]
    assert event["trigger"] == "transfer_in" and event["data"]["previous_number"] == "CQC-SV-0815"
    verified = api.as_(None).get(f"/verify/{case['number']}").json()
    assert verified["star_level"] == "three_star"
    news = api.as_(None).get("/public/announcements").json()
    assert {
        "action": "grant",
        "certificate_number": case["number"],
        "star_level": "three_star",
    }.items() <= next(a for a in news if a["certificate_number"] == case["number"]).items()


def test_a_transferred_certificate_renewed_under_a_new_number_is_said_replaced(api: Api) -> None:
    from tests.api.conftest import sheet

    op = api.as_("operator")
    org = op.post("/api/organisations", json={"name": "Renewed Co", "credit_code": credit_code(3)})
    assert org.status_code == 201, org.text
    cid = op.post(
        "/api/applications",
        json={
            "organisation_id": org.json()["id"], "submitted_on": days_ago(1),
            "service_system_since": days_ago(400), "scope": "elevator service", "facts": FACTS,
        },
    ).json()["case"]["id"]  # fmt: skip
    transferred = op.post(
        f"/api/cases/{cid}/transfer-in",
        json={
            "previous_body": "CQC", "previous_number": "CQC-SV-9", "decided_on": days_ago(1000),
            "expires_on": office_day(30), "star_level": "qualified", "surveillances": 2,
            "last_surveillance_on": days_ago(300),
        },
    ).json()["case"]  # fmt: skip
    renewed = api.as_("auditor").post(
        f"/api/cases/{cid}/audits",
        json={"kind": "recertification", "audit_date": office_day(0), "sheet": sheet(2)},
    )
    assert renewed.status_code == 200, renewed.text
    number = renewed.json()["case"]["number"]
    assert number.endswith("-R1") and renewed.json()["case"]["expires_on"] > office_day(30)
    said = api.as_(None).get(f"/verify/{transferred['number']}")
    assert said.status_code == 404 and f"by its renewal, certificate {number}" in said.text
