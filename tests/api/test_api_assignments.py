"""/api/assignments: `plan accept` over HTTP on a real server: an operator stores a team the
rules accept, a refused team is a 409 naming each refusing rule and writes nothing, a new
accept replaces the team and keeps the old one, and an audit recorded over the API by someone
outside the team is refused naming the field. Operators accept; operators and auditors list, an
auditor their own audits."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.api.test_api_teams import _setup


def test_an_operator_accepts_replaces_and_lists_teams_and_audits_are_held_to_them(
    api: Api,
) -> None:
    case, wang = _setup(api)
    op = api.as_("operator")
    assert op.post(f"/api/cases/{case}/review").status_code == 200
    body = {"case_id": case, "kind": "stage1", "auditors": [str(wang)], "starts_on": "2026-06-01"}
    first = op.post("/api/assignments", json=body)
    assert first.status_code == 201, first.text
    held = first.json()["assignment"]
    assert (held["kind"], held["starts_on"], held["ends_on"]) == (
        "stage1",
        "2026-06-01",
        "2026-06-02",
    )
    assert held["members"] == [wang] and held["accepted_by"].startswith("operator")
    # Stage 2 asks 3.5 days of two: a lone auditor is refused, rule by rule, and nothing stored.
    refused = op.post("/api/assignments", json={**body, "kind": "stage2"})
    assert refused.status_code == 409, refused.text
    said = refused.json()
    assert said["code"] == "team_refused" and said["field"] == "auditors"
    assert [p.split(":")[0] for p in said["problems"]] == ["team.team_size"]
    assert "because 1 member(s); the audit time asks for 2" in said["problems"][0]
    second = op.post("/api/assignments", json={**body, "starts_on": "2026-06-03"})
    assert second.status_code == 201, second.text
    assert second.json()["replaced"] == held["id"]
    history = op.get("/api/assignments", params={"case_id": case}).json()
    assert [(a["id"], a["replaced_by"]) for a in history] == [
        (held["id"], second.json()["assignment"]["id"]),
        (second.json()["assignment"]["id"], None),
    ]
    assert [a["id"] for a in op.get("/api/assignments").json()] == [
        second.json()["assignment"]["id"]
    ]
    outsider = api.as_("auditor").post(
        f"/api/cases/{case}/audits",
        json={"kind": "stage1", "audit_date": "2026-06-03", "auditor": "张伟"},
    )
    assert (outsider.status_code, outsider.json()["field"]) == (422, "auditor"), outsider.text
    assert "张伟 is not in the team assigned to this stage1 audit" in outsider.json()["message"]
    done = api.as_("auditor").post(
        f"/api/cases/{case}/audits",
        json={"kind": "stage1", "audit_date": "2026-06-03", "auditor": "王芳"},
    )
    assert done.status_code == 200, done.text


def test_a_bad_request_names_the_field_and_other_roles_are_refused(api: Api) -> None:
    case, wang = _setup(api)
    op = api.as_("operator")
    unknown = op.post(
        "/api/assignments",
        json={"case_id": case, "auditors": ["999"], "starts_on": "2026-06-01"},
    )
    assert (unknown.status_code, unknown.json()["field"]) == (422, "auditors"), unknown.text
    backwards = op.post(
        "/api/assignments",
        json={"case_id": case, "auditors": [str(wang)], "starts_on": "2026-06-05",
              "ends_on": "2026-06-01"},
    )  # fmt: skip
    assert (backwards.status_code, backwards.json()["field"]) == (422, "ends_on"), backwards.text
    none_due = op.post("/api/assignments", json={"case_id": case})
    assert (none_due.status_code, none_due.json()["field"]) == (422, "auditors"), none_due.text
    assert "no audit of it is due within 8 week(s)" in none_due.json()["message"]
    assert op.get("/api/assignments", params={"case_id": case}).json() == []
    for role in ("viewer", "rule_author", "admin", "auditor"):
        who = api.as_(role)
        assert who.get("/api/assignments").status_code == (200 if role == "auditor" else 403)
        assert who.post("/api/assignments", json={"case_id": case}).status_code == 403


def test_an_auditor_lists_the_audits_whose_team_they_are_in(api: Api) -> None:
    case, wang = _setup(api)
    other_case, li = _setup(api)
    op = api.as_("operator")
    for cid in (case, other_case):
        assert op.post(f"/api/cases/{cid}/review").status_code == 200
    later = op.post(
        "/api/assignments",
        json={
            "case_id": case,
            "kind": "stage1",
            "auditors": [str(wang)],
            "starts_on": "2026-07-06",
        },
    )
    earlier = op.post(
        "/api/assignments",
        json={"case_id": other_case, "kind": "stage1", "auditors": [str(wang)],
              "starts_on": "2026-06-01"},
    )  # fmt: skip
    assert later.status_code == 201 and earlier.status_code == 201, (later.text, earlier.text)
    auditor = api.as_("auditor")
    registration = auditor.get(f"/api/auditors/{wang}").json()["registration"]
    for ref in (str(wang), registration):
        mine = auditor.get("/api/assignments", params={"auditor": ref})
        assert mine.status_code == 200, mine.text
        assert [(a["case_id"], a["starts_on"]) for a in mine.json()] == [
            (other_case, "2026-06-01"),
            (case, "2026-07-06"),
        ]
    assert auditor.get("/api/assignments", params={"auditor": str(li)}).json() == []
    one_case = auditor.get("/api/assignments", params={"auditor": str(wang), "case_id": case})
    assert [a["case_id"] for a in one_case.json()] == [case]
    for unknown in ("999999", "³", "T-none"):
        said = auditor.get("/api/assignments", params={"auditor": unknown})
        assert (said.status_code, said.json()["field"]) == (422, "auditor"), said.text
