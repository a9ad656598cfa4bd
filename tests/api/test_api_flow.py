"""The API end to end over HTTP: a case from application to certificate, errors, history."""

from __future__ import annotations

from tests.api.conftest import Api, days_ago, sheet


def test_a_case_runs_to_a_certificate_and_the_event_log_names_each_account(api: Api) -> None:
    case = api.certified(loss=2)
    assert case["star_level"] == "five_star" and case["number"].startswith("ASC-")

    history = api.as_("viewer").get(f"/api/cases/{case['id']}/history").json()
    actors = {e["trigger"]: e["actor"] for e in history}
    assert actors == {
        "submit_application": "operator-1",
        "accept_application": "operator-1",
        "complete_stage1": "auditor-1",
        "record_stage2": "auditor-1",
        "certify": "operator-1",
    }
    assert [e["seq"] for e in history] == [1, 2, 3, 4, 5]

    by_number = api.as_("viewer").get(f"/api/certificates/{case['number']}").json()
    assert by_number["case"]["id"] == case["id"]
    allowed = {t["trigger"] for t in by_number["triggers"] if t["allowed"]}
    assert {"suspend", "withdraw", "cancel"} <= allowed


def test_suspend_and_restore_with_reasons_and_the_version_the_operator_saw(api: Api) -> None:
    case = api.certified()
    op = api.as_("operator")
    stale = op.post(
        f"/api/cases/{case['id']}/suspend",
        json={"cause": "client_request", "reason": "client asked", "expected_version": 0},
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "version_conflict"

    done = op.post(
        f"/api/cases/{case['id']}/suspend",
        json={
            "cause": "client_request",
            "reason": "client asked",
            "expected_version": case["version"],
        },
    )
    assert done.status_code == 200, done.text
    assert done.json()["case"]["state"] == "suspended"
    assert done.json()["events"][0]["reason"] == "client asked"

    restored = op.post(f"/api/cases/{case['id']}/restore", json={"reason": "client resumed"})
    assert restored.json()["case"]["state"] == "active"


def test_an_illegal_transition_is_409_with_the_state_and_allowed_triggers(api: Api) -> None:
    case = api.decision_pending()
    refused = api.as_("operator").post(
        f"/api/cases/{case['id']}/restore", json={"reason": "why not"}
    )
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "illegal_transition"
    assert body["state"] == "decision"
    assert set(body["allowed"]) == {"certify", "refuse_certification", "cancel"}
    history = api.as_("viewer").get(f"/api/cases/{case['id']}/history").json()
    assert history[-1]["trigger"] == "record_stage2"  # nothing written


def test_unknown_things_are_404_with_a_code(api: Api) -> None:
    viewer = api.as_("viewer")
    assert viewer.get("/api/cases/999999").json()["code"] == "not_found"
    assert viewer.get("/api/cases/999999").status_code == 404
    assert viewer.get("/api/organisations/999999").status_code == 404
    assert viewer.get("/api/certificates/ASC-2026-999999").status_code == 404
    assert viewer.get("/api/no-such-route").json()["code"] == "not_found"


def test_a_failing_stage2_score_is_refused_certification(api: Api) -> None:
    case = api.decision_pending(loss=35)  # 65 points
    decided = api.as_("operator").post(f"/api/cases/{case['id']}/decide").json()
    assert decided["case"]["state"] == "not_certified"
    assert decided["case"]["number"] is None


def test_a_sheet_may_sample_third_level_items(api: Api) -> None:
    scores = sheet(0)
    scores["results"]["quality_guarantee"] = {
        "items": {
            "returns": "2",
            "exchanges": {"points": 2},
            "warranty": {"conforming": 1, "sampled": 3},
        }
    }  # 7 - 3 x 2/3 = 5 points
    case = api.decision_pending(scores=scores)
    decided = api.as_("operator").post(f"/api/cases/{case['id']}/decide").json()["case"]
    assert decided["final_score"].startswith("98.0") and decided["star_level"] == "five_star"
    bad = sheet(0)
    bad["results"]["quality_guarantee"] = {"items": {"warranty": {"conforming": 4, "sampled": 3}}}
    refused = api.as_("auditor").post(
        f"/api/cases/{api.decision_pending()['id']}/audits",
        json={"kind": "stage2", "audit_date": days_ago(1), "sheet": bad},
    )
    assert refused.status_code == 422
    assert "quality_guarantee.items.warranty" in refused.json()["field"]


def test_lists_filter_and_page(api: Api) -> None:
    first, second = api.certified(), api.certified()
    viewer = api.as_("viewer")
    page = viewer.get("/api/cases", params={"state": "active", "limit": 1, "offset": 0}).json()
    assert page["limit"] == 1 and len(page["items"]) == 1 and page["total"] >= 2
    found = viewer.get("/api/cases", params={"q": second["number"]}).json()
    assert [c["id"] for c in found["items"]] == [second["id"]]
    assert first["id"] not in [c["id"] for c in found["items"]]
    bad = viewer.get("/api/cases", params={"state": "sleeping"})
    assert bad.status_code == 422 and bad.json()["field"] == "state"


def test_deadlines_and_rule_versions_are_listed(api: Api) -> None:
    case = api.certified()
    viewer = api.as_("viewer")
    upcoming = viewer.get("/api/deadlines", params={"window": "upcoming", "days": 400}).json()
    kinds = {d["deadline"]["kind"] for d in upcoming if d["deadline"]["case_id"] == case["id"]}
    assert "surveillance_due" in kinds
    versions = viewer.get("/api/rules/versions").json()
    assert [v["in_force"] for v in versions].count(True) == 1
    assert versions[0]["ruleset"] == "gbt27922" and len(versions[0]["content_hash"]) == 64


def test_the_register_exports_in_certsearch_field_names_as_csv_and_json(api: Api) -> None:
    case = api.certified()
    viewer = api.as_("viewer")
    rows = viewer.get("/api/register").json()
    mine = next(r for r in rows if r["certificate_number"] == case["number"])
    assert mine["certification_status"] == "active"
    assert mine["scheme_name"] == "GB/T 27922-2011"
    csv_text = viewer.get("/api/register", params={"format": "csv"}).text
    header = csv_text.splitlines()[0]
    assert header.startswith("\ufeffcertificate_number,certification_status,certification_type")
    assert case["number"] in csv_text


def test_an_audit_for_a_stage_the_case_is_not_in_is_refused_and_writes_nothing(api: Api) -> None:
    case = api.certified()
    before = api.as_("viewer").get(f"/api/cases/{case['id']}").json()
    refused = api.as_("auditor").post(
        f"/api/cases/{case['id']}/audits",
        json={"kind": "stage2", "audit_date": days_ago(1), "sheet": sheet()},
    )
    assert refused.status_code == 409
    after = api.as_("viewer").get(f"/api/cases/{case['id']}").json()
    assert after["audits"] == before["audits"] and after["case"] == before["case"]


def test_a_special_audit_is_recorded_with_or_without_a_sheet_and_changes_no_state(
    api: Api,
) -> None:
    case = api.certified()
    auditor = api.as_("auditor")
    for body in (
        {"kind": "special", "audit_date": days_ago(0)},
        {"kind": "special", "audit_date": days_ago(0), "sheet": sheet()},
    ):
        done = auditor.post(f"/api/cases/{case['id']}/audits", json=body)
        assert done.status_code == 200, done.text
        assert done.json()["case"]["state"] == "active"
        assert done.json()["events"][0]["trigger"] == "note_audit"
    history = api.as_("viewer").get(f"/api/cases/{case['id']}/history").json()
    assert "score" not in history[-2]["data"] and history[-1]["data"]["score"]["passed"] is True
    missing = auditor.post(
        f"/api/cases/{case['id']}/audits", json={"kind": "surveillance", "audit_date": days_ago(0)}
    )
    assert missing.status_code == 422 and missing.json()["field"] == "sheet"
