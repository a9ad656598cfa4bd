"""Admins manage accounts over the API, recorded as the admin's account; nobody else can."""

from __future__ import annotations

import httpx

from tests.api.conftest import Api


def test_an_admin_adds_and_revokes_an_account_recorded_as_the_admin(api: Api) -> None:
    admin = api.as_("admin")
    added = admin.post("/api/accounts", json={"name": "wang.fang", "role": "auditor"})
    assert added.status_code == 201, added.text
    token = added.json()["token"]
    with httpx.Client(base_url=api.base, headers={"Authorization": f"Bearer {token}"}) as new:
        assert new.get("/api/me").json() == {"name": "wang.fang", "role": "auditor"}

        listed = {a["name"]: a for a in admin.get("/api/accounts").json()}
        assert listed["wang.fang"]["created_by"] == "admin-1"
        assert listed["wang.fang"]["created_by_os_user"] is None
        assert "token" not in listed["wang.fang"] and "token_hash" not in listed["wang.fang"]

        revoked = admin.post("/api/accounts/wang.fang/revoke")
        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["revoked_by"] == "admin-1"
        assert new.get("/api/me").status_code == 401


def test_account_input_is_checked_and_a_taken_name_refused(api: Api) -> None:
    admin = api.as_("admin")
    role = admin.post("/api/accounts", json={"name": "x", "role": "root"})
    assert role.status_code == 422 and role.json()["field"] == "role"
    assert admin.post("/api/accounts", json={"name": "li.lei", "role": "viewer"}).status_code == 201
    again = admin.post("/api/accounts", json={"name": "li.lei", "role": "operator"})
    assert again.status_code == 422 and again.json()["field"] == "name"
    assert admin.post("/api/accounts/nobody-here/revoke").status_code == 404


def test_an_admin_does_nobody_elses_work(api: Api) -> None:
    refused = api.as_("admin").post(
        "/api/organisations", json={"name": "Acme", "credit_code": "91350100M000100Y43"}
    )
    assert refused.status_code == 403
    for role in ("operator", "auditor", "rule_author", "viewer"):
        assert (
            api.as_(role)
            .post("/api/accounts", json={"name": f"by-{role}", "role": "admin"})
            .status_code
            == 403
        )
    names = [a["name"] for a in api.as_("admin").get("/api/accounts").json()]
    assert not [n for n in names if n.startswith("by-")]
