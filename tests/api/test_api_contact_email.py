"""An organisation's contact e-mail over the API: set when registering, changed by PATCH,
refused (422 naming the field, nothing written) when it is not an address."""

from __future__ import annotations

from tests.api.conftest import Api, credit_code


def test_contact_email_is_registered_changed_and_removed(api: Api) -> None:
    op = api.as_("operator")
    made = op.post(
        "/api/organisations",
        json={
            "name": "闽江家电",
            "credit_code": credit_code(),
            "contact_email": "shou@minjiang.cn",
        },
    )
    assert made.status_code == 201, made.text
    org = made.json()
    assert org["contact_email"] == "shou@minjiang.cn"
    changed = op.patch(f"/api/organisations/{org['id']}", json={"contact_email": "售后@闽江.中国"})
    assert changed.status_code == 200 and changed.json()["contact_email"] == "售后@闽江.中国"
    assert api.as_("viewer").get(f"/api/organisations/{org['id']}").json() == changed.json()
    removed = op.patch(f"/api/organisations/{org['id']}", json={"contact_email": None})
    assert removed.status_code == 200 and removed.json()["contact_email"] is None


def test_a_bad_address_is_422_naming_the_field_and_writes_nothing(api: Api) -> None:
    op = api.as_("operator")
    code = credit_code()
    refused = op.post(
        "/api/organisations",
        json={"name": "闽江家电", "credit_code": code, "contact_email": "shou@"},
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "contact_email"
    made = op.post("/api/organisations", json={"name": "闽江家电", "credit_code": code}).json()
    bad = op.patch(f"/api/organisations/{made['id']}", json={"contact_email": "not an address"})
    assert bad.status_code == 422 and bad.json()["field"] == "contact_email"
    assert op.get(f"/api/organisations/{made['id']}").json()["contact_email"] is None
    viewer = api.as_("viewer").patch(
        f"/api/organisations/{made['id']}", json={"contact_email": None}
    )
    assert viewer.status_code == 403
    missing = op.patch("/api/organisations/999999", json={"contact_email": "a@b.cn"})
    assert missing.status_code == 404
