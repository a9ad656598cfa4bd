"""Bad input and abuse: 4xx with a clear message naming the field, and nothing written."""

from __future__ import annotations

from collections.abc import Iterator

from tests.api.conftest import FACTS, Api, credit_code, days_ago, sheet


def _org_count(api: Api) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(api.app.config.database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM organisations")).scalar_one())
    finally:
        engine.dispose()


def test_an_oversized_body_is_413_and_writes_nothing(api: Api) -> None:
    before = _org_count(api)
    huge = {"name": "x" * 300_000, "credit_code": credit_code()}
    answer = api.as_("operator").post("/api/organisations", json=huge)
    assert answer.status_code == 413
    assert answer.json()["code"] == "body_too_large"
    assert _org_count(api) == before


def test_an_oversized_chunked_body_is_413(api: Api) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(40):
            yield b"y" * 10_000
        yield b'", "credit_code": "x"}'

    answer = api.as_("operator").post(
        "/api/organisations", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 413


def test_malformed_json_names_the_body(api: Api) -> None:
    answer = api.as_("operator").post(
        "/api/organisations",
        content=b'{"name": "Acme",',
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "invalid_input" and body["field"] == "body"
    assert "malformed JSON" in body["message"]


def test_wrong_types_unknown_fields_and_missing_fields_name_the_field(api: Api) -> None:
    op = api.as_("operator")
    before = _org_count(api)
    wrong = op.post("/api/organisations", json={"name": 5, "credit_code": credit_code()})
    assert wrong.status_code == 422 and wrong.json()["field"] == "name"
    unknown = op.post(
        "/api/organisations", json={"name": "A", "credit_code": credit_code(), "colour": "red"}
    )
    assert unknown.status_code == 422 and unknown.json()["field"] == "colour"
    assert "unknown field" in unknown.json()["message"]
    missing = op.post("/api/organisations", json={"name": "A"})
    assert missing.status_code == 422 and missing.json()["field"] == "credit_code"
    loose_bool = op.post(
        "/api/applications",
        json={
            "organisation_id": 1,
            "submitted_on": days_ago(60),
            "service_system_since": days_ago(200),
            "scope": "s",
            "facts": {**FACTS, "has_dedicated_funds": "yes"},
        },
    )
    assert loose_bool.status_code == 422
    assert loose_bool.json()["field"] == "facts.has_dedicated_funds"
    for loose_day in (1772323200, "2026-03-01T00:00:00", "2026-3-1"):  # a timestamp, a time
        answer = op.post(
            "/api/applications",
            json={
                "organisation_id": 1,
                "submitted_on": loose_day,
                "service_system_since": days_ago(200),
                "scope": "s",
                "facts": FACTS,
            },
        )
        assert answer.status_code == 422, (loose_day, answer.text)
        assert answer.json()["field"] == "submitted_on"
        assert "YYYY-MM-DD" in answer.json()["message"]
    assert _org_count(api) == before


def test_a_bad_credit_code_is_refused_by_the_domain_with_its_field(api: Api) -> None:
    answer = api.as_("operator").post(
        "/api/organisations", json={"name": "Acme", "credit_code": "91350100M000100Y40"}
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "credit_code"


def test_a_bad_score_sheet_names_the_indicator(api: Api) -> None:
    case = api.decision_pending()
    # A fresh case at stage 2 would be needed to score; the sheet is checked before anything.
    answer = api.as_("auditor").post(
        f"/api/cases/{case['id']}/audits",
        json={
            "kind": "surveillance",
            "audit_date": days_ago(1),
            "sheet": {"results": {"repair": {"conforming": 3}}},
        },
    )
    assert answer.status_code == 422
    assert answer.json()["field"].startswith("sheet.results.repair")
    stage2 = api.as_("auditor")
    pending = api.certified()
    before = api.as_("viewer").get(f"/api/cases/{pending['id']}").json()
    for results, field in [
        ({**sheet(0)["results"], "complaint_handling": 13}, "sheet.results.complaint_handling"),
        (
            {**sheet(0)["results"], "complaint_handling": {"conforming": 11, "sampled": 10}},
            "sheet.results.complaint_handling",
        ),
    ]:
        refused = stage2.post(
            f"/api/cases/{pending['id']}/audits",
            json={"kind": "special", "audit_date": days_ago(1), "sheet": {"results": results}},
        )
        assert refused.status_code == 422, refused.text
        body = refused.json()
        assert body["field"].startswith(field), body  # the request's own path
        assert "score_sheet" not in body["message"] and body["message"].startswith(field)
    assert api.as_("viewer").get(f"/api/cases/{pending['id']}").json() == before


def test_bad_certificate_numbers_are_422_not_500(api: Api) -> None:
    anon = api.as_(None)
    for number in ["not-a-number", "ASC-2026-1", "x" * 300, "ASC-2026-000001'--", "%00"]:
        answer = anon.get(f"/verify/{number}")
        assert answer.status_code == 422, (number, answer.text)
        assert answer.json()["field"] == "number"
    assert anon.get("/verify/ASC-2026-999999").status_code == 404


def test_paging_bounds_are_checked(api: Api) -> None:
    viewer = api.as_("viewer")
    assert viewer.get("/api/cases", params={"limit": 0}).status_code == 422
    assert viewer.get("/api/cases", params={"limit": 100000}).status_code == 422
    assert viewer.get("/api/cases", params={"offset": -1}).json()["field"] == "offset"
