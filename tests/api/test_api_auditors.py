"""/api/auditors: operators keep the auditor register over HTTP; auditors read it; a bad record
is refused naming the field and writes nothing."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, credit_code

WANG: dict[str, Any] = {
    "name": "王芳",
    "grade": "senior_auditor",
    "registered_on": "2021-04-01",
    "valid_until": "2099-03-31",
    "areas": ["household_appliances", "e_commerce"],
    "languages": ["zh", "en"],
    "unavailable": [{"from": "2026-05-01", "to": "2026-05-05"}],
}


def _organisation(api: Api) -> int:
    made = api.as_("operator").post(
        "/api/organisations", json={"name": "闽江家电", "credit_code": credit_code()}
    )
    assert made.status_code == 201, made.text
    found: int = made.json()["id"]
    return found


def _add(api: Api, registration: str, **changes: Any) -> dict[str, Any]:
    made = api.as_("operator").post(
        "/api/auditors", json={**WANG, "registration": registration, **changes}
    )
    assert made.status_code == 201, made.text
    found: dict[str, Any] = made.json()
    return found


def test_an_operator_adds_and_updates_an_auditor_and_the_history_says_who(api: Api) -> None:
    org = _organisation(api)
    relation = {"organisation_id": org, "kind": "consultancy", "from": "2019-01-01", "to": None}
    wang = _add(api, "API-0001", relations=[relation])
    assert (wang["status"], wang["areas"], wang["languages"]) == (
        "valid",
        ["e_commerce", "household_appliances"],
        ["en", "zh"],
    )
    assert wang["relations"] == [relation]
    assert [(h["by"], h["action"]) for h in wang["history"]] == [("operator-1", "added")]
    patched = api.as_("operator").patch(
        f"/api/auditors/{wang['id']}",
        json={
            "add_areas": ["furniture"],
            "remove_unavailable": [{"from": "2026-05-01", "to": "2026-05-05"}],
            "add_unavailable": [{"from": "2026-08-01", "to": "2026-08-10"}],
            "expected_version": 0,
        },
    )
    assert patched.status_code == 200, patched.text
    after = patched.json()
    assert after["areas"] == ["e_commerce", "furniture", "household_appliances"]
    assert after["unavailable"] == [{"from": "2026-08-01", "to": "2026-08-10"}]
    assert after["version"] == 1
    assert after["history"][-1]["changes"]["areas"] == {"added": ["furniture"], "removed": []}
    read = api.as_("auditor").get(f"/api/auditors/{wang['id']}")
    assert read.status_code == 200 and read.json() == after
    stale = api.as_("operator").patch(
        f"/api/auditors/{wang['id']}", json={"name": "x", "expected_version": 0}
    )
    assert stale.status_code == 409 and stale.json()["code"] == "version_conflict"


def test_lists_filter_on_the_query(api: Api) -> None:
    senior = _add(api, "API-0101", areas=["logistics"])
    junior = _add(api, "API-0102", grade="auditor", areas=["logistics"], unavailable=[])
    client = api.as_("auditor")

    def ids(**query: str) -> list[int]:
        answer = client.get("/api/auditors", params={"area": "logistics", **query})
        assert answer.status_code == 200, answer.text
        return [a["id"] for a in answer.json()]

    assert ids() == [senior["id"], junior["id"]]
    assert ids(grade="auditor") == [junior["id"]]
    assert ids(available_on="2026-05-03") == [junior["id"]]
    assert ids(qualified_on="2100-01-01") == []
    unknown = client.get("/api/auditors", params={"area": "ships"})
    assert (unknown.status_code, unknown.json()["field"]) == (422, "area")


def test_bad_records_are_refused_naming_the_field_and_nothing_is_written(api: Api) -> None:
    op = api.as_("operator")
    before = op.get("/api/auditors").json()
    for changes, field, said in (
        ({"areas": ["ships"]}, "areas", "unknown area 'ships'"),
        ({"valid_until": "2020-01-01"}, "valid_until", "2020-01-01 is not after"),
        ({"unavailable": [{"from": "2026-05-09", "to": "2026-05-01"}]}, "unavailable", "ends 2026-05-01 before"),
        ({"unavailable": [{"from": "2026-05-01", "to": "2026-05-09"}, {"from": "2026-05-03", "to": "2026-05-04"}]}, "unavailable", "overlaps"),
        ({"relations": [{"organisation_id": 10**9, "kind": "employment", "from": "2020-01-01"}]}, "relations", "no organisation 1000000000"),
        ({"relations": [{"organisation_id": 1, "kind": "friendship", "from": "2020-01-01"}]}, "relations.0.kind", "relations.0.kind: Input should be"),
        ({"grade": "chief"}, "grade", "grade: Input should be"),
    ):  # fmt: skip
        refused = op.post("/api/auditors", json={**WANG, "registration": "API-BAD", **changes})
        assert refused.status_code == 422, refused.text
        body = refused.json()
        assert (body["code"], body["field"]) == ("invalid_input", field)
        assert said in body["message"], body
    assert op.get("/api/auditors").json() == before
    wang, other = _add(api, "API-0201"), _add(api, "API-0202")
    for changes, field in (
        ({"add_areas": ["ships"]}, "add_areas"),
        ({"remove_languages": ["fr"]}, "remove_languages"),
        ({"add_unavailable": [{"from": "2026-05-05", "to": "2026-05-07"}]}, "add_unavailable"),
        ({"registration": other["registration"]}, "registration"),
    ):
        refused = op.patch(f"/api/auditors/{wang['id']}", json=changes)
        assert (refused.status_code, refused.json()["field"]) == (422, field), refused.text
    assert op.get(f"/api/auditors/{wang['id']}").json() == wang
    missing = op.get("/api/auditors/999999")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


def test_viewers_and_admins_see_no_auditor_records(api: Api) -> None:
    wang = _add(api, "API-0301")
    for role in ("viewer", "admin", "rule_author"):
        refused = api.as_(role).get(f"/api/auditors/{wang['id']}")
        assert refused.status_code == 403, refused.text
    refused = api.as_("auditor").patch(f"/api/auditors/{wang['id']}", json={"name": "x"})
    assert refused.status_code == 403
    assert api.as_("operator").get(f"/api/auditors/{wang['id']}").json()["name"] == "王芳"
